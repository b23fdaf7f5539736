"""Benchmark: datatwin's models side by side with SDV's GaussianCopulaSynthesizer on shared tables.

Every table in ../shared/datasets (nycflights13's tables each as a single table) is read with
``pd.read_csv`` and handed unchanged to each model: datatwin's models named by ``--models`` and,
when ``sdv`` is installed, SDV 2.0's GaussianCopulaSynthesizer with default parameters and metadata
from ``Metadata.detect_from_dataframes``. Each (table, model, repeat) runs in a fresh process, so
timings and memory never leak between models. Measured: fit seconds, sampling rows/s (as many rows
as the table), a 1,000,000-row sample for datatwin's models, peak resident memory during fit above
the process's memory just before it, SDMetrics' single-table QualityReport (all column pairs and
its default relevance filter) and a detection AUC. Timings are medians over ``--repeats``.

    benchmarks/.venv/bin/python benchmarks/bench_spine.py                  # everything, 3 repeats
    benchmarks/.venv/bin/python benchmarks/bench_spine.py --tables adult_train --repeats 1
    benchmarks/.venv/bin/python benchmarks/bench_spine.py --models "" --repeats 1    # SDV only
    benchmarks/.venv/bin/python benchmarks/bench_spine.py --results-dir /tmp/spine  # trial run
    benchmarks/.venv/bin/python benchmarks/bench_spine.py --tables nycflights13/airports --seeds 5

``--seeds K`` fits each model K times (seeds 0..K-1, each sampled with its seed + 1) and reports
the medians of quality and detection, with every seed's score: on small tables one sample's
SDMetrics score moves by hundredths between seeds (Column Pair Trends bins each table's numbers
by its own range, so a sample that misses or draws one extreme row rescales all its bins).

Writes the "spine" section of benchmarks/RESULTS.md and benchmarks/results_spine.json; tables
not run keep their earlier results (each table says when, where and by which command it was
measured). The benchmark's environment (benchmarks/requirements.txt) holds the peers; datatwin
never depends on them.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import json
import math
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section

if TYPE_CHECKING:
    import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATASETS = ROOT.parent / "shared" / "datasets"
DEFAULT_MAX_ROWS = {"nycflights13/flights": 50_000}  # used when --max-rows is not given
SDV = "sdv_gaussian_copula"
SEED = 0
SAMPLE_SEED = 1
BIG_SAMPLE = 1_000_000
DETECTION_ROWS = 20_000
DETECTION_FOLDS = 5
MAX_NATIVE_CATEGORIES = 255  # HistGradientBoosting's limit for a native categorical feature
PLAIN_SDTYPES = {"numerical", "categorical", "datetime", "boolean"}
TIMED = ("fit_s", "sample_rows_per_s", "sample_1m_rows_per_s", "fit_peak_mb")
SCORED = (
    "shapes",
    "pairs_all",
    "quality_all",
    "pairs_filtered",
    "quality_filtered",
    "detection_auc",
    "dt_shapes",
    "dt_pairs",
)
FATAL = ("worker", "load", "model", "fit", "sample")  # stages after which nothing is measured
RESULT_MARK = "RESULT "
Result = dict[str, Any]
Fit = Callable[["pd.DataFrame"], Any]
Sampler = Callable[[int], "pd.DataFrame"]


# --- one model on one table, in a worker process --------------------------------------------------


def attempt(out: Result, stage: str, step: Callable[[], Any]) -> Any:
    """Run one stage, noting its wall seconds; on failure note the error and return None."""
    started = time.perf_counter()
    try:
        return step()
    except Exception as error:
        traceback.print_exc()
        message = str(error).strip().splitlines()
        detail = f": {message[0][:300]}" if message else ""
        out.setdefault("errors", {})[stage] = f"{type(error).__name__}{detail}"
        return None
    finally:
        out.setdefault("stage_s", {})[stage] = round(time.perf_counter() - started, 3)


def row_limit(table: str, max_rows: int | None) -> int | None:
    """The subsample size for a table: --max-rows for every table, else the per-table default."""
    if max_rows is None:
        return DEFAULT_MAX_ROWS.get(table)
    return max_rows or None


def load(table: str, datasets: Path, max_rows: int | None, out: Result) -> pd.DataFrame:
    import pandas as pd

    frame = pd.read_csv(datasets / f"{table}.csv")
    out.update(full_rows=len(frame), columns=frame.shape[1])
    limit = row_limit(table, max_rows)
    if limit is not None and len(frame) > limit:
        frame = frame.sample(n=limit, random_state=SEED).reset_index(drop=True)
    out.update(rows=len(frame), subsampled=len(frame) < out["full_rows"])
    return frame


def sdv_metadata(frame: pd.DataFrame) -> Any:
    from sdv.metadata import Metadata

    # SDV 2.0's Metadata detects from {table name: frame}; it has no detect_from_dataframe.
    return Metadata.detect_from_dataframes({"table": frame})


def make_sdv(frame: pd.DataFrame, out: Result, seed: int) -> tuple[Fit, Sampler]:
    from sdv.single_table import GaussianCopulaSynthesizer

    started = time.perf_counter()
    metadata = sdv_metadata(frame)
    out["metadata_s"] = time.perf_counter() - started
    synthesizer = GaussianCopulaSynthesizer(metadata)  # SDV 2.0 takes and gives {name: frame}

    def sample(n: int) -> pd.DataFrame:
        # SDV's fit is deterministic and its sampling starts from a fixed seed; it has no public
        # seed, so other seeds go through its private _set_random_state
        if seed != SEED:
            synthesizer._set_random_state(seed)
        return synthesizer.sample(num_rows=n)["table"]

    return lambda data: synthesizer.fit({"table": data}), sample


def make_datatwin(name: str, seed: int) -> tuple[Fit, Sampler]:
    import datatwin as dt

    synthesizer = dt.synthesizer(name, seed=seed)
    return synthesizer.fit, lambda n: synthesizer.sample(n, seed=seed + SAMPLE_SEED - SEED)


def max_rss_bytes() -> int:
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is KiB on Linux, bytes on macOS
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0), so ru_maxrss tracks only what follows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@contextlib.contextmanager
def fit_memory(out: Result) -> Iterator[None]:
    """Record fit_peak_mb: the peak RSS during the block above the RSS just before it."""
    gc.collect()
    exact = reset_peak_rss()  # then ru_maxrss starts from the current RSS
    # Without the reset an earlier peak (reading the CSV) can hide the fit's: a lower bound.
    out["memory_method"] = "ru_maxrss, peak reset" if exact else "ru_maxrss delta (lower bound)"
    before = max_rss_bytes()
    yield
    out["fit_peak_mb"] = (max_rss_bytes() - before) / 1e6


def timed_sample(sample: Sampler, n: int) -> tuple[pd.DataFrame, float]:
    started = time.perf_counter()
    synthetic = sample(n)
    return synthetic, n / (time.perf_counter() - started)


def measure(table: str, model: str, args: argparse.Namespace) -> Result:
    warnings.filterwarnings("ignore")
    out: Result = {}
    real = attempt(out, "load", lambda: load(table, args.datasets, args.max_rows, out))
    if real is None:
        return out
    maker = (
        (lambda: make_sdv(real, out, args.seed))
        if model == SDV
        else (lambda: make_datatwin(model, args.seed))
    )
    made = attempt(out, "model", maker)
    if made is None:
        return out
    fit, sample = made
    with fit_memory(out):
        started = time.perf_counter()
        attempt(out, "fit", lambda: fit(real))
        out["fit_s"] = time.perf_counter() - started
    if "fit" in out.get("errors", {}):
        del out["fit_s"], out["fit_peak_mb"]
        return out
    drawn = attempt(out, "sample", lambda: timed_sample(sample, len(real)))
    if drawn is None:
        return out
    synthetic, out["sample_rows_per_s"] = drawn
    if model != SDV:
        big = attempt(out, "sample_1m", lambda: timed_sample(sample, BIG_SAMPLE))
        out["sample_1m_rows_per_s"] = None if big is None else big[1]
        del big
    if args.quality:
        score(real, synthetic, out)
    return out


# --- quality ------------------------------------------------------------------------------------


def score(real: pd.DataFrame, synthetic: pd.DataFrame, out: Result) -> None:
    metadata = attempt(out, "metadata", lambda: sdv_metadata(real).to_dict()["tables"]["table"])
    if metadata is not None:
        out["sdv_metadata"] = describe_metadata(metadata)
        quality = attempt(out, "sdmetrics", lambda: sdmetrics_quality(real, synthetic, metadata))
        out.update(quality or {})
    if importlib.util.find_spec("datatwin") is not None:
        out.update(attempt(out, "datatwin_scores", lambda: datatwin_scores(real, synthetic)) or {})
    out["detection_auc"] = attempt(out, "detection", lambda: detection_auc(real, synthetic))


def describe_metadata(metadata: dict[str, Any]) -> Result:
    """What SDV's detection made of the table: sdtype counts, primary key, unusual sdtypes."""
    columns: dict[str, dict[str, Any]] = metadata.get("columns", {})
    return {
        "sdtypes": dict(Counter(spec["sdtype"] for spec in columns.values())),
        "primary_key": metadata.get("primary_key"),
        "special": {
            name: spec["sdtype"]
            for name, spec in columns.items()
            if spec["sdtype"] not in PLAIN_SDTYPES
        },
    }


