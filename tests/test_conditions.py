"""Sampling on conditions: every model gives exactly n rows that all match, and the exact models
give the same distribution as drawing freely and keeping the rows that match."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import datatwin as dt
from datatwin.models.conditions import parse_where
from datatwin.transforms import Part
from tests.conftest import mixed_table
from tests.test_conformance import NAMES, make

EXACT = ["arf", "argn", "copula"]
GUIDED = [*EXACT, "ctgan", "tvae"]  # the neural models draw conditioned spans inside it


@pytest.fixture(scope="module")
def fitted() -> dict[str, dt.Synthesizer]:
    table = mixed_table(400, seed=1)
    return {name: make(name).fit(table) for name in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_every_row_meets_every_condition(name: str, fitted: dict[str, dt.Synthesizer]) -> None:
    model = fitted[name]
    rows = model.sample(
        60, seed=3, conditions={"group": ["mid", "senior"], "age": (30, 60), "member": False}
    )
    assert len(rows) == 60
    assert rows["group"].isin(["mid", "senior"]).all()
    assert rows["age"].between(30, 60).all()
    assert not rows["member"].any()
    assert list(rows.dtypes) == list(model.sample(5).dtypes)
    again = model.sample(
        60, seed=3, conditions={"group": ["mid", "senior"], "age": (30, 60), "member": False}
    )
    pdt.assert_frame_equal(rows, again)


@pytest.mark.parametrize("name", NAMES)
def test_a_table_of_category_conditions(name: str, fitted: dict[str, dt.Synthesizer]) -> None:
    model = fitted[name]
    common = model.sample(2000, seed=0).value_counts(["group", "member"]).index[:2]
    (g1, m1), (g2, m2) = common  # combinations this (tiny) model makes often
    given = pd.DataFrame({"group": [g1, None, g2, g1], "member": [m1, m1, m2, m1]})
    rows = model.sample(conditions=given, seed=1)
    assert list(rows["group"].iloc[[0, 2, 3]]) == [g1, g2, g1]
    assert list(rows["member"]) == [m1, m1, m2, m1]


@pytest.mark.parametrize("name", GUIDED)  # exact dates and numbers: too rare to draw by chance
def test_a_table_of_conditions_gives_one_matching_row_each(
    name: str, fitted: dict[str, dt.Synthesizer]
) -> None:
    given = pd.DataFrame(
        {
            "group": ["junior", None, "senior", "junior"],
            "age": [25, 50, np.nan, 25],
            "joined": [None, "2021-03-04", None, None],
        }
    )
    rows = fitted[name].sample(conditions=given, seed=1)
    assert len(rows) == 4
    assert rows.loc[[0, 3], "group"].eq("junior").all()
    assert rows.loc[[0, 3], "age"].eq(25).all()
    assert rows.loc[1, "age"] == 50
    assert rows.loc[1, "joined"] == "2021-03-04"
    assert rows.loc[2, "group"] == "senior"


@pytest.mark.parametrize("name", GUIDED)
def test_missing_values_and_exact_numbers_can_be_asked_for(
    name: str, fitted: dict[str, dt.Synthesizer]
) -> None:
    model = fitted[name]
    assert model.sample(20, conditions={"income": None})["income"].isna().all()
    if name in ("ctgan", "tvae"):  # numbers come from continuous noise: no exact value
        return
    rows = model.sample(20, conditions={"income": 41_000.5})
    assert (rows["income"] == 41_000.5).all()


@pytest.mark.parametrize("name", NAMES)
def test_impossible_conditions_are_clear_errors(
    name: str, fitted: dict[str, dt.Synthesizer]
) -> None:
    model = fitted[name]
    cases = [
        ({"group": "retired"}, "never saw"),
        ({"age": (60, 30)}, "holds no value"),
        ({"age": (30.2, 30.7)}, "holds no value"),  # an integer column
        ({"nope": 1}, "does not have"),
        ({"age": "old"}, "not a number"),
        ({"email": "a@b.c"}, "made up"),
        ({"member": None}, "never saw"),
    ]
    for conditions, message in cases:
        with pytest.raises(dt.ParameterError, match=message):
            model.sample(5, conditions=conditions)


@pytest.mark.parametrize("name", GUIDED)
def test_a_condition_beyond_the_data_fails_fast(
    name: str, fitted: dict[str, dt.Synthesizer]
) -> None:
    with pytest.raises(dt.ParameterError, match="outside what the model learned"):
        fitted[name].sample(5, conditions={"age": (500, 600)})


def correlated(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = 0.8 * x + 0.6 * rng.normal(size=n)
    label = np.where(x + rng.normal(0, 0.5, n) > 1.6, "rare", "common")  # about 7%
    kind = np.where(rng.random(n) < 0.5 + 0.3 * np.tanh(y), "a", "b")
    return pd.DataFrame({"x": x, "kind": kind, "y": y, "label": label})


@pytest.mark.parametrize("name", EXACT)
@pytest.mark.parametrize(
    "conditions",
    [{"label": "rare"}, {"label": "rare", "kind": "a"}, {"y": (0.5, 1.5)}, {"kind": "b"}],
    ids=["label", "label-and-kind", "range", "kind"],
)
def test_exact_conditions_follow_the_model_s_own_conditional(
    name: str, conditions: dict[str, object]
) -> None:
    params = {"epochs": 30, "threads": 1} if name == "argn" else {}
    model = dt.synthesizer(name, seed=0, **params).fit(correlated(4000, seed=2))
    free = model.sample(200_000, seed=1)
    keep = np.ones(len(free), dtype=bool)
    for column, value in conditions.items():
        if isinstance(value, tuple):
            keep &= free[column].between(*value).to_numpy()
        else:
            keep &= (free[column] == value).to_numpy()
    filtered = free[keep]
    assert len(filtered) > 2000
    given = model.sample(5000, seed=2, conditions=conditions)
    for column in ["x", "y"]:
        spread = filtered[column].std() / np.sqrt(len(given))
        assert abs(given[column].mean() - filtered[column].mean()) < 5 * spread
    for column, level in [("kind", "a"), ("label", "rare")]:
        share = (given[column] == level).mean() - (filtered[column] == level).mean()
        assert abs(share) < 0.04


def test_argn_first_columns_make_conditions_exact_and_are_checked() -> None:
    table = correlated(2000, seed=3)
    model = dt.synthesizer("argn", seed=0, epochs=5, threads=1, first_columns=["label"])
    model.fit(table)
    assert model.tokenizer_.columns[0].key == "3"  # the label's part (fourth column) comes first
    rows = model.sample(1000, seed=0, conditions={"label": "rare"})
    assert (rows["label"] == "rare").all()
    assert list(rows.columns) == list(table.columns)
    loaded_params = model.get_params()
    assert loaded_params["first_columns"] == ["label"]
    with pytest.raises(dt.ParameterError, match="first_columns"):
        dt.synthesizer("argn", first_columns=["nope"], epochs=1).fit(table)


class ColumnShuffler(dt.Synthesizer):
    """Draws each part's values independently from the training rows. It has no exact
    conditional sampling, so conditions go through the base class's draw-and-keep loop."""

    name = "column_shuffler"

    def __init__(self, *, seed: int | None = None) -> None:
        self.seed = seed

    def _fit(self, parts: list[Part], rng: np.random.Generator) -> None:
        self.values_ = {p.key: p.data.copy() for p in parts}

    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {k: v[rng.integers(len(v), size=n)] for k, v in self.values_.items()}


