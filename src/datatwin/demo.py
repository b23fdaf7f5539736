"""The demo: the whole path on a bundled real table, from raw rows to a synthetic twin."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from datatwin.evaluate.report import Report, evaluate
from datatwin.io.tables import read_table, write_table
from datatwin.models.registry import synthesizer
from datatwin.schema.detect import detect_schema

__all__ = ["DemoResult", "bundled_table", "run_demo"]

DEMO_TABLE = "adult_sample.csv"
HOLDOUT_SHARE = 0.25  # rows kept away from the model, for utility and privacy scores
TARGET = "income"


def bundled_table() -> pd.DataFrame:
    """The bundled sample of the UCI Adult census table (8,000 rows, CC BY 4.0)."""
    with resources.as_file(resources.files("datatwin.data") / DEMO_TABLE) as path:
        return read_table(path)


@dataclass
class DemoResult:
    """What the demo made and measured."""

    rows_in: int
    rows_out: int
    fit_seconds: float
    sample_seconds: float
    report: Report
    files: dict[str, Path] = field(default_factory=dict)


def run_demo(
    out: str | Path = "datatwin-demo",
    rows: int | None = None,
    seed: int = 0,
    model: str | None = None,
) -> DemoResult:
    """Fit the default model on most of the bundled table, sample, and score the result.

    A quarter of the rows are held out: the model never sees them, so the report can measure
    utility (train on synthetic, test on them) and privacy (is synthetic closer to the training
    rows than to these?).
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    table = bundled_table()
    holdout = table.sample(frac=HOLDOUT_SHARE, random_state=seed)
    real = table.drop(index=holdout.index).reset_index(drop=True)
    holdout = holdout.reset_index(drop=True)
    files = {
        "real": folder / "real.csv",
        "holdout": folder / "holdout.csv",
        "schema": folder / "schema.json",
        "model": folder / "model.dtw",
        "synthetic": folder / "synthetic.csv",
        "report": folder / "report.html",
        "scores": folder / "report.json",
    }
    write_table(real, files["real"])
    write_table(holdout, files["holdout"])
    schema = detect_schema(real)
    schema.to_json(files["schema"])
    started = time.perf_counter()
    fitted = synthesizer(model, seed=seed).fit(real, schema=schema)
    fit_seconds = time.perf_counter() - started
    fitted.save(files["model"])
    started = time.perf_counter()
    synthetic = fitted.sample(len(real) if rows is None else rows, seed=seed)
    sample_seconds = time.perf_counter() - started
    write_table(synthetic, files["synthetic"])
    report = evaluate(real, synthetic, holdout=holdout, target=TARGET, schema=schema, seed=seed)
    report.to_html(files["report"])
    report.to_json(files["scores"])
    return DemoResult(
        rows_in=len(real),
        rows_out=len(synthetic),
        fit_seconds=fit_seconds,
        sample_seconds=sample_seconds,
        report=report,
        files=files,
    )