def sdmetrics_quality(real: pd.DataFrame, synthetic: pd.DataFrame, metadata: Result) -> Result:
    """SDMetrics' QualityReport over all column pairs and with its default relevance filter.

    The report (sdmetrics 0.32) scores Column Pair Trends only on pairs whose real correlation or
    association passes ``real_correlation_threshold`` / ``real_association_threshold``; setting
    both to 0 counts every pair.
    """
    from sdmetrics.reports.single_table import QualityReport

    out: Result = {}
    for label in ("all", "filtered"):
        report = QualityReport()
        if label == "all":
            report.real_correlation_threshold = 0
            report.real_association_threshold = 0
        else:
            out["filter_thresholds"] = {
                "correlation": report.real_correlation_threshold,
                "association": report.real_association_threshold,
            }
        report.generate(real, synthetic, metadata, verbose=False)
        properties = report.get_properties().set_index("Property")["Score"]
        out["shapes"] = float(properties["Column Shapes"])
        out[f"pairs_{label}"] = float(properties["Column Pair Trends"])
        out[f"quality_{label}"] = float(report.get_score())
        details = report.get_details("Column Pair Trends")
        kept = details["Meets Threshold?"].astype("boolean").fillna(False)
        out[f"pairs_counted_{label}"] = int((kept & details["Score"].notna()).sum())
    out["pairs_total"] = len(details)
    return out


