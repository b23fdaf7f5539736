"""Column shapes: how alike each column's real and synthetic distributions are.

The definition follows SDMetrics' Column Shapes, so that figures compare: 1 - the Kolmogorov-Smirnov
statistic for numbers and dates, 1 - the total variation distance for categories (missing values
left out in both cases, as SDMetrics does).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from datatwin.evaluate.values import as_numbers
from datatwin.schema.columns import Column, Schema
from datatwin.schema.detect import detect_schema

__all__ = ["column_shape", "column_shapes"]

CONTINUOUS = ("numeric", "datetime")
DISCRETE = ("categorical", "boolean", "constant")


def _ks_similarity(real: np.ndarray, synthetic: np.ndarray) -> float:
    real, synthetic = np.sort(real), np.sort(synthetic)
    points = np.concatenate([real, synthetic])
    cdf_real = np.searchsorted(real, points, side="right") / len(real)
    cdf_synthetic = np.searchsorted(synthetic, points, side="right") / len(synthetic)
    return float(1.0 - np.max(np.abs(cdf_real - cdf_synthetic)))


def _tv_similarity(real: pd.Series, synthetic: pd.Series) -> float:
    p = real.astype(object).value_counts(normalize=True)
    q = synthetic.astype(object).value_counts(normalize=True)
    keys = p.index.union(q.index)
    a = p.reindex(keys, fill_value=0.0).to_numpy(dtype=np.float64)
    b = q.reindex(keys, fill_value=0.0).to_numpy(dtype=np.float64)
    return float(1.0 - 0.5 * np.abs(a - b).sum())


def column_shape(real: pd.Series, synthetic: pd.Series, column: Column) -> float | None:
    """The similarity in [0, 1] of one column, or ``None`` when its kind has no shape score."""
    if column.kind in CONTINUOUS:
        a, b = as_numbers(real, column), as_numbers(synthetic, column)
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
        if len(a) == 0 or len(b) == 0:
            return None
        return _ks_similarity(a, b)
    if column.kind in DISCRETE:
        real, synthetic = real.dropna(), synthetic.dropna()
        if len(real) == 0 or len(synthetic) == 0:
            return None
        return _tv_similarity(real, synthetic)
    return None


def column_shapes(
    real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema | None = None
) -> dict[str, float]:
    """The shape similarity of every column that has one, by column name."""
    schema = schema or detect_schema(real)
    scores = {}
    for column in schema:
        score = column_shape(real[column.name], synthetic[column.name], column)
        if score is not None:
            scores[column.name] = score
    return scores
