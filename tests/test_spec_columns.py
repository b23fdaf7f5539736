"""Column generators: distributions, bounds, rounding, categories, cases, dates, ids, identities."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import datatwin as dt


def one_table(columns: dict[str, Any], rows: int = 4000, seed: int = 0, **options: Any) -> Any:
    spec = {
        "format": "datatwin-spec",
        "version": 1,
        "tables": {"t": {"rows": rows, "columns": columns, **options}},
    }
    return dt.generate(spec, seed=seed)["t"]


FAMILIES = {
    "uniform": ({"low": 2, "high": 5}, stats.uniform(2, 3)),
    "normal": ({"mean": 10, "sd": 2}, stats.norm(10, 2)),
    "lognormal": ({"mu": 1, "sigma": 0.5}, stats.lognorm(0.5, scale=np.e)),
    "exponential": ({"scale": 3}, stats.expon(scale=3)),
    "gamma": ({"shape": 2.5, "scale": 2}, stats.gamma(2.5, scale=2)),
    "beta": ({"a": 2, "b": 5}, stats.beta(2, 5)),
    "poisson": ({"lam": 3}, stats.poisson(3)),
    "binomial": ({"n": 10, "p": 0.3}, stats.binom(10, 0.3)),
    "zipf": ({"a": 2.5}, stats.zipf(2.5)),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_matches_its_distribution(family: str) -> None:
    params, reference = FAMILIES[family]
    x = one_table({"x": {"distribution": family, **params}})["x"].to_numpy(dtype=float)
    assert abs(np.median(x) - reference.median()) <= 0.1 * reference.std() + 1
    assert abs(x.mean() - reference.mean()) < 5 * reference.std() / np.sqrt(len(x)) + 1e-9
    if family in ("poisson", "binomial", "zipf"):
        assert np.all(x == np.round(x))


@pytest.mark.parametrize("family", ["normal", "lognormal", "gamma", "poisson", "exponential"])
def test_bounds_truncate_by_inverse_cdf_without_piles(family: str) -> None:
    params, reference = FAMILIES[family]
    low, high = reference.ppf(0.3), reference.ppf(0.8)
    col = {"distribution": family, **params, "min": float(low), "max": float(high)}
    x = one_table({"x": col}, rows=20000)["x"].to_numpy(dtype=float)
    assert x.min() >= low
    assert x.max() <= high
    if family == "poisson":  # the truncated pmf, renormalised
        ks = np.arange(np.ceil(low), np.floor(high) + 1)
        want = reference.pmf(ks) / reference.pmf(ks).sum()
        got = np.array([(x == k).mean() for k in ks])
        assert np.abs(got - want).max() < 0.02
    else:  # no pile at either bound, and the truncated CDF fits
        assert (x == low).mean() < 0.001
        assert (x == high).mean() < 0.001
        mass = reference.cdf(high) - reference.cdf(low)
        truncated = lambda v: (reference.cdf(v) - reference.cdf(low)) / mass  # noqa: E731
        assert stats.kstest(x, truncated).pvalue > 0.001
    clipped = one_table({"x": {**col, "clip": True}}, rows=5000)["x"].to_numpy(dtype=float)
    assert (clipped == clipped.max()).mean() > 0.1  # clip: true piles values at the bounds


def test_round_integer_and_decimals() -> None:
    out = one_table(
        {
            "a": {"distribution": "normal", "mean": 50, "sd": 10, "round": 0},
            "b": {"distribution": "normal", "mean": 50, "sd": 10, "round": 2},
            "c": {"distribution": "lognormal", "mu": 8, "sigma": 1, "round": -2, "min": 150},
            "d": {"distribution": "poisson", "lam": 2},
            "e": {"distribution": "uniform", "low": 0.31, "high": 0.36, "round": 1},
            "f": {"distribution": "poisson", "lam": 2, "integer": False},
        },
        rows=2000,
    )
    assert out["a"].dtype == np.int64
    assert out["d"].dtype == np.int64
    assert out["b"].dtype == np.float64
    assert np.allclose(out["b"], out["b"].round(2))
    assert out["c"].dtype == np.int64
    assert (out["c"] % 100 == 0).all()
    assert out["c"].min() >= 200
    assert set(out["e"]) <= {0.3, 0.4}
    assert out["e"].min() >= 0.3
    assert out["f"].dtype == np.float64


def test_mixture_and_empirical() -> None:
    out = one_table(
        {
            "m": {
                "distribution": "mixture",
                "components": [
                    {"weight": 3, "distribution": "normal", "mean": 0, "sd": 1},
                    {"weight": 1, "distribution": "normal", "mean": 100, "sd": 1},
                ],
                "min": -1,
            },
            "e": {"distribution": "empirical", "values": [1, 2, 5], "weights": [0.2, 0.3, 0.5]},
        },
        rows=8000,
    )
    assert abs((out["m"] > 50).mean() - 0.25 / (0.25 + 0.75 * stats.norm.sf(-1))) < 0.03
    assert out["m"].min() >= -1
    shares = out["e"].value_counts(normalize=True)
    assert set(shares.index) == {1, 2, 5}
    assert abs(shares[5] - 0.5) < 0.03


def test_categorical_weights_and_cases() -> None:
    out = one_table(
        {
            "job": {"values": ["engineer", "clerk"], "weights": [1, 3]},
            "income": {
                "distribution": "lognormal",
                "mu": 10,
                "sigma": 0.2,
                "depends_on": "job",
                "cases": {"engineer": {"mu": 11.5}},
            },
            "band": {
                "type": "categorical",
                "values": ["low", "high"],
                "depends_on": "job",
                "cases": {"engineer": {"weights": [0, 1]}, "clerk": {"weights": [1, 0]}},
            },
            "remote": {
                "type": "boolean",
                "depends_on": "job",
                "cases": {"engineer": 0.9, "clerk": None},
            },
        },
        rows=6000,
    )
    assert isinstance(out["job"].dtype, pd.CategoricalDtype)
    assert abs((out["job"] == "clerk").mean() - 0.75) < 0.03
    medians = out.groupby("job", observed=True)["income"].median()
    assert abs(np.log(medians["engineer"]) - 11.5) < 0.05
    assert abs(np.log(medians["clerk"]) - 10) < 0.05
    assert ((out["job"] == "engineer") == (out["band"] == "high")).all()
    remote = out.groupby("job", observed=True)["remote"]
    assert abs(remote.mean()["engineer"] - 0.9) < 0.03
    assert remote.apply(lambda s: s.isna().all())["clerk"]  # a null case: missing


def test_booleans_missing_and_hidden_columns() -> None:
    out = one_table(
        {
            "flag": {"type": "boolean", "rate": 0.2, "missing": 0.1},
            "x": {"distribution": "normal", "mean": 0, "sd": 1, "hidden": True},
            "y": {"type": "derived", "expression": "x * 2", "missing": 0.5},
            "k": {"distribution": "poisson", "lam": 3, "missing": 0.3},
        },
        rows=8000,
    )
    assert list(out.columns) == ["flag", "y", "k"]
    assert abs(out["flag"].isna().mean() - 0.1) < 0.02
    assert abs(out["flag"].mean() - 0.2) < 0.02
    assert out["flag"].dtype == "boolean"
    assert out["k"].dtype == "Int64"
    assert abs(out["y"].isna().mean() - 0.5) < 0.03
    assert abs(out["k"].isna().mean() - 0.3) < 0.03


def test_derived_columns_use_the_expression_language() -> None:
    out = one_table(
        {
            "q": {"distribution": "poisson", "lam": 2, "min": 1},
            "p": {"distribution": "uniform", "low": 1, "high": 10, "round": 2},
            "total": {"type": "derived", "expression": "round(q * p, 2)"},
            "big": {"expression": "total > 10"},
            "label": {"expression": "'many' if q > 2 else 'few'"},
            "whole": {"expression": "floor(p)", "integer": True},
        },
        rows=500,
    )
    assert np.allclose(out["total"], (out["q"] * out["p"]).round(2))
    assert (out["big"] == (out["total"] > 10)).all()
    assert out["big"].dtype == bool
    assert set(out["label"]) == {"many", "few"}
    assert out["whole"].dtype == "Int64"
    assert (out["whole"] == np.floor(out["p"])).all()


def test_datetimes_patterns_and_dates() -> None:
    out = one_table(
        {
            "work": {
                "type": "datetime",
                "start": "2024-01-01",
                "end": "2024-03-01",
                "business_hours": True,
            },
            "night": {
                "type": "datetime",
                "start": "2024-01-01 12:00",
                "end": "2024-01-08",
                "hours": [1] * 6 + [0] * 18,
            },
            "winter": {
                "type": "date",
                "start": "2020-01-01",
                "end": "2022-12-31",
                "months": [1, 1] + [0] * 9 + [1],
            },
            "sundays": {
                "type": "datetime",
                "start": "2024-01-01",
                "end": "2024-12-31",
                "weekdays": [0, 0, 0, 0, 0, 0, 1],
            },
        },
        rows=3000,
    )
    work = out["work"]
    assert work.dt.hour.between(9, 16).all()
    assert (work.dt.day_of_week < 5).all()
    assert work.min() >= pd.Timestamp("2024-01-01")
    assert work.max() < pd.Timestamp("2024-03-01")
    night = out["night"]
    assert (night.dt.hour < 6).all()
    assert night.min() >= pd.Timestamp("2024-01-02")
    assert (out["winter"].dt.month.isin([1, 2, 12])).all()
    assert (out["winter"] == out["winter"].dt.normalize()).all()
    assert out["winter"].max() <= pd.Timestamp("2022-12-31")
    assert (out["sundays"].dt.day_of_week == 6).all()
    hours = work.dt.hour.value_counts(normalize=True)
    assert hours.max() - hours.min() < 0.05  # flat within the allowed hours


def test_datetime_cases_and_bounds_from_other_columns() -> None:
    out = one_table(
        {
            "odd": {"type": "boolean", "rate": 0.5},
            "start": {"type": "datetime", "start": "2020-01-01", "end": "2021-01-01"},
            "stay": {
                "type": "duration",
                "unit": "hours",
                "distribution": "exponential",
                "scale": 30,
            },
            "end": {"expression": "start + stay"},
            "when": {
                "type": "datetime",
                "start": "start",
                "end": "end",
                "depends_on": "odd",
                "hours": [1] * 24,
                "cases": {"true": {"hours": [0] * 12 + [1] * 12}},
            },
        },
        rows=3000,
    )
    assert out["stay"].dtype == "timedelta64[ns]"
    assert (out["end"] >= out["start"]).all()
    inside = (out["when"] >= out["start"]) & (out["when"] <= out["end"])
    assert inside.all()
    odd = out[out["odd"] & (out["stay"] > pd.Timedelta(days=1))]
    assert (odd["when"].dt.hour >= 12).all()


def test_ids_are_unique_and_formatted() -> None:
    out = one_table(
        {
            "seq": {"type": "id", "start": 100, "step": 5},
            "uuid": {"type": "id", "kind": "uuid"},
            "code": {"type": "id", "pattern": "AC\\#-##?*"},
            "ordered": {"type": "id", "pattern": "N####", "ordered": True},
        },
        rows=9000,
    )
    assert out["seq"].tolist() == list(range(100, 100 + 5 * 9000, 5))
    uuid4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
    assert out["uuid"].str.match(uuid4).all()
    assert out["uuid"].is_unique
    assert out["code"].str.fullmatch(r"AC#-\d\d[A-Z][A-Z0-9]").all()
    assert out["code"].is_unique
    assert out["ordered"].iloc[:3].tolist() == ["N0000", "N0001", "N0002"]
    with pytest.raises(dt.SpecError, match="10 possible ids, fewer than the table's 11"):
        one_table({"code": {"type": "id", "pattern": "#"}}, rows=11)


def test_identity_columns_hold_together_and_follow_other_columns() -> None:
    out = one_table(
        {
            "id": {"type": "id"},
            "loc": {"values": ["en_US", "de_DE"]},
            "sex": {"values": ["female", "male"]},
            "born": {"type": "date", "start": "1950-01-01", "end": "2000-12-31"},
            "first": {"type": "identity", "field": "first_name"},
            "last": {"type": "identity", "field": "last_name"},
            "mail": {"type": "identity", "field": "email", "missing": 0.2},
            "birth": {"type": "identity", "field": "birth_date"},
            "gender": {"type": "identity", "field": "gender"},
        },
        rows=400,
        locale={"column": "loc"},
        identity={"gender": "sex", "birth_date": "born"},
    )
    assert (out["gender"] == out["sex"].astype(str)).all()
    assert (out["birth"] == out["born"]).all()
    assert 0.1 < out["mail"].isna().mean() < 0.3
    mail = out.dropna(subset=["mail"])
    local = mail["mail"].str.split("@").str[0].str.lower()
    related = [
        f[:1].lower() in m or last.lower()[:3] in m
        for f, last, m in zip(mail["first"], mail["last"], local, strict=True)
    ]
    assert np.mean(related) > 0.8  # e-mail addresses are built from the row's name


def test_identity_options_are_checked() -> None:
    columns = {"loc": {"values": ["en_US", "en_UK"]}, "n": {"field": "first_name"}}
    with pytest.raises(dt.SpecError, match=r"values include 'en_UK' .*, not a locale"):
        one_table(columns, locale={"column": "loc"})
    with pytest.raises(dt.SpecError, match="unknown locale 'de'"):
        one_table({"n": {"field": "first_name"}}, locale="de")
    with pytest.raises(dt.SpecError, match="unknown identity field 'firstname'"):
        one_table({"n": {"field": "firstname"}})
    with pytest.raises(dt.SpecError, match="an identity column"):
        one_table(
            {"n": {"field": "first_name"}, "g": {"field": "gender"}}, identity={"gender": "g"}
        )


def test_unique_identity_fields_hold_across_row_ranges_and_chunks() -> None:
    from datatwin.spec import iter_generate

    columns = {
        "mail": {"type": "identity", "field": "email", "unique": True},
        "user": {"type": "identity", "field": "username", "unique": True},
        "plain": {"type": "identity", "field": "email"},
    }
    spec = {
        "format": "datatwin-spec",
        "version": 1,
        "tables": {"t": {"rows": 12_000, "columns": columns}},  # past the 4-digit range
    }
    out = dt.generate(spec, seed=3)["t"]
    assert out["mail"].is_unique
    assert out["user"].is_unique
    assert not out["plain"].is_unique  # what unique: true is for
    number = out["mail"].str.extract(r"(\d+)@")[0]
    assert number.str.len().iloc[:9000].eq(4).all()
    assert number.str.len().iloc[9000:].eq(6).all()
    same_name = out["mail"].str.replace(r"\d*@.*$", "", regex=True)
    assert same_name.equals(out["plain"].str.replace(r"\d*@.*$", "", regex=True))
    assert out["mail"].str.split("@").str[1].equals(out["plain"].str.split("@").str[1])
    chunks = [c for _, c in iter_generate(spec, None, 3, chunk_rows=997)]
    pd.testing.assert_frame_equal(pd.concat(chunks), out)
    fewer = one_table(columns, rows=500, seed=3)
    pd.testing.assert_frame_equal(fewer, out.iloc[:500])


def test_row_numbers_are_unique_across_ranges() -> None:
    from datatwin.spec.people import NUMBER_RANGES, row_numbers

    edges = np.cumsum([high - low for low, high in NUMBER_RANGES])[:-1]
    rows = np.concatenate([np.arange(e - 50, e + 50) for e in edges] + [np.arange(200)])
    numbers = row_numbers(rows, key=12345)
    assert len(np.unique(numbers)) == len(rows)
    for (low, high), inside in zip(
        NUMBER_RANGES, [rows < edges[0], (rows >= edges[0]) & (rows < edges[1])], strict=False
    ):
        assert ((numbers[inside] >= low) & (numbers[inside] < high)).all()
    whole = row_numbers(np.arange(9000), key=7)
    assert sorted(whole.tolist()) == list(range(1000, 10_000))  # a permutation of the range


def test_unique_is_only_for_email_and_username() -> None:
    with pytest.raises(dt.SpecError, match="unique 'phone' values, which only the fields"):
        one_table({"p": {"type": "identity", "field": "phone", "unique": True}})