def datatwin_scores(real: pd.DataFrame, synthetic: pd.DataFrame) -> Result:
    """datatwin's own Column Shapes and Column Pair Trends, a cross-check on SDMetrics'."""
    from datatwin.evaluate import column_pairs, column_shapes

    shapes, pairs = column_shapes(real, synthetic), column_pairs(real, synthetic)
    return {
        "dt_shapes": statistics.fmean(shapes.values()) if shapes else None,
        "dt_pairs": statistics.fmean(pairs.values()) if pairs else None,
    }


def detection_feature(column: pd.Series) -> pd.Series:
    """A column as the classifier sees it; missing values stay missing (handled natively)."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return pd.to_numeric(column, errors="coerce").astype(float)
    text = column.astype(str).where(column.notna())
    present = text.notna()
    stamps = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
    if present.any() and stamps[present].notna().mean() > 0.99:  # dates and times: seconds
        return (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    categories = text.astype("category")  # sorted levels: ordinal codes inside the classifier
    if len(categories.cat.categories) <= MAX_NATIVE_CATEGORIES:
        return categories
    # Too many levels for native categories: the ordinal code as a number. Never a code that
    # depends on row order (real rows come first), or ties would give the label away.
    return categories.cat.codes.astype(float).where(present)


def detection_auc(real: pd.DataFrame, synthetic: pd.DataFrame) -> float:
    """Cross-validated ROC AUC of a classifier telling real rows from synthetic ones."""
    import numpy as np
    import pandas as pd
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from threadpoolctl import threadpool_limits

    n = min(len(real), len(synthetic), DETECTION_ROWS)
    both = pd.concat(
        [real.sample(n=n, random_state=SEED), synthetic.sample(n=n, random_state=SEED)],
        ignore_index=True,
    )
    features = pd.DataFrame({name: detection_feature(both[name]) for name in both.columns})
    labels = np.r_[np.zeros(n), np.ones(n)]
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=SEED)
    folds = StratifiedKFold(n_splits=DETECTION_FOLDS, shuffle=True, random_state=SEED)
    with threadpool_limits(1):  # OpenMP threads fight other work on a small machine: 5-20x slower
        scores = cross_val_score(model, features, labels, cv=folds, scoring="roc_auc")
    return float(np.mean(scores))


# --- driving the workers --------------------------------------------------------------------------


def run_worker(
    table: str, model: str, args: argparse.Namespace, quality: bool, seed: int = SEED
) -> Result:
    command = [sys.executable, __file__, "--worker", table, model, "--datasets", str(args.datasets)]
    command += ["--seed", str(seed)]
    if args.max_rows is not None:
        command += ["--max-rows", str(args.max_rows)]
    if quality:
        command.append("--quality")
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"errors": {"worker": f"timed out after {args.timeout} s"}}
    marked = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if done.returncode == 0 and marked:
        result: Result = json.loads(marked[-1][len(RESULT_MARK) :])
        if result.get("errors"):
            print(done.stderr.strip(), file=sys.stderr)
        return result
    tail = (done.stderr or done.stdout).strip().splitlines()
    return {"errors": {"worker": f"exit {done.returncode}: {tail[-1] if tail else 'no output'}"}}


def combine(runs: list[Result], seeded: list[Result]) -> Result:
    """The first run (the one that scored quality) with each timing replaced by the median, and
    with ``seeded`` (runs with other seeds), each score replaced by the median over seeds."""
    merged = dict(runs[0])
    for key in TIMED:
        values = [run[key] for run in runs if run.get(key) is not None]
        if values:
            merged[key] = statistics.median(values)
    merged["runs"] = [{key: run.get(key) for key in TIMED} for run in runs]
    if seeded:
        every = [runs[0], *seeded]
        for key in SCORED:
            values = [run[key] for run in every if run.get(key) is not None]
            if values:
                merged[key] = statistics.median(values)
        merged["seed_runs"] = [
            {"seed": seed, **{key: run.get(key) for key in SCORED}}
            for seed, run in enumerate(every)
        ]
    return merged


def bench_table(table: str, models: list[str], args: argparse.Namespace) -> dict[str, Result]:
    results: dict[str, Result] = {}
    for model in models:
        runs = []
        for repeat in range(args.repeats):
            started = time.perf_counter()
            runs.append(run_worker(table, model, args, quality=repeat == 0))
            report_run(f"{table} {model} #{repeat + 1}", runs[-1], started)
        seeded = []
        for seed in range(SEED + 1, SEED + args.seeds):
            started = time.perf_counter()
            seeded.append(run_worker(table, model, args, quality=True, seed=seed))
            report_run(f"{table} {model} seed {seed}", seeded[-1], started)
        results[model] = combine(runs, seeded)
        results[model]["measured"] = {
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "cpu": cpu_name(),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
    return results


def report_run(label: str, result: Result, started: float) -> None:
    brief = {k: result.get(k) for k in (*TIMED, "quality_all", "detection_auc")}
    errors = result.get("errors", {})
    print(
        f"{label}: {time.perf_counter() - started:.1f} s wall, "
        f"{json.dumps(brief)}" + (f" errors {errors}" if errors else ""),
        file=sys.stderr,
        flush=True,
    )


# --- RESULTS.md and results_spine.json ------------------------------------------------------------


def cpu_name() -> str:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    return cpu


def machine() -> str:
    cpu, memory = cpu_name(), "? GiB RAM"
    with contextlib.suppress(OSError, StopIteration):
        kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        memory = f"{kib / 2**20:.1f} GiB RAM"
    return (
        f"{os.cpu_count()} cores, {cpu}, {memory}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def versions() -> str:
    parts = []
    names = ("datatwin", "sdv", "sdmetrics", "rdt", "copulas", "numpy", "pandas", "scipy")
    for name in (*names, "scikit-learn"):
        with contextlib.suppress(PackageNotFoundError):
            parts.append(f"{name} {version(name)}")
    return ", ".join(parts)


def fmt(value: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format(value, spec)


COLUMNS = (  # (header, result key, format)
    ("fit s", "fit_s", ".2f"),
    ("sample rows/s", "sample_rows_per_s", ",.0f"),
    ("1M-row sample rows/s", "sample_1m_rows_per_s", ",.0f"),
    ("peak fit MB", "fit_peak_mb", ",.0f"),
    ("Column Shapes", "shapes", ".3f"),
    ("Column Pair Trends (all pairs)", "pairs_all", ".3f"),
    ("Quality (all pairs)", "quality_all", ".3f"),
    ("Column Pair Trends (default filter)", "pairs_filtered", ".3f"),
    ("Quality (default filter)", "quality_filtered", ".3f"),
    ("detection AUC", "detection_auc", ".3f"),
)


def fatal_error(result: Result) -> str | None:
    errors = result.get("errors", {})
    stage = next((stage for stage in FATAL if stage in errors), None)
    return None if stage is None else f"{stage}: {errors[stage]}"


def table_row(model: str, result: Result) -> str:
    failed = fatal_error(result)
    if failed is not None and "fit_s" not in result:
        cells = [f"failed, {failed}".replace("|", "/")] + [""] * (len(COLUMNS) - 1)
    else:
        cells = [fmt(result.get(key), spec) for _, key, spec in COLUMNS]
    return f"| {model} | " + " | ".join(cells) + " |"


def heading(table: str, results: dict[str, Result]) -> str:
    known = next((r for r in results.values() if "rows" in r), None)
    if known is None:
        return f"### {table}"
    size = f"{known['rows']:,} rows x {known['columns']} columns"
    if known.get("subsampled"):
        size += f", a random subsample (seed {SEED}) of {known['full_rows']:,} rows"
    return f"### {table}: {size}"


def ratio_summary(results: dict[str, Result]) -> str:
    """datatwin / SDV fit time (and sampling speed) for each datatwin model that ran."""
    peer = results.get(SDV, {})
    ours = {m: r for m, r in results.items() if m != SDV and r.get("fit_s") is not None}
    if not ours or peer.get("fit_s") is None:
        return "Summary: no datatwin / SDV ratio (needs both a datatwin model and SDV to fit)."
    parts = []
    for model, result in ours.items():
        fit = result["fit_s"] / peer["fit_s"]
        part = f"{model} fit time / SDV fit time = {fit:.3f} (SDV {1 / fit:.1f}x as long)"
        if result.get("sample_rows_per_s") and peer.get("sample_rows_per_s"):
            speed = result["sample_rows_per_s"] / peer["sample_rows_per_s"]
            part += f", sampling {speed:.1f}x SDV's rows/s"
        parts.append(part)
    return "Summary: " + "; ".join(parts) + "."


def metadata_note(results: dict[str, Result]) -> str | None:
    scored = next((r for r in results.values() if "sdv_metadata" in r), None)
    if scored is None:
        return None
    found = scored["sdv_metadata"]
    counts = ", ".join(f"{n} {sdtype}" for sdtype, n in sorted(found["sdtypes"].items()))
    note = f"SDV metadata detection: {counts}"
    if found["primary_key"]:
        note += f"; primary key `{found['primary_key']}`"
    if found["special"]:
        note += "; " + ", ".join(f"`{c}` as {t}" for c, t in found["special"].items())
    if results.get(SDV, {}).get("metadata_s") is not None:
        note += f"; detection took {results[SDV]['metadata_s']:.2f} s (not in SDV's fit s)"
    return note + "."


def filter_note(results: dict[str, Result]) -> str | None:
    scored = next((r for r in results.values() if "pairs_total" in r), None)
    if scored is None:
        return None
    limits = scored["filter_thresholds"]
    if not scored["pairs_total"]:
        return "SDMetrics: no column pairs to score (Column Pair Trends is empty)."
    return (
        f"SDMetrics' default filter counts {scored['pairs_counted_filtered']} of "
        f"{scored['pairs_total']} column pairs (real |correlation| > {limits['correlation']} or "
        f"association > {limits['association']}); 'all pairs' counts "
        f"{scored['pairs_counted_all']}."
    )


def other_notes(results: dict[str, Result]) -> list[str]:
    notes = []
    for model, result in results.items():
        if result.get("dt_shapes") is not None:
            notes.append(
                f"Cross-check, {model}: datatwin's own Column Shapes {result['dt_shapes']:.4f} "
                f"(SDMetrics' {fmt(result.get('shapes'), '.4f')}), Column Pair Trends "
                f"{fmt(result.get('dt_pairs'), '.4f')} (SDMetrics' all pairs "
                f"{fmt(result.get('pairs_all'), '.4f')})."
            )
        for stage, error in result.get("errors", {}).items():
            notes.append(f"Error, {model} at {stage}: {error}".replace("|", "/"))
    return notes


def seeds_note(results: dict[str, Result]) -> list[str]:
    """Each seed's quality and detection, for the models that ran several seeds."""
    notes = []
    for model, result in results.items():
        runs = result.get("seed_runs")
        if not runs:
            continue
        how = (
            "SDV's fixed sampling seed for 0, its random state set to s for the others"
            if model == SDV
            else f"fit with seed s, sample with s + {SAMPLE_SEED - SEED}"
        )
        quality = ", ".join(fmt(run.get("quality_all"), ".3f") for run in runs)
        detection = ", ".join(fmt(run.get("detection_auc"), ".3f") for run in runs)
        notes.append(
            f"Seeds, {model}: scores in the table are medians over seeds {runs[0]['seed']}-"
            f"{runs[-1]['seed']} ({how}); "
            f"quality (all pairs) per seed {quality}; detection AUC per seed {detection}."
        )
    return notes


