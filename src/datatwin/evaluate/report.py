"""``datatwin.evaluate``: every score of a synthetic table, in one report people can read."""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from datatwin._version import __version__
from datatwin.errors import DataError, ParameterError
from datatwin.evaluate.coverage import coverage_scores, validity_scores
from datatwin.evaluate.learning import detection_auc, utility_scores
from datatwin.evaluate.pairs import column_pairs
from datatwin.evaluate.privacy import privacy_scores
from datatwin.evaluate.shapes import column_shapes
from datatwin.io.atomic import atomic_write_text
from datatwin.schema.columns import Schema
from datatwin.schema.detect import check_table, detect_schema

__all__ = ["DOCS", "THRESHOLDS", "Report", "evaluate"]

MAX_ROWS = 20_000  # rows per table for the classifiers and as privacy's reference set
MAX_QUERIES = 5_000  # synthetic rows whose nearest real rows are searched

DOCS: dict[str, str] = {
    "fidelity.column_shapes": "Mean over columns of 1 - KS statistic (numbers, dates) or 1 - total "
    "variation distance (categories); SDMetrics' Column Shapes. 1 is best.",
    "fidelity.column_pairs": "Mean over column pairs of correlation similarity (two numeric "
    "columns, 1 - |r_real - r_syn| / 2) or contingency similarity (others, numbers in 10 bins); "
    "SDMetrics' Column Pair Trends. 1 is best.",
    "coverage.categories": "Share of real categories that appear in the synthetic table.",
    "coverage.rare_categories": "The same for categories in less than 5% of real rows.",
    "coverage.range": "Mean share of each numeric column's real range that synthetic values span.",
    "coverage.missing_rate_difference": "Mean |real - synthetic| share of missing values per "
    "column; 0 is best.",
    "validity.out_of_bounds": "Share of synthetic numbers outside the real [min, max]; 0 is best.",
    "validity.unseen_categories": "Share of synthetic categories never seen in the real table.",
    "validity.wrong_types": "Share of synthetic values that do not fit their column's kind.",
    "validity.changed_dtypes": "Share of columns whose dtype differs from the real table's.",
    "validity.duplicate_keys": "Share of repeated values in key columns; 0 is best.",
    "validity.score": "1 - the mean of the validity shares above.",
    "detection.auc": "Cross-validated ROC AUC of gradient boosting at telling real rows from "
    "synthetic ones; 0.5 means indistinguishable, 1 means always told apart.",
    "utility.trtr": "Train on real, test on the real holdout (ROC AUC or R²).",
    "utility.tstr": "Train on synthetic, test on the real holdout (ROC AUC or R²).",
    "utility.ratio": "tstr / trtr; 1 means synthetic data trains models as well as real data "
    "(can exceed 1).",
    "privacy.dcr_share": "Share of synthetic rows closer to a training row than to any holdout "
    "row, reweighted as if both sets had the same size; 0.5 means no memorisation, 1 means "
    "copies of the training rows.",
    "privacy.exact_copies": "Share of synthetic rows identical to a training row (compare with "
    "exact_copies_holdout, the same rate for unseen real rows).",
    "privacy.exact_copies_holdout": "Share of holdout rows identical to a training row.",
    "privacy.nndr": "Median ratio of a synthetic row's nearest to second-nearest training row "
    "distance; low values mean rows sit on top of one real record.",
    "privacy.membership_auc": "ROC AUC of a distance-based membership-inference attack telling "
    "training rows from holdout rows by their distance to the synthetic rows; 0.5 is safe.",
}

# (score, direction, good bar, fair bar): the verdicts stated in every report
THRESHOLDS: dict[str, list[tuple[str, str, float, float]]] = {
    "fidelity": [
        ("fidelity.column_shapes", ">=", 0.90, 0.80),
        ("fidelity.column_pairs", ">=", 0.90, 0.80),
    ],
    "utility": [("utility.ratio", ">=", 0.95, 0.85)],
    "privacy": [
        ("privacy.dcr_share", "<=", 0.55, 0.60),
        ("privacy.membership_auc", "<=", 0.55, 0.60),
    ],
}


