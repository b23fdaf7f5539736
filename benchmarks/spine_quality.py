"""bench_spine's scores: SDMetrics' QualityReport, datatwin's cross-check and a detection AUC.

Also the names the benchmark's modules share (seeds, the peer's name, the fatal stages).
"""

from __future__ import annotations

import statistics
from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SDV = "sdv_gaussian_copula"
SEED = 0
SAMPLE_SEED = 1
DETECTION_ROWS = 20_000
DETECTION_FOLDS = 5
MAX_NATIVE_CATEGORIES = 255  # HistGradientBoosting's limit for a native categorical feature
PLAIN_SDTYPES = {"numerical", "categorical", "datetime", "boolean"}
FATAL = ("worker", "load", "model", "fit", "sample")  # stages after which nothing is measured
Result = dict[str, Any]


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