def measured_note(results: dict[str, Result]) -> str | None:
    """When and by which command the table's rows were measured."""
    infos = [
        (model, r["measured"], len(r.get("runs", [])) or 1)
        for model, r in results.items()
        if r.get("measured")
    ]
    if not infos:
        return None
    if len({(info.get("command"), info.get("cpu"), runs) for _, info, runs in infos}) == 1:
        _, info, runs = infos[0]
        dates = sorted({str(i.get("date")) for _, i, _ in infos})
        loads = sorted(float(i.get("load_average_1min") or 0) for _, i, _ in infos)
        # a span within one run: the last date's time of day ("HH:MM UTC") only
        when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1][-9:]}"
        load = f"{loads[0]}" if loads[0] == loads[-1] else f"{loads[0]}-{loads[-1]}"
        return (
            f"Measured: {when} on {info.get('cpu', '?')}, load {load}, "
            f"{runs} timing run(s), by "
            f"`{info.get('command')}`."
        )
    parts = [
        f"{model} {info.get('date')} on {info.get('cpu', '?')}, load "
        f"{info.get('load_average_1min')}, {runs} timing "
        f"run(s), by `{info.get('command')}`"
        for model, info, runs in infos
    ]
    return "Measured: " + "; ".join(parts) + "."


def table_section(table: str, results: dict[str, Result]) -> list[str]:
    lines = [heading(table, results), ""]
    lines.append("| model | " + " | ".join(header for header, _, _ in COLUMNS) + " |")
    lines.append("|---|" + "---:|" * len(COLUMNS))
    lines += [table_row(model, result) for model, result in results.items()]
    notes = [measured_note(results), ratio_summary(results), metadata_note(results)]
    notes += [filter_note(results), *seeds_note(results), *other_notes(results)]
    lines.append("")
    lines += [f"{note}  " for note in notes if note]
    return [*lines, ""]


