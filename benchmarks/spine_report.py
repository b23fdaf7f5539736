"""bench_spine's output: the "spine" section of RESULTS.md and results_spine.json."""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from results import write_section
from spine_quality import DETECTION_FOLDS, DETECTION_ROWS, FATAL, SAMPLE_SEED, SDV, SEED, Result


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
    earlier = earlier_tables(args.results_dir / "results_spine.json")
    tables = {  # models not run keep their earlier rows, each with its own date
        name: {**earlier.get(name, {}), **tables.get(name, {})} for name in {*earlier, *tables}
    }
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
