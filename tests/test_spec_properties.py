"""Invariants on random small specs: bounds hold, keys are valid, chunking changes nothing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import datatwin as dt
from datatwin.spec import iter_generate

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

REFERENCE = {
    "normal": lambda p: stats.norm(p["mean"], p["sd"]),
    "lognormal": lambda p: stats.lognorm(p["sigma"], scale=np.exp(p["mu"])),
    "gamma": lambda p: stats.gamma(p["shape"], scale=p["scale"]),
    "exponential": lambda p: stats.expon(scale=p["scale"]),
    "poisson": lambda p: stats.poisson(p["lam"]),
    "binomial": lambda p: stats.binom(p["n"], p["p"]),
    "beta": lambda p: stats.beta(p["a"], p["b"]),
}


@st.composite
def numeric_columns(draw: st.DrawFn) -> dict[str, Any]:
    family = draw(st.sampled_from(sorted(REFERENCE)))
    positive = st.floats(0.2, 5)
    params: dict[str, Any] = {
        "normal": {"mean": draw(st.floats(-100, 100)), "sd": draw(positive)},
        "lognormal": {"mu": draw(st.floats(-1, 3)), "sigma": draw(st.floats(0.1, 1.5))},
        "gamma": {"shape": draw(positive), "scale": draw(positive)},
        "exponential": {"scale": draw(positive)},
        "poisson": {"lam": draw(st.floats(0.5, 30))},
        "binomial": {"n": draw(st.integers(1, 40)), "p": draw(st.floats(0.05, 0.95))},
        "beta": {"a": draw(positive), "b": draw(positive)},
    }[family]
    reference = REFERENCE[family](params)
    low_q, high_q = sorted(draw(st.lists(st.floats(0.05, 0.95), min_size=2, max_size=2)))
    column: dict[str, Any] = {"distribution": family, **params}
    if draw(st.booleans()):
        column["min"] = float(reference.ppf(low_q))
    if draw(st.booleans()):
        column["max"] = float(reference.ppf(max(high_q, low_q + 0.05)))
    if draw(st.booleans()):
        column["round"] = draw(st.integers(0, 3))
    return column


@FAST
@given(columns=st.lists(numeric_columns(), min_size=1, max_size=4), seed=st.integers(0, 99))
def test_values_stay_within_their_bounds(columns: list[dict[str, Any]], seed: int) -> None:
    spec = {
        "format": "datatwin-spec",
        "version": 1,
        "tables": {"t": {"rows": 300, "columns": {f"c{i}": c for i, c in enumerate(columns)}}},
    }
    for column in columns:
        if "round" in column and "min" in column and "max" in column:
            step = 10.0 ** -column["round"]
            if np.ceil(column["min"] / step - 1e-9) > np.floor(column["max"] / step + 1e-9):
                with pytest.raises(dt.SpecError, match="no value rounded to"):
                    dt.generate(spec, seed=seed)
                return
    out = dt.generate(spec, seed=seed)["t"]
    for i, column in enumerate(columns):
        values = out[f"c{i}"].to_numpy(dtype=float)
        assert np.isfinite(values).all()
        step = 10.0 ** -column.get("round", 12)
        if "min" in column:
            assert values.min() >= column["min"] - step / 2 - 1e-9
        if "max" in column:
            assert values.max() <= column["max"] + step / 2 + 1e-9
        whole = column["distribution"] in ("poisson", "binomial") or column.get("round") == 0
        assert (out[f"c{i}"].dtype == np.int64) == whole


@st.composite
def related_specs(draw: st.DrawFn) -> dict[str, Any]:
    def per_parent() -> dict[str, Any]:
        if draw(st.booleans()):
            low = draw(st.integers(0, 3))
            return {"uniform": [low, low + draw(st.integers(0, 4))]}
        return {
            "distribution": "poisson",
            "lam": draw(st.floats(0.1, 6)),
            "max": draw(st.integers(1, 12)),
        }

    tables: dict[str, Any] = {
        "a": {
            "rows": draw(st.integers(0, 120)),
            "columns": {
                "id": draw(
                    st.sampled_from(
                        [
                            {"type": "id"},
                            {"type": "id", "kind": "uuid"},
                            {"type": "id", "pattern": "A-####"},
                        ]
                    )
                ),
                "t0": {"type": "datetime", "start": "2020-01-01", "end": "2021-01-01"},
                "g": {"values": ["x", "y", "z"], "missing": draw(st.sampled_from([0, 0.2]))},
            },
        },
        "b": {
            "per_parent": per_parent(),
            "columns": {
                "id": {"type": "id", "pattern": "B-??###"},
                "a_id": {"foreign_key": "a.id"},
                "t1": {"type": "datetime", "start": "parent.t0", "end": "2022-01-01"},
                "v": {
                    "distribution": "normal",
                    "mean": 0,
                    "sd": 1,
                    "depends_on": "parent.g",
                    "cases": {"y": {"mean": 5}},
                },
            },
            "constraints": ["v > -1.5"],
        },
        "c": {
            "per_parent": per_parent(),
            "columns": {
                "b_id": {"foreign_key": "b.id"},
                "a_any": {
                    "foreign_key": "a.id",
                    "distribution": draw(st.sampled_from(["uniform", "zipf"])),
                    "missing": 0.1,
                },
                "t2": {
                    "type": "datetime",
                    "start": "parent.t1",
                    "end": "2023-01-01",
                    "business_hours": True,
                },
            },
        },
    }
    if tables["a"]["rows"] == 0:  # a key to an empty table has nothing to name
        del tables["c"]["columns"]["a_any"]
    return {"format": "datatwin-spec", "version": 1, "tables": tables}


@FAST
@given(spec=related_specs(), seed=st.integers(0, 999), chunk_rows=st.integers(1, 400))
def test_keys_are_valid_and_chunking_changes_nothing(
    spec: dict[str, Any], seed: int, chunk_rows: int
) -> None:
    whole = dt.generate(spec, seed=seed)
    a, b, c = whole["a"], whole["b"], whole["c"]
    assert b["a_id"].isin(a["id"]).all()
    assert c["b_id"].isin(b["id"]).all()
    if "a_any" in c:
        assert c["a_any"].dropna().isin(a["id"]).all()
    assert a["id"].is_unique
    assert b["id"].is_unique
    per = spec["tables"]["b"]["per_parent"]
    counts = b.groupby("a_id").size().reindex(a["id"], fill_value=0)
    top = per["uniform"][1] if "uniform" in per else per["max"]
    assert counts.max() <= top if len(counts) else True
    joined = b.merge(a, left_on="a_id", right_on="id")
    assert (joined["t1"] >= joined["t0"]).all()
    assert (b["v"] > -1.5).all()
    chunked: dict[str, list[pd.DataFrame]] = {name: [] for name in whole}
    for name, chunk in iter_generate(spec, None, seed, chunk_rows=chunk_rows):
        chunked[name].append(chunk)
    for name, chunks in chunked.items():
        pd.testing.assert_frame_equal(pd.concat(chunks, ignore_index=True), whole[name])
