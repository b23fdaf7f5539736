"""The conformance suite: every registered synthesizer must pass every test here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import datatwin as dt
from datatwin.models.registry import get_synthesizer_class
from tests.conftest import mixed_table

# Small settings so that every model, however heavy, fits in a second or two here.
FAST_PARAMS: dict[str, dict[str, object]] = {
    "tvae": {
        "epochs": 20,
        "batch_size": 64,
        "embedding_dim": 16,
        "hidden_dim": 32,
        "learning_rate": 5e-3,
        "threads": 1,
    },
    "ctgan": {
        "epochs": 10,
        "batch_size": 50,
        "embedding_dim": 16,
        "generator_dim": 32,
        "discriminator_dim": 32,
        "generator_lr": 2e-3,
        "discriminator_lr": 2e-3,
        "threads": 1,
    },
}


def make(name: str, seed: int | None = 0) -> dt.Synthesizer:
    return dt.synthesizer(name, seed=seed, **FAST_PARAMS.get(name, {}))


NAMES = dt.available_synthesizers()


@pytest.fixture(params=NAMES)
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return mixed_table(400, seed=1)


def test_registry_is_not_empty_and_default_is_registered() -> None:
    assert "copula" in NAMES
    assert dt.synthesizer(seed=0).name in NAMES


def test_init_stores_parameters_unchanged(name: str) -> None:
    cls = get_synthesizer_class(name)
    params = cls(seed=3).get_params()
    assert params["seed"] == 3
    model = cls(**params)
    assert model.get_params() == params
    assert not model.is_fitted


def test_fit_returns_self_and_sets_learned_attributes(name: str, table: pd.DataFrame) -> None:
    model = make(name)
    assert model.fit(table) is model
    assert model.is_fitted
    assert model.n_rows_ == len(table)
    assert model.schema_.names == list(table.columns)


def test_sample_keeps_columns_order_and_dtypes(name: str, table: pd.DataFrame) -> None:
    out = make(name).fit(table).sample(250)
    assert list(out.columns) == list(table.columns)
    assert len(out) == 250
    pdt.assert_series_equal(out.dtypes, table.dtypes)
    assert isinstance(out.index, pd.RangeIndex)


@pytest.mark.parametrize("n", [0, 1, 7])
def test_sample_small_counts(name: str, table: pd.DataFrame, n: int) -> None:
    out = make(name).fit(table).sample(n)
    assert len(out) == n
    pdt.assert_series_equal(out.dtypes, table.dtypes)


def test_values_stay_within_what_the_data_allows(name: str, table: pd.DataFrame) -> None:
    out = make(name).fit(table).sample(2000, seed=5)
    assert out["age"].between(table["age"].min(), table["age"].max()).all()
    assert set(out["group"].unique()) <= set(table["group"].unique())
    assert out["country"].eq("NO").all()
    assert out["nothing"].isna().all()
    assert out["id"].is_unique
    assert (out["income"].dropna().round(2) == out["income"].dropna()).all()
    pd.to_datetime(out["joined"], format="%Y-%m-%d")  # written back in the input's format
    assert out["income"].isna().mean() == pytest.approx(table["income"].isna().mean(), abs=0.05)


def test_personal_data_is_never_copied(name: str, table: pd.DataFrame) -> None:
    out = make(name).fit(table).sample(1000, seed=2)
    assert not set(out["email"]) & set(table["email"])
    assert out["email"].str.endswith(("@example.com", "@example.org", "@example.net")).all()


def test_same_seed_same_rows(name: str, table: pd.DataFrame) -> None:
    a = make(name).fit(table).sample(300, seed=11)
    b = make(name).fit(table).sample(300, seed=11)
    pdt.assert_frame_equal(a, b)
    assert a.to_csv(index=False) == b.to_csv(index=False)


def test_successive_unseeded_samples_differ_but_reproduce(name: str, table: pd.DataFrame) -> None:
    model = make(name).fit(table)
    first, second = model.sample(200), model.sample(200)
    assert not first.equals(second)
    again = make(name).fit(table)
    pdt.assert_frame_equal(again.sample(200), first)


def test_refit_forgets_the_previous_fit(name: str, table: pd.DataFrame) -> None:
    other = pd.DataFrame({"x": np.arange(50.0), "y": ["a", "b"] * 25})
    model = make(name).fit(table).fit(other)
    assert list(model.sample(10).columns) == ["x", "y"]
    fresh = make(name).fit(other)
    pdt.assert_frame_equal(model.sample(30, seed=1), fresh.sample(30, seed=1))


def test_save_and_load_give_the_same_samples(
    name: str, table: pd.DataFrame, tmp_path: Path
) -> None:
    model = make(name).fit(table)
    path = tmp_path / "model.dtw"
    model.save(path)
    loaded = dt.load(path)
    assert type(loaded) is type(model)
    assert loaded.get_params() == model.get_params()
    pdt.assert_frame_equal(loaded.sample(200, seed=4), model.sample(200, seed=4))


def test_save_is_deterministic(name: str, table: pd.DataFrame, tmp_path: Path) -> None:
    make(name).fit(table).save(tmp_path / "a.dtw")
    make(name).fit(table).save(tmp_path / "b.dtw")
    assert (tmp_path / "a.dtw").read_bytes() == (tmp_path / "b.dtw").read_bytes()


def test_unfitted_model_refuses_to_sample_and_save(name: str, tmp_path: Path) -> None:
    model = make(name)
    with pytest.raises(dt.NotFittedError, match="fit"):
        model.sample(5)
    with pytest.raises(ValueError, match="fit"):
        model.save(tmp_path / "x.dtw")


def test_fit_accepts_an_edited_schema(name: str, table: pd.DataFrame) -> None:
    schema = dt.detect_schema(table)
    age = schema["age"]
    age.max = 60
    out = make(name).fit(table, schema=schema).sample(500, seed=0)
    assert out["age"].max() <= 60


def test_single_row_and_single_column_tables(name: str) -> None:
    one_row = pd.DataFrame({"a": [1.5], "b": ["x"]})
    out = make(name).fit(one_row).sample(3)
    assert out["a"].eq(1.5).all()
    assert out["b"].eq("x").all()
    one_col = pd.DataFrame({"v": np.linspace(0, 1, 40)})
    assert make(name).fit(one_col).sample(5)["v"].between(0, 1).all()


def test_chunked_sampling_matches_one_call(name: str, table: pd.DataFrame) -> None:
    model = make(name).fit(table)
    chunks = list(model.iter_sample(250, seed=9, chunk_size=100))
    assert [len(c) for c in chunks] == [100, 100, 50]
    joined = pd.concat(chunks)
    assert list(joined.index) == list(range(250))
    pdt.assert_series_equal(joined.dtypes, table.dtypes)
