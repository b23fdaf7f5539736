"""Benchmark: datatwin's models side by side with SDV's GaussianCopula on the shared tables.

Each (table, model, repeat) runs in a fresh process so that timings and memory do not leak between
models. Quality is SDMetrics' QualityReport (Column Shapes, Column Pair Trends) when sdmetrics is
installed, datatwin's own implementation of the same definitions otherwise (both are reported when
both are there), plus a detection AUC: a gradient-boosting classifier's 5-fold cross-validated AUC
at telling real rows from synthetic ones (0.5 = indistinguishable).

    benchmarks/.venv/bin/python benchmarks/bench_spine.py            # all tables, 3 repeats
    benchmarks/.venv/bin/python benchmarks/bench_spine.py --tables adult_train --repeats 1

The benchmark's environment (benchmarks/requirements.txt) holds the peers; datatwin never depends
on them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"
TABLES = [
    "adult_train",
    "credit_data",
    "diamonds",
    "wa_churn",
    "nycflights13/airlines",
    "nycflights13/airports",
    "nycflights13/planes",
    "nycflights13/weather",
    "nycflights13/flights",
]
SUBSAMPLED = {"nycflights13/flights"}
DETECTION_ROWS = 20_000
TIMED = (
    "fit_s",
    "sample_rows_per_s",
    "sample_1m_rows_per_s",
    "sample_1m_first_rows_per_s",
    "fit_peak_mb",
)


# --- measuring one model on one table (runs in a worker process) -------------------------------


class PeakRss:
    """Peak resident memory of this process while a block runs, sampled every 5 ms."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    @staticmethod
    def rss() -> int:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.rss())
            time.sleep(0.005)

    def __enter__(self) -> PeakRss:
        self.start = self.rss()
        self.peak = self.start
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


def load(table: str, datasets: Path, max_rows: int) -> tuple[Any, bool]:
    import pandas as pd

    df = pd.read_csv(datasets / f"{table}.csv")
    if table in SUBSAMPLED and len(df) > max_rows:
        return df.sample(n=max_rows, random_state=0).reset_index(drop=True), True
    return df, False


def make_model(model: str, df: Any) -> tuple[Any, Any]:
    """(fit function, sample function) for a model name."""
    if model == "sdv_gaussian_copula":
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer

        metadata = Metadata.detect_from_dataframes({"table": df})
        synth = GaussianCopulaSynthesizer(metadata)  # SDV 2.0 takes and gives {name: frame}
        return (lambda data: synth.fit({"table": data})), (
            lambda n: synth.sample(num_rows=n)["table"]
        )
    import datatwin as dt

    synth = dt.synthesizer(model, seed=0)
    return synth.fit, lambda n: synth.sample(n, seed=1)


def worker(table: str, model: str, datasets: Path, max_rows: int, quality: bool) -> dict[str, Any]:
    import warnings

    warnings.filterwarnings("ignore")
    df, subsampled = load(table, datasets, max_rows)
    fit, sample = make_model(model, df)
    started = time.perf_counter()
    with PeakRss() as memory:
        fit(df)
    result: dict[str, Any] = {
        "rows": len(df),
        "columns": df.shape[1],
        "subsampled": subsampled,
        "fit_s": time.perf_counter() - started,
        "fit_peak_mb": (memory.peak - memory.start) / 1e6,
    }
    started = time.perf_counter()
    synthetic = sample(len(df))
    result["sample_rows_per_s"] = len(df) / (time.perf_counter() - started)
    if model != "sdv_gaussian_copula":
        rates = []
        for _ in range(3):  # the first call pays for fresh memory pages; report it apart
            started = time.perf_counter()
            sample(1_000_000)
            rates.append(1_000_000 / (time.perf_counter() - started))
        result["sample_1m_first_rows_per_s"] = rates[0]
        result["sample_1m_rows_per_s"] = statistics.median(rates[1:])
    if quality:
        result.update(score(df, synthetic))
    return result


def score(real: Any, synthetic: Any) -> dict[str, Any]:
    from datatwin.evaluate import column_pairs, column_shapes

    out: dict[str, Any] = {}
    shapes, pairs = column_shapes(real, synthetic), column_pairs(real, synthetic)
    out["dt_shapes"] = statistics.fmean(shapes.values()) if shapes else None
    out["dt_pairs"] = statistics.fmean(pairs.values()) if pairs else None
    with contextlib.suppress(ImportError):
        out.update(sdmetrics_quality(real, synthetic))
    out["detection_auc"] = detection_auc(real, synthetic)
    return out


