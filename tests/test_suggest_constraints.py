"""Suggested constraints: each kind of rule is found where it is planted, and none is broken.

Rules are checked here by evaluating them directly with numpy on the table, never with the code
under test.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import datatwin as dt
from datatwin.constraints.suggest import suggest_constraints
from tests.strategies import frames

N = 200


def rules(df: pd.DataFrame, **kwargs: Any) -> list[dict[str, Any]]:
    """The suggestions without their ``why``, after checking that every one has one."""
    out = suggest_constraints(df, **kwargs)
    json.dumps(out, allow_nan=False)  # JSON-ready
    assert all(isinstance(r["why"], str) and r["why"] for r in out)
    return [{k: v for k, v in r.items() if k != "why"} for r in out]


def of_type(found: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [r for r in found if r["type"] == kind]


def rng() -> np.random.Generator:
    return np.random.default_rng(7)


# --- direct checks of a rule on a table --------------------------------------------------------


def numbers(df: pd.DataFrame, name: str) -> np.ndarray:
    """A column as float64 (NaN for missing); datetimes as nanoseconds via the detected format."""
    series = df[name]
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series):
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    column = dt.detect_schema(df[[name]])[name]
    stamps = pd.to_datetime(series, format=column.format) if column.format else series
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_convert(None)
    ns = stamps.to_numpy(dtype="datetime64[ns]")
    return np.where(np.isnat(ns), np.nan, ns.view(np.int64).astype(np.float64))


def operand(df: pd.DataFrame, token: str) -> np.ndarray:
    return numbers(df, token[1:-1] if token.startswith("`") else token)


def formula_holds(df: pd.DataFrame, rule: dict[str, Any]) -> bool:
    tokens = re.findall(r"`[^`]*`|[^\s`]+", rule["expression"])
    target = numbers(df, rule["column"])
    ops = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}
    with np.errstate(all="ignore"):
        if len(tokens) == 1:
            left = right = value = operand(df, tokens[0])
            scale = np.zeros_like(value)
        else:
            left, op, right = operand(df, tokens[0]), tokens[1], operand(df, tokens[2])
            value = ops[op](left, right)
            scale = np.abs(left) + np.abs(right) if op in "+-" else np.abs(value)
        rows = ~(np.isnan(target) | np.isnan(left) | np.isnan(right))
        close = (value == target) | (np.abs(value - target) <= 1e-8 * (scale + np.abs(target)))
    return bool(np.all(close[rows]))


def holds(df: pd.DataFrame, rule: dict[str, Any]) -> bool:
    """Whether ``rule`` holds on every row where all its columns have values."""
    kind = rule["type"]
    if kind == "inequality":
        low, high = numbers(df, rule["low"]), numbers(df, rule["high"])
        rows = ~(np.isnan(low) | np.isnan(high))
        return bool(np.all((low < high if rule["strict"] else low <= high)[rows]))
    if kind in ("positive", "negative"):
        values = numbers(df, rule["column"])
        values = values[~np.isnan(values)] * (1 if kind == "positive" else -1)
        return bool(np.all(values > 0 if rule["strict"] else values >= 0))
    if kind == "formula":
        return formula_holds(df, rule)
    if kind == "one_hot":
        flags = df[rule["columns"]]
        rows = flags.notna().all(axis=1)
        truth = flags[rows].astype(str).apply(lambda s: s.str.lower().isin(["true", "1", "yes"]))
        return bool((truth.sum(axis=1) == 1).all())
    if kind == "unique":
        values = df[rule["columns"][0]].dropna()
        return bool(values.nunique() == len(values))
    return kind == "fixed_combinations"  # holds by construction: the combinations seen


# --- each kind of rule, planted ------------------------------------------------------------------


def test_sum_formula_is_found() -> None:
    r = rng()
    df = pd.DataFrame({"net": r.integers(1, 1000, N) / 100, "tax": r.integers(0, 300, N) / 100})
    df["total"] = df["net"] + df["tax"]
    df["noise"] = r.normal(size=N)
    found = rules(df)
    assert found[0] == {"type": "formula", "column": "total", "expression": "net + tax"}
    assert len(of_type(found, "formula")) == 1


def test_names_that_are_not_identifiers_are_quoted() -> None:
    r = rng()
    df = pd.DataFrame({"net amount": r.integers(1, 1000, N), "class": r.integers(1, 50, N)})
    df["total"] = df["net amount"] + df["class"]
    formula = of_type(rules(df), "formula")
    assert formula == [
        {"type": "formula", "column": "total", "expression": "`net amount` + `class`"}
    ]


def test_product_and_ratio_formulas() -> None:
    r = rng()
    df = pd.DataFrame({"width": r.integers(1, 90, N), "height": r.integers(1, 90, N)})
    df["area"] = df["width"] * df["height"]
    df["mass"] = r.integers(100, 10_000, N) / 10
    df["volume"] = r.integers(1, 500, N) / 10
    df["density"] = df["mass"] / df["volume"]
    formulas = of_type(rules(df), "formula")
    assert {"type": "formula", "column": "area", "expression": "width * height"} in formulas
    assert {"type": "formula", "column": "density", "expression": "mass / volume"} in formulas
    assert all(formula_holds(df, f) for f in formulas)


def test_formula_with_gaps_holds_where_all_three_have_values() -> None:
    r = rng()
    df = pd.DataFrame({"a": r.normal(size=N).round(2), "b": r.normal(size=N).round(2)})
    df["c"] = df["a"] + df["b"]
    df.loc[::7, "a"] = np.nan
    df.loc[::11, "c"] = np.nan
    df.loc[::7, "c"] = 99.0  # breaks the sum, but only where 'a' is missing
    out = suggest_constraints(df)
    formula = [r for r in out if r["type"] == "formula"]
    assert [(f["column"], f["expression"]) for f in formula] == [("c", "a + b")]
    assert "where all three have values" in formula[0]["why"]


def test_a_formula_with_a_zero_operand_is_not_suggested() -> None:
    r = rng()
    df = pd.DataFrame({"a": r.normal(size=N), "b": np.where(np.arange(N) < 5, 1.0, 0.0)})
    df["c"] = df["a"] + df["b"]  # mostly c == a: says little
    assert of_type(rules(df), "formula") == []


def test_one_hot_group() -> None:
    pick = rng().integers(0, 3, N)
    df = pd.DataFrame(
        {
            "is_a": pick == 0,
            "is_b": (pick == 1).astype(int),
            "is_c": np.where(pick == 2, "yes", "no"),
            "other": rng().random(N) < 0.5,
        }
    )
    one_hot = of_type(rules(df), "one_hot")
    assert one_hot == [{"type": "one_hot", "columns": ["is_a", "is_b", "is_c"]}]


def test_fixed_combinations_find_a_dependency() -> None:
    r = rng()
    country = r.choice(["NO", "SE", "DK", "DE", "FR"], N)
    currency = pd.Series(country).map({"NO": "NOK", "SE": "SEK", "DK": "DKK"}).fillna("EUR")
    df = pd.DataFrame(
        {"country": country, "currency": currency, "colour": r.choice(["red", "blue"], N)}
    )
    found = of_type(rules(df), "fixed_combinations")
    assert found == [{"type": "fixed_combinations", "columns": ["country", "currency"]}]
    why = suggest_constraints(df)[0]["why"]
    assert "'country' determines 'currency'" in why


def test_fixed_combinations_of_three() -> None:
    r = rng()
    a, b = r.integers(0, 2, 400), r.integers(0, 2, 400)
    df = pd.DataFrame(
        {
            "a": np.where(a == 1, "x", "y"),
            "b": np.where(b == 1, "u", "v"),
            "same": np.where(a == b, "yes!", "no!"),
        }
    )
    found = of_type(rules(df), "fixed_combinations")
    assert found == [{"type": "fixed_combinations", "columns": ["a", "b", "same"]}]


def test_independent_categories_give_no_combinations() -> None:
    r = rng()
    df = pd.DataFrame({c: r.choice(list("abcdefgh"), 60) for c in ("p", "q", "s")})
    assert of_type(rules(df), "fixed_combinations") == []


def test_inequalities_numbers_and_dates() -> None:
    r = rng()
    admitted = pd.Timestamp("2024-01-01") + pd.to_timedelta(r.integers(0, 300, N), unit="D")
    discharged = admitted + pd.to_timedelta(r.integers(0, 20, N), unit="D")
    df = pd.DataFrame(
        {
            "admitted": admitted.strftime("%Y-%m-%d"),
            "discharged": pd.Series(discharged),
            "low": r.normal(size=N),
        }
    )
    df["high"] = df["low"] + r.random(N) + 0.01
    found = of_type(rules(df), "inequality")
    assert {"type": "inequality", "low": "low", "high": "high", "strict": True} in found
    assert {
        "type": "inequality",
        "low": "admitted",
        "high": "discharged",
        "strict": False,
    } in found
    assert len(found) == 2


def test_inequalities_skip_the_trivial_and_the_transitive() -> None:
    r = rng()
    df = pd.DataFrame({"a": r.normal(size=N)})
    df["b"] = df["a"] + r.random(N)
    df["c"] = df["b"] + r.random(N)
    df["far"] = 100 + r.random(N)  # above everything: the ranges alone say so
    found = of_type(rules(df), "inequality")
    pairs = {(f["low"], f["high"]) for f in found}
    assert pairs == {("a", "b"), ("b", "c")}


def test_equal_columns_are_a_formula() -> None:
    df = pd.DataFrame({"x": rng().normal(size=N)})
    df["y"] = df["x"]
    found = rules(df)
    assert found[0] == {"type": "formula", "column": "y", "expression": "x"}
    assert of_type(found, "inequality") == []


def test_signs_and_unique() -> None:
    r = rng()
    df = pd.DataFrame(
        {
            "price": r.integers(1, 500, N) + 0.5,
            "count": r.integers(0, 50, N),
            "loss": -r.random(N) - 1,
            "mixed": r.normal(size=N),
            "account": r.choice(10**9, N, replace=False),
            "id": np.arange(N),  # a key: made up on output, so not a unique suggestion
        }
    )
    found = rules(df)
    assert {"type": "positive", "column": "price", "strict": True} in found
    assert {"type": "positive", "column": "count", "strict": False} in found
    assert {"type": "negative", "column": "loss", "strict": True} in found
    assert not [r for r in found if r.get("column") == "mixed"]
    assert of_type(found, "unique") == [{"type": "unique", "columns": ["account"]}]


def test_too_few_shared_rows() -> None:
    r = rng()
    df = pd.DataFrame({"a": r.normal(size=N)})
    df["b"] = df["a"] + 1 + r.random(N)
    df.loc[10:, "b"] = np.nan  # only 10 rows with both values
    assert of_type(rules(df), "inequality") == []


@pytest.mark.parametrize("n", [0, 1, 5])
def test_tiny_tables_give_nothing(n: int) -> None:
    df = pd.DataFrame({"a": np.arange(n, dtype=float), "b": np.arange(n) + 1.0})
    assert suggest_constraints(df) == []


def test_order_and_cut() -> None:
    r = rng()
    pick = r.integers(0, 2, N)
    df = pd.DataFrame(
        {"net": r.integers(1, 100, N), "tax": r.integers(1, 20, N), "yes": pick, "no": 1 - pick}
    )
    df["total"] = df["net"] + df["tax"]
    kinds = [x["type"] for x in rules(df)]
    assert kinds[:2] == ["formula", "one_hot"]
    rank = ["formula", "one_hot", "fixed_combinations", "inequality", "positive", "unique"]
    assert kinds == sorted(kinds, key=rank.index)
    assert len(rules(df, max_suggestions=2)) == 2
    assert rules(df, max_suggestions=0) == []


def test_a_given_schema_is_used() -> None:
    r = rng()
    df = pd.DataFrame({"a": r.normal(size=N)})
    df["b"] = df["a"] + r.random(N)
    schema = dt.detect_schema(df)
    schema["b"].kind = "id"  # a person says: made up on output
    assert of_type(rules(df, schema=schema), "inequality") == []


# --- no suggestion is ever broken ---------------------------------------------------------------


@st.composite
def planted(draw: st.DrawFn) -> pd.DataFrame:
    """Numbers with inequalities, sums and products between them, some gaps and some noise."""
    n = draw(st.integers(0, 3) | st.integers(20, 80))
    decimals = draw(st.integers(0, 3))
    values = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)
    a = np.round(draw(hnp.arrays(np.float64, n, elements=values)), decimals)
    gap = np.abs(np.round(draw(hnp.arrays(np.float64, n, elements=values)), decimals))
    df = pd.DataFrame({"a": a, "gap": gap, "b": a + gap})
    df["c"] = df["a"] + df["b"]
    df["d"] = df["a"] * df["gap"]
    df["e"] = draw(hnp.arrays(np.int64, n, elements=st.integers(-3, 3)))
    df["flag"] = df["e"] > 0
    for name in draw(st.lists(st.sampled_from(list(df.columns)), max_size=3)):
        gaps = draw(hnp.arrays(np.bool_, n))
        df[name] = df[name].where(~gaps)
    return df


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(planted())
def test_no_suggestion_is_broken_on_planted_tables(df: pd.DataFrame) -> None:
    for rule in suggest_constraints(df):
        assert holds(df, rule), rule


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(max_columns=6, max_rows=60))
def test_no_suggestion_is_broken_on_random_tables(df: pd.DataFrame) -> None:
    out = suggest_constraints(df)
    json.dumps(out, allow_nan=False)
    for rule in out:
        assert holds(df, rule), rule
