"""Reading specs: YAML and JSON with line numbers, safe loading, versions, round trips."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

import datatwin as dt
from datatwin.spec import SPEC_FORMAT, SPEC_VERSION, Spec, upgrade_spec
from datatwin.spec.document import read_document

SMALL = """\
format: datatwin-spec
version: 1
tables:
  people:
    rows: 5
    columns:
      id: {type: id}
      country: {type: categorical, values: [NO, SE, DK, on, yes]}
      joined: {type: date, start: 2024-01-01, end: 2024-12-31}
"""


_LAUGHS = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 7)
)


def test_yaml_keeps_text_that_other_loaders_turn_into_booleans_and_dates() -> None:
    doc, source = read_document(SMALL)
    assert source is None
    columns = doc["tables"]["people"]["columns"]
    assert columns["country"]["values"] == ["NO", "SE", "DK", "on", "yes"]
    assert columns["joined"]["start"] == "2024-01-01"
    assert doc.key_lines["tables"] == 3
    assert columns.key_lines["joined"] == 9
    out = dt.generate(SMALL, seed=0)["people"]
    assert set(out["country"].astype(str)) <= {"NO", "SE", "DK", "on", "yes"}


def test_a_spec_loads_from_a_path_text_json_dict_or_spec(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(SMALL, encoding="utf-8")
    spec = Spec.load(path)
    as_json = json.dumps(spec.to_dict(), indent=2)
    json_path = tmp_path / "spec.json"
    json_path.write_text(as_json, encoding="utf-8")
    want = dt.generate(spec, seed=4)["people"]
    for source in (str(path), path, SMALL, as_json, json_path, spec.to_dict(), spec):
        got = dt.generate(source, seed=4)["people"]
        assert got.equals(want), source
    assert Spec.load(spec.to_yaml()).to_dict() == spec.to_dict()
    assert spec.to_dict()["version"] == SPEC_VERSION
    assert repr(spec) == "Spec(people(3 columns))"


def test_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bank.yaml"
    path.write_text(SMALL.replace("type: date,", "type: dat,"), encoding="utf-8")
    with pytest.raises(dt.SpecError) as info:
        Spec.load(path)
    assert str(info.value).startswith("bank.yaml, line 9: ")
    assert "did you mean 'date'?" in str(info.value)
    assert info.value.line == 9
    assert info.value.path == "tables.people.columns.joined.type"
    again = pickle.loads(pickle.dumps(info.value))
    assert (str(again), again.line, again.path) == (str(info.value), 9, info.value.path)


def test_json_errors_have_lines_too() -> None:
    text = json.dumps(Spec.load(SMALL).to_dict(), indent=1).replace('"rows": 5', '"rows": -5')
    with pytest.raises(dt.SpecError, match=r"^Spec line \d+: Table 'people' has rows: -5"):
        Spec.load(text)
    with pytest.raises(dt.SpecError, match="not valid JSON"):
        Spec.load('{"format": "datatwin-spec",\n "version": 1,,}')


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("format: datatwin-spec\nversion: 1\ntables:\n  a: {rows: [1\n", "not valid YAML"),
        ("- a\n- b\n", "must be a mapping"),
        ("format: other\nversion: 1\ntables: {}\n", "not a datatwin spec"),
        ("format: datatwin-spec\nversion: 99\ntables: {}\n", "newer than this datatwin"),
        ("format: datatwin-spec\nversion: 0\ntables: {}\n", "whole number >= 1"),
        ("format: datatwin-spec\nversion: 1\ntables: {}\n", "has no tables"),
        ("format: datatwin-spec\nversion: 1\ntabels: {}\n", "did you mean 'tables'"),
        ("format: datatwin-spec\nversion: 1\nversion: 1\n", "appears twice"),
        ("format: datatwin-spec\nversion: 1\ntables:\n  a b: {rows: 1}\n", "table name"),
        ("a: &x [*x]\n", "recursive"),
        (_LAUGHS, "more than 200,000 values"),
        ("format: datatwin-spec\nversion: 1\ntables: !!python/object:os.system {}\n", "YAML"),
    ],
)
def test_bad_documents_are_refused_in_one_sentence(text: str, message: str) -> None:
    with pytest.raises(dt.SpecError, match=message) as info:
        Spec.load(text)
    assert "\n" not in str(info.value)


def test_a_missing_file_and_a_wrong_type_are_clear(tmp_path: Path) -> None:
    with pytest.raises(dt.SpecError, match="does not exist"):
        Spec.load(tmp_path / "nope.yaml")
    with pytest.raises(dt.SpecError, match="must be a path"):
        Spec.load(42)  # type: ignore[arg-type]


def test_upgrade_checks_format_and_version() -> None:
    doc, _ = read_document({"format": SPEC_FORMAT, "version": SPEC_VERSION, "tables": {}})
    assert upgrade_spec(doc) is doc
    doc["version"] = True
    with pytest.raises(dt.SpecError, match="whole number"):
        upgrade_spec(doc)
