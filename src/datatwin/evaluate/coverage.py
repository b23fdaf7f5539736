"""Coverage and validity: does the synthetic table span the real one, and only what is allowed?"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from datatwin.evaluate.values import as_numbers
from datatwin.schema.columns import Column, Schema

__all__ = ["coverage_scores", "validity_scores"]

CONTINUOUS = ("numeric", "datetime")
DISCRETE = ("categorical", "boolean", "constant")
RARE = 0.05  # a category rarer than this share of real rows is rare


def _mean(values: list[float]) -> float | None:
    return float(np.mean(values)) if values else None


def coverage_scores(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema) -> dict[str, Any]:
    """Shares of real categories and ranges that the synthetic table covers; missing-rate gaps."""
    categories, rare, ranges = [], [], []
    missing: dict[str, float] = {}
    for column in schema:
        a, b = real[column.name], synthetic[column.name]
        missing[column.name] = float(abs(a.isna().mean() - b.isna().mean())) if len(b) else 0.0
        if column.kind in DISCRETE:
            shares = a.dropna().astype(object).value_counts(normalize=True)
            if len(shares) == 0:
                continue
            seen = set(b.dropna().astype(object))
            categories.append(float(np.mean([v in seen for v in shares.index])))
            rare_levels = shares.index[shares < RARE]
            if len(rare_levels):
                rare.append(float(np.mean([v in seen for v in rare_levels])))
        elif column.kind in CONTINUOUS:
            x, y = as_numbers(a, column), as_numbers(b, column)
            x, y = x[~np.isnan(x)], y[~np.isnan(y)]
            if len(x) == 0 or len(y) == 0:
                continue
            low, high = x.min(), x.max()
            if high == low:
                ranges.append(1.0 if np.any(y == low) else 0.0)
                continue
            overlap = max(0.0, min(high, y.max()) - max(low, y.min()))
            ranges.append(float(overlap / (high - low)))
    return {
        "categories": _mean(categories),
        "rare_categories": _mean(rare),
        "range": _mean(ranges),
        "missing_rate_difference": _mean(list(missing.values())),
        "missing_rate_difference_per_column": missing,
    }


def _wrong_values(series: pd.Series, column: Column) -> float:
    """Share of present values that do not fit the column's kind."""
    present = series.dropna()
    if len(present) == 0:
        return 0.0
    if column.kind == "datetime":
        return float(np.mean(np.isnan(as_numbers(present, column))))
    if column.kind == "numeric":
        numbers = pd.to_numeric(present, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        wrong = np.isnan(numbers)
        if column.integer:
            finite = np.isfinite(numbers)
            wrong |= finite & (numbers != np.round(numbers))
        return float(np.mean(wrong))
    return 0.0


def validity_scores(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema) -> dict[str, Any]:
    """Shares of synthetic values that break what the real table allows (0 = none)."""
    bounds, unseen, wrong, keys, dtypes = [], [], [], [], []
    for column in schema:
        a, b = real[column.name], synthetic[column.name]
        dtypes.append(float(str(a.dtype) != str(b.dtype)))
        wrong.append(_wrong_values(b, column))
        if column.kind in CONTINUOUS:
            x, y = as_numbers(a, column), as_numbers(b, column)
            x, y = x[~np.isnan(x)], y[~np.isnan(y)]
            if len(x) and len(y):
                bounds.append(float(np.mean((y < x.min()) | (y > x.max()))))
        elif column.kind in DISCRETE:
            present = b.dropna().astype(object)
            if len(present):
                unseen.append(float(np.mean(~present.isin(set(a.dropna().astype(object))))))
        elif column.kind == "id":
            present = b.dropna()
            if len(present):
                keys.append(float(present.astype(object).duplicated().mean()))
    out = {
        "out_of_bounds": _mean(bounds) or 0.0,
        "unseen_categories": _mean(unseen) or 0.0,
        "wrong_types": _mean(wrong) or 0.0,
        "changed_dtypes": _mean(dtypes) or 0.0,
        "duplicate_keys": _mean(keys) or 0.0,
    }
    out["score"] = 1.0 - float(np.mean(list(out.values())))
    return out