def _flatten(scores: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in scores.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


@dataclass
class Report:
    """The scores of a synthetic table against its real counterpart, with what they rest on."""

    scores: dict[str, Any]
    sample_sizes: dict[str, Any]
    warnings: list[str]
    schema: Schema
    real: pd.DataFrame = field(repr=False)
    synthetic: pd.DataFrame = field(repr=False)
    distances: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def score(self, key: str) -> Any:
        """One score by its dotted name, such as ``"fidelity.column_shapes"``."""
        flat = _flatten(self.scores)
        if key not in flat:
            known = ", ".join(sorted(k for k in flat if "per_" not in k))
            raise ParameterError(f"The report has no score {key!r}; it has {known}.")
        return flat[key]

    @property
    def verdicts(self) -> dict[str, dict[str, Any]]:
        """good / fair / poor per area, with the bars that decided it."""
        flat = _flatten(self.scores)
        out = {}
        for area, rules in THRESHOLDS.items():
            levels, bars = [], []
            for key, direction, good, fair in rules:
                value = flat.get(key)
                bars.append(f"{key} {direction} {good} good, {direction} {fair} fair")
                if value is None:
                    continue
                ok_good = value >= good if direction == ">=" else value <= good
                ok_fair = value >= fair if direction == ">=" else value <= fair
                levels.append(0 if ok_good else 1 if ok_fair else 2)
            verdict = ["good", "fair", "poor"][max(levels)] if levels else "not measured"
            out[area] = {"verdict": verdict, "thresholds": bars}
        return out

    def to_dict(self) -> dict[str, Any]:
        """The report as versioned JSON-ready data."""
        return _clean(
            {
                "format": "datatwin-report",
                "version": 1,
                "library_version": __version__,
                "verdicts": self.verdicts,
                "scores": self.scores,
                "sample_sizes": self.sample_sizes,
                "warnings": self.warnings,
                "docs": DOCS,
            }
        )

    def to_json(self, path: str | os.PathLike[str] | None = None) -> str:
        """The report as JSON text, also written to ``path`` (atomically) when given."""
        text = json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        if path is not None:
            atomic_write_text(Path(path), text)
        return text

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """The report as one self-contained HTML page, also written to ``path`` when given."""
        from datatwin.evaluate.html import render

        page = render(self)
        if path is not None:
            atomic_write_text(Path(path), page)
        return page

    def _repr_html_(self) -> str:
        from datatwin.evaluate.html import render

        return render(self, fragment=True)

    def summary(self) -> list[tuple[str, str]]:
        """The headline scores as (name, formatted value) rows."""
        flat = _flatten(self.scores)
        keys = [k for k in DOCS if k in flat and flat[k] is not None]
        return [(k, f"{flat[k]:.3f}") for k in keys]


def _sample(df: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    return df.sample(n=n, random_state=seed) if len(df) > n else df


def _check(real: Any, synthetic: Any, holdout: Any, target: str | None) -> list[str]:
    check_table(real)
    if not isinstance(synthetic, pd.DataFrame) or len(synthetic) == 0:
        raise DataError("The synthetic table is empty; sample some rows to evaluate.")
    missing = [c for c in real.columns if c not in synthetic.columns]
    extra = [c for c in synthetic.columns if c not in real.columns]
    if missing or extra:
        raise DataError(
            f"The synthetic table's columns differ from the real table's: missing {missing}, "
            f"extra {extra}; evaluate tables with the same columns."
        )
    warnings = [
        f"Column {c!r} is {synthetic[c].dtype} in the synthetic table but {real[c].dtype} in "
        "the real one."
        for c in real.columns
        if str(real[c].dtype) != str(synthetic[c].dtype)
    ]
    if holdout is not None:
        check_table(holdout)
        if list(holdout.columns) != list(real.columns):
            raise DataError(
                "The holdout table's columns differ from the real table's; give a "
                "holdout with the same columns."
            )
    if target is not None and target not in real.columns:
        raise DataError(
            f"The target column {target!r} is not in the table; name one of its columns."
        )
    return warnings


def evaluate(
    real: pd.DataFrame,
    synthetic: pd.DataFrame,
    holdout: pd.DataFrame | None = None,
    target: str | None = None,
    schema: Schema | None = None,
    seed: int = 0,
) -> Report:
    """Score ``synthetic`` against the ``real`` rows it was trained on.

    ``holdout`` (real rows the model never saw) enables utility and the distance-based privacy
    scores; ``target`` names the column that utility predicts. Large tables are subsampled; the
    report says by how much.
    """
    warnings = _check(real, synthetic, holdout, target)
    schema = schema or detect_schema(real)
    real = real[list(schema.names)]
    synthetic = synthetic[list(schema.names)]
    shapes, pairs = column_shapes(real, synthetic, schema), column_pairs(real, synthetic, schema)
    sizes: dict[str, Any] = {"real": len(real), "synthetic": len(synthetic)}
    scores: dict[str, Any] = {
        "fidelity": {
            "column_shapes": statistics.fmean(shapes.values()) if shapes else None,
            "column_pairs": statistics.fmean(pairs.values()) if pairs else None,
            "per_column": shapes,
            "per_pair": {f"{a} | {b}": v for (a, b), v in pairs.items()},
        },
        "coverage": coverage_scores(real, synthetic, schema),
        "validity": validity_scores(real, synthetic, schema),
    }
    real_rows = _sample(real, MAX_ROWS, seed)
    synthetic_rows = _sample(synthetic, MAX_ROWS, seed)
    detection = detection_auc(real_rows, synthetic_rows, schema, seed)
    scores["detection"] = {"auc": detection["auc"]}
    sizes["detection"] = {"real": detection["rows"], "synthetic": detection["rows"]}
    if holdout is not None:
        holdout = holdout[list(schema.names)]
        warnings += _overlap_warning(real, holdout)
        holdout_rows = _sample(holdout, MAX_ROWS, seed)
        if target is not None:
            if real[target].nunique() < 2:
                warnings.append(f"The target {target!r} is constant; utility was not measured.")
            else:
                utility = utility_scores(
                    real_rows, synthetic_rows, holdout_rows, schema, target, seed
                )
                sizes["utility"] = utility.pop("rows")
                scores["utility"] = utility
    elif target is not None:
        warnings.append("Utility needs a holdout of real rows the model never saw; give one.")
    held_rows = holdout_rows if holdout is not None else None
    privacy = privacy_scores(real_rows, synthetic_rows, held_rows, schema, MAX_QUERIES, seed)
    sizes["privacy"] = privacy.pop("rows")
    distances: dict[str, np.ndarray] = {
        k: privacy.pop(k) for k in ("dcr_train", "dcr_holdout") if k in privacy
    }
    scores["privacy"] = privacy
    if holdout is None:
        warnings.append("Without a holdout, DCR share and membership inference are not measured.")
    if len(real) > MAX_ROWS or len(synthetic) > MAX_ROWS:
        warnings.append(
            f"Large tables were subsampled to {MAX_ROWS:,} rows for detection, utility and "
            f"privacy (privacy searches the nearest real rows of {MAX_QUERIES:,} synthetic rows)."
        )
    return Report(scores, sizes, warnings, schema, real, synthetic, distances)


def _overlap_warning(real: pd.DataFrame, holdout: pd.DataFrame) -> list[str]:
    hashes = pd.util.hash_pandas_object(real, index=False)
    shared = pd.util.hash_pandas_object(holdout, index=False).isin(set(hashes)).mean()
    if shared > 0.05:
        return [
            f"{shared:.0%} of the holdout rows also appear in the real table; a holdout must "
            "be rows the model never saw, or privacy scores will look worse than they are."
        ]
    return []
