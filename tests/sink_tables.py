"""Tables and helpers that the sink tests share: a bank of customers and accounts, written in
interleaved chunks, and checks on errors."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from datatwin.errors import DatatwinError
from datatwin.io.sinks import (
    ForeignKey,
    Sink,
    TableInfo,
)

FORMATS = ["parquet", "csv", "jsonl"]

TABLES = (
    TableInfo("customers", primary_key="customer_id"),
    TableInfo(
        "accounts",
        primary_key="account_id",
        foreign_keys=(ForeignKey("customer_id", "customers", "customer_id"),),
    ),
)


def bank(n: int = 40, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Customers and their accounts (sorted by customer), with gaps and awkward text."""
    rng = np.random.default_rng(seed)
    names = [f"Person {i}" for i in range(n)]
    names[1] = 'tab\there, "quote", back\\slash'
    names[2] = "line\nbreak, ÆØÅ ✓"
    names[3] = ""
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n + 1),
            # the running pandas' own text dtype (str on pandas 3, object on pandas 2)
            "name": pd.Series([None if i == 4 else v for i, v in enumerate(names)]),
            "score": np.where(rng.random(n) < 0.1, np.nan, np.round(rng.normal(600, 50, n), 2)),
            "vip": rng.random(n) < 0.3,
            "joined": pd.Timestamp("2020-01-01 09:00")
            + pd.to_timedelta(rng.integers(0, 10**7, n), unit="s"),
            "visits": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(0, 9, n)), "Int64"),
        }
    )
    if n > 5:
        customers.loc[5, "joined"] = pd.NaT
    owners = np.sort(rng.integers(1, n + 1, 2 * n))
    accounts = pd.DataFrame(
        {
            "account_id": np.arange(100, 100 + len(owners)),
            "customer_id": owners,
            "balance": np.round(rng.normal(1000, 500, len(owners)), 2),
            "kind": pd.Categorical(rng.choice(["checking", "savings"], len(owners))),
        }
    )
    return {"customers": customers, "accounts": accounts}


def write_bank(sink: Sink, data: dict[str, pd.DataFrame], parts: int = 3) -> None:
    """Interleaved: each slice of customers, then the accounts of those customers."""
    customers, accounts = data["customers"], data["accounts"]
    bounds = np.linspace(0, len(customers), parts + 1).astype(int)
    for start, stop in itertools.pairwise(bounds):
        part = customers.iloc[start:stop]
        sink.write("customers", part)
        ids = part["customer_id"]
        sink.write("accounts", accounts[accounts["customer_id"].between(ids.min(), ids.max())])


def listed(values: Any) -> list[Any]:
    """The values of a series or list, with every kind of missing value as ``None``."""
    return [None if v is None or v is pd.NA or v is pd.NaT or v != v else v for v in list(values)]


def one_sentence(error: BaseException) -> str:
    text = str(error)
    assert isinstance(error, DatatwinError)
    assert "\n" not in text, text
    assert text.endswith("."), text
    return text


def fail_midway(sink: Sink, data: dict[str, pd.DataFrame]) -> None:
    """Write ``data`` and then fail, inside the sink's context."""
    with sink:
        write_bank(sink, data)
        raise RuntimeError("boom")


def write_all(sink: Sink, writes: list[tuple[str, pd.DataFrame]]) -> None:
    with sink:
        for table, chunk in writes:
            sink.write(table, chunk)
