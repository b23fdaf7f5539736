"""Column pair trends: how alike the dependence between each pair of columns is.

As in SDMetrics' Column Pair Trends, so that figures compare: two numeric (or date) columns score
1 - |r_real - r_synthetic| / 2 with Pearson's r; any other pair scores 1 - the total variation
distance between the real and synthetic contingency tables, numbers cut into the ten equal-width
bins of the real column's range (missing values are a category of their own).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from datatwin.evaluate.values import as_numbers
from datatwin.schema.columns import Schema
from datatwin.schema.detect import detect_schema

__all__ = ["column_pairs"]

CONTINUOUS = ("numeric", "datetime")
DISCRETE = ("categorical", "boolean")
BINS = 10


def _binned(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Real and synthetic numbers as codes of the real range's equal-width bins (-1: missing)."""
    finite = a[np.isfinite(a)]
    if len(finite):  # lo*(1-t) + hi*t: no overflow for ranges near the float limit
        t = np.linspace(0.0, 1.0, BINS + 1)[1:-1]
        inner = np.unique(finite.min() * (1 - t) + finite.max() * t)  # one bin if all are equal
    else:
        inner = np.empty(0)
    code_a = np.where(np.isnan(a), -1, np.searchsorted(inner, a, side="right"))
    code_b = np.where(np.isnan(b), -1, np.searchsorted(inner, b, side="right"))
    return code_a, code_b


def _factorized(real: pd.Series, synthetic: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Both columns as integer codes over the same categories (-1: missing)."""
    joined = pd.concat([real.astype(object), synthetic.astype(object)], ignore_index=True)
    codes = pd.factorize(joined, use_na_sentinel=True)[0]
    return codes[: len(real)], codes[len(real) :]


def _contingency(a1: np.ndarray, a2: np.ndarray, b1: np.ndarray, b2: np.ndarray) -> float:
    width = int(max(a2.max(initial=0), b2.max(initial=0))) + 2
    key_a, key_b = (a1 + 1) * width + (a2 + 1), (b1 + 1) * width + (b2 + 1)
    size = int(max(key_a.max(initial=0), key_b.max(initial=0))) + 1
    p = np.bincount(key_a, minlength=size) / len(key_a)
    q = np.bincount(key_b, minlength=size) / len(key_b)
    return float(1.0 - 0.5 * np.abs(p - q).sum())


def _correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    both = ~(np.isnan(x) | np.isnan(y))
    if both.sum() < 2 or np.std(x[both]) == 0 or np.std(y[both]) == 0:
        return None
    return float(np.corrcoef(x[both], y[both])[0, 1])


def column_pairs(
    real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema | None = None
) -> dict[tuple[str, str], float]:
    """The trend similarity in [0, 1] of every pair of modelled columns."""
    schema = schema or detect_schema(real)
    usable = [c for c in schema if c.kind in CONTINUOUS + DISCRETE]
    numbers = {
        c.name: (as_numbers(real[c.name], c), as_numbers(synthetic[c.name], c))
        for c in usable
        if c.kind in CONTINUOUS
    }
    codes = {
        c.name: _binned(*numbers[c.name])
        if c.name in numbers
        else _factorized(real[c.name], synthetic[c.name])
        for c in usable
    }
    scores: dict[tuple[str, str], float] = {}
    for first, second in combinations(usable, 2):
        if first.name in numbers and second.name in numbers:
            (x_real, x_syn), (y_real, y_syn) = numbers[first.name], numbers[second.name]
            r_real, r_syn = _correlation(x_real, y_real), _correlation(x_syn, y_syn)
            if r_real is not None and r_syn is not None:
                scores[(first.name, second.name)] = 1.0 - abs(r_real - r_syn) / 2
            continue
        (a1, b1), (a2, b2) = codes[first.name], codes[second.name]
        scores[(first.name, second.name)] = _contingency(a1, a2, b1, b2)
    return scores