def method() -> str:
    return (
        "Timings are medians of each table's timing runs (`--repeats`), each (table, model, "
        "run) in a fresh process; quality and detection come from the first run (seed 0), or "
        "are medians over the seeds a table names (`--seeds`). datatwin's fit time includes "
        "its schema detection; SDV's excludes its metadata detection (reported apart). 'sample "
        "rows/s' draws as many rows as the table has; '1M-row sample' draws 1,000,000 rows "
        "(datatwin's models only). 'peak fit MB' is the process's peak resident memory during "
        "`fit` above its resident memory just before it (getrusage ru_maxrss after resetting "
        "the kernel's peak mark). Quality is SDMetrics' single-table QualityReport, the mean of "
        "Column Shapes and Column Pair Trends, computed over all column pairs and again with the "
        "report's default relevance filter, which leaves out pairs whose real correlation or "
        "association is weak. Detection AUC: scikit-learn's HistGradientBoostingClassifier, "
        f"{DETECTION_FOLDS}-fold cross-validated ROC AUC at telling real rows from synthetic, "
        f"on up to {DETECTION_ROWS:,} rows of each (equal numbers); categories ordinal-encoded "
        "(native categorical splits up to 255 levels, sorted-level codes as numbers above), ISO "
        "dates as seconds, missing values left to the classifier; 0.5 means indistinguishable."
    )


