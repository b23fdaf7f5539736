"""The safe expression language: parsing, rejection of unsafe input, and vectorised evaluation."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from datatwin.errors import DatatwinError
from datatwin.expression import FUNCTIONS, Expression, ExpressionError

NAN = np.nan


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "net": [100.0, 250.0, np.nan, 40.0],
            "tax": [25.0, 62.5, 10.0, 0.0],
            "total": [125.0, 312.5, 10.0, 41.0],
            "count": pd.array([1, None, 3, 4], dtype="Int64"),
            "flag": [True, False, True, False],
            "maybe": pd.array([True, None, False, True], dtype="boolean"),
            "country": ["NO", "SE", None, "NO"],
            "currency": pd.Categorical(["NOK", "SEK", "EUR", None]),
            "admitted": pd.to_datetime(
                ["2024-01-01", "2024-02-10 06:00", None, "2023-12-31"], format="ISO8601"
            ),
            "discharged": pd.to_datetime(
                ["2024-01-04", "2024-02-10 18:00", "2024-03-01", None], format="ISO8601"
            ),
            "net amount": [1.0, 2.0, 3.0, 4.0],
        }
    )


def ev(source: str, frame: Any) -> np.ndarray:
    return Expression.parse(source).evaluate(frame)


def same(actual: np.ndarray, expected: list[Any]) -> None:
    wanted = np.array(expected, dtype=actual.dtype if actual.dtype != object else object)
    assert actual.shape == wanted.shape
    if actual.dtype.kind == "f":
        np.testing.assert_allclose(actual, wanted.astype(float), equal_nan=True)
    else:
        assert actual.tolist() == wanted.tolist()


# --- the public API ---------------------------------------------------------------------------


def test_api_basics() -> None:
    expr = Expression.parse("total == net + tax", ["net", "tax", "total"])
    assert expr.source == str(expr) == "total == net + tax"
    assert expr.columns == frozenset({"net", "tax", "total"})
    assert expr.is_boolean
    assert expr == Expression("total == net + tax")
    assert expr != Expression("total == tax + net")
    assert hash(expr) == hash(Expression.parse("total == net + tax"))
    assert repr(expr) == "Expression('total == net + tax')"
    assert pickle.loads(pickle.dumps(expr)) == expr
    assert expr != "total == net + tax"


@pytest.mark.parametrize(
    ("source", "boolean"),
    [
        ("a < b", True),
        ("a in [1, 2]", True),
        ("a and b", True),
        ("not a", True),
        ("isnull(a)", True),
        ("notnull(a)", True),
        ("True", True),
        ("(a > 1) if b else (a < 0)", True),
        ("a + b", False),
        ("a", False),
        ("a if b else 1", False),
        ("abs(a)", False),
    ],
)
def test_is_boolean(source: str, boolean: bool) -> None:
    assert Expression.parse(source).is_boolean is boolean


def test_functions_are_documented() -> None:
    expected = {"abs", "sqrt", "log", "log2", "log10", "exp", "floor", "ceil", "round", "min"}
    expected |= {"max", "clip", "isnull", "notnull", "days", "hours", "year", "month", "day"}
    expected |= {"weekday", "hour", "len", "lower", "upper"}
    assert set(FUNCTIONS) == expected
    assert all(description.startswith(name + "(") for name, description in FUNCTIONS.items())
    with pytest.raises(TypeError):
        FUNCTIONS["open"] = "open(f)"  # type: ignore[index]


def test_error_class() -> None:
    assert issubclass(ExpressionError, DatatwinError)
    assert issubclass(ExpressionError, ValueError)
    with pytest.raises(ExpressionError) as info:
        Expression.parse("net + taxx", ["net", "tax", "total"])
    error = info.value
    assert str(error) == (
        "The expression 'net + taxx' uses column 'taxx', which the table does not have "
        "(did you mean 'tax'?); columns are ['net', 'tax', 'total']."
    )
    assert (error.source, error.offset) == ("net + taxx", 6)
    copy = pickle.loads(pickle.dumps(error))
    assert (str(copy), copy.source, copy.offset) == (str(error), "net + taxx", 6)


# --- rejection of unsafe or malformed input ------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "offset", "words"),
    [
        ("__import__('os')", 0, "calls '__import__', which is not allowed"),
        ("().__class__", 3, "attribute access"),
        ("x.y", 2, "attribute access"),
        ("x[0]", 0, "indexing"),
        ("lambda: 1", 0, "lambda"),
        ("[i for i in x]", 0, "comprehension"),
        ("{i: 1 for i in x}", 0, "comprehension"),
        ("(i for i in x)", 0, "comprehension"),
        ('f"{x}"', 0, "f-string"),
        ("open('f')", 0, "calls 'open', which is not allowed"),
        ("x(1)", 0, "calls 'x', which is not allowed"),
        ("abs(x)(1)", 0, "not a function name"),
        ("round(x, ndigits=2)", 9, "keyword argument 'ndigits'"),
        ("abs(**x)", 4, "keyword argument '**'"),
        ("abs(*x)", 4, "unpacking"),
        ("a = 1", 2, "uses '='"),
        ("a := 1", 2, "not valid"),
        ("(a := 1)", 1, "assignment (':=')"),
        ("x & y", 2, "use 'and'"),
        ("(x) | y", 4, "use 'or'"),
        ("~x", 0, "use 'not'"),
        ("x << 2", 2, "'<<'"),
        ("x is None", 0, "'is'"),
        ("x == None", 5, "isnull"),
        ("x + None", 4, "None"),
        ("[1, 2]", 0, "a list outside"),
        ("{'a': 1}", 0, "a dict"),
        ("x in y", 5, "not a list of constants"),
        ("x in [y]", 5, "not a list of constants"),
        ("x in [None]", 5, "not a list of constants"),
        ("x < 1 in [1]", 0, "chains 'in'"),
        ("1j", 0, "constant '1j'"),
        ("b'x'", 0, "constant"),
        ("...", 0, "constant"),
        ("abs()", 0, "takes 1"),
        ("round(x, 1, 2)", 0, "takes 1 or 2"),
        ("min(x)", 0, "takes 2 or more"),
        ("clip(x, 1)", 0, "takes 3"),
        ("round(x, y)", 9, "whole-number constant"),
        ("round(x, 1.5)", 9, "whole-number constant"),
        ("round(x, 1000)", 9, "whole-number constant"),
        ("`net", 0, "not closed"),
        ("a + ``", 4, "is empty"),
        ("a +", 3, "not valid"),
        ("a b", 2, "not valid"),
        ("", None, "empty"),
        ("   # just a comment", None, "empty"),
        ("9" * 400, 0, "too large"),
    ],
)
def test_rejects(source: str, offset: int | None, words: str) -> None:
    with pytest.raises(ExpressionError) as info:
        Expression.parse(source)
    assert info.value.offset == offset
    assert info.value.source == source
    message = str(info.value)
    assert words in message
    assert message.startswith("The expression")
    assert message.endswith(".")
    assert "\n" not in message


def test_rejects_what_is_not_a_string() -> None:
    with pytest.raises(ExpressionError, match="must be a string"):
        Expression.parse(12)  # type: ignore[arg-type]


def test_unknown_columns_and_the_allowed_functions_are_named() -> None:
    with pytest.raises(ExpressionError, match=r"calls 'open'.*allowed functions are \['abs'"):
        Expression.parse("open(1)")
    with pytest.raises(ExpressionError) as info:
        Expression.parse("a + `b c`", ["a", "b"])
    assert info.value.offset == 4
    assert "'b c'" in str(info.value)


def test_limits_on_size_and_depth() -> None:
    with pytest.raises(ExpressionError, match="more than the limit of 10000"):
        Expression.parse("1 + " * 2500 + "1")
    Expression.parse("(" * 50 + "a" + ")" * 50)  # parentheses alone add no depth
    Expression.parse("-" * 49 + "a")
    with pytest.raises(ExpressionError, match="nested more than 50 levels") as info:
        Expression.parse("-" * 51 + "a")
    assert info.value.offset is not None
    with pytest.raises(ExpressionError):
        Expression.parse("(" * 300 + "a" + ")" * 300)
    with pytest.raises(ExpressionError):
        Expression.parse("-" * 9000 + "a")
    with pytest.raises(ExpressionError, match="nested more than 50"):
        Expression.parse(" + ".join(["a"] * 60))


def test_huge_powers_are_computed_by_numpy() -> None:
    result = ev("10 ** 1000 + 2 ** 99999999", {"x": [1, 2]})
    assert np.isinf(result).all()


# --- syntax: backticks, offsets, comments and line breaks ---------------------------------------


def test_backticked_names(frame: pd.DataFrame) -> None:
    expr = Expression.parse("`net amount` * 2 + `net`", frame.columns)
    assert expr.columns == frozenset({"net amount", "net"})
    same(expr.evaluate(frame), [102.0, 254.0, NAN, 48.0])
    assert ev("'`' + country", frame).tolist() == ["`NO", "`SE", None, "`NO"]
    weird = {"if": [1.0], "a-b": [2.0], "ünï cøde": [3.0], "_bt0": [4.0]}
    same(ev("`if` + `a-b` + `ünï cøde` + _bt0", weird), [10.0])


def test_offsets_count_characters_after_backticks_and_non_ascii_text() -> None:
    with pytest.raises(ExpressionError) as info:
        Expression.parse("`net amount` + 'é€' + x.y", ["net amount", "x"])
    assert info.value.offset == 24  # the 'y' of x.y
    with pytest.raises(ExpressionError) as info:
        Expression.parse("`a b` + `c d` + nope", ["a b", "c d"])
    assert info.value.offset == 16


def test_line_breaks_and_comments() -> None:
    expr = Expression.parse("a +  # the net\n  b  # and tax\n")
    assert expr.columns == frozenset({"a", "b"})
    same(expr.evaluate({"a": [1.0], "b": [2.0]}), [3.0])
    with pytest.raises(ExpressionError) as info:
        Expression.parse("a +\n  b.c")
    assert info.value.offset == 8
    assert ev("'''x\ny''' + s", {"s": ["!"]}).tolist() == ["x\ny!"]


def test_leading_whitespace_is_fine() -> None:
    same(ev("   a + 1", {"a": [1.0]}), [2.0])
    same(ev("\n`a` + 1", {"a": [1.0]}), [2.0])


# --- evaluation: operators ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("net + tax", [125.0, 312.5, NAN, 40.0]),
        ("net - tax", [75.0, 187.5, NAN, 40.0]),
        ("net * 2", [200.0, 500.0, NAN, 80.0]),
        ("tax / net", [0.25, 0.25, NAN, 0.0]),
        ("net // 30", [3.0, 8.0, NAN, 1.0]),
        ("net % 30", [10.0, 10.0, NAN, 10.0]),
        ("tax ** 0.5", [5.0, 62.5**0.5, 10.0**0.5, 0.0]),
        ("-net", [-100.0, -250.0, NAN, -40.0]),
        ("+net", [100.0, 250.0, NAN, 40.0]),
        ("-(net + 1) * 2", [-202.0, -502.0, NAN, -82.0]),
        ("count + 1", [2.0, NAN, 4.0, 5.0]),
        ("flag + 1", [2.0, 1.0, 2.0, 1.0]),
        ("maybe * 10", [10.0, NAN, 0.0, 10.0]),
        ("1 + 2", [3.0, 3.0, 3.0, 3.0]),
        ("net if flag else tax", [100.0, 62.5, NAN, 0.0]),
        ("net if net > 50 else None", [100.0, 250.0, NAN, NAN]),
        ("None", [NAN, NAN, NAN, NAN]),
        ("round(net / 3, 1)", [33.3, 83.3, NAN, 13.3]),
    ],
)
def test_arithmetic(frame: pd.DataFrame, source: str, expected: list[float]) -> None:
    result = ev(source, frame)
    assert result.dtype == np.float64
    same(result, expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("total == net + tax", [True, True, False, False]),
        ("total != net + tax", [False, False, False, True]),
        ("net < 100", [False, False, False, True]),
        ("net <= 100", [True, False, False, True]),
        ("net > 100", [False, True, False, False]),
        ("net >= 100", [True, True, False, False]),
        ("0 < tax <= 25", [True, False, True, False]),
        ("tax < net < 200", [True, False, False, True]),
        ("country == 'NO'", [True, False, False, True]),
        ("country != 'NO'", [False, True, False, False]),
        ("country < 'O'", [True, False, False, True]),
        ("country in ['NO', 'DK']", [True, False, False, True]),
        ("country not in ('NO', 'DK')", [False, True, False, False]),
        ("currency in ['NOK', 'EUR']", [True, False, True, False]),
        ("net in [100, 40.0, -1]", [True, False, False, True]),
        ("net not in [100]", [False, True, False, True]),
        ("count in [1, 3]", [True, False, True, False]),
        ("flag in [True]", [True, False, True, False]),
        ("flag == True", [True, False, True, False]),
        ("flag == 1", [True, False, True, False]),
        ("flag", [True, False, True, False]),
        ("not flag", [False, True, False, True]),
        ("flag and net > 50", [True, False, False, False]),
        ("flag or net > 200", [True, True, True, False]),
        ("not (flag or tax > 20)", [False, False, False, True]),
        ("net and tax", [True, True, False, False]),
        ("maybe or False", [True, False, False, True]),
        ("True", [True, True, True, True]),
        ("(net > 200) if flag else (tax > 1)", [False, True, False, False]),
    ],
)
def test_conditions(frame: pd.DataFrame, source: str, expected: list[bool]) -> None:
    result = ev(source, frame)
    assert result.dtype == np.bool_
    assert result.tolist() == expected


def test_if_then_constraint_shape(frame: pd.DataFrame) -> None:
    # how a constraint "if country == 'NO' then currency == 'NOK'" is checked: not p or q
    same(ev("not (country == 'NO') or currency == 'NOK'", frame), [True, True, True, False])


def test_strings(frame: pd.DataFrame) -> None:
    assert ev("country + '-' + currency", frame).tolist() == ["NO-NOK", "SE-SEK", None, None]
    assert ev("lower(country)", frame).tolist() == ["no", "se", None, "no"]
    assert ev("upper(lower(currency))", frame).tolist() == ["NOK", "SEK", "EUR", None]
    same(ev("len(country + 'xy')", frame), [4.0, 4.0, NAN, 4.0])
    assert ev("'x'", frame).tolist() == ["x"] * 4
    assert ev("country if flag else 'none'", frame).tolist() == ["NO", "none", None, "none"]
    assert ev("country if flag else None", frame).tolist() == ["NO", None, None, None]
    assert ev("s == '\\d' or s == '\\\\d'", {"s": ["\\d", "d"]}).tolist() == [True, False]


# --- evaluation: functions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("abs(tax - net)", [75.0, 187.5, NAN, 40.0]),
        ("sqrt(tax)", [5.0, 62.5**0.5, 10.0**0.5, 0.0]),
        ("sqrt(-tax)", [NAN, NAN, NAN, -0.0]),
        ("log(tax)", [np.log(25.0), np.log(62.5), np.log(10.0), -np.inf]),
        ("log2(8)", [3.0] * 4),
        ("log10(net)", [2.0, np.log10(250.0), NAN, np.log10(40.0)]),
        ("exp(0)", [1.0] * 4),
        ("exp(1000)", [np.inf] * 4),
        ("floor(tax / 10)", [2.0, 6.0, 1.0, 0.0]),
        ("ceil(tax / 10)", [3.0, 7.0, 1.0, 0.0]),
        ("round(tax)", [25.0, 62.0, 10.0, 0.0]),  # half to even
        ("round(tax / 7, 2)", [3.57, 8.93, 1.43, 0.0]),
        ("round(net, -2)", [100.0, 200.0, NAN, 0.0]),
        ("round(net, 400)", [100.0, 250.0, NAN, 40.0]),
        ("round(net, -400)", [0.0, 0.0, NAN, 0.0]),
        ("round(1e300, 20)", [1e300] * 4),
        ("min(net, tax)", [25.0, 62.5, NAN, 0.0]),
        ("max(net, tax, 60)", [100.0, 250.0, NAN, 60.0]),
        ("min(flag, 0.5)", [0.5, 0.0, 0.5, 0.0]),
        ("clip(net, 50, 200)", [100.0, 200.0, NAN, 50.0]),
        ("days(discharged - admitted)", [3.0, 0.5, NAN, NAN]),
        ("hours(discharged - admitted)", [72.0, 12.0, NAN, NAN]),
        ("year(admitted)", [2024.0, 2024.0, NAN, 2023.0]),
        ("month(admitted)", [1.0, 2.0, NAN, 12.0]),
        ("day(admitted)", [1.0, 10.0, NAN, 31.0]),
        ("weekday(admitted)", [0.0, 5.0, NAN, 6.0]),  # 2024-01-01 was a Monday
        ("hour(admitted)", [0.0, 6.0, NAN, 0.0]),
        ("len(country)", [2.0, 2.0, NAN, 2.0]),
    ],
)
def test_functions(frame: pd.DataFrame, source: str, expected: list[float]) -> None:
    result = ev(source, frame)
    assert result.dtype == np.float64
    same(result, expected)


def test_null_tests(frame: pd.DataFrame) -> None:
    for column, missing in [
        ("net", [False, False, True, False]),
        ("count", [False, True, False, False]),
        ("maybe", [False, True, False, False]),
        ("country", [False, False, True, False]),
        ("currency", [False, False, False, True]),
        ("admitted", [False, False, True, False]),
        ("discharged - admitted", [False, False, True, True]),
        ("flag", [False, False, False, False]),
    ]:
        assert ev(f"isnull({column})", frame).tolist() == missing
        assert ev(f"notnull({column})", frame).tolist() == [not m for m in missing]


def test_every_function_has_a_test() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    assert all(f'"{name}(' in source or f"({name}(" in source for name in FUNCTIONS)


# --- missing values -------------------------------------------------------------------------------


def test_missing_values() -> None:
    data = {"a": [1.0, np.nan, np.nan], "b": [np.nan, 2.0, np.nan]}
    assert np.isnan(ev("a + b", data)).all()
    # every comparison with a missing operand is false, '!=' included
    for op in ["==", "!=", "<", "<=", ">", ">="]:
        assert ev(f"a {op} b", data).tolist() == [False, False, False]
    assert ev("a in [1]", data).tolist() == [True, False, False]
    assert ev("a not in [5]", data).tolist() == [True, False, False]
    # a missing value used as a condition counts as false
    assert ev("a and True", data).tolist() == [True, False, False]
    assert ev("a or b", data).tolist() == [True, True, False]
    same(ev("1 if a else 2", data), [1.0, 2.0, 2.0])
    assert ev("isnull(a) or a > 0", data).tolist() == [True, True, True]
    same(ev("min(a, b)", data), [NAN, NAN, NAN])


def test_division_by_zero_gives_inf_and_nan_without_warnings() -> None:
    data = {"a": [1.0, -1.0, 0.0], "b": [0.0, 0.0, 0.0]}
    same(ev("a / b", data), [np.inf, -np.inf, NAN])
    same(ev("a // b", data), [np.inf, -np.inf, NAN])
    same(ev("a % b", data), [NAN, NAN, NAN])
    same(ev("log(b) + sqrt(-1)", data), [NAN, NAN, NAN])


# --- date-times and durations ---------------------------------------------------------------------


def test_datetime_arithmetic_and_comparison(frame: pd.DataFrame) -> None:
    stay = ev("discharged - admitted", frame)
    assert stay.dtype == np.dtype("timedelta64[ns]")
    assert stay[0] == np.timedelta64(3, "D")
    assert np.isnat(stay[2:]).all()
    assert ev("discharged >= admitted", frame).tolist() == [True, True, False, False]
    assert ev("admitted < '2024-01-15'", frame).tolist() == [True, False, False, True]
    assert ev("'2024-01-15' > admitted", frame).tolist() == [True, False, False, True]
    assert ev("admitted == '2023-12-31'", frame).tolist() == [False, False, False, True]
    assert ev("'2024-01-01' <= admitted < '2024-02-11'", frame).tolist() == [
        True,
        True,
        False,
        False,
    ]
    assert ev("admitted in ['2024-01-01', '2023-12-31']", frame).tolist() == [
        True,
        False,
        False,
        True,
    ]
    assert ev("discharged - admitted > admitted - admitted", frame).tolist() == [
        True,
        True,
        False,
        False,
    ]
    later = ev("admitted + (discharged - admitted) * 2", frame)
    assert later.dtype == np.dtype("datetime64[ns]")
    assert later[0] == np.datetime64("2024-01-07")
    same(ev("days(discharged - '2024-01-01')", frame), [3.0, 40.75, 60.0, NAN])
    same(ev("(discharged - admitted) / (discharged - admitted)", frame), [1.0, 1.0, NAN, NAN])
    same(ev("(discharged - admitted) // (admitted - '2023-12-31')", frame), [3.0, 0.0, NAN, NAN])
    latest = ev("max(admitted, '2024-01-02')", frame)
    assert latest[0] == np.datetime64("2024-01-02")
    assert np.isnat(latest[2])
    branch = ev("admitted if flag else '2000-01-01'", frame)
    assert branch.dtype == np.dtype("datetime64[ns]")
    assert branch[1] == np.datetime64("2000-01-01")
    assert ev("abs(admitted - discharged)", frame)[0] == np.timedelta64(3, "D")


def test_datetime_columns_of_other_kinds() -> None:
    data = {
        "utc": pd.Series(pd.to_datetime(["2024-01-01 01:00"]).tz_localize("Europe/Oslo")),
        "seconds": np.array(["2024-01-01T00:00:00"], dtype="datetime64[s]"),
        "gap": pd.to_timedelta(["1 day"]),
    }
    assert ev("utc == seconds", data).tolist() == [True]
    assert ev("utc == '2024-01-01T01:00+01:00'", data).tolist() == [True]
    assert ev("seconds + gap", data).dtype == np.dtype("datetime64[ns]")


def test_bad_dates_are_reported(frame: pd.DataFrame) -> None:
    with pytest.raises(ExpressionError, match="'soon' as a date-time") as info:
        ev("admitted > 'soon'", frame)
    assert info.value.offset == 11
    for text in ["today", "10:00", "", "NaT", "2024-13-01", "99999-01-01"]:
        with pytest.raises(ExpressionError, match="as a date-time, but it is not one"):
            ev(f"admitted > {text!r}", frame)


# --- evaluation errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "offset", "words"),
    [
        ("country + 1", 0, "'+' does not work on a string and a number"),
        ("net * (country + 1)", 7, "'+' does not work on a string and a number"),
        ("country < 1", 0, "'<' does not work on a string and a number"),
        ("admitted + discharged", 0, "a date-time and a date-time"),
        ("admitted * 2", 0, "a date-time and a number"),
        ("-country", 0, "'-' does not work on a string"),
        ("year(net)", 0, "year needs a date-time"),
        ("days(net)", 0, "days needs a duration"),
        ("lower(net)", 0, "lower needs a string"),
        ("sqrt(country)", 0, "sqrt needs a number"),
        ("min(country, 'a')", 0, "min needs numbers"),
        ("max(net, 1, country)", 0, "mixes a number and a string"),
        ("clip(admitted, 1, 2)", 0, "mixes a date-time and a number"),
        ("abs(admitted)", 0, "abs needs numbers"),
        ("country and flag", 0, "as a condition"),
        ("not (admitted)", 5, "uses 'admitted', a date-time, as a condition"),
        ("net if flag else country", 0, "mixes a number and a string"),
        ("country in [1]", 0, "is in a list holding 1.0"),
        ("net in ['a']", 0, "is in a list holding 'a'"),
        ("admitted in [1]", 0, "is in a list holding 1.0"),
        ("missing + 1", 0, "which the table does not have; columns are ['net'"),
    ],
)
def test_type_errors(frame: pd.DataFrame, source: str, offset: int, words: str) -> None:
    with pytest.raises(ExpressionError) as info:
        ev(source, frame)
    assert words in str(info.value)
    assert info.value.offset == offset
    assert str(info.value).count(". ") == 0  # one sentence


def test_unusable_columns() -> None:
    with pytest.raises(ExpressionError, match="complex128"):
        ev("z + 1", {"z": np.array([1j])})
    with pytest.raises(ExpressionError, match="different lengths"):
        ev("a + b", {"a": [1, 2], "b": [1]})
    with pytest.raises(ExpressionError, match="not one-dimensional"):
        ev("a", {"a": np.ones((2, 2))})
    with pytest.raises(ExpressionError, match="not one-dimensional"):
        ev("a", {"a": 3})
    duplicated = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(ExpressionError, match="more than once"):
        ev("a + 1", duplicated)
    with pytest.raises(ExpressionError, match="cannot compute"):
        ev("s < 'a'", {"s": np.array([1, "b"], dtype=object)})


# --- inputs of many shapes ------------------------------------------------------------------------


def test_mappings_of_arrays_lists_and_series() -> None:
    data = {
        "a": np.array([1, 2, 3], dtype=np.int32),
        "b": [0.5, None, 1.5],
        "c": pd.Series([1, 2, 3], index=[10, 20, 30]),
        "s": np.array(["x", None, "z"], dtype=object),
        "o": np.array([True, None, False], dtype=object),
        "e": np.array([None, None, None], dtype=object),
    }
    same(ev("a + b + c", data), [2.5, NAN, 7.5])
    assert ev("s == 'x'", data).tolist() == [True, False, False]
    same(ev("o + 0", data), [1.0, NAN, 0.0])
    same(ev("e + 1", data), [NAN, NAN, NAN])
    assert ev("1 + 1", {}).shape == (0,)
    assert ev("1 + 1", pd.DataFrame(index=range(3))).tolist() == [2.0, 2.0, 2.0]


def test_empty_tables() -> None:
    empty = pd.DataFrame({"a": pd.Series([], dtype=float), "s": pd.Series([], dtype=object)})
    assert ev("a + 1", empty).shape == (0,)
    assert ev("a > 1 and s == 'x'", empty).dtype == np.bool_
    assert ev("round(a, 2)", empty).shape == (0,)


def test_the_result_is_a_new_array() -> None:
    data = {"a": np.array([1.0, 2.0])}
    result = ev("a", data)
    result[0] = 99.0
    assert data["a"][0] == 1.0
    frame = pd.DataFrame({"s": ["x", None]})
    ev("s + 'y'", frame)
    assert frame["s"].tolist()[0] == "x"


# --- properties -----------------------------------------------------------------------------------

floats = hnp.arrays(
    np.float64,
    st.integers(0, 30),
    elements=st.floats(allow_nan=True, allow_infinity=True, width=64),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_arithmetic_matches_numpy(data: st.DataObject) -> None:
    a = data.draw(floats)
    b = data.draw(hnp.arrays(np.float64, len(a), elements=st.floats(width=64)))
    result = Expression.parse("a + b * 2 - abs(a)").evaluate({"a": a, "b": b})
    with np.errstate(all="ignore"):
        expected = a + b * 2 - np.abs(a)
    np.testing.assert_array_equal(result, expected)  # NaN in the same places counts as equal


TOKENS = [
    "a", "b", "s", "t", "`a`", "1", "0", "2.5", "-", "+", "*", "/", "//", "%", "**", "(", ")",
    ",", "==", "!=", "<", ">=", "and", "or", "not", "if", "else", "in", "[", "]", "'x'", "None",
    "True", "'2024-01-01'", *FUNCTIONS, ".", "=", "lambda", ":", "`", "#", "\n", "é", "_",
]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(max_size=60), st.lists(st.sampled_from(TOKENS), max_size=14).map(" ".join))
)
def test_random_input_raises_only_expression_errors(source: str) -> None:
    table = {
        "a": np.array([1.0, np.nan, -2.0]),
        "b": np.array([0.0, 3.0, 4.0]),
        "s": np.array(["x", None, "y"], dtype=object),
        "t": np.array(["2024-01-01", "NaT", "2023-05-01"], dtype="datetime64[ns]"),
    }
    result = _outcome(source, table)  # anything but an ExpressionError escapes and fails the test
    if isinstance(result, ExpressionError):
        assert result.offset is None or 0 <= result.offset <= len(source)
        assert str(result).startswith(("The expression", "An expression"))
    else:
        assert result.shape == (3,)


def _outcome(source: str, table: Any) -> np.ndarray | ExpressionError:
    try:
        return Expression.parse(source).evaluate(table)
    except ExpressionError as error:
        return error


def _expressions() -> st.SearchStrategy[str]:
    """Well-formed expressions over the columns of ``MIXED``, most of them of mismatched types."""
    atoms = st.sampled_from(["a", "s", "t", "d", "e", "`f g`", "1", "-2.5", "'x'", "'2024-01-01'"])
    arity = {"min": 3, "max": 2, "clip": 3}

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        ops = ["+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", ">=", "and", "or"]
        binary = st.tuples(inner, st.sampled_from(ops), inner).map(lambda t: f"({' '.join(t)})")
        unary = st.tuples(st.sampled_from(["-", "not "]), inner).map("({0[0]}{0[1]})".format)
        choice = st.tuples(inner, inner, inner).map("({0[0]} if {0[1]} else {0[2]})".format)
        lists = st.sampled_from(["[1, -2.5]", "['x', '']", "['2024-01-01']", "[]"])
        member = st.tuples(inner, lists).map("({0[0]} in {0[1]})".format)
        call = st.sampled_from(sorted(FUNCTIONS)).flatmap(
            lambda name: (
                st.lists(inner, min_size=arity.get(name, 1), max_size=arity.get(name, 1))
                .map(", ".join)
                .map(lambda args: f"{name}({args}{', 2' if name == 'round' else ''})")
            )
        )
        return st.one_of(binary, unary, choice, member, call)

    return st.recursive(atoms, extend, max_leaves=8)


MIXED = pd.DataFrame(
    {
        "a": [1.0, np.nan, -2.0, 1e308],
        "s": ["x", None, "y", ""],
        "t": pd.to_datetime(["2024-01-01", None, "2023-05-01", "1677-09-22"]),
        "d": pd.to_timedelta(["1 day", None, "-5 days", "2 hours"]),
        "e": np.array([None] * 4, dtype=object),
        "f g": pd.array([True, None, False, True], dtype="boolean"),
    }
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions())
def test_well_formed_expressions_evaluate_or_raise_expression_errors(source: str) -> None:
    result = _outcome(source, MIXED)
    if isinstance(result, ExpressionError):
        assert result.offset is not None
        assert 0 <= result.offset <= len(source)
    else:
        assert result.shape == (4,)
        assert result.dtype.kind in "fbMmO"


@pytest.mark.parametrize(
    "source",
    [
        "(" * 5000,
        "-" * 9999 + "1",
        "not " * 2499,
        "`" * 9999,
        "'" * 9999,
        "`a`" * 3333,
        "a if " * 1999 + "b",
        "min(" + ", ".join(["`a b`"] * 1400) + ")",
        " < ".join(["a"] * 2400),
        "a in [" + ", ".join(["1"] * 3000) + "]",
        "1" * 5000,
        "\\" * 9999,
        "\x00",
    ],
)
def test_adversarial_input(source: str) -> None:
    try:
        expr = Expression.parse(source)
    except ExpressionError:
        return
    assert expr.evaluate({"a": [1.0], "a b": [2.0]}).shape == (1,)
