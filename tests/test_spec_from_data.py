"""Drafting a spec from a real table: ``spec_from_table`` and ``datatwin spec``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import datatwin as dt
from datatwin.errors import SpecError
from datatwin.schema.patterns import FIRST_NAMES, LAST_NAMES
from datatwin.spec import Spec, spec_from_table
from datatwin.spec.from_data import OTHER
from datatwin.spec.from_data_fit import round_outward
from tests.conftest import SHARED, invoke, ok

ROWS = 2_000


def people(n: int = ROWS, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    age = rng.normal(45, 12, n).clip(18, 95).round()
    income = np.exp(10 + 0.02 * (age - 45) + rng.normal(0, 0.4, n)).round(2)
    city = rng.choice(["Oslo", "Bergen", "Trondheim"], n, p=[0.5, 0.3, 0.2]).astype(object)
    city[:4] = ["Rareville", "Tinytown", "Tinytown", "Smallham"]  # fewer than 10 rows each
    joined = pd.Timestamp("2020-03-03") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    score = rng.normal(600, 50, n)
    score[rng.random(n) < 0.1] = np.nan
    first = rng.choice(FIRST_NAMES[:40], n)
    last = rng.choice(LAST_NAMES[:40], n)
    return pd.DataFrame(
        {
            "customer_id": [f"CUS-{i:06d}" for i in rng.permutation(n) + 1],
            "row_id": np.arange(1, n + 1),
            "first_name": first,
            "last_name": last,
            "email": [
                f"{f}.{s}{i}@example.org".lower()
                for i, (f, s) in enumerate(zip(first, last, strict=True))
            ],
            "age": age.astype(int),
            "income": income,
            "score": score.round(1),
            "city": city,
            "member": rng.random(n) < 0.3,
            "joined": joined.strftime("%Y-%m-%d"),
        }
    )


def columns_of(spec: Spec, table: str = "table") -> dict[str, Any]:
    cols: dict[str, Any] = spec.to_dict()["tables"][table]["columns"]
    return cols


def spec_values(spec: Spec, table: str = "table") -> list[Any]:
    """Every value a categorical column of the spec may take."""
    return [v for c in columns_of(spec, table).values() for v in c.get("values", [])]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return people()


@pytest.fixture(scope="module")
def drafted(table: pd.DataFrame) -> Spec:
    return spec_from_table(table)


def test_spec_round_trips_and_generates_the_same_columns_and_kinds(
    table: pd.DataFrame, drafted: Spec
) -> None:
    again = Spec.load(drafted.to_dict())
    assert Spec.load(again.to_yaml()).to_dict() == drafted.to_dict()
    out = dt.generate(again, rows={"table": 1500}, seed=2)["table"]
    assert list(out.columns) == list(table.columns)
    real_kinds = {c.name: c.kind for c in dt.detect_schema(table)}
    made_kinds = {c.name: c.kind for c in dt.detect_schema(out)}
    assert made_kinds == real_kinds
    cols = columns_of(drafted)
    assert cols["customer_id"] == {"type": "id", "pattern": "CUS-######"}
    assert cols["row_id"] == {"type": "id", "kind": "sequential"}
    assert cols["email"]["field"] == "email"
    assert cols["email"]["unique"] is True  # the real addresses are all different
    assert out["email"].is_unique
    assert cols["first_name"]["field"] == "first_name"
    assert cols["last_name"]["field"] == "last_name"
    assert cols["member"]["type"] == "boolean"
    assert cols["joined"]["type"] == "date"
    assert cols["joined"]["start"] == "2020-03-01"  # rounded outward to the month
    assert cols["age"]["integer"] is True
    assert cols["income"]["round"] == 2
    assert cols["score"]["missing"] == pytest.approx(table["score"].isna().mean(), abs=0.002)


def test_generated_marginals_and_correlations_are_close(table: pd.DataFrame, drafted: Spec) -> None:
    out = dt.generate(drafted, rows={"table": 4000}, seed=5)["table"]
    for name in ("age", "income", "score"):
        assert abs(out[name].mean() - table[name].mean()) < 0.1 * table[name].std(), name
    assert out["score"].isna().mean() == pytest.approx(table["score"].isna().mean(), abs=0.02)
    assert out["member"].mean() == pytest.approx(table["member"].mean(), abs=0.03)
    real = table["city"].value_counts(normalize=True)
    made = out["city"].value_counts(normalize=True)
    for city in ("Oslo", "Bergen", "Trondheim"):
        assert made[city] == pytest.approx(real[city], abs=0.03)
    assert made[OTHER] == pytest.approx(4 / ROWS, abs=0.01)
    joined = pd.to_datetime(out["joined"])
    assert joined.min() >= pd.Timestamp("2020-03-01")
    assert joined.max() <= pd.Timestamp("2022-09-01")
    rho_real = table["age"].corr(table["income"], method="spearman")
    rho_made = out["age"].corr(out["income"], method="spearman")
    assert rho_real > 0.3
    assert rho_made == pytest.approx(rho_real, abs=0.1)


def test_no_real_id_name_email_rare_value_or_row_is_copied(
    table: pd.DataFrame, drafted: Spec
) -> None:
    text = drafted.to_yaml()
    for column in ("customer_id", "email"):
        assert not any(value in text for value in table[column])
    assert not any(
        f"{f} {s}" in text for f, s in zip(table["first_name"], table["last_name"], strict=True)
    )
    assert not set(table["first_name"]) & set(spec_values(drafted))
    for rare in ("Rareville", "Tinytown", "Smallham"):
        assert rare not in text
    values = table.map(str).agg(",".join, axis=1)
    assert not any(row in text for row in values)
    # the real extremes are rounded outward, not written as they are
    income = columns_of(drafted)["income"]
    assert income["min"] <= table["income"].min()
    assert income["max"] >= table["income"].max()
    assert table["income"].max() not in (income["min"], income["max"])


@pytest.mark.parametrize("min_count", [1, 50, 600])
def test_categories_below_min_count_are_merged(table: pd.DataFrame, min_count: int) -> None:
    spec = spec_from_table(table[["city"]], "t", min_count=min_count)
    city = columns_of(spec, "t")["city"]
    counts = table["city"].value_counts()
    kept = [v for v in city["values"] if v != OTHER]
    assert sorted(kept) == sorted(counts[counts >= min_count].index)
    assert (OTHER in city["values"]) == bool((counts < min_count).any())
    assert sum(city["weights"]) == pytest.approx(1, abs=1e-3)


def test_rare_numbers_of_a_numeric_category_join_the_nearest_common_one() -> None:
    df = pd.DataFrame({"children": [0] * 50 + [1] * 30 + [2] * 15 + [7] * 3})
    spec = spec_from_table(df, min_count=10)
    children = columns_of(spec)["children"]
    assert children["values"] == [0, 1, 2]
    assert children["weights"] == pytest.approx([50 / 98, 30 / 98, 18 / 98], abs=1e-3)


def test_a_heavy_tailed_column_becomes_a_histogram_with_bins_of_min_count_rows() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate([np.zeros(700), rng.pareto(1.5, 1300) * 1000]).round(2)
    spec = spec_from_table(pd.DataFrame({"gain": values}), min_count=20)
    gain = columns_of(spec)["gain"]
    assert gain["distribution"] == "mixture"
    spike, *bins = gain["components"]
    assert spike == {"distribution": "empirical", "values": [0], "weight": 0.35}
    for part in bins:
        inside = ((values > part["low"]) & (values <= part["high"])).sum()
        assert inside >= 20 - 2  # the edges are rounded
        assert part["high"] == float(f"{part['high']:.2g}")  # edges: 2 significant digits
    out = dt.generate(spec, rows=5000, seed=1)["table"]["gain"]
    assert (out == 0).mean() == pytest.approx(0.35, abs=0.03)
    assert out.median() == pytest.approx(np.median(values), rel=0.25)


def test_a_well_fitting_family_is_chosen() -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"wait": rng.exponential(30, 3000), "height": rng.normal(170, 8, 3000)})
    cols = columns_of(spec_from_table(df))
    assert cols["height"]["distribution"] == "normal"
    assert cols["height"]["mean"] == pytest.approx(170, abs=1)
    assert cols["wait"]["distribution"] in ("exponential", "gamma")


def test_round_outward() -> None:
    assert round_outward(12345.0, up=True) == 13000
    assert round_outward(12345.0, up=False) == 12000
    assert round_outward(-0.0123, up=False) == -0.013
    assert round_outward(17, up=False) == 17


@pytest.mark.parametrize("file", ["credit_data.csv", "adult_train.csv"])
def test_real_datasets(file: str) -> None:
    path = SHARED / file
    if not path.exists():
        pytest.skip(f"{path} is not present")
    real = pd.read_csv(path, nrows=3000)
    spec = spec_from_table(real, "t")
    out = dt.generate(Spec.load(spec.to_yaml()), rows={"t": 6000}, seed=0)["t"]
    assert list(out.columns) == list(real.columns)
    numeric = list(real.select_dtypes("number").columns)
    for name in numeric:
        assert abs(out[name].mean() - real[name].mean()) < 0.1 * real[name].std(), name
    values = set(spec_values(spec, "t"))
    for name in [c for c in real.columns if c not in real.select_dtypes("number").columns]:
        counts = real[name].value_counts()
        assert not set(counts[counts < 10].index) & values, name  # no rare value is written
        shares = out[name].value_counts() / len(out)
        for value, share in (counts[counts >= 10] / len(real)).items():
            assert shares.get(value, 0.0) == pytest.approx(share, abs=0.03), (name, value)
    rho_real = real[numeric].corr("spearman")
    rho_made = out[numeric].corr("spearman")
    gaps = (rho_real - rho_made).abs().to_numpy()
    assert gaps.max() < 0.2
    strong = rho_real.abs().to_numpy() >= 0.3
    assert (np.sign(rho_real.to_numpy()) == np.sign(rho_made.to_numpy()))[strong].all()


def test_bad_arguments_are_one_sentence() -> None:
    df = pd.DataFrame({"a": [1, 2, 3]})
    with pytest.raises(SpecError, match=r"^The table name 'my table' .*\.$"):
        spec_from_table(df, "my table")
    with pytest.raises(SpecError, match=r"^min_count must be"):
        spec_from_table(df, min_count=0)
    with pytest.raises(SpecError, match=r"column name\(s\) \['a.b'\]"):
        spec_from_table(pd.DataFrame({"a.b": [1, 2]}))


def test_cli_spec_then_generate(tmp_path: Path, table: pd.DataFrame) -> None:
    data = tmp_path / "my-people.csv"
    table.to_csv(data, index=False)
    spec_path = tmp_path / "spec.yaml"
    ok("spec", data, "-o", spec_path, "--table", "people")
    text = spec_path.read_text()
    assert text.startswith("# Drafted by `datatwin spec` from my-people.csv")
    assert "Tinytown" not in text
    out = tmp_path / "out"
    ok("generate", spec_path, "-o", out, "--rows", "people=500", "--format", "csv")
    made = pd.read_csv(out / "people.csv")
    assert len(made) == 500
    assert list(made.columns) == list(table.columns)
    printed = ok("-q", "spec", data, "--min-count", "5000")
    assert "format: datatwin-spec" in printed.output
    assert "Oslo" not in printed.output
    default = ok("spec", data, "-o", tmp_path / "d.json")
    assert Spec.load(tmp_path / "d.json").table_names == ["my_people"]
    assert "my_people" in default.output


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    missing = invoke("spec", tmp_path / "nope.csv")
    assert missing.exit_code == 1
    lines = missing.stderr.strip().splitlines()
    assert len(lines) == 1, missing.stderr
    assert lines[0].startswith("Error: ")
    data = tmp_path / "t.csv"
    pd.DataFrame({"a": [1, 2]}).to_csv(data, index=False)
    bad = invoke("spec", data, "--table", "1 bad")
    assert bad.exit_code == 1
    assert bad.stderr.strip().count("\n") == 0
    assert "table name" in bad.stderr
