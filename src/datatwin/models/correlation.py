"""The latent correlation matrix of a Gaussian copula, estimated from tied and missing data."""

from __future__ import annotations

from math import factorial

import numpy as np

__all__ = ["latent_correlation", "nearest_correlation", "pairwise_correlation"]

HERMITE_ORDER = 12
GRID = np.linspace(-1.0, 1.0, 4001)


def pairwise_correlation(z: np.ndarray) -> np.ndarray:
    """Pearson correlations of the columns of ``z``, each pair over the rows where both exist."""
    observed = ~np.isnan(z)
    values = np.where(observed, z, 0.0)
    mask = observed.astype(np.float64)
    count = np.maximum(mask.T @ mask, 1.0)
    sums = values.T @ mask  # [i, j]: sum of column i over rows where j is present
    squares = (values**2).T @ mask
    products = values.T @ values
    mean_i, mean_j = sums / count, sums.T / count
    cov = products / count - mean_i * mean_j
    var_i = np.maximum(squares / count - mean_i**2, 0.0)
    var_j = var_i.T
    scale = np.sqrt(var_i * var_j)
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(scale > 1e-12, cov / scale, 0.0)
    np.fill_diagonal(corr, 1.0)
    return np.clip(corr, -1.0, 1.0)


def latent_correlation(observed: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """The latent correlations that reproduce the ``observed`` correlations of binned scores.

    ``coefficients[i]`` holds the Hermite coefficients of column i's binning (see
    :func:`datatwin.transforms.marginals.hermite_coefficients`); the covariance of two binned scores
    is ``sum_k rho**k a_k b_k / k!``, which increases with rho, so each pair is solved on a grid.
    """
    d = observed.shape[0]
    weights = coefficients / np.sqrt([factorial(k) for k in range(1, coefficients.shape[1] + 1)])
    powers = GRID[:, None] ** np.arange(1, coefficients.shape[1] + 1)[None, :]
    latent = np.eye(d)
    strength = np.sum(weights**2, axis=1)  # variance explained by the binned score
    for i in range(d):
        for j in range(i + 1, d):
            if strength[i] < 1e-9 or strength[j] < 1e-9:
                continue
            curve = np.maximum.accumulate(powers @ (weights[i] * weights[j]))
            latent[i, j] = latent[j, i] = np.interp(observed[i, j], curve, GRID)
    return latent


def nearest_correlation(matrix: np.ndarray, floor: float = 1e-4) -> np.ndarray:
    """A positive definite correlation matrix near ``matrix`` (eigenvalues clipped at ``floor``)."""
    symmetric = (matrix + matrix.T) / 2
    values, vectors = np.linalg.eigh(symmetric)
    if values.min() >= floor:
        return symmetric
    clipped = (vectors * np.maximum(values, floor)) @ vectors.T
    scale = np.sqrt(np.diag(clipped))
    fixed = clipped / np.outer(scale, scale)
    np.fill_diagonal(fixed, 1.0)
    return fixed
