"""One-dimensional distributions on the normal scale: the building blocks of copula models.

A continuous column is stored as its empirical quantile function on a grid of normal scores
(linear interpolation between grid points smooths it); a discrete column as the probabilities of its
levels in some order, which cut the normal line into intervals.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

__all__ = [
    "bin_edges",
    "discrete_scores",
    "hermite_coefficients",
    "inverse_lookup",
    "quantile_grid",
    "quantile_lookup",
    "ranked_scores",
]

EDGE = 38.0  # |z| beyond which the normal density is 0 in double precision


def ranked_scores(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Normal scores of ``values`` by rank, ties broken at random; NaN stays NaN."""
    out = np.full(len(values), np.nan)
    present = np.flatnonzero(~np.isnan(values))
    if len(present) == 0:
        return out
    order = np.lexsort((rng.random(len(present)), values[present]))
    ranks = np.empty(len(present))
    ranks[order] = np.arange(len(present))
    out[present] = ndtri((ranks + 0.5) / len(present))
    return out


def quantile_grid(values: np.ndarray, size: int) -> np.ndarray:
    """The empirical quantile function of finite ``values`` at ``size`` evenly spaced normal scores.

    The scores run from that of the smallest value to that of the largest, so the grid holds the
    real minimum and maximum; :func:`quantile_lookup` interpolates linearly between grid points.
    """
    ordered = np.sort(values)
    n = len(ordered)
    edge = -ndtri(0.5 / n) if n > 1 else 0.0
    z = np.linspace(-edge, edge, size)
    positions = ndtr(z) * n - 0.5
    return np.interp(positions, np.arange(n), ordered)


def quantile_lookup(z: np.ndarray, quantiles: np.ndarray, edge: float) -> np.ndarray:
    """Values at normal scores ``z`` from a :func:`quantile_grid` spanning ``[-edge, edge]``."""
    size = len(quantiles)
    if size == 1 or edge <= 0:
        return np.full(len(z), quantiles[0])
    position = (np.clip(z, -edge, edge) + edge) * ((size - 1) / (2 * edge))
    index = np.minimum(position.astype(np.intp), size - 2)
    position -= index
    low = quantiles[index]
    return low + (quantiles[index + 1] - low) * position


def bin_edges(probabilities: np.ndarray) -> np.ndarray:
    """The normal-scale edges of intervals with the given probabilities (``len + 1`` edges)."""
    cumulative = np.concatenate([[0.0], np.cumsum(probabilities)])
    cumulative = np.clip(cumulative / cumulative[-1], 0.0, 1.0)
    return np.clip(ndtri(cumulative), -EDGE, EDGE)


def discrete_scores(
    codes: np.ndarray, position: np.ndarray, probabilities: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Normal scores drawn uniformly (on the probability scale) inside each code's interval.

    ``position[code]`` is the code's place in the order and ``probabilities`` are in that order.
    """
    cumulative = np.concatenate([[0.0], np.cumsum(probabilities)])
    cumulative /= cumulative[-1]
    place = position[codes]
    low, high = cumulative[place], cumulative[place + 1]
    u = low + (high - low) * rng.random(len(codes))
    return np.clip(ndtri(np.clip(u, 1e-300, 1 - 1e-16)), -EDGE, EDGE)


def hermite_coefficients(edges: np.ndarray, order: int) -> np.ndarray:
    """``E[g(Z) He_k(Z)]`` for k = 1..order, where g(z) is the mean of Z over z's interval.

    These give the covariance of two binned normal scores as a power series in the latent
    correlation (Mehler's formula), which lets a copula recover the correlation that ties hide.
    """
    edges = np.clip(edges, -EDGE, EDGE)
    lo, hi = edges[:-1], edges[1:]
    p = ndtr(hi) - ndtr(lo)
    density_lo, density_hi = np.exp(-0.5 * lo**2), np.exp(-0.5 * hi**2)
    density_lo /= np.sqrt(2 * np.pi)
    density_hi /= np.sqrt(2 * np.pi)
    keep = p > 0
    means = np.zeros_like(p)
    means[keep] = (density_lo[keep] - density_hi[keep]) / p[keep]
    coefficients = np.empty(order)
    he_prev_lo, he_prev_hi = np.zeros_like(lo), np.zeros_like(hi)  # He_{-1}
    he_lo, he_hi = np.ones_like(lo), np.ones_like(hi)  # He_0
    for k in range(1, order + 1):
        coefficients[k - 1] = np.sum(means * (he_lo * density_lo - he_hi * density_hi))
        he_lo, he_prev_lo = lo * he_lo - (k - 1) * he_prev_lo, he_lo
        he_hi, he_prev_hi = hi * he_hi - (k - 1) * he_prev_hi, he_hi
    return coefficients


def inverse_lookup(values: np.ndarray, at: np.ndarray, value: float, side: str) -> float:
    """Where a piecewise-linear, non-decreasing function (``values`` at points ``at``) reaches
    ``value``: an end of the set of points whose value lies in a range.

    ``side="left"`` gives the lowest point whose value is at least ``value`` (minus infinity when
    every value is), ``"right"`` the highest whose value is at most it (plus infinity when every
    value is). Callers check first that ``value`` is not beyond the other end.
    """
    if side == "left":
        if value <= values[0]:
            return -np.inf
        i = int(np.searchsorted(values, value, side="left"))
    else:
        if value >= values[-1]:
            return np.inf
        i = int(np.searchsorted(values, value, side="right"))
    low, high = values[i - 1], values[i]
    share = (value - low) / (high - low) if high > low else 0.0
    return float(at[i - 1] + share * (at[i] - at[i - 1]))
