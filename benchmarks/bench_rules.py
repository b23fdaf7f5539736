"""Benchmark: rules every sampled row keeps, and what they cost in fidelity (issue 5).

    benchmarks/.venv/bin/python benchmarks/bench_rules.py                  # every model, 2 seeds
    benchmarks/.venv/bin/python benchmarks/bench_rules.py --models copula,arf --seeds 0

For Adult (adult_train, 32,561 x 15) and credit_data (4,454 x 14), seven rules each that hold on
every real row (domain rules, not fitted ones: see ADULT_RULES and CREDIT_RULES). Each model is
fitted twice per seed with the same parameters, without and with the rules, and samples as many
rows as the real table. Reported: the share of sampled rows that keep every rule (checked here,
independently of datatwin's own check: fixed combinations against the real table's set), and
SDMetrics' QualityReport (all column pairs) of both samples; "loss" is the quality without rules
minus the quality with them, median over seeds. The deep models train for a fixed number of epochs
(EPOCHS) to keep the run short; both fits use the same number.

The peer is SDV 2.0's GaussianCopula with the rules its constraint classes express
(FixedCombinations, Inequality without a gap): its validity is over those rules only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
STORE = Path(__file__).resolve().parent / "results_rules.json"
EPOCHS = {"tvae": 100, "ctgan": 30}

ADULT_RULES: list[dict[str, Any]] = [
    {"type": "fixed_combinations", "columns": ["education", "education_num"]},
    {"type": "fixed_combinations", "columns": ["relationship", "marital_status"]},
    {"type": "inequality", "low": "education_num", "high": "age", "gap": 4},
    {"type": "range", "column": "age", "low": 17, "high": 90},
    {"type": "positive", "column": "capital_gain", "strict": False},
    {"type": "positive", "column": "capital_loss", "strict": False},
    {"type": "check", "expression": "not (capital_gain > 0 and capital_loss > 0)"},
]
CREDIT_RULES: list[dict[str, Any]] = [
    {"type": "inequality", "low": "Amount", "high": "Price"},
    {"type": "inequality", "low": "Seniority", "high": "Age", "gap": 14},
    {"type": "range", "column": "Age", "low": 18, "high": 68},
    {"type": "range", "column": "Time", "low": 6, "high": 72},
    {"type": "positive", "column": "Assets", "strict": False},
    {"type": "positive", "column": "Debt", "strict": False},
    {"type": "check", "expression": "Expenses >= 35"},
]
DATA = {"adult": ("adult_train.csv", ADULT_RULES), "credit_data": ("credit_data.csv", CREDIT_RULES)}


def valid_share(real: pd.DataFrame, synthetic: pd.DataFrame, rules: list[dict[str, Any]]) -> float:
    """The share of rows of ``synthetic`` that keep every rule."""
    from datatwin.constraints import rule_from_dict

    ok = np.ones(len(synthetic), dtype=bool)
    for rule in rules:
        if rule["type"] == "fixed_combinations":
            columns = rule["columns"]
            seen = set(real[columns].astype(str).agg("\x1f".join, axis=1))
            keys = synthetic[columns].astype(str).agg("\x1f".join, axis=1)
            ok &= keys.isin(seen).to_numpy()
        else:
            ok &= rule_from_dict(rule).valid(synthetic)
    return float(ok.mean())


def quality(real: pd.DataFrame, synthetic: pd.DataFrame) -> float:
    from sdmetrics.reports.single_table import QualityReport
    from sdv.metadata import Metadata

    metadata = Metadata.detect_from_dataframes({"t": real}).to_dict()["tables"]["t"]
    report = QualityReport()
    report.real_correlation_threshold = 0.0
    report.real_association_threshold = 0.0
    report.generate(real, synthetic, metadata, verbose=False)
    return float(report.get_score())


def sdv_rules(rules: list[dict[str, Any]]) -> tuple[list[Any], list[dict[str, Any]]]:
    """SDV constraint objects for the rules SDV can express, and those rules."""
    from sdv.cag import FixedCombinations, Inequality

    made, kept = [], []
    for rule in rules:
        if rule["type"] == "fixed_combinations":
            made.append(FixedCombinations(column_names=rule["columns"]))
            kept.append(rule)
        elif rule["type"] == "inequality" and not rule.get("gap"):
            made.append(Inequality(rule["low"], rule["high"], strict_boundaries=False))
            kept.append(rule)
    return made, kept


def fit_sample(
    model: str, real: pd.DataFrame, rules: list[dict[str, Any]] | None, seed: int
) -> tuple[pd.DataFrame, float, list[dict[str, Any]]]:
    """Synthetic rows (as many as ``real``), fit seconds, and the rules the model was given."""
    started = time.perf_counter()
    if model == "sdv_gaussian_copula":
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer

        metadata = Metadata.detect_from_dataframes({"table": real})
        given: list[dict[str, Any]] = []
        if rules:
            # SDV's FixedCombinations takes categorical columns only; Adult's education_num is
            # detected as numerical, so it is declared categorical for the fits with rules
            combined = [r["columns"] for r in rules if r["type"] == "fixed_combinations"]
            for column in sorted({c for columns in combined for c in columns}):
                metadata.update_column(column, table_name="table", sdtype="categorical")
        synth = GaussianCopulaSynthesizer(metadata)
        if rules:
            constraints, given = sdv_rules(rules)
            synth.add_constraints(constraints)
        synth.fit({"table": real})
        fit = time.perf_counter() - started
        return synth.sample(num_rows=len(real))["table"], fit, given
    import datatwin as dt

    params: dict[str, Any] = {"seed": seed}
    if model in EPOCHS:
        params["epochs"] = EPOCHS[model]
    fitted = dt.synthesizer(model, **params).fit(real, constraints=rules)
    fit = time.perf_counter() - started
    return fitted.sample(len(real), seed=seed + 100), fit, list(rules or [])


def measure(dataset: str, model: str, seed: int) -> dict[str, Any]:
    name, rules = DATA[dataset]
    real = pd.read_csv(DATASETS / name)
    free, free_fit, _ = fit_sample(model, real, None, seed)
    ruled, ruled_fit, given = fit_sample(model, real, rules, seed)
    return {
        "valid_free": valid_share(real, free, given),
        "valid": valid_share(real, ruled, given),
        "rules": len(given),
        "quality_free": quality(real, free),
        "quality": quality(real, ruled),
        "fit_free_s": free_fit,
        "fit_s": ruled_fit,
    }


def render(store: dict[str, Any]) -> str:
    lines = [
        "## Rules (issue 5)",
        "",
        "`benchmarks/.venv/bin/python benchmarks/bench_rules.py` (section written from "
        "`benchmarks/results_rules.json`). Seven rules per table that hold on every real row; "
        "each model fitted without and with them (same seed and parameters; tvae "
        f"{EPOCHS['tvae']} epochs, ctgan {EPOCHS['ctgan']}), as many rows sampled as the real "
        "table. *valid*: share of sampled rows keeping every rule (checked by the benchmark, not "
        "by datatwin); *quality*: SDMetrics QualityReport, all pairs; *loss* = quality without "
        "rules - quality with them (median over seeds; negative: the rules helped). SDV's "
        "GaussianCopula gets the rules its constraints express (fixed combinations, inequalities "
        "without a gap) and its validity counts those only.",
        "",
        "| table | model | rules | valid without rules | valid with rules | quality without "
        "| quality with | loss | fit s without | fit s with | seeds | date |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key in sorted(store):
        row = store[key]
        runs = row["runs"]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        lines.append(
            f"| {row['dataset']} | {row['model']} | {int(med['rules'])} | "
            f"{med['valid_free']:.1%} | {min(r['valid'] for r in runs):.2%} | "
            f"{med['quality_free']:.3f} | {med['quality']:.3f} | "
            f"{statistics.median(r['quality_free'] - r['quality'] for r in runs):+.3f} | "
            f"{med['fit_free_s']:.1f} | {med['fit_s']:.1f} | {len(runs)} | {row['date']} |"
        )
    lines.append("")
    lines.append("*valid with rules* is the lowest over seeds; the others are medians.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--models", default="copula,arf,argn,tvae,ctgan,sdv_gaussian_copula")
    parser.add_argument("--datasets", default="adult,credit_data")
    parser.add_argument("--seeds", default="0,1")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    store: dict[str, Any] = json.loads(STORE.read_text()) if STORE.exists() else {}
    for dataset in args.datasets.split(","):
        for model in args.models.split(","):
            runs = []
            for seed in (int(s) for s in args.seeds.split(",")):
                result = measure(dataset, model, seed)
                print(dataset, model, seed, json.dumps(result), flush=True)
                runs.append(result)
            store[f"{dataset}/{model}"] = {
                "dataset": dataset,
                "model": model,
                "runs": runs,
                "date": date.today().isoformat(),
            }
            STORE.write_text(json.dumps(store, indent=1, sort_keys=True) + "\n")
    write_section("rules", render(store))
    print(render(store))


if __name__ == "__main__":
    main()
