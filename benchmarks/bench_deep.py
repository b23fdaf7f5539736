"""Benchmark: datatwin's neural models against SDV's at the same epochs, on Adult.

    benchmarks/.venv/bin/python benchmarks/bench_deep.py --epochs 10
    benchmarks/.venv/bin/python benchmarks/bench_deep.py --epochs 100 --models tvae
    benchmarks/.venv/bin/python benchmarks/bench_deep.py --epochs 30 --models ctgan --seeds 3

With ``--seeds K`` each model fits K times (seeds 0..K-1; ours samples with seed + 1, SDV's
worker seeds torch's and numpy's global generators, which its fit and sampling draw from) and
the row shows the medians, with every seed's scores in a note.

Each model fits in a fresh process; time per epoch is the fit time divided by the epochs run
(both libraries' fits include their data preparation). Quality is SDMetrics' QualityReport with
all column pairs; TSTR is datatwin's utility score (train on synthetic, test on the official
test split, ROC AUC for income).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
PAIRS = {"tvae": "sdv_tvae", "ctgan": "sdv_ctgan"}
STORE = Path(__file__).resolve().parent / "results_deep.json"


def fit_and_sample(model: str, epochs: int, seed: int) -> tuple[Any, float]:
    import numpy as np
    import pandas as pd

    real = pd.read_csv(DATASETS / "adult_train.csv")
    started = time.perf_counter()
    if model.startswith("sdv_"):
        import torch
        from sdv.metadata import Metadata
        from sdv.single_table import CTGANSynthesizer, TVAESynthesizer

        torch.manual_seed(seed)
        np.random.seed(seed)  # noqa: NPY002 (SDV draws from the global generators)
        metadata = Metadata.detect_from_dataframes({"table": real})
        peer = {"sdv_tvae": TVAESynthesizer, "sdv_ctgan": CTGANSynthesizer}[model]
        synth = peer(metadata, epochs=epochs)
        synth.fit({"table": real})
        seconds = time.perf_counter() - started
        return synth.sample(num_rows=len(real))["table"], seconds
    import datatwin as dt

    # validation=0: every epoch trains on all rows, as SDV's do
    ours = dt.synthesizer(model, seed=seed, epochs=epochs, validation=0.0).fit(real)
    seconds = time.perf_counter() - started
    return ours.sample(len(real), seed=seed + 1), seconds


def worker(model: str, epochs: int, seed: int) -> dict[str, Any]:
    warnings.filterwarnings("ignore")
    import pandas as pd
    from sdmetrics.reports.single_table import QualityReport
    from sdv.metadata import Metadata

    import datatwin as dt

    synthetic, seconds = fit_and_sample(model, epochs, seed)
    real = pd.read_csv(DATASETS / "adult_train.csv")
    test = pd.read_csv(DATASETS / "adult_test.csv")
    metadata = Metadata.detect_from_dataframes({"t": real}).to_dict()["tables"]["t"]
    report = QualityReport()
    report.real_correlation_threshold = 0
    report.real_association_threshold = 0
    report.generate(real, synthetic, metadata, verbose=False)
    scores = dt.evaluate(real, synthetic, holdout=test, target="income")
    return {
        "fit_s": seconds,
        "s_per_epoch": seconds / epochs,
        "quality": float(report.get_score()),
        "tstr": scores.score("utility.tstr"),
        "detection": scores.score("detection.auc"),
    }


def render(store: dict[str, Any]) -> str:
    """The section: one row per (model, epochs) measured, pairs side by side, and each model's
    marginal seconds per epoch where it was measured at two epoch counts."""
    rows, notes = [], []
    for epochs in sorted({r["epochs"] for r in store.values()}):
        for ours, theirs in PAIRS.items():
            pair = [store.get(f"{m}@{epochs}") for m in (ours, theirs)]
            for r in pair:
                if r is None:
                    continue
                if "error" in r:
                    rows.append(f"| {r['model']} | {epochs} | failed: {r['error']} ||||||")
                    continue
                rows.append(
                    f"| {r['model']} | {epochs} | {r['s_per_epoch']:.2f} | {r['fit_s']:.1f} | "
                    f"{r['quality']:.3f} | {r['tstr']:.3f} | {r['detection']:.3f} | "
                    f"{r['date']}, load {r['load']} |"
                )
            a, b = pair
            if a and b and "error" not in a and "error" not in b:
                ratio = a["s_per_epoch"] / b["s_per_epoch"]
                rows.append(f"| {ours} / {theirs} time per epoch | {epochs} | {ratio:.2f}x ||||||")
    for r in store.values():
        if "seeds" in r:
            quality = ", ".join(f"{s['quality']:.3f}" for s in r["seeds"])
            tstr = ", ".join(f"{s['tstr']:.3f}" for s in r["seeds"])
            per_epoch = ", ".join(f"{s['s_per_epoch']:.2f}" for s in r["seeds"])
            notes.append(
                f"{r['model']} at {r['epochs']} epochs, seeds 0-{len(r['seeds']) - 1} (the row"
                f" shows their medians): quality {quality}; TSTR {tstr}; s / epoch {per_epoch}."
            )
    for ours, theirs in PAIRS.items():
        marginal = {}
        for model in (ours, theirs):
            fits = [r for r in store.values() if r["model"] == model and "error" not in r]
            latest = max((r["date"] for r in fits), default="")
            # only rows measured the same day (the same machine) make a marginal cost
            runs = sorted((r["epochs"], r["fit_s"]) for r in fits if r["date"] == latest)
            if len(runs) >= 2 and runs[-1][0] > runs[0][0]:
                (e0, f0), (e1, f1) = runs[0], runs[-1]
                marginal[model] = ((f1 - f0) / (e1 - e0), e0, e1)
        if len(marginal) == 2:
            (mo, e0, e1), (mt, _, _) = marginal[ours], marginal[theirs]
            notes.append(
                f"{ours}: {mo:.2f} s per extra epoch, {theirs}: {mt:.2f} s (fit time from "
                f"{e0} to {e1} epochs): {mo / mt:.2f}x, training alone, without data preparation."
            )
    return "\n".join(
        [
            "## Neural models on Adult, side by side with SDV",
            "",
            "Command: `benchmarks/.venv/bin/python benchmarks/bench_deep.py --epochs N "
            "--models tvae,ctgan` (each run adds or replaces its rows in "
            "`benchmarks/results_deep.json`)  ",
            "2 cores. Each fit runs in a fresh process, ours and SDV's one after the other.",
            "",
            "| model | epochs | s / epoch | fit s | SDMetrics quality (all pairs) | TSTR AUC | "
            "detection AUC | measured (load average before, 1 min) |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
            *rows,
            "",
            "Time per epoch is the whole fit time over the epochs, so it includes each library's "
            "data preparation (SDV fits a Bayesian Gaussian mixture per numeric column) spread "
            "over them. A load above 2 means other work shared the machine.",
            *(["", *notes] if notes else []),
        ]
    )


def run_worker(model: str, epochs: int, seed: int) -> dict[str, Any]:
    load = Path("/proc/loadavg").read_text().split()[0]
    command = [sys.executable, __file__, "--worker", model, "--epochs", str(epochs)]
    done = subprocess.run(
        [*command, "--seed", str(seed)], capture_output=True, text=True, check=False
    )
    lines = done.stdout.strip().splitlines()
    result: dict[str, Any] = (
        json.loads(lines[-1])
        if done.returncode == 0
        else {"error": (done.stderr.strip().splitlines() or ["?"])[-1][-200:]}
    )
    result.update(seed=seed, load=load)
    return result


def combine(results: list[dict[str, Any]]) -> dict[str, Any]:
    """One run as it is; several: the medians of the scores and times, every run kept."""
    if len(results) == 1:
        return results[0]
    failed = next((r for r in results if "error" in r), None)
    if failed is not None:
        return failed
    keys = ("fit_s", "s_per_epoch", "quality", "tstr", "detection")
    merged: dict[str, Any] = {key: statistics.median(r[key] for r in results) for key in keys}
    loads = sorted(float(r["load"]) for r in results)
    merged["load"] = f"{loads[0]:.2f}-{loads[-1]:.2f}"
    merged["seeds"] = results
    return merged


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--models", default=",".join(PAIRS), help="ours, comma-separated")
    parser.add_argument("--seeds", type=int, default=1, help="fits per model, medians shown")
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--worker")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.epochs, args.seed)))
        return
    store: dict[str, Any] = json.loads(STORE.read_text()) if STORE.exists() else {}
    for ours in [m for m in args.models.split(",") if m]:
        runs: dict[str, list[dict[str, Any]]] = {ours: [], PAIRS[ours]: []}
        for seed in range(args.seeds):  # ours and SDV's alternate, seed by seed
            for model in runs:
                runs[model].append(run_worker(model, args.epochs, seed))
                print(model, seed, runs[model][-1], file=sys.stderr)
        for model, results in runs.items():
            result = combine(results)
            result.update(model=model, epochs=args.epochs, date=date.today().isoformat())
            store[f"{model}@{args.epochs}"] = result
            print(model, result, file=sys.stderr)
            STORE.write_text(json.dumps(store, indent=1, sort_keys=True) + "\n")
    text = render(store)
    write_section("deep", text)
    print(text)


if __name__ == "__main__":
    main()
