"""What the adversarial random forest learns: dependence, gaps, bounds, spikes, and no copies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import datatwin as dt
from datatwin.models.forest import TreeShape, tree_regions, truncated_normal


def arf(**params: object) -> dt.Synthesizer:
    return dt.synthesizer("arf", seed=0, threads=1, **params)


@pytest.fixture(scope="module")
def numbers() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 3000
    x = rng.gamma(2.0, 3.0, n)
    y = np.exp(0.3 * x + rng.normal(0, 0.4, n))
    z = rng.normal(50, 10, n)
    z[x > 8] = np.nan  # missing where x is large
    return pd.DataFrame({"x": x, "y": y, "z": z})


def test_numeric_dependence_and_bounds_are_kept(numbers: pd.DataFrame) -> None:
    out = arf().fit(numbers).sample(len(numbers), seed=1)
    real_rho = numbers["x"].corr(numbers["y"], method="spearman")
    assert out["x"].corr(out["y"], method="spearman") == pytest.approx(real_rho, abs=0.05)
    for column in numbers:
        assert out[column].min() >= numbers[column].min()
        assert out[column].max() <= numbers[column].max()


def test_missing_values_keep_their_rate_and_where_they_fall(numbers: pd.DataFrame) -> None:
    out = arf().fit(numbers).sample(len(numbers), seed=2)
    assert out["z"].isna().mean() == pytest.approx(numbers["z"].isna().mean(), abs=0.03)
    # gaps stay where x is large, as in the real table
    assert out.loc[out["x"] < 6, "z"].isna().mean() < 0.05
    assert out.loc[out["x"] > 10, "z"].isna().mean() > 0.9


def test_dependence_between_categories_and_numbers_is_kept() -> None:
    rng = np.random.default_rng(1)
    n = 4000
    region = rng.choice(["north", "south", "east", "west"], n)
    favourite = {"north": "ski", "south": "surf", "east": "hike", "west": "surf"}
    sport = np.where(rng.random(n) < 0.85, pd.Series(region).map(favourite), "chess")
    height = np.where(region == "north", 190.0, 170.0) + rng.normal(0, 4, n)
    real = pd.DataFrame({"region": region, "sport": sport, "height": height})
    out = arf().fit(real).sample(n, seed=0)
    real_table = pd.crosstab(real.region, real.sport, normalize=True)
    out_table = pd.crosstab(out.region, out.sport, normalize=True)
    distance = 0.5 * real_table.subtract(out_table, fill_value=0).abs().to_numpy().sum()
    assert distance < 0.05
    means = out.groupby("region")["height"].mean()
    assert means["north"] == pytest.approx(190, abs=1.5)
    assert means["south"] == pytest.approx(170, abs=1.5)


def test_frequent_exact_values_stay_exact() -> None:
    rng = np.random.default_rng(3)
    n = 3000
    gain = np.where(rng.random(n) < 0.8, 0.0, rng.lognormal(8, 1, n))
    real = pd.DataFrame({"gain": gain, "age": rng.normal(40, 12, n)})
    out = arf().fit(real).sample(n, seed=0)
    assert (out["gain"] == 0).mean() == pytest.approx(0.8, abs=0.03)
    assert out.loc[out["gain"] > 0, "gain"].median() == pytest.approx(
        np.median(gain[gain > 0]), rel=0.2
    )


def test_no_sampled_row_copies_a_real_row(numbers: pd.DataFrame) -> None:
    out = arf(min_node_size=5).fit(numbers).sample(len(numbers), seed=3)
    real_rows = set(numbers.round(9).itertuples(index=False))
    assert not any(row in real_rows for row in out.round(9).itertuples(index=False))
    # no value of x (continuous, no repeats) is copied either
    assert not set(out["x"]) & set(numbers["x"])


def test_same_seed_same_rows_and_files_round_trip(numbers: pd.DataFrame, tmp_path: Path) -> None:
    model = arf(trees=8).fit(numbers)
    again = arf(trees=8).fit(numbers)
    pdt.assert_frame_equal(model.sample(500, seed=4), again.sample(500, seed=4))
    model.save(tmp_path / "arf.dtw")
    loaded = dt.load(tmp_path / "arf.dtw")
    pdt.assert_frame_equal(loaded.sample(500, seed=4), model.sample(500, seed=4))
    assert loaded.accuracy_ == model.accuracy_


def test_the_adversarial_loop_brings_the_forest_near_chance(numbers: pd.DataFrame) -> None:
    model = arf().fit(numbers)
    assert model.accuracy_[0] > 0.6  # the product of marginals is easy to tell apart
    assert min(model.accuracy_) < 0.6


def test_every_region_learns_from_enough_real_rows() -> None:
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(5)
    x = rng.normal(size=(2000, 3)).astype(np.float32)
    y = (x[:, 0] + rng.normal(0, 1, 2000) > 0).astype(int)
    forest = RandomForestClassifier(n_estimators=3, min_samples_leaf=1, random_state=0).fit(x, y)
    leaves = forest.apply(x)
    for t, tree in enumerate(forest.estimators_):
        regions = tree_regions(TreeShape.of(tree), leaves[:, t], 25)
        learned = np.bincount(regions.region, minlength=len(regions.nodes))
        assert learned.min() >= 25
        assert regions.weights.sum() == len(x)  # every real row is described exactly once


def test_truncated_normal_stays_in_its_box_even_far_in_the_tails() -> None:
    rng = np.random.default_rng(6)
    n = 10_000
    mean = np.zeros(n)
    sd = np.where(np.arange(n) % 3 == 0, 0.0, 1.0)
    low = np.where(np.arange(n) % 2 == 0, 40.0, -1.0)
    high = low + 0.5
    draws = truncated_normal(mean, sd, low, high, rng)
    assert np.all((draws >= low) & (draws <= high))
    inner = (sd > 0) & (low == -1.0)
    assert draws[inner].mean() == pytest.approx(-0.73, abs=0.02)  # pulled towards the mean


def test_bad_parameters_are_refused_in_one_sentence(numbers: pd.DataFrame) -> None:
    with pytest.raises(dt.ParameterError, match="'min_node_size' parameter of ARF must be"):
        arf(min_node_size=0).fit(numbers)
    with pytest.raises(dt.ParameterError, match="'delta'"):
        arf(delta=0.7).fit(numbers)
