"""Benchmark: datatwin's neural models against SDV's at the same epochs, on Adult.

    benchmarks/.venv/bin/python benchmarks/bench_deep.py --epochs 10

Each model fits in a fresh process; time per epoch is the fit time divided by the epochs run
(both libraries' fits include their data preparation). Quality is SDMetrics' QualityReport with
all column pairs; TSTR is datatwin's utility score (train on synthetic, test on the official
test split, ROC AUC for income).
"""

from __future__ import annotations

import argparse
import json
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


def fit_and_sample(model: str, epochs: int) -> tuple[Any, float]:
    import pandas as pd

    real = pd.read_csv(DATASETS / "adult_train.csv")
    started = time.perf_counter()
    if model.startswith("sdv_"):
        from sdv.metadata import Metadata
        from sdv.single_table import CTGANSynthesizer, TVAESynthesizer

        metadata = Metadata.detect_from_dataframes({"table": real})
        peer = {"sdv_tvae": TVAESynthesizer, "sdv_ctgan": CTGANSynthesizer}[model]
        synth = peer(metadata, epochs=epochs)
        synth.fit({"table": real})
        seconds = time.perf_counter() - started
        return synth.sample(num_rows=len(real))["table"], seconds
    import datatwin as dt

    # validation=0: every epoch trains on all rows, as SDV's do
    ours = dt.synthesizer(model, seed=0, epochs=epochs, validation=0.0).fit(real)
    seconds = time.perf_counter() - started
    return ours.sample(len(real), seed=1), seconds


def worker(model: str, epochs: int) -> dict[str, Any]:
    warnings.filterwarnings("ignore")
    import pandas as pd
    from sdmetrics.reports.single_table import QualityReport
    from sdv.metadata import Metadata

    import datatwin as dt

    synthetic, seconds = fit_and_sample(model, epochs)
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--models", default=",".join(PAIRS), help="ours, comma-separated")
    parser.add_argument("--worker")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.epochs)))
        return
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    rows = []
    for ours in [m for m in args.models.split(",") if m]:
        theirs = PAIRS[ours]
        results = {}
        for model in (ours, theirs):
            done = subprocess.run(
                [sys.executable, __file__, "--worker", model, "--epochs", str(args.epochs)],
                capture_output=True,
                text=True,
                check=False,
            )
            lines = done.stdout.strip().splitlines()
            results[model] = (
                json.loads(lines[-1]) if done.returncode == 0 else {"error": done.stderr[-300:]}
            )
            print(model, results[model], file=sys.stderr)
        for model, r in results.items():
            if "error" in r:
                rows.append(f"| {model} | failed: {r['error'].splitlines()[-1]} |||||")
                continue
            rows.append(
                f"| {model} | {r['s_per_epoch']:.2f} | {r['fit_s']:.1f} | {r['quality']:.3f} | "
                f"{r['tstr']:.3f} | {r['detection']:.3f} |"
            )
        if all("error" not in r for r in results.values()):
            ratio = results[ours]["s_per_epoch"] / results[theirs]["s_per_epoch"]
            rows.append(f"| {ours} / {theirs} time per epoch | {ratio:.2f}x |||||")
    lines = [
        "## Neural models on Adult, side by side with SDV",
        "",
        "Command: `benchmarks/.venv/bin/python benchmarks/bench_deep.py "
        f"--epochs {args.epochs} --models {args.models}`  ",
        f"Date: {date.today().isoformat()}, 2 cores, {args.epochs} epochs each",
        "",
        "| model | s / epoch | fit s | SDMetrics quality (all pairs) | TSTR AUC | detection AUC |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "Time per epoch includes each library's data preparation spread over the epochs. "
        f"Load average before the run: {' '.join(load_before)}; after: "
        f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])} (2 cores: above 2 means "
        "other work shared the machine, which slows torch's threads; compare the ratio).",
    ]
    write_section("deep", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