def sdmetrics_quality(real: Any, synthetic: Any) -> dict[str, Any]:
    """SDMetrics' QualityReport, with its default relevance filter and with all column pairs."""
    from sdmetrics.reports.single_table import QualityReport
    from sdv.metadata import Metadata

    metadata = Metadata.detect_from_dataframes({"table": real}).to_dict()["tables"]["table"]
    out = {}
    for label, keep_all in (("sdm", True), ("sdm_filtered", False)):
        report = QualityReport()
        if keep_all:
            report.real_correlation_threshold = 0
            report.real_association_threshold = 0
        report.generate(real, synthetic, metadata, verbose=False)
        properties = report.get_properties().set_index("Property")["Score"]
        out[f"{label}_shapes"] = float(properties["Column Shapes"])
        out[f"{label}_pairs"] = float(properties["Column Pair Trends"])
        out[f"{label}_quality"] = float(report.get_score())
    return out


def detection_auc(real: Any, synthetic: Any) -> float:
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import cross_val_score

    n = min(len(real), len(synthetic), DETECTION_ROWS)
    both = pd.concat(
        [real.sample(n=n, random_state=0), synthetic.sample(n=n, random_state=0)],
        ignore_index=True,
    )
    features = pd.DataFrame(index=both.index)
    for name in both.columns:
        column = both[name]
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            features[name] = pd.to_numeric(column, errors="coerce").astype(float)
            continue
        text = column.astype(str)
        stamps = pd.to_datetime(text, errors="coerce", format="ISO8601")
        if stamps.notna().mean() > 0.99:  # dates as numbers
            features[name] = stamps.astype("int64").where(stamps.notna()).astype(float)
        elif text.nunique() <= 255:
            features[name] = text.astype("category")
        else:  # too many levels for the classifier's categorical support: rank by frequency
            features[name] = text.map(text.value_counts().rank(method="first")).astype(float)
    labels = np.r_[np.zeros(n), np.ones(n)]
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    return float(np.mean(cross_val_score(model, features, labels, cv=5, scoring="roc_auc")))


# --- driving the runs and writing RESULTS.md -----------------------------------------------------


def run_one(table: str, model: str, args: argparse.Namespace, quality: bool) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--worker",
        table,
        model,
        "--datasets",
        str(args.datasets),
        "--max-rows",
        str(args.max_rows),
    ] + (["--quality"] if quality else [])
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return {"error": lines[-1] if lines else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {cpu}, {memory:.0f} GiB RAM, Python {platform.python_version()}"
    )


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("datatwin", "sdv", "sdmetrics", "numpy", "pandas", "scikit-learn"):
        with contextlib.suppress(PackageNotFoundError):
            parts.append(f"{name} {version(name)}")
    return ", ".join(parts)


def fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def table_section(table: str, results: dict[str, dict[str, Any]]) -> list[str]:
    first = next(iter(results.values()))
    rows = first.get("rows")
    note = " (random subsample)" if first.get("subsampled") else ""
    lines = [f"### {table}: {rows:,} rows{note}" if rows else f"### {table}", ""]
    lines.append(
        "| model | fit s | sample rows/s | 1M rows/s (warm) | 1M rows/s (first call) | "
        "peak fit MB | Column Shapes | Column Pair Trends | Quality (all pairs) | "
        "Quality (default filter) | detection AUC |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for model, r in results.items():
        if "error" in r:
            lines.append(f"| {model} | failed: {r['error']} ||||||||||")
            continue
        shapes = r.get("sdm_shapes", r.get("dt_shapes"))
        pairs = r.get("sdm_pairs", r.get("dt_pairs"))
        quality = r.get("sdm_quality")
        if quality is None and shapes is not None and pairs is not None:
            quality = (shapes + pairs) / 2
        lines.append(
            f"| {model} | {fmt(r['fit_s'], '.2f')} | {fmt(r['sample_rows_per_s'], ',.0f')} | "
            f"{fmt(r.get('sample_1m_rows_per_s'), ',.0f')} | "
            f"{fmt(r.get('sample_1m_first_rows_per_s'), ',.0f')} | "
            f"{fmt(r['fit_peak_mb'], '.0f')} | "
            f"{fmt(shapes, '.3f')} | {fmt(pairs, '.3f')} | {fmt(quality, '.3f')} | "
            f"{fmt(r.get('sdm_filtered_quality'), '.3f')} | {fmt(r.get('detection_auc'), '.3f')} |"
        )
    ours = [m for m in results if m != "sdv_gaussian_copula" and "error" not in results[m]]
    peer = results.get("sdv_gaussian_copula", {})
    if ours and "fit_s" in peer:
        ratio = ", ".join(f"{m} {results[m]['fit_s'] / peer['fit_s']:.3f}x" for m in ours)
        lines += ["", f"Fit time relative to SDV GaussianCopula: {ratio}."]
    if ours and "sdm_shapes" in results[ours[0]]:
        diff = ", ".join(
            f"{m}: ours {results[m]['dt_shapes']:.4f} vs SDMetrics {results[m]['sdm_shapes']:.4f}"
            for m in ours
        )
        lines += ["", f"Column Shapes, datatwin's implementation vs SDMetrics': {diff}."]
    return [*lines, ""]


def write_results(
    all_results: dict[str, dict[str, dict[str, Any]]], args: argparse.Namespace, command: str
) -> None:
    lines = [
        "## Spine: learn a table, sample a synthetic twin",
        "",
        f"Command: `{command}`  ",
        f"Date: {date.today().isoformat()}  ",
        f"Machine: {machine()}  ",
        f"Libraries: {versions()}",
        "",
        f"Timings are medians of {args.repeats} runs, each in a fresh process; quality and "
        "detection come from the first run. Fit time includes datatwin's schema detection but not "
        "SDV's metadata detection. Peak fit MB is the resident memory reached during `fit` above "
        "the process's memory just before it. '1M rows/s' samples a million rows three times in "
        "one process: 'first call' is the first (it pays for fresh memory pages), 'warm' the "
        "median of the other two. Quality is SDMetrics' QualityReport, the mean of "
        "Column Shapes and Column Pair Trends; Column Pair Trends and 'all pairs' count every "
        "column pair, 'default filter' is the report's default, which leaves out pairs whose real "
        "correlation or association is weak. Detection AUC: HistGradientBoosting, 5-fold CV, up to "
        f"{DETECTION_ROWS:,} real and as many synthetic rows; 0.5 means indistinguishable.",
        "",
    ]
    for table, results in all_results.items():
        lines += table_section(table, results)
    write_section("spine", "\n".join(lines))
    (ROOT / "benchmarks" / "results_spine.json").write_text(json.dumps(all_results, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", nargs=2, metavar=("TABLE", "MODEL"))
    parser.add_argument("--quality", action="store_true")
    parser.add_argument("--datasets", type=Path, default=DATASETS)
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--models", default="copula")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-rows", type=int, default=50_000)
    parser.add_argument("--no-sdv", action="store_true")
    args = parser.parse_args()
    if args.worker:
        table, model = args.worker
        print(json.dumps(worker(table, model, args.datasets, args.max_rows, args.quality)))
        return
    models = [m for m in args.models.split(",") if m]
    try:
        import sdv  # noqa: F401

        if not args.no_sdv:
            models.append("sdv_gaussian_copula")
    except ImportError:
        print("sdv is not installed here: running datatwin's models only", file=sys.stderr)
    all_results: dict[str, dict[str, dict[str, Any]]] = {}
    for table in [t for t in args.tables.split(",") if t]:
        if not (args.datasets / f"{table}.csv").exists():
            print(f"skipping {table}: not in {args.datasets}", file=sys.stderr)
            continue
        all_results[table] = {}
        for model in models:
            runs = [run_one(table, model, args, quality=i == 0) for i in range(args.repeats)]
            good = [r for r in runs if "error" not in r]
            merged = dict(runs[0])  # the run that measured quality; its error if it failed
            for key in TIMED:
                if good and "error" not in merged:
                    merged[key] = median_of(good, key)
            all_results[table][model] = merged
            print(f"{table} {model}: {json.dumps(merged)}", file=sys.stderr)
    command = "benchmarks/.venv/bin/python benchmarks/bench_spine.py " + " ".join(sys.argv[1:])
    write_results(all_results, args, command.strip())


if __name__ == "__main__":
    main()
