"""Bad specs are caught when they are read, with the spec's line and a one-sentence message."""

from __future__ import annotations

import pytest

import datatwin as dt
from datatwin.spec import Spec

BASE = """\
format: datatwin-spec
version: 1
tables:
  customers:
    rows: 50
    columns:
      id: {type: id, pattern: "C-####"}
      age: {distribution: normal, mean: 40, sd: 12, min: 18, max: 90, round: 0}
      job: {type: categorical, values: [engineer, clerk], weights: [1, 2]}
      pay: {distribution: lognormal, mu: 9, sigma: 1, depends_on: job, cases: {engineer: {mu: 11}}}
      opened: {type: date, start: 2015-01-01, end: 2024-12-31}
      score: {type: derived, expression: "pay / 1000 + age"}
    correlations:
      - [age, pay, 0.5]
  accounts:
    per_parent: {distribution: poisson, lam: 2, max: 5}
    columns:
      id: {type: id, kind: uuid}
      customer_id: {type: foreign_key, table: customers, column: id}
      opened: {type: datetime, start: parent.opened, end: 2025-01-01}
      balance: {distribution: gamma, shape: 2, scale: 1000, round: 2}
    constraints:
      - "balance > 10"
"""


def test_the_base_spec_is_fine() -> None:
    out = dt.generate(BASE, seed=0)
    assert out["accounts"]["customer_id"].isin(out["customers"]["id"]).all()


CASES = [
    (
        "distribution: normal,",
        "distribution: normall,",
        8,
        "unknown distribution 'normall' (did you mean 'normal'?)",
    ),
    ("sd: 12", "sdd: 12", 8, "unknown key 'sdd' (did you mean 'sd'?)"),
    ("sd: 12", "sd: -1", 8, "sd: -1; it must be > 0"),
    ("min: 18, max: 90", "min: 95, max: 90", 8, "has min > max"),
    ("min: 18, max: 90", "min: 1000, max: 2000", 8, "hold none of its normal distribution"),
    (
        "table: customers,",
        "table: customer,",
        19,
        "the table 'customer', which the spec does not have (did you mean 'customers'?)",
    ),
    ("column: id}", "column: age}", 19, "a numeric column; a foreign key refers to an id column"),
    ("column: id}", "column: idd}", 19, "does not have (did you mean 'id'?)"),
    (
        '"pay / 1000 + age"',
        '"pya / 1000 + age"',
        12,
        "reads the column 'pya', which the table does not have (did you mean 'pay'?)",
    ),
    (
        '"pay / 1000 + age"',
        "\"__import__('os').system('ls')\"",
        12,
        "which is not a function name",
    ),
    ('"pay / 1000 + age"', '"pay.real"', 12, "attribute access"),
    ('"pay / 1000 + age"', '"score + 1"', 12, "in a circle (score -> score)"),
    (
        "{mu: 11}}}",
        "{mu: 11}}, hidden: true}\n      x: {expression: y}\n      y: {expression: x}",
        11,
        "in a circle (x -> y -> x)",
    ),
    (
        "engineer: {mu: 11}",
        "enginer: {mu: 11}",
        10,
        "case 'enginer', which is not a value of 'job' (did you mean 'engineer'?)",
    ),
    (
        "cases: {engineer: {mu: 11}}}",
        "cases: {engineer: {mu: 11}}, distribution: beta}",
        10,
        "appears twice",
    ),
    ("start: parent.opened", "start: parent.openedd", 20, "(did you mean 'parent.opened'?)"),
    ('"pay / 1000 + age"', '"parent.age"', 12, "the table has no parent"),
    (
        '"balance > 10"',
        "{type: range, column: balance, low: -10, high: -1}",
        23,
        "can never hold: 'balance' is drawn within [0, inf]",
    ),
    (
        '"balance > 10"',
        "{type: range, column: balance, low: 10}\n      - {type: range, column: balance, high: 5}",
        22,
        "contradict each other",
    ),
    ('"balance > 10"', "{type: unique, columns: [balance]}", 23, "generation cannot keep"),
    ('"balance > 10"', '"balanse > 10"', 23, "(did you mean 'balance'?)"),
    ('"balance > 10"', "\"customer_id != 'x'\"", 23, "reads only keys and parent values"),
    ("[age, pay, 0.5]", "[age, score, 0.5]", 14, "a derived column"),
    ("[age, pay, 0.5]", "[age, pay, 1.5]", 14, "between -1 and 1"),
    (
        "[age, pay, 0.5]",
        "[age, pay, 0.9]\n      - [age, opened, 0.9]\n      - [pay, opened, -0.9]",
        16,
        "not positive definite",
    ),
    ('pattern: "C-####"', 'pattern: "C-#"', 7, "10 possible ids, fewer than the table's 50 rows"),
    ("per_parent: {distribution: poisson, lam: 2, max: 5}", "rows: 5", 20, "has no parent"),
    ("column: id}", "column: id}\n      other: {foreign_key: nowhere.id}", 20, "'nowhere'"),
    ("    correlations:", "    extra: 1\n    correlations:", 13, "unknown table key 'extra'"),
    ("{type: date,", "{type: dat,", 11, "(did you mean 'date'?)"),
    ("start: 2015-01-01", "start: 2015-13-01", 11, "start"),
]


@pytest.mark.parametrize(("old", "new", "line", "message"), CASES)
def test_bad_input_names_its_line(old: str, new: str, line: int, message: str) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1)
    with pytest.raises(dt.SpecError) as info:
        Spec.load(text)
    assert message in str(info.value)
    assert info.value.line == line, str(info.value)
    assert str(info.value).startswith(f"Spec line {line}: ")
    assert "\n" not in str(info.value)


def test_tables_that_refer_to_each_other_in_a_circle() -> None:
    text = BASE.replace(
        "      score:", "      fav: {foreign_key: accounts.id, missing: 0.5}\n      score:"
    )
    with pytest.raises(dt.SpecError, match=r"in a circle \(customers -> accounts -> customers\)"):
        Spec.load(text)


def test_an_expression_that_fails_on_the_rows_names_its_column() -> None:
    text = BASE.replace('"pay / 1000 + age"', '"job + 1"')
    with pytest.raises(dt.SpecError, match="Column 'score' cannot be computed"):
        dt.generate(text)
