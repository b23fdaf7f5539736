"""What the copula model learns: marginals, dependence, categories and missingness."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import datatwin as dt
from datatwin.evaluate import column_shapes
from datatwin.models.correlation import latent_correlation, nearest_correlation
from datatwin.transforms.marginals import bin_edges, hermite_coefficients


def test_marginals_follow_the_data_closely(adult: pd.DataFrame) -> None:
    synthetic = dt.synthesizer("copula", seed=0).fit(adult).sample(len(adult), seed=1)
    scores = column_shapes(adult, synthetic)
    assert min(scores.values()) > 0.97
    assert np.mean(list(scores.values())) > 0.985


def test_numeric_correlation_is_kept() -> None:
    rng = np.random.default_rng(0)
    x = rng.gamma(2.0, 3.0, 5000)
    y = np.exp(0.3 * x + rng.normal(0, 0.5, 5000))
    real = pd.DataFrame({"x": x, "y": y})
    out = dt.synthesizer("copula", seed=0).fit(real).sample(5000, seed=0)
    real_rho = real.corr(method="spearman").iloc[0, 1]
    assert out.corr(method="spearman").iloc[0, 1] == pytest.approx(real_rho, abs=0.03)


def test_dependence_between_categories_is_kept() -> None:
    rng = np.random.default_rng(1)
    n = 6000
    region = rng.choice(["north", "south", "east", "west", "centre"], n)
    favourite = {"north": "ski", "south": "surf", "east": "hike", "west": "surf", "centre": "run"}
    sport = np.where(rng.random(n) < 0.8, pd.Series(region).map(favourite), "chess")
    real = pd.DataFrame({"region": region, "sport": sport})
    out = dt.synthesizer("copula", seed=0).fit(real).sample(n, seed=0)
    real_table = pd.crosstab(real.region, real.sport, normalize=True)
    out_table = pd.crosstab(out.region, out.sport, normalize=True)
    similarity = 1 - 0.5 * real_table.subtract(out_table, fill_value=0).abs().to_numpy().sum()
    frequency_only = dt.synthesizer("copula", seed=0, category_order="frequency").fit(real)
    baseline = pd.crosstab(*frequency_only.sample(n, seed=0).T.to_numpy(), normalize=True)
    base_similarity = 1 - 0.5 * real_table.subtract(baseline, fill_value=0).abs().to_numpy().sum()
    independent = pd.crosstab(real.region, real.sport, normalize="index").mean().to_numpy()
    baseline_independent = (
        1
        - 0.5 * np.abs(real_table.to_numpy() - np.outer(real_table.sum(axis=1), independent)).sum()
    )
    assert similarity > baseline_independent + 0.1
    assert similarity > base_similarity


def test_missingness_depends_on_other_columns() -> None:
    rng = np.random.default_rng(2)
    n = 6000
    age = rng.integers(18, 90, n).astype(float)
    income = rng.lognormal(10, 0.5, n)
    income[(age > 65) & (rng.random(n) < 0.8)] = np.nan  # retirees rarely answer
    real = pd.DataFrame({"age": age, "income": income})
    out = dt.synthesizer("copula", seed=0).fit(real).sample(n, seed=0)
    old, young = out[out.age > 70], out[out.age < 50]
    assert old.income.isna().mean() > 0.5
    assert young.income.isna().mean() < 0.1
    assert out.income.isna().mean() == pytest.approx(real.income.isna().mean(), abs=0.03)


def test_latent_correlation_recovers_a_binned_normal() -> None:
    rng = np.random.default_rng(3)
    rho, n = 0.6, 100_000
    z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], n)
    p1, p2 = np.array([0.2, 0.5, 0.3]), np.array([0.9, 0.1])
    e1, e2 = bin_edges(p1), bin_edges(p2)
    b1 = np.searchsorted(e1[1:-1], z[:, 0])
    b2 = np.searchsorted(e2[1:-1], z[:, 1])
    # the covariance of the bins' mean scores, which is what the copula observes
    g1 = np.array([_mean_in(e1[i], e1[i + 1]) for i in range(3)])[b1]
    g2 = np.array([_mean_in(e2[i], e2[i + 1]) for i in range(2)])[b2]
    observed = np.cov(g1, g2)[0, 1]
    coefficients = np.vstack([hermite_coefficients(e1, 12), hermite_coefficients(e2, 12)])
    latent = latent_correlation(np.array([[1, observed], [observed, 1]]), coefficients)
    assert latent[0, 1] == pytest.approx(rho, abs=0.02)


def _mean_in(low: float, high: float) -> float:
    from scipy.stats import norm

    return float((norm.pdf(low) - norm.pdf(high)) / (norm.cdf(high) - norm.cdf(low)))


def test_nearest_correlation_is_positive_definite() -> None:
    bad = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    fixed = nearest_correlation(bad)
    assert np.all(np.linalg.eigvalsh(fixed) > 0)
    assert np.allclose(np.diag(fixed), 1.0)
    np.linalg.cholesky(fixed)


def test_rare_categories_survive_and_keep_their_frequency() -> None:
    values = ["common"] * 5000 + ["rare"] * 50 + ["unique"]
    real = pd.DataFrame({"c": values, "x": np.arange(len(values), dtype=float)})
    out = dt.synthesizer("copula", seed=0).fit(real).sample(50_000, seed=0)
    share = out.c.value_counts(normalize=True)
    assert share["rare"] == pytest.approx(50 / 5051, rel=0.3)
    assert set(out.c) <= set(values)
