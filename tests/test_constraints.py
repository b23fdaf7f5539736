"""Rules every sampled row keeps: declared from Python or in the schema JSON, with every model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

import datatwin as dt
from datatwin.constraints import (
    RULE_TYPES,
    Check,
    FixedCombinations,
    Formula,
    IfThen,
    Inequality,
    OneHot,
    Positive,
    Predicate,
    Range,
    Regex,
    Unique,
    rule_from_dict,
)
from tests.test_conformance import NAMES, make


def orders(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    net = np.round(rng.gamma(2.0, 50.0, n), 2)
    tax = np.round(net * rng.choice([0.0, 0.12, 0.25], n), 2)
    country = rng.choice(["NO", "SE", "DK"], n)
    currency = np.select([country == "NO", country == "SE"], ["NOK", "SEK"], "DKK")
    opened = rng.integers(0, 1000, n)
    channel = rng.choice(["web", "shop", "phone"], n)
    return pd.DataFrame(
        {
            "net": net,
            "tax": tax,
            "total": np.round(net + tax, 2),
            "country": country,
            "currency": currency,
            "opened": opened,
            "closed": opened + rng.integers(1, 300, n),
            "code": [f"A-{i:04d}" for i in rng.permutation(9000)[:n]],
            "web": (channel == "web").astype(int),
            "shop": (channel == "shop").astype(int),
            "phone": (channel == "phone").astype(int),
        }
    )


RULES = [
    Formula("total", "net + tax", tolerance=1e-6),
    FixedCombinations(["country", "currency"]),
    Inequality("opened", "closed", strict=True),
    OneHot(["web", "shop", "phone"]),
    Positive("net"),
    Range("tax", 0, {"column": "net"}),
    IfThen("country == 'NO'", "currency == 'NOK'"),
    Check("net < 2000"),
]


@pytest.mark.parametrize("name", NAMES)
def test_every_rule_holds_on_every_sampled_row(name: str) -> None:
    model = make(name).fit(orders(), constraints=RULES)
    rows = model.sample(300, seed=1)
    assert len(rows) == 300
    for rule in RULES:
        assert rule.valid(rows).all(), rule.describe()
    assert list(rows.columns) == list(orders().columns)
    assert list(rows.dtypes) == list(orders().dtypes)


def test_encoded_rules_change_what_the_model_learns() -> None:
    model = make("copula").fit(orders(), constraints=RULES)
    names = model.rules_.model_schema.names
    assert "total" not in names  # computed, never learned
    assert "closed#gap" in names
    assert "closed" not in names
    assert "country+currency#combination" in names
    assert "web+shop+phone#one_hot" in names


def test_rules_in_the_schema_json_survive_files(tmp_path: Path) -> None:
    table = orders()
    schema = dt.detect_schema(table)
    schema.constraints = [rule.to_dict() for rule in RULES]
    path = tmp_path / "schema.json"
    schema.to_json(path)
    again = dt.Schema.from_json(path)
    assert again.constraints == schema.constraints
    model = make("copula").fit(table, schema=again)
    model.save(tmp_path / "m.dtw")
    loaded = dt.load(tmp_path / "m.dtw")
    pdt.assert_frame_equal(loaded.sample(200, seed=4), model.sample(200, seed=4))
    assert all(rule.valid(loaded.sample(200, seed=5)).all() for rule in RULES)


def test_a_version_1_schema_is_upgraded() -> None:
    doc = dt.detect_schema(orders()).to_dict()
    doc["version"] = 1
    del doc["constraints"]
    assert dt.Schema.from_dict(doc).constraints == []


def test_unique_and_regex_are_kept_by_drawing_again() -> None:
    table = orders().drop_duplicates("net")
    rules = [Unique(["net"]), Regex("code", r"A-\d{4}")]
    rows = make("arf").fit(table, constraints=rules).sample(300, seed=0)
    assert not rows["net"].duplicated().any()
    assert rows["code"].str.fullmatch(r"A-\d{4}").all()


def test_a_python_predicate_works_but_cannot_be_saved(tmp_path: Path) -> None:
    rule = Predicate(lambda df: df["net"] > 20, name="net above 20", uses=["net"])
    model = make("copula").fit(orders().query("net > 20"), constraints=[rule])
    assert (model.sample(200, seed=0)["net"] > 20).all()
    with pytest.raises(dt.SchemaError, match="cannot be saved"):
        model.save(tmp_path / "m.dtw")


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([Inequality("a", "b", strict=True), Inequality("b", "a")], "contradict"),
        ([Range("a", 10, None), Range("a", None, 5)], "contradict"),
        ([Formula("a", "b + 1"), Formula("b", "a - 1")], "depends on itself"),
        ([Formula("a", "b"), Formula("a", "b * 2")], "Two formulas"),
        ([Inequality("a", "nope")], "does not have"),
        ([Positive("g")], "needs numbers"),
    ],
)
def test_contradictions_and_bad_columns_are_found_before_fitting(
    rules: list[object], message: str
) -> None:
    table = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 3, 4, 5], "g": list("xyxy")})
    with pytest.raises(dt.SchemaError, match=message):
        make("copula").fit(table, constraints=rules)  # type: ignore[arg-type]


def test_real_rows_that_break_a_rule_are_reported() -> None:
    table = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 3, 1, 5]})
    with pytest.raises(dt.DataError, match=r"1 of 4 real rows break the rule 'a <= b'"):
        make("copula").fit(table, constraints=[Inequality("a", "b")])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "nope"}, "unknown"),
        ({"type": "inequality", "low": "a"}, "missing field"),
        ({"type": "inequality", "low": "a", "high": "b", "size": 3}, "unknown field"),
        ({"type": "formula", "column": "a", "expression": "__import__('os')"}, "not allowed"),
        ("text", "JSON object"),
    ],
)
def test_bad_rule_json(data: object, message: str) -> None:
    with pytest.raises(dt.DatatwinError, match=message):
        rule_from_dict(data)  # type: ignore[arg-type]


def test_conditions_and_rules_together() -> None:
    model = make("copula").fit(orders(), constraints=RULES)
    rows = model.sample(100, seed=0, conditions={"net": (100, 200)})
    assert rows["net"].between(100, 200).all()
    assert np.allclose(rows["total"], rows["net"] + rows["tax"], atol=0.006)
    with pytest.raises(dt.ParameterError, match="modelled through one of the table's rules"):
        model.sample(10, conditions={"country": "SE"})


def test_the_readme_shows_every_rule_type_in_a_form_that_parses() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split('"constraints": [', 1)[1].split("]\n```", 1)[0]
    rules = json.loads("[" + block + "]")
    assert {r["type"] for r in rules} == set(RULE_TYPES)  # the Python-only predicate is not one
    for rule in rules:
        rule_from_dict(rule)
