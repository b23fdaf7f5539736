"""The per-column autoregressive network: its tokens, what it learns, and its files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import datatwin as dt
from datatwin.io.modelfile import read_model
from datatwin.models.deep.tokens import NumberBins

pytest.importorskip("torch")
TINY = {"batch_size": 128, "embedding_dim": 8, "hidden_dim": 32, "threads": 1}


def test_numbers_round_trip_within_their_bins() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.lognormal(3, 1, 3000), np.zeros(1000), np.full(400, np.nan)])
    bins = NumberBins.fit(values, extra=1, bins=50, min_rows=5, quantiles=256)
    assert bins.spikes.tolist() == [0.0]  # the common value has a token of its own
    assert bins.vocab == 1 + bins.bins + 1
    tokens = bins.encode(values, np.full(len(values), bins.base), rng)
    assert (tokens[np.isnan(values)] == bins.base).all()
    back = bins.decode(tokens, rng)
    assert np.isnan(back[np.isnan(values)]).all()
    assert (back[values == 0] == 0).all()
    positive = values > 0
    low, high = values[positive].min(), values[positive].max()
    for token in range(1, bins.base):
        real, drawn = values[tokens == token], back[tokens == token]
        assert len(real) >= 5
        # a bin's numbers lie between the real numbers of the bins either side of it
        below = values[tokens == token - 1].max() if token > 1 else low
        above = values[tokens == token + 1].min() if token + 1 < bins.base else high
        assert below <= drawn.min()
        assert drawn.max() <= above
    assert np.median(back[positive]) == pytest.approx(np.median(values[positive]), rel=0.05)


def test_rare_extremes_are_not_kept_without_tails() -> None:
    rng = np.random.default_rng(1)
    values = np.append(rng.normal(0, 1, 2000), [1e9, -1e9])  # one person each
    bins = NumberBins.fit(values, extra=0, bins=40, min_rows=5, quantiles=512, tails=False)
    assert np.abs(bins.grid).max() < 10
    assert not len(bins.spikes)
    out = bins.decode(rng.integers(0, bins.vocab, 5000), rng)
    assert np.abs(out).max() < 10


def test_tails_reach_the_real_range_as_rarely_as_real_rows() -> None:
    rng = np.random.default_rng(1)
    values = np.append(rng.normal(0, 1, 20_000), [50.0, -50.0])  # one person each
    bins = NumberBins.fit(values, extra=0, bins=40, min_rows=5, quantiles=512)
    assert (bins.low, bins.high) == (-50.0, 50.0)
    assert np.abs(bins.grid).max() < 10
    out = bins.decode(rng.integers(0, bins.vocab, 400_000), rng)
    assert out.min() >= -50.0
    assert out.max() <= 50.0
    beyond = np.mean(out > bins.grid[-1])  # the real share beyond the grid's end is 4 / 20,002
    assert 1e-4 < beyond < 4e-4
    assert out.max() > 10  # the tail reaches towards the real maximum


def test_missing_values_keep_their_rate() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    x = rng.normal(50, 10, n)
    x[rng.random(n) < 0.3] = np.nan
    group = rng.choice(np.array(["a", "b", None], dtype=object), n, p=[0.5, 0.35, 0.15])
    table = pd.DataFrame({"x": x, "group": group})
    out = dt.synthesizer("argn", seed=0, epochs=5, **TINY).fit(table).sample(5000, seed=1)
    assert out["x"].isna().mean() == pytest.approx(0.3, abs=0.03)
    assert out["group"].isna().mean() == pytest.approx(0.15, abs=0.03)


def test_a_column_that_is_a_function_of_a_category_is_reproduced() -> None:
    rng = np.random.default_rng(3)
    n = 4000
    city = rng.choice(["oslo", "bergen", "tromso", "bodo"], n, p=[0.4, 0.3, 0.2, 0.1])
    code = {"oslo": 100.0, "bergen": 250.0, "tromso": 700.0, "bodo": 900.0}
    region = {"oslo": "east", "bergen": "west", "tromso": "north", "bodo": "north"}
    table = pd.DataFrame(
        {
            "city": city,
            "noise": rng.normal(size=n),
            "code": [code[c] for c in city],
            "region": [region[c] for c in city],
        }
    )
    model = dt.synthesizer("argn", seed=0, epochs=15, **TINY).fit(table)
    out = model.sample(4000, seed=0)
    assert (out["code"] == out["city"].map(code)).mean() > 0.97
    assert (out["region"] == out["city"].map(region)).mean() > 0.97
    assert out["city"].value_counts(normalize=True)["oslo"] == pytest.approx(0.4, abs=0.04)


def test_temperature_sharpens_the_distribution() -> None:
    rng = np.random.default_rng(4)
    table = pd.DataFrame({"c": rng.choice(["x", "y", "z"], 2000, p=[0.6, 0.3, 0.1])})
    common = {}
    for temperature in (1.0, 0.2):
        model = dt.synthesizer("argn", seed=0, epochs=3, temperature=temperature, **TINY)
        common[temperature] = (model.fit(table).sample(3000, seed=0)["c"] == "x").mean()
    assert common[1.0] == pytest.approx(0.6, abs=0.04)
    assert common[0.2] > 0.9


def test_same_seed_same_model_and_files_give_the_same_rows(tmp_path: Path) -> None:
    table = pd.DataFrame({"a": np.arange(300.0) % 17, "b": ["u", "v", "w"] * 100})
    first = dt.synthesizer("argn", seed=5, epochs=3, **TINY).fit(table)
    second = dt.synthesizer("argn", seed=5, epochs=3, **TINY).fit(table)
    pdt.assert_frame_equal(first.sample(500, seed=2), second.sample(500, seed=2))
    first.save(tmp_path / "m.dtw")
    loaded = dt.load(tmp_path / "m.dtw")
    pdt.assert_frame_equal(loaded.sample(500, seed=2), first.sample(500, seed=2))


def test_history_and_weights_are_stored(tmp_path: Path) -> None:
    seen: list[dict[str, float]] = []
    model = dt.synthesizer("argn", seed=0, epochs=4, patience=None, **TINY)
    table = pd.DataFrame({"a": np.linspace(0, 1, 200) ** 2, "b": ["p", "q"] * 100})
    model.fit(table, progress=seen.append)
    assert len(model.history_["train"]) == len(model.history_["valid"]) == 4
    assert [p["epoch"] for p in seen] == [1, 2, 3, 4]
    assert model.stopped_because_ == "epochs"
    model.save(tmp_path / "m.dtw")
    manifest, arrays = read_model(tmp_path / "m.dtw")
    assert manifest["state"]["history"] == model.history_
    assert any(name.startswith("network.") for name in arrays)
    assert "grid.0" in arrays


def test_early_stopping_ends_the_fit_by_itself() -> None:
    rng = np.random.default_rng(5)
    table = pd.DataFrame({"a": rng.choice(["x", "y"], 400), "b": rng.normal(size=400)})
    model = dt.synthesizer("argn", seed=0, epochs=500, patience=2, **TINY).fit(table)
    assert model.stopped_because_ == "early stopping"
    assert len(model.history_["valid"]) < 500


def test_bad_parameters_are_named() -> None:
    with pytest.raises(dt.ParameterError, match="'temperature' parameter of ARGN"):
        dt.synthesizer("argn", temperature=0).fit(pd.DataFrame({"a": [1.0, 2.0]}))


def test_small_tables_get_fewer_fuller_bins() -> None:
    rng = np.random.default_rng(5)
    for rows, most in ((400, 8), (20_000, 100)):
        table = pd.DataFrame({"x": rng.normal(size=rows)})
        model = dt.synthesizer("argn", seed=0, epochs=1, **TINY).fit(table)
        (number,) = model.tokenizer_.numbers.values()
        assert number.bins == most  # rows // bin_rows (50), at most `bins` (100)
    table = pd.DataFrame({"x": rng.normal(size=400)})
    model = dt.synthesizer("argn", seed=0, epochs=1, bin_rows=4, **TINY).fit(table)
    assert next(iter(model.tokenizer_.numbers.values())).bins == 80


def test_rare_categories_share_one_token_and_keep_their_share(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    n = 2000
    common = rng.choice(np.array(["a", "b", "c"]), n, p=[0.6, 0.3, 0.1])
    labels = np.array([f"only-{i}" for i in range(n)], dtype=object)
    labels[: n // 2] = "shared"  # half the rows share a label, the rest are unique
    table = pd.DataFrame({"group": common, "label": rng.permutation(labels)})
    model = dt.synthesizer("argn", seed=0, epochs=3, **TINY).fit(table)
    pools = list(model.tokenizer_.pools.values())
    assert [p.vocab for p in pools] == [3, 2]  # a, b, c; "shared" and one rare token
    out = model.sample(4000, seed=1)
    assert set(out["label"]) <= set(table["label"])
    assert (out["label"] == "shared").mean() == pytest.approx(0.5, abs=0.05)
    model.save(tmp_path / "m.dtw")
    pdt.assert_frame_equal(
        dt.load(tmp_path / "m.dtw").sample(500, seed=2), model.sample(500, seed=2)
    )


def test_value_tokens_are_placed_in_value_order() -> None:
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.normal(10, 3, 3000), np.full(500, 10.0), np.full(400, -50.0)])
    bins = NumberBins.fit(values, extra=0, bins=30, min_rows=5, quantiles=300)
    assert bins.spikes.tolist() == [-50.0, 10.0]
    tokens = np.arange(bins.base)
    typical = np.array([np.median(bins.decode(np.full(200, t), rng)) for t in tokens])
    where = bins.positions()
    assert where.min() == 0.0
    assert where.max() == 1.0
    assert (np.argsort(where) == np.argsort(typical, kind="stable")).all()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.0, 10.0), min_size=1, max_size=12).filter(lambda m: sum(m) > 0.01),
    st.integers(1, 400),
    st.integers(0, 2**31),
)
def test_the_first_column_is_drawn_by_strata_near_its_expected_counts(
    masses: list[float], n: int, seed: int
) -> None:
    import torch

    from datatwin.models.deep.argn_net import _draw

    p = np.asarray(masses) / sum(masses)
    logits = torch.log(torch.tensor(p, dtype=torch.float32)).expand(n, -1)
    generator = torch.Generator().manual_seed(seed)
    choice, _ = _draw(torch, logits, 1.0, generator, stratified=True)
    counts = np.bincount(choice.numpy(), minlength=len(p))
    assert np.all(np.abs(counts - n * p) <= 2)  # a multinomial draw strays by about sqrt(n p)
    assert counts[p == 0].sum() == 0


def test_the_shared_rare_token_draws_its_codes_by_strata() -> None:
    names = [f"name {i}" for i in range(16)]  # each seen once: all share the rare token
    model = dt.synthesizer("argn", seed=0, epochs=30, **TINY).fit(pd.DataFrame({"name": names}))
    for seed in range(3):
        drawn = model.sample(16, seed=seed)["name"]
        # independent draws would hit about 10 of the 16 (1 - (15/16)**16 of them); strata give
        # each name one draw (15 allows for rounding at a stratum's edge)
        assert drawn.nunique() >= 15
    counts = model.sample(1600, seed=5)["name"].value_counts()
    assert counts.min() >= 98
    assert counts.max() <= 102
