"""dt.evaluate: scores, their ranges and sanity, the JSON and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import datatwin as dt
from datatwin.cli.main import cli
from datatwin.evaluate.report import DOCS


@pytest.fixture(scope="module")
def split(adult: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    holdout = adult.sample(n=2000, random_state=0)
    return adult.drop(index=holdout.index).reset_index(drop=True), holdout.reset_index(drop=True)


@pytest.fixture(scope="module")
def report(split: tuple[pd.DataFrame, pd.DataFrame]) -> dt.Report:
    train, holdout = split
    synthetic = dt.synthesizer("copula", seed=0).fit(train).sample(len(train), seed=1)
    return dt.evaluate(train, synthetic, holdout=holdout, target="income")


def test_every_documented_score_is_there_and_in_range(report: dt.Report) -> None:
    for key in DOCS:
        value = report.score(key)
        assert value is not None, key
        if key != "utility.ratio":  # the one score that may exceed 1
            assert 0.0 <= value <= 1.0, key


def test_a_good_copula_scores_well(report: dt.Report) -> None:
    assert report.score("fidelity.column_shapes") > 0.97
    assert report.score("fidelity.column_pairs") > 0.9
    assert report.score("validity.score") == 1.0
    assert report.score("privacy.exact_copies") < 0.01
    assert 0.4 < report.score("privacy.dcr_share") < 0.6
    assert report.verdicts["fidelity"]["verdict"] == "good"
    assert report.verdicts["privacy"]["verdict"] == "good"


def test_real_against_real_is_near_perfect(split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, holdout = split
    half = len(train) // 2
    result = dt.evaluate(
        train.iloc[:half], train.iloc[half:].reset_index(drop=True), holdout=holdout
    )
    assert result.score("fidelity.column_shapes") > 0.97
    assert result.score("detection.auc") < 0.6
    assert 0.4 < result.score("privacy.dcr_share") < 0.6


def test_a_copy_of_the_training_rows_is_caught(split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, holdout = split
    result = dt.evaluate(train, train.copy(), holdout=holdout)
    assert result.score("privacy.exact_copies") > 0.99
    assert result.score("privacy.dcr_share") > 0.9
    assert result.score("privacy.membership_auc") > 0.9
    assert result.verdicts["privacy"]["verdict"] == "poor"


def test_sample_sizes_and_subsampling_are_reported(report: dt.Report) -> None:
    sizes = report.sample_sizes
    assert sizes["real"] == 6000
    assert sizes["utility"]["holdout"] == 2000
    assert sizes["privacy"]["synthetic"] == 5000
    assert (
        any("subsampled" in w or "5,000" in w for w in report.warnings)
        or sizes["privacy"]["synthetic"] <= 5000
    )


def test_json_is_versioned_and_complete(report: dt.Report, tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    report.to_json(path)
    document = json.loads(path.read_text())
    assert document["format"] == "datatwin-report"
    assert document["version"] == 1
    assert set(document["verdicts"]) == {"fidelity", "utility", "privacy"}
    assert document["scores"]["fidelity"]["per_column"]["age"] > 0.9
    assert "age | income" in document["scores"]["fidelity"]["per_pair"]
    assert document["docs"]["detection.auc"].startswith("Cross-validated")


def test_html_is_self_contained(report: dt.Report, tmp_path: Path) -> None:
    page = report.to_html(tmp_path / "r.html")
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    assert "<script" not in page
    assert page.count("<svg") >= 15
    assert "Columns, least alike first" in page
    assert report._repr_html_().startswith("<div>")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r, s, h: (r, s.drop(columns=["age"]), h), "columns differ"),
        (lambda r, s, h: (r, s.iloc[:0], h), "synthetic table is empty"),
        (lambda r, s, h: (r.iloc[:0], s, h), "no rows"),
        (lambda r, s, h: (r, s, h.drop(columns=["age"])), "holdout table's columns differ"),
    ],
)
def test_bad_tables(split: tuple[pd.DataFrame, pd.DataFrame], change: object, message: str) -> None:
    train, holdout = split
    real, synthetic, held = change(train, train.iloc[:500], holdout)  # type: ignore[operator]
    with pytest.raises(dt.DataError, match=message):
        dt.evaluate(real, synthetic, holdout=held)


def test_warnings_for_what_can_still_be_scored(split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, holdout = split
    small = train.iloc[:400].reset_index(drop=True)
    synthetic = small.assign(age=small["age"].astype(float))
    overlap = pd.concat([small.iloc[:300], holdout.iloc[:100]], ignore_index=True)
    result = dt.evaluate(small, synthetic, holdout=overlap, target="income")
    text = " ".join(result.warnings)
    assert "'age' is float64" in text
    assert "holdout rows also appear in the real table" in text
    constant = dt.evaluate(
        small.assign(income="x"),
        synthetic.assign(income="x"),
        holdout=holdout.iloc[:200].assign(income="x"),
        target="income",
    )
    assert any("constant" in w for w in constant.warnings)
    with pytest.raises(dt.DataError, match="target column 'nope'"):
        dt.evaluate(small, synthetic, target="nope")


def test_regression_target(split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, holdout = split
    synthetic = dt.synthesizer("copula", seed=0).fit(train).sample(3000, seed=0)
    result = dt.evaluate(train, synthetic, holdout=holdout, target="hours_per_week")
    assert result.scores["utility"]["task"].startswith("regression")
    assert result.score("utility.trtr") > 0


def test_cli_evaluate_writes_reports_and_gates(
    split: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    train, holdout = split
    paths = {name: tmp_path / f"{name}.csv" for name in ("real", "synthetic", "holdout")}
    train.iloc[:1500].to_csv(paths["real"], index=False)
    dt.synthesizer("copula", seed=0).fit(train.iloc[:1500]).sample(1500, seed=0).to_csv(
        paths["synthetic"], index=False
    )
    holdout.iloc[:1000].to_csv(paths["holdout"], index=False)
    base = [
        "evaluate",
        str(paths["real"]),
        str(paths["synthetic"]),
        "--holdout",
        str(paths["holdout"]),
        "--target",
        "income",
    ]
    result = CliRunner().invoke(
        cli, [*base, "--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 0, result.stderr
    assert "fidelity" in result.stdout
    assert json.loads((tmp_path / "r.json").read_text())["format"] == "datatwin-report"
    assert (tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")
    passing = CliRunner().invoke(cli, [*base, "--fail-under", "fidelity.column_shapes=0.5"])
    assert passing.exit_code == 0
    failing = CliRunner().invoke(
        cli,
        [
            *base,
            "--fail-under",
            "fidelity.column_shapes=0.9999",
            "--fail-over",
            "detection.auc=0.5",
        ],
    )
    assert failing.exit_code == 1
    assert "fidelity.column_shapes" in failing.stderr
    assert "is below 0.9999" in failing.stderr
    unknown = CliRunner().invoke(cli, [*base, "--fail-under", "nope=1"])
    assert unknown.exit_code == 1
    assert "has no score 'nope'" in unknown.stderr
    assert "Traceback" not in unknown.stderr


def test_scores_are_reproducible(split: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    train, holdout = split
    synthetic = train.sample(frac=1.0, random_state=3).reset_index(drop=True)
    first = dt.evaluate(train.iloc[:800], synthetic.iloc[:800], holdout=holdout.iloc[:800])
    second = dt.evaluate(train.iloc[:800], synthetic.iloc[:800], holdout=holdout.iloc[:800])
    assert first.to_json() == second.to_json()
    assert np.isfinite(first.score("detection.auc"))
