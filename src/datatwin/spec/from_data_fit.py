"""Numeric marginals for :mod:`datatwin.spec.from_data`: fitted distributions or histograms.

A column's values are fitted by maximum likelihood to a few families; the family with the lowest
AIC among those whose Kolmogorov-Smirnov distance to the data is small enough is kept. When none
fits, the column becomes a histogram: a ``mixture`` of ``uniform`` bins with rounded edges (and
``empirical`` spikes for values shared by many rows), each bin holding at least ``min_count`` real
rows, so that no single row's value can be read off the spec.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = ["fit_numeric", "round_outward", "significant"]

Array = npt.NDArray[np.float64]
FIT_SAMPLE = 5_000  # values used to fit (a seeded subsample of larger columns)
SPIKE_SHARE = 0.05  # a value held by this share of rows becomes a spike of its own


def significant(value: float, digits: int = 4) -> float:
    """``value`` rounded to ``digits`` significant digits (for parameters)."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(round(value, digits - 1 - math.floor(math.log10(abs(value)))))


def round_outward(value: float, up: bool, digits: int = 2) -> float | int:
    """``value`` rounded away from the data's inside to ``digits`` significant digits, so that
    a real minimum or maximum (one person's value) is not written as it is."""
    if value == 0 or not math.isfinite(value):
        return _plain(value)
    step = 10.0 ** (math.floor(math.log10(abs(value))) - digits + 1)
    scaled = value / step
    out = (math.ceil(scaled - 1e-9) if up else math.floor(scaled + 1e-9)) * step
    return _plain(round(out, max(0, -math.floor(math.log10(step)))))


def _plain(value: float) -> float | int:
    value = float(value)
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def fit_numeric(
    values: Array,
    integer: bool,
    *,
    min_count: int,
    ks_threshold: float,
    max_bins: int,
    rng: np.random.Generator,
) -> dict[str, Any]:
    """The spec keys (``distribution`` and its parameters, ``min``, ``max``) of a numeric column
    from its finite values; a histogram when no family fits."""
    low, high = round_outward(float(values.min()), False), round_outward(float(values.max()), True)
    sample = values if len(values) <= FIT_SAMPLE else rng.choice(values, FIT_SAMPLE, replace=False)
    # whole numbers are spread over their unit interval for the continuous families
    smooth = sample + rng.uniform(-0.5, 0.5, len(sample)) if integer else sample
    best: tuple[float, dict[str, Any]] | None = None
    for params, frozen, discrete in _candidates(sample, integer, float(low), float(high)):
        if discrete:
            grid = np.arange(sample.min(), sample.max() + 1)
            ecdf = np.searchsorted(np.sort(sample), grid, side="right") / len(sample)
            ks = float(np.max(np.abs(ecdf - frozen.cdf(grid))))
            loglik = float(np.sum(frozen.logpmf(sample)))
        else:
            ks = float(stats.kstest(smooth, frozen.cdf).statistic)
            loglik = float(np.sum(frozen.logpdf(smooth)))
        if ks > ks_threshold or not math.isfinite(loglik):
            continue
        aic = 2 * (len(params) - 1) - 2 * loglik
        if best is None or aic < best[0] - 2:  # a later (less plain) family must do clearly better
            best = (aic, params)
    if best is not None:
        return {**best[1], "min": low, "max": high}
    return histogram(values, integer, float(low), float(high), min_count, max_bins)


def _candidates(
    x: Array, integer: bool, low: float, high: float
) -> list[tuple[dict[str, Any], Any, bool]]:
    """(spec parameters, frozen scipy distribution, discrete) for each family that applies."""
    out: list[tuple[dict[str, Any], Any, bool]] = []
    mean, sd = float(x.mean()), float(x.std())
    if sd > 0:
        p = {"distribution": "normal", "mean": significant(mean), "sd": significant(sd)}
        out.append((p, stats.norm(p["mean"], p["sd"]), False))
    if high > low:
        p = {"distribution": "uniform", "low": _plain(low), "high": _plain(high)}
        out.append((p, stats.uniform(low, high - low), False))
    if x.min() > 0:
        logs = np.log(x)
        if logs.std() > 0:
            mu, sigma = significant(float(logs.mean())), significant(float(logs.std()))
            p = {"distribution": "lognormal", "mu": mu, "sigma": sigma}
            out.append((p, stats.lognorm(sigma, scale=math.exp(mu)), False))
        if sd > 0:
            shape, _, scale = stats.gamma.fit(x, floc=0)
            p = {"distribution": "gamma", "shape": significant(shape), "scale": significant(scale)}
            out.append((p, stats.gamma(p["shape"], scale=p["scale"]), False))
    if x.min() >= 0 and mean > 0:
        p = {"distribution": "exponential", "scale": significant(mean)}
        out.append((p, stats.expon(scale=p["scale"]), False))
        if integer:
            p = {"distribution": "poisson", "lam": significant(mean)}
            out.append((p, stats.poisson(p["lam"]), True))
    return out


def histogram(
    values: Array, integer: bool, low: float, high: float, min_count: int, max_bins: int
) -> dict[str, Any]:
    """A ``mixture`` of uniform bins (and spikes): every bin holds >= ``min_count`` rows."""
    n = len(values)
    uniques, counts = np.unique(values, return_counts=True)
    spiky = (counts >= max(min_count, SPIKE_SHARE * n)) & (counts < n)
    components: list[dict[str, Any]] = [
        {"distribution": "empirical", "values": [_plain(v)], "weight": significant(c / n)}
        for v, c in zip(uniques[spiky], counts[spiky], strict=True)
    ]
    if spiky.all():
        return {"distribution": "mixture", "components": components}
    rest = values[~np.isin(values, uniques[spiky])]
    tails = [0.002, 0.005, 0.01, 0.02, 0.98, 0.99, 0.995, 0.998]  # finer bins in the tails
    probs = np.union1d(np.linspace(0, 1, max_bins + 1)[1:-1], tails)
    inner = np.array([significant(float(e), 2) for e in np.quantile(rest, probs)])
    if integer:
        inner = np.round(inner) - 0.5
    shift = 0.5 if integer else 0.0
    edges = np.unique(np.concatenate([[low - shift], inner, [high + shift]]))
    edges = edges[(edges >= low - shift) & (edges <= high + shift)]
    bins = list(np.histogram(rest, edges)[0])
    cuts = list(edges)
    while len(bins) > 1 and min(bins) < min_count:  # merge the smallest bin into a neighbour
        k = int(np.argmin(bins))
        j = k + 1 if k == 0 or (k + 1 < len(bins) and bins[k + 1] < bins[k - 1]) else k - 1
        bins[min(j, k)] = bins[j] + bins[k]
        del bins[max(j, k)]
        del cuts[max(j, k)]
    for count, start, end in zip(bins, cuts[:-1], cuts[1:], strict=True):
        if count > 0:
            components.append(
                {
                    "distribution": "uniform",
                    "low": _plain(round(float(start), 10)),
                    "high": _plain(round(float(end), 10)),
                    "weight": significant(count / n),
                }
            )
    return {"distribution": "mixture", "components": components}