def test_draw_and_keep_finds_rows_for_models_without_exact_conditions() -> None:
    model = ColumnShuffler(seed=0).fit(correlated(500, seed=4))
    rows = model.sample(50, seed=1, conditions={"label": "rare", "kind": "a"})
    assert len(rows) == 50
    assert (rows["label"] == "rare").all()
    assert (rows["kind"] == "a").all()


def test_draw_and_keep_gives_up_with_a_clear_message_on_a_too_rare_condition() -> None:
    model = ColumnShuffler(seed=0).fit(correlated(500, seed=4))
    x = np.sort(model.sample(20_000, seed=0)["x"].to_numpy())
    gap = np.argmax(np.diff(x))  # inside the training range, but no training value lies there
    low, high = x[gap] + 1e-6 * (x[gap + 1] - x[gap]), x[gap + 1] - 1e-6 * (x[gap + 1] - x[gap])
    with pytest.raises(dt.ParameterError, match="too rare for this model"):
        model.sample(5, conditions={"x": (float(low), float(high))})


def test_an_impossible_range_is_named_as_the_user_wrote_it() -> None:
    model = make("copula").fit(correlated(200, seed=5))
    for condition, shown in [
        ((1e9, None), "x >= 1000000000.0;"),
        ((None, -1e9), "x <= -1000000000.0;"),
        ((1e9, 2e9), "x in [1000000000.0, 2000000000.0];"),
    ]:
        with pytest.raises(dt.ParameterError, match="No row") as caught:
            model.sample(5, conditions={"x": condition})
        assert shown in str(caught.value)


