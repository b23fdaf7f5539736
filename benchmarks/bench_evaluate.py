"""Benchmark: the evaluation report on Adult — time, agreement with SDMetrics, sanity checks.

    benchmarks/.venv/bin/python benchmarks/bench_evaluate.py

Adult's training split is the real table and its official test split the holdout. Timed: the full
report (fidelity, coverage, validity, detection, utility with target income, privacy) on a copula
sample as large as the training table. Checked: datatwin's Column Shapes against SDMetrics' on
the same pair of tables; real-vs-real (training rows against half of the unseen test rows, the
other half as holdout) should look perfect and private; a copy of the training rows should not.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from datetime import date
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import datatwin as dt
from results import write_section

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
KEYS = (
    "fidelity.column_shapes",
    "fidelity.column_pairs",
    "detection.auc",
    "utility.tstr",
    "utility.trtr",
    "privacy.dcr_share",
    "privacy.exact_copies",
    "privacy.membership_auc",
)


def sdmetrics_shapes(real: pd.DataFrame, synthetic: pd.DataFrame) -> float | None:
    try:
        from sdmetrics.reports.single_table import QualityReport
        from sdv.metadata import Metadata
    except ImportError:
        return None
    metadata = Metadata.detect_from_dataframes({"t": real}).to_dict()["tables"]["t"]
    report = QualityReport()
    report.generate(real, synthetic, metadata, verbose=False)
    properties = report.get_properties().set_index("Property")["Score"]
    return float(properties["Column Shapes"])


def row(label: str, report: dt.Report) -> str:
    flat = {k: report.score(k) for k in report.to_dict()["docs"] if _has(report, k)}
    cells = " | ".join(f"{flat[k]:.3f}" if flat.get(k) is not None else "—" for k in KEYS)
    return f"| {label} | {cells} |"


def _has(report: dt.Report, key: str) -> bool:
    try:
        report.score(key)
    except dt.ParameterError:
        return False
    return True


def main() -> None:
    warnings.filterwarnings("ignore")
    train = pd.read_csv(DATASETS / "adult_train.csv")
    test = pd.read_csv(DATASETS / "adult_test.csv")
    synthetic = dt.synthesizer("copula", seed=0).fit(train).sample(len(train), seed=1)
    seconds, report = [], None
    for _ in range(3):
        started = time.perf_counter()
        report = dt.evaluate(train, synthetic, holdout=test, target="income")
        seconds.append(time.perf_counter() - started)
    assert report is not None
    theirs = sdmetrics_shapes(train, synthetic)
    half = len(test) // 2
    unseen, holdout = test.iloc[:half].reset_index(drop=True), test.iloc[half:]
    real_vs_real = dt.evaluate(
        train, unseen, holdout=holdout.reset_index(drop=True), target="income"
    )
    copy = dt.evaluate(train, train.copy(), holdout=test, target="income")
    lines = [
        "## Evaluation report on Adult",
        "",
        "Command: `benchmarks/.venv/bin/python benchmarks/bench_evaluate.py`  ",
        f"Date: {date.today().isoformat()}, 2 cores",
        "",
        f"Full report (32,561 real and synthetic rows, holdout {len(test):,}, target income): "
        f"median {statistics.median(seconds):.1f} s of 3 runs "
        f"({', '.join(f'{s:.1f}' for s in seconds)}).",
        "",
        "Column Shapes on the same pair of tables: datatwin "
        f"{report.score('fidelity.column_shapes'):.4f}, SDMetrics "
        + (f"{theirs:.4f}" if theirs is not None else "not installed")
        + (
            f" (difference {abs(theirs - report.score('fidelity.column_shapes')):.4f})."
            if theirs is not None
            else "."
        ),
        "",
        "| tables | " + " | ".join(KEYS) + " |",
        "|---|" + "---:|" * len(KEYS),
        row("copula sample vs training rows", report),
        row("real vs real: unseen test rows vs training rows", real_vs_real),
        row("a copy of the training rows", copy),
        "",
        "Real-vs-real should be near-perfect with detection and DCR share near 0.5; the copy must "
        "score DCR share and exact copies near 1.",
    ]
    write_section("evaluate", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