def run_info(command: str, load_at_start: float, seconds: float) -> Result:
    """What the header of the results says about this run."""
    return {
        "command": command,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "libraries": versions(),
        "load_average_1min": [round(load_at_start, 2), round(os.getloadavg()[0], 2)],
        "wall_s": round(seconds),
    }


def write_results(
    tables: dict[str, dict[str, Result]], args: argparse.Namespace, info: Result
) -> None:
    start, end = info["load_average_1min"]
    lines = [
        "## Spine: learn a table, sample a synthetic twin (datatwin vs SDV GaussianCopula)",
        "",
        f"Latest run (from the repository root): `{info['command']}`  ",
        f"Date: {info['date']}; the whole run took {info['wall_s']:,} s  ",
        f"Machine: {info['machine']}; 1-minute load average {start} at the start, {end} at the "
        "end (timings are only comparable on an otherwise idle machine)  ",
        f"Libraries: {info['libraries']}",
        "",
        method(),
        "",
    ]
    tables = {**earlier_tables(args.results_dir / "results_spine.json"), **tables}
    for table, results in sorted(tables.items()):
        lines += table_section(table, results)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    write_section("spine", "\n".join(lines), args.results_dir / "RESULTS.md")
    settings = {
        key: str(value) if isinstance(value, Path) else value
        for key, value in vars(args).items()
        if key not in ("worker", "quality")
    }
    raw = {**info, "settings": settings, "tables": tables}
    text = json.dumps(without_nan(raw), indent=1, allow_nan=False)
    (args.results_dir / "results_spine.json").write_text(text + "\n")