def test_sample_needs_n_or_a_table() -> None:
    model = make("copula").fit(correlated(200, seed=5))
    with pytest.raises(dt.ParameterError, match="number of rows"):
        model.sample()
    with pytest.raises(dt.ParameterError, match="leave n out"):
        model.sample(3, conditions=pd.DataFrame({"label": ["rare"]}))
    with pytest.raises(dt.ParameterError, match="does not have"):
        model.sample(conditions=pd.DataFrame({"nope": [1]}))
    assert model.sample(conditions=pd.DataFrame({"label": []})).empty


@pytest.mark.parametrize(
    ("clauses", "expected"),
    [
        (["age>=30"], {"age": ("30", None)}),
        (["income=>50K"], {"income": ">50K"}),
        (["age=30..40"], {"age": ("30", "40")}),
        (["age>=30", "age<=40"], {"age": ("30", "40")}),
        (["sex=Male|Female"], {"sex": ["Male", "Female"]}),
        (["when=2024-01-01.."], {"when": ("2024-01-01", None)}),
    ],
)
def test_where_clauses(clauses: list[str], expected: dict[str, object]) -> None:
    parsed = parse_where(clauses)
    plain = {
        k: tuple(getattr(b, "value", b) for b in v) if isinstance(v, tuple) else v
        for k, v in parsed.items()
    }
    assert plain == expected


@pytest.mark.parametrize(
    ("clauses", "message"),
    [(["age"], "no column and operator"), (["=3"], "no column"), (["a=1", "a=2"], "repeats")],
)
def test_bad_where_clauses(clauses: list[str], message: str) -> None:
    with pytest.raises(dt.ParameterError, match=message):
        parse_where(clauses)


def test_where_strict_bounds_and_not_equal() -> None:
    model = make("copula").fit(mixed_table(400, seed=1))
    rows = model.sample(200, seed=0, conditions=parse_where(["age>30", "age<40", "group!=mid"]))
    assert rows["age"].between(31, 39).all()
    assert (rows["group"] != "mid").all()


def test_a_conditional_sample_larger_than_one_batch_is_exact() -> None:
    from datatwin.models.base import MAX_CONDITIONED_BATCH

    model = make("copula").fit(correlated(500, seed=6))
    n = 2 * MAX_CONDITIONED_BATCH + 7  # three calls of the model's conditional sampling
    rows = model.sample(n, seed=1, conditions={"label": "rare"})
    assert len(rows) == n
    assert (rows["label"] == "rare").all()
    batch = MAX_CONDITIONED_BATCH
    first, second = rows["y"].to_numpy()[:batch], rows["y"].to_numpy()[batch : 2 * batch]
    assert (first != second).mean() > 0.99  # each call draws afresh
    assert abs(first.mean() - second.mean()) < 0.02  # from the same conditional distribution
