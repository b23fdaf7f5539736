"""Column shapes: how alike each column's real and synthetic distributions are.

The definition follows SDMetrics' Column Shapes, so that figures compare: 1 - the Kolmogorov-Smirnov
statistic for numbers and dates, 1 - the total variation distance for categories (missing values
left out in both cases, as SDMetrics does).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from datatwin.schema.columns import Schema
from datatwin.schema.detect import detect_schema
from datatwin.transforms.codecs import DatetimeCodec

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


def column_shape(
    real: pd.Series, synthetic: pd.Series, kind: str, codec: DatetimeCodec | None = None
) -> float | None:
    """The similarity in [0, 1] of one column, or ``None`` when the kind has no shape score."""
    if kind in CONTINUOUS:
        if codec is not None:
            a, b = codec.as_floats(real), codec.as_floats(synthetic)
        else:
            a = real.to_numpy(dtype=np.float64, na_value=np.nan)
            b = synthetic.to_numpy(dtype=np.float64, na_value=np.nan)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        if len(a) == 0 or len(b) == 0:
            return None
        return _ks_similarity(a, b)
    if kind in DISCRETE:
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
        codec = DatetimeCodec(column) if column.kind == "datetime" else None
        score = column_shape(real[column.name], synthetic[column.name], column.kind, codec)
        if score is not None:
            scores[column.name] = score
    return scores