def earlier_tables(path: Path) -> dict[str, dict[str, Result]]:
    """The tables of an earlier results file, each model's result saying when it was measured."""
    if not path.is_file():
        return {}
    earlier = json.loads(path.read_text())
    load = earlier.get("load_average_1min") or ["?"]
    run = {
        "date": earlier.get("date"),
        "command": earlier.get("command"),
        "load_average_1min": load[0],
        "cpu": str(earlier.get("machine", "?, ?")).split(", ")[1],
    }
    tables: dict[str, dict[str, Result]] = earlier.get("tables", {})
    for results in tables.values():
        for result in results.values():
            result.setdefault("measured", run)
    return tables


def without_nan(value: Any) -> Any:
    """The same structure with NaN as None, so the file is strict JSON."""
    if isinstance(value, dict):
        return {key: without_nan(item) for key, item in value.items()}
    if isinstance(value, list):
        return [without_nan(item) for item in value]
    return None if isinstance(value, float) and math.isnan(value) else value


# --- command line ---------------------------------------------------------------------------------


def shown(path: str) -> str:
    absolute = Path(path).absolute()
    return str(absolute.relative_to(ROOT)) if absolute.is_relative_to(ROOT) else path


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--datasets", type=Path, default=DATASETS, help="default: %(default)s")
    parser.add_argument("--tables", help="comma-separated, e.g. adult_train,nycflights13/planes")
    parser.add_argument("--models", default="copula", help="datatwin models, comma-separated")
    parser.add_argument("--no-sdv", action="store_true", help="leave SDV out even if installed")
    parser.add_argument("--repeats", type=int, default=3, help="timing runs per (table, model)")
    parser.add_argument(
        "--seeds", type=int, default=1, help="fits with seeds 0..N-1 whose scores are medianed"
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        help="subsample every table above N rows (0: none); default: flights to 50,000",
    )
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per worker")
    parser.add_argument("--results-dir", type=Path, default=HERE, help="default: %(default)s")
    parser.add_argument("--worker", nargs=2, metavar=("TABLE", "MODEL"), help=argparse.SUPPRESS)
    parser.add_argument("--quality", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=SEED, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    return args


def choose_tables(args: argparse.Namespace) -> list[str]:
    found = sorted(
        path.relative_to(args.datasets).with_suffix("").as_posix()
        for path in args.datasets.rglob("*.csv")
    )
    if not args.tables:
        return found
    wanted = [name for name in args.tables.split(",") if name]
    for name in wanted:
        if name not in found:
            print(f"skipping {name}: no {name}.csv in {args.datasets}", file=sys.stderr)
    return [name for name in wanted if name in found]


def choose_models(args: argparse.Namespace) -> list[str]:
    models = [name for name in args.models.split(",") if name]
    if args.no_sdv:
        return models
    if importlib.util.find_spec("sdv") is None:
        print("sdv is not installed here: running datatwin's models only", file=sys.stderr)
        return models
    return [*models, SDV]


def main() -> None:
    args = parse_args()
    if args.worker:
        table, model = args.worker
        print(RESULT_MARK + json.dumps(measure(table, model, args)), flush=True)
        return
    if not args.datasets.is_dir():
        print(f"no datasets at {args.datasets}: nothing to benchmark", file=sys.stderr)
        return
    tables, models = choose_tables(args), choose_models(args)
    if not tables or not models:
        print("no table or no model to run: RESULTS.md left as it is", file=sys.stderr)
        return
    started, load_at_start = time.perf_counter(), os.getloadavg()[0]
    results = {table: bench_table(table, models, args) for table in tables}
    command = shlex.join([shown(sys.executable), shown(sys.argv[0]), *sys.argv[1:]])
    for table_results in results.values():
        for result in table_results.values():
            result["measured"]["command"] = command
    info = run_info(command, load_at_start, time.perf_counter() - started)
    write_results(results, args, info)
    print(f"done in {info['wall_s']} s; results in {args.results_dir}", file=sys.stderr)


if __name__ == "__main__":
    main()
