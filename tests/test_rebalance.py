"""Rebalancing: the real rows untouched, then as many new rows of the rare classes as asked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import datatwin as dt
from datatwin.augment import rebalance
from datatwin.augment.rebalance import _model
from datatwin.errors import DataError, ParameterError
from tests.conftest import invoke, mixed_table, ok

SIZES = {"a": 120, "b": 50, "c": 14}


def labelled(n_missing: int = 0, seed: int = 0) -> pd.DataFrame:
    """The mixed table with a label of three classes (120 / 50 / 14) that depends on age."""
    rng = np.random.default_rng(seed)
    table = mixed_table(sum(SIZES.values()) + n_missing, seed=seed)
    labels = np.array([c for c, k in SIZES.items() for _ in range(k)] + [None] * n_missing)
    table = table.sort_values("age", kind="stable").reset_index(drop=True)
    table["label"] = labels  # older people get later classes: a real dependence to learn
    return table.sample(frac=1.0, random_state=int(rng.integers(1000))).reset_index(drop=True)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return labelled()


def counts(frame: pd.DataFrame, column: str = "label") -> dict[object, int]:
    return {k: int(v) for k, v in frame[column].value_counts().items()}


def test_default_balances_every_class_and_keeps_the_real_rows(table: pd.DataFrame) -> None:
    before = table.copy()
    out = rebalance(table, "label", model="copula", seed=0)
    assert counts(out) == {"a": 120, "b": 120, "c": 120}
    pdt.assert_frame_equal(table, before)  # the input is not modified
    pdt.assert_frame_equal(out.iloc[: len(table)], table)  # the real rows, exactly
    assert isinstance(out.index, pd.RangeIndex)
    assert list(out.index) == list(range(len(out)))
    new = out.iloc[len(table) :]
    assert new["label"].isin(["b", "c"]).all()  # every added row has a rare class
    assert list(new.dtypes) == list(table.dtypes)
    assert out["id"].is_unique  # keys of new rows are new keys
    assert not out["email"].iloc[len(table) :].isin(table["email"]).any()


def test_ratio_rounds_up_and_leaves_larger_classes_alone(table: pd.DataFrame) -> None:
    out = rebalance(table, "label", ratio=0.5, model="copula", seed=0)
    assert counts(out) == {"a": 120, "b": 60, "c": 60}
    out = rebalance(table, "label", ratio=0.41, model="copula", seed=0)  # 49.2 -> 50
    assert counts(out) == {"a": 120, "b": 50, "c": 50}


def test_counts_are_totals_and_may_be_written_as_text(table: pd.DataFrame) -> None:
    out = rebalance(table, "label", counts={"c": 30, "b": 50}, model="copula", seed=1)
    assert counts(out) == {"a": 120, "b": 50, "c": 30}
    numbers = table.assign(label=table["label"].map({"a": 0, "b": 1, "c": 2}))
    out = rebalance(numbers, "label", counts={"2": 20}, model="copula", seed=1)
    assert counts(out) == {0: 120, 1: 50, 2: 20}
    assert out["label"].dtype == numbers["label"].dtype


def test_nothing_to_add_gives_the_table_back_without_fitting(table: pd.DataFrame) -> None:
    out = rebalance(table, "label", ratio=0.1, model=dt.synthesizer("tvae"), mark="new")
    pdt.assert_frame_equal(out.drop(columns="new"), table)
    assert not out["new"].any()


def test_mark_column_and_seed(table: pd.DataFrame) -> None:
    out = rebalance(table, "label", ratio=0.5, model="copula", mark="synthetic", seed=3)
    assert out.columns[-1] == "synthetic"
    assert out["synthetic"].dtype == bool
    assert list(out["synthetic"]) == [False] * len(table) + [True] * (len(out) - len(table))
    pdt.assert_frame_equal(out.iloc[: len(table)].drop(columns="synthetic"), table)
    again = rebalance(table, "label", ratio=0.5, model="copula", mark="synthetic", seed=3)
    pdt.assert_frame_equal(out, again)


def test_missing_targets_are_kept_but_never_counted_or_made() -> None:
    table = labelled(n_missing=9, seed=2)
    out = rebalance(table, "label", model="copula", seed=0)
    assert counts(out) == {"a": 120, "b": 120, "c": 120}
    assert out["label"].isna().sum() == 9
    pdt.assert_frame_equal(out.iloc[: len(table)], table)


def test_an_integer_index_is_kept_and_continued(table: pd.DataFrame) -> None:
    indexed = table.set_axis(np.arange(len(table)) * 10 + 5)
    out = rebalance(indexed, "label", ratio=0.5, model="copula", seed=0)
    pdt.assert_frame_equal(out.iloc[: len(table)], indexed)
    start = int(indexed.index.max()) + 1
    assert list(out.index[len(table) :]) == list(range(start, start + len(out) - len(table)))


def test_a_boolean_target(table: pd.DataFrame) -> None:
    out = rebalance(table, "member", model="copula", seed=0)
    assert out["member"].dtype == bool
    assert out["member"].sum() == (~out["member"]).sum() == (~table["member"]).sum()


def test_a_built_synthesizer_is_fitted_here(table: pd.DataFrame) -> None:
    model = dt.synthesizer("copula", seed=0)
    out = rebalance(table, "label", ratio=0.5, model=model, seed=0)
    assert model.is_fitted
    assert counts(out) == {"a": 120, "b": 60, "c": 60}
    with pytest.raises(ParameterError, match="already fitted"):
        rebalance(table, "label", model=model)
    with pytest.raises(ParameterError, match="together with a built"):
        rebalance(table, "label", model=dt.synthesizer("copula"), quantiles=100)


def test_argn_by_name_models_the_target_first() -> None:
    model = _model("argn", "label", 4, {"epochs": 1, "first_columns": ["age", "label"]})
    assert model.get_params()["first_columns"] == ["label", "age"]
    assert model.get_params()["seed"] == 4
    assert _model("copula", "label", None, {}).name == "copula"


@pytest.mark.parametrize(
    ("name", "params"),
    [("argn", {"epochs": 2, "threads": 1, "batch_size": 64}), ("arf", {"trees": 10, "threads": 1})],
)
def test_exact_models(table: pd.DataFrame, name: str, params: dict[str, object]) -> None:
    out = rebalance(table, "label", ratio=0.5, model=name, seed=0, **params)
    assert counts(out) == {"a": 120, "b": 60, "c": 60}
    pdt.assert_frame_equal(out.iloc[: len(table)], table)
    assert out.iloc[len(table) :]["label"].isin(["b", "c"]).all()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"target": "nope"}, ParameterError, "not a column"),
        ({"target": "country"}, DataError, "only the class 'NO'"),
        ({"target": "nothing"}, DataError, "has no values"),
        ({"target": "age"}, DataError, "rebalance works on a label column"),
        ({"ratio": 0.0}, ParameterError, r"in \(0, 1\]"),
        ({"ratio": 1.5}, ParameterError, r"in \(0, 1\]"),
        ({"ratio": True}, ParameterError, r"in \(0, 1\]"),
        ({"ratio": 0.5, "counts": {"b": 60}}, ParameterError, "not both"),
        ({"counts": {"z": 60}}, ParameterError, "does not have"),
        ({"counts": {"b": 10}}, ParameterError, "already has 50"),
        ({"counts": {"b": 60.5}}, ParameterError, "whole number"),
        ({"counts": {}}, ParameterError, "non-empty"),
        ({"mark": "age"}, ParameterError, "new column name"),
        ({"model": "nope"}, ParameterError, "no synthesizer named"),
        ({"model": 3}, ParameterError, "synthesizer name or an unfitted"),
        ({"seed": 1, "quantiles": 5}, ParameterError, "quantiles"),
    ],
)
def test_errors_are_one_sentence(
    table: pd.DataFrame, kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    args: dict[str, object] = {"target": "label", "model": "copula", **kwargs}
    target = args.pop("target")
    with pytest.raises(error, match=match) as info:
        rebalance(table, target, **args)  # type: ignore[arg-type]
    message = str(info.value)
    assert "\n" not in message
    assert message.endswith(".")


def test_cli_rebalances_and_reports(tmp_path: Path, table: pd.DataFrame) -> None:
    source, target = tmp_path / "real.csv", tmp_path / "out.parquet"
    dt.write_table(table, source)
    real = dt.read_table(source)
    result = ok(
        "rebalance", source, "--target", "label", "--ratio", "0.5", "-m", "copula",
        "--mark", "synthetic", "--seed", "0", "-o", target,
    )  # fmt: skip
    assert "label: a 120 -> 120, b 50 -> 60, c 14 -> 60" in result.output
    out = dt.read_table(target)
    pdt.assert_frame_equal(out.iloc[: len(real)].drop(columns="synthetic"), real)
    assert out["synthetic"].sum() == 56
    again = tmp_path / "again.parquet"
    ok(
        "rebalance", source, "-t", "label", "--count", "c=20", "--count", "b=55", "-m",
        "copula", "-p", "quantiles=100", "-p", "seed=2", "-o", again,
    )  # fmt: skip
    assert counts(dt.read_table(again)) == {"a": 120, "b": 55, "c": 20}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "nope"], "is not a column of the table"),
        (["-t", "label", "--ratio", "2"], "must be a number in (0, 1]"),
        (["-t", "label", "--ratio", "0.5", "--count", "b=60"], "either --ratio or --count"),
        (["-t", "label", "--count", "b=10"], "already has 50"),
        (["-t", "label", "--count", "b"], "is not CLASS=ROWS"),
        (["-t", "label", "--seed", "1", "-p", "seed=2"], "given twice"),
        (["-t", "label", "-o", "out.txt"], "Cannot tell the format"),
    ],
)
def test_cli_errors_are_one_line(
    tmp_path: Path, table: pd.DataFrame, args: list[str], message: str
) -> None:
    source = tmp_path / "real.csv"
    dt.write_table(table, source)
    if "-o" not in args:
        args = [*args, "-o", str(tmp_path / "out.csv")]
    result = invoke("rebalance", source, "-m", "copula", *args)
    assert result.exit_code != 0
    assert message in result.output
    assert not (tmp_path / "out.csv").exists()
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
