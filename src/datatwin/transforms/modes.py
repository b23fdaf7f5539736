"""Mode-specific normalisation (Xu et al. 2019): each number as (its mode, its place in the mode).

A one-dimensional Gaussian mixture is fitted to each continuous column by expectation-maximisation,
vectorised in numpy on at most ``MAX_ROWS`` values (SDV runs scikit-learn's Bayesian mixture
per column, which is what makes its CTGAN and TVAE slow to start). Components that explain less
than ``MIN_WEIGHT`` of the rows are dropped. A value is encoded as the one-hot of a mode drawn
from its responsibilities and ``alpha = (x - mean) / (4 * std)`` in that mode, clipped to (-1, 1).

A component whose spread shrinks to the floor explains one repeated value (the zeros of an amount
column, a common round number): it becomes a *spike*, stored with standard deviation 0, which
encodes as alpha 0 and decodes to exactly that value whatever the alpha. The components start at
distinct values (quantiles of the rows, then of the distinct values where those repeat), so a
value held by most rows cannot take every component: with Adult's ``capital_loss`` (95% zeros)
all ten starting quantiles were 0, the components stayed identical, and the column was learnt as
one wide mode that turned the zeros into amounts.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ModeNormalizer"]

MAX_COMPONENTS = 10
MAX_ROWS = 20_000
MIN_WEIGHT = 0.005
ITERATIONS = 100
FLOOR = 1e-6


class ModeNormalizer:
    """A 1-D Gaussian mixture with encode/decode for one continuous column."""

    def __init__(self, weights: np.ndarray, means: np.ndarray, stds: np.ndarray) -> None:
        self.weights, self.means, self.stds = weights, means, stds

    @property
    def modes(self) -> int:
        return len(self.weights)

    @classmethod
    def fit(cls, values: np.ndarray, rng: np.random.Generator) -> ModeNormalizer:
        """Fit the mixture to the finite ``values`` (a subsample when there are many)."""
        x = values[np.isfinite(values)]
        if len(x) > MAX_ROWS:
            x = rng.choice(x, MAX_ROWS, replace=False)
        if len(x) == 0:
            return cls(np.ones(1), np.zeros(1), np.ones(1))
        spread = float(np.std(x)) or 1.0
        means = _starting_means(x, MAX_COMPONENTS)
        k = len(means)
        stds = np.full(k, spread / k + FLOOR * spread)
        weights = np.full(k, 1.0 / k)
        for _ in range(ITERATIONS):
            resp = _responsibilities(x, weights, means, stds)
            total = resp.sum(axis=0) + 1e-12
            new_means = (resp * x[:, None]).sum(axis=0) / total
            variance = (resp * (x[:, None] - new_means) ** 2).sum(axis=0) / total
            new_stds = np.sqrt(np.maximum(variance, (FLOOR * spread) ** 2))
            weights = total / len(x)
            converged = np.allclose(new_means, means, atol=1e-6 * spread)
            means, stds = new_means, new_stds
            if converged:
                break
        stds = np.where(stds <= FLOOR * spread * (1 + 1e-9), 0.0, stds)  # spikes
        for i in range(k):  # spikes that met on one value become one
            twins = (stds == 0) & (np.abs(means - means[i]) <= FLOOR * spread) & (weights > 0)
            if stds[i] == 0 and weights[i] > 0 and twins.sum() > 1:
                weights[i], weights[twins & (np.arange(k) != i)] = weights[twins].sum(), 0.0
        keep = weights >= MIN_WEIGHT
        return cls(weights[keep] / weights[keep].sum(), means[keep], stds[keep])

    def encode(self, values: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``(alpha, mode)`` for each value (missing values are encoded at the mixture's mean)."""
        x = np.where(np.isfinite(values), values, float(np.dot(self.weights, self.means)))
        resp = _responsibilities(x, self.weights, self.means, self.stds)
        cumulative = np.cumsum(resp, axis=1)
        cumulative /= cumulative[:, -1:]
        draws = rng.random(len(x))[:, None]
        mode = np.minimum((draws > cumulative).sum(axis=1), self.modes - 1)
        scale = 4 * self.stds[mode]
        alpha = np.divide(x - self.means[mode], scale, out=np.zeros(len(x)), where=scale > 0)
        return np.clip(alpha, -0.99, 0.99), mode

    def decode(self, alpha: np.ndarray, mode: np.ndarray) -> np.ndarray:
        """Values from ``alpha`` in [-1, 1] and mode indices."""
        return np.clip(alpha, -1.0, 1.0) * 4 * self.stds[mode] + self.means[mode]


def _starting_means(x: np.ndarray, most: int) -> np.ndarray:
    """Up to ``most`` distinct starting means: quantiles of ``x``, then where they repeat,
    quantiles of its distinct values."""
    distinct = np.unique(x)
    k = min(most, len(distinct))
    at = (np.arange(k) + 0.5) / k
    means = list(np.unique(np.quantile(x, at)))
    for value in np.quantile(distinct, at):
        if len(means) >= k:
            break
        if not np.isclose(means, value).any():
            means.append(float(value))
    return np.sort(np.array(means, dtype=np.float64))


def _responsibilities(
    x: np.ndarray, weights: np.ndarray, means: np.ndarray, stds: np.ndarray
) -> np.ndarray:
    # a spike (std 0) holds its own value only: a width far below any other component's
    stds = np.maximum(stds, 1e-9 * (1.0 + np.abs(means)))
    z = (x[:, None] - means[None, :]) / stds[None, :]
    log = np.log(weights + 1e-300)[None, :] - np.log(stds)[None, :] - 0.5 * z * z
    log -= log.max(axis=1, keepdims=True)
    out = np.exp(log)
    out /= out.sum(axis=1, keepdims=True)
    return out
