"""Schema detection and the schema's versioned JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import datatwin as dt
from datatwin.schema.columns import SCHEMA_VERSION
from datatwin.schema.upgrade import upgrade_schema


def kinds(df: pd.DataFrame) -> dict[str, str]:
    return {c.name: c.kind for c in dt.detect_schema(df)}


def test_kinds_of_a_mixed_table(mixed: pd.DataFrame) -> None:
    assert kinds(mixed) == {
        "id": "id",
        "age": "numeric",
        "income": "numeric",
        "group": "categorical",
        "member": "boolean",
        "joined": "datetime",
        "score": "categorical",
        "email": "pii",
        "country": "constant",
        "nothing": "empty",
    }


def test_numeric_details(mixed: pd.DataFrame) -> None:
    schema = dt.detect_schema(mixed)
    age, income = schema["age"], schema["income"]
    assert age.integer is True
    assert age.decimals == 0
    assert not age.nullable
    assert age.min == mixed["age"].min()
    assert age.max == mixed["age"].max()
    assert income.integer is False
    assert income.decimals == 2
    assert income.nullable
    assert schema["score"].ordered is True
    assert schema["score"].order == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("values", "fmt"),
    [
        (["2021-03-04", "1999-12-31", "2000-01-01"], "%Y-%m-%d"),
        (
            ["2021-03-04 10:11:12", "1999-12-31 00:00:00", "2000-01-01 23:59:59"],
            "%Y-%m-%d %H:%M:%S",
        ),
        (
            ["2013-01-01T10:00:00Z", "2013-06-01T11:00:00Z", "2013-12-31T05:00:00Z"],
            "%Y-%m-%dT%H:%M:%SZ",
        ),
        (["31/12/2020", "01/02/2021", "15/07/2019"], "%d/%m/%Y"),
        (["12/31/2020", "01/02/2021", "07/15/2019"], "%m/%d/%Y"),
    ],
)
def test_datetime_formats_are_recognised(values: list[str], fmt: str) -> None:
    column = dt.detect_schema(pd.DataFrame({"when": values * 5}))["when"]
    assert column.kind == "datetime"
    assert column.format == fmt


def test_datetime_precision() -> None:
    days = pd.DataFrame({"d": pd.date_range("2020-01-01", periods=30, freq="D")})
    hours = pd.DataFrame({"d": pd.date_range("2020-01-01", periods=30, freq="h")})
    assert dt.detect_schema(days)["d"].precision == "D"
    assert dt.detect_schema(hours)["d"].precision == "h"


@pytest.mark.parametrize(
    ("values", "pii_type"),
    [
        ([f"user{i}@company{i % 3}.com" for i in range(40)], "email"),
        ([f"+47 9{i:02d} 12 3{i % 10}4" for i in range(40)], "phone"),
        ([f"(555) 01{i:02d}-12{i % 10}4" for i in range(40)], "phone"),
        ([f"{100 + i}-{10 + i % 80}-{1000 + i}" for i in range(40)], "national_id"),
        ([f"10.0.{i}.{i % 250}" for i in range(40)], "ip_address"),
        (["4111 1111 1111 1111", "5500 0000 0000 0004", "3400 0000 0000 009"] * 14, "credit_card"),
        (
            [
                f"The customer called on day {i} about the delayed parcel and asked for a refund"
                for i in range(40)
            ],
            "text",
        ),
    ],
)
def test_personal_data_is_flagged(values: list[str], pii_type: str) -> None:
    column = dt.detect_schema(pd.DataFrame({"contact": values}))["contact"]
    assert column.kind == "pii"
    assert column.pii_type == pii_type


def test_person_names_need_a_name_column_and_known_names() -> None:
    people = ["James Smith", "Mary Johnson", "Robert Brown", "Linda Davis"] * 10
    assert dt.detect_schema(pd.DataFrame({"full_name": people}))["full_name"].pii_type == "name"
    companies = ["Endeavor Air Inc.", "American Airlines Inc.", "Delta Air Lines Inc."] * 10
    assert dt.detect_schema(pd.DataFrame({"name": companies}))["name"].kind == "categorical"


def test_keys_and_low_cardinality_numbers() -> None:
    n = 100
    df = pd.DataFrame(
        {
            "customer_id": np.arange(5000, 5000 + n),
            "code": [f"C-{i:05d}" for i in range(n)],
            "rooms": np.arange(n) % 4 + 1,
            "flag": np.arange(n) % 2,
            "answer": ["Yes", "No"] * (n // 2),
        }
    )
    assert kinds(df) == {
        "customer_id": "id",
        "code": "id",
        "rooms": "categorical",
        "flag": "boolean",
        "answer": "boolean",
    }


def test_infinities_and_pandas_categoricals() -> None:
    df = pd.DataFrame(
        {
            "x": [1.0, np.inf, -np.inf, 2.5, 3.0, np.nan] * 10,
            "size": pd.Categorical(["S", "M", "L"] * 20, categories=["S", "M", "L"], ordered=True),
        }
    )
    schema = dt.detect_schema(df)
    assert schema["x"].kind == "numeric"
    assert schema["x"].nullable
    assert schema["size"].kind == "categorical"
    assert schema["size"].order == ["S", "M", "L"]


def test_json_round_trip_and_file(mixed: pd.DataFrame, tmp_path: Path) -> None:
    schema = dt.detect_schema(mixed)
    path = tmp_path / "schema.json"
    text = schema.to_json(path)
    assert json.loads(path.read_text())["version"] == SCHEMA_VERSION
    assert dt.Schema.from_json(path).to_dict() == schema.to_dict()
    assert dt.Schema.from_json(text).to_dict() == schema.to_dict()


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"format": "other", "version": 1, "columns": []}, "not a datatwin schema"),
        ({"format": "datatwin-schema", "version": 99, "columns": []}, "newer"),
        ({"format": "datatwin-schema", "version": 0, "columns": []}, "invalid 'version'"),
        ({"format": "datatwin-schema", "version": 1}, "no 'columns'"),
        (
            {"format": "datatwin-schema", "version": 1, "columns": [{"name": "a", "kind": "x"}]},
            "missing its 'dtype'",
        ),
        (
            {
                "format": "datatwin-schema",
                "version": 1,
                "columns": [{"name": "a", "kind": "blob", "dtype": "int64"}],
            },
            "kind 'blob'",
        ),
        (
            {
                "format": "datatwin-schema",
                "version": 1,
                "columns": [{"name": "a", "kind": "numeric", "dtype": "int64", "colour": 1}],
            },
            "unknown field",
        ),
        (
            {
                "format": "datatwin-schema",
                "version": 1,
                "columns": [{"name": "a", "kind": "numeric", "dtype": "int64", "min": 5, "max": 1}],
            },
            "swap",
        ),
    ],
)
def test_bad_schema_documents(document: dict[str, object], message: str) -> None:
    with pytest.raises(dt.SchemaError, match=message):
        dt.Schema.from_dict(document)


def test_upgrader_accepts_current_version() -> None:
    document = {
        "format": "datatwin-schema",
        "version": SCHEMA_VERSION,
        "columns": [],
        "constraints": [],
    }
    assert upgrade_schema(document) == document


def test_upgrader_brings_version_1_up_to_date() -> None:
    document = {"format": "datatwin-schema", "version": 1, "columns": []}
    assert upgrade_schema(document) == {
        "format": "datatwin-schema",
        "version": SCHEMA_VERSION,
        "columns": [],
        "constraints": [],
    }


def test_schema_must_match_the_table(mixed: pd.DataFrame) -> None:
    schema = dt.detect_schema(mixed.drop(columns=["age"]))
    with pytest.raises(dt.SchemaError, match="age"):
        dt.synthesizer("copula").fit(mixed, schema=schema)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame(), "no columns"),
        (pd.DataFrame({"a": []}), "no rows"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), "duplicate column names"),
        (pd.DataFrame({0: [1, 2]}), "must be strings"),
    ],
)
def test_unusable_tables(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(dt.DataError, match=message):
        dt.detect_schema(frame)
