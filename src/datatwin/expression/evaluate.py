"""The :class:`Expression` class and the vectorised evaluation of its tree over whole columns.

Every value in an evaluation is a numpy array with one entry per row, of one of these kinds:
numbers (float64, NaN for missing), true/false values (bool), date-times (datetime64[ns], NaT for
missing), durations (timedelta64[ns]), strings (object arrays, None for missing) and ``None``
alone. Arithmetic with a missing operand gives a missing value; a comparison with a missing operand
is false, and so is a missing value used as a condition; ``isnull``/``notnull`` test for missing
values explicitly. A column of object dtype with no values at all is ``None`` alone too, so it
takes part as missing values of whatever kind the expression needs.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from datatwin.errors import ExpressionError
from datatwin.expression import parse as tree

__all__ = ["Expression"]

Array = npt.NDArray[Any]
_KIND_NAMES = {"number": "a number", "bool": "a true/false value", "string": "a string"}
_KIND_NAMES |= {"datetime": "a date-time", "timedelta": "a duration", "null": "None"}
_ARITHMETIC: dict[str, Callable[[Any, Any], Any]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
}
_ARITHMETIC |= {"/": np.true_divide, "//": np.floor_divide, "%": np.mod, "**": np.power}
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {"==": operator.eq, "!=": operator.ne}
_COMPARE |= {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
# "left kind operator right kind" -> result kind, for arithmetic on date-times and durations
_TEMPORAL = {"datetime - datetime": "timedelta", "timedelta / timedelta": "number"}
_TEMPORAL |= {"timedelta // timedelta": "number", "timedelta % timedelta": "timedelta"}
_TEMPORAL |= {"datetime + timedelta": "datetime", "timedelta + datetime": "datetime"}
_TEMPORAL |= {"datetime - timedelta": "datetime", "timedelta + timedelta": "timedelta"}
_TEMPORAL |= {"timedelta - timedelta": "timedelta", "timedelta * number": "timedelta"}
_TEMPORAL |= {"number * timedelta": "timedelta", "timedelta / number": "timedelta"}
_MATH = {
    name: getattr(np, name) for name in ("sqrt", "log", "log2", "log10", "exp", "floor", "ceil")
}
_PARTS = {"year": "year", "month": "month", "day": "day", "weekday": "day_of_week", "hour": "hour"}
_UNITS = {"days": np.timedelta64(1, "D"), "hours": np.timedelta64(1, "h")}


class Expression:
    """A parsed, checked expression over the columns of a table, such as ``total == net + tax``.

    ``Expression.parse(source, columns)`` (or ``Expression(source, columns)``) parses ``source``
    and, when ``columns`` is given, checks that every name it uses is one of them. Expressions are
    equal when their sources are, and pickle as their source.
    """

    __slots__ = ("_columns", "_source", "_tree")

    def __init__(self, source: str, columns: Iterable[str] | None = None) -> None:
        self._tree, self._columns = tree.parse(source, columns)
        self._source = source

    @classmethod
    def parse(cls, source: str, columns: Iterable[str] | None = None) -> Expression:
        """Parse and check ``source``; raise :class:`ExpressionError` when it is not allowed."""
        return cls(source, columns)

    @property
    def source(self) -> str:
        """The expression's text, as it was given."""
        return self._source

    @property
    def columns(self) -> frozenset[str]:
        """The names of the columns the expression uses."""
        return self._columns

    @property
    def is_boolean(self) -> bool:
        """Whether the expression gives true/false values, judged from its shape (best effort)."""
        return tree.is_boolean(self._tree)

    def evaluate(self, frame: pd.DataFrame | Mapping[str, Any]) -> Array:
        """The expression's value for every row of ``frame``, as a numpy array.

        ``frame`` is a DataFrame or a mapping of column name -> one-dimensional array-like; its
        index is ignored. The result has one entry per row: float64 for numbers, bool for
        conditions, datetime64[ns], timedelta64[ns], or object for strings.
        """
        value = _Evaluator(self._source, frame).run(self._tree)
        if value.kind == "null":
            return np.full(len(value.data), np.nan)
        return np.array(value.data, copy=True)

    def __str__(self) -> str:
        return self._source

    def __repr__(self) -> str:
        return f"Expression({self._source!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Expression):
            return NotImplemented
        return self._source == other._source

    def __hash__(self) -> int:
        return hash((Expression, self._source))

    def __reduce__(self) -> tuple[type[Expression], tuple[str]]:
        return (Expression, (self._source,))


@dataclass(frozen=True)
class _Value:
    kind: str
    data: Array
    literal: tree.Constant | None = None  # the string constant the value was made from


class _Evaluator:
    """Evaluates one tree over one table."""

    def __init__(self, source: str, frame: pd.DataFrame | Mapping[str, Any]) -> None:
        self.source = source
        self.frame = frame
        self.n = len(frame) if isinstance(frame, pd.DataFrame) else 0
        if not isinstance(frame, pd.DataFrame):
            lengths: dict[str, int] = {}
            for name, column in frame.items():
                length = _length(column)
                if length is None:
                    raise self.fail(f"is given column {name!r}, which is not one-dimensional", None)
                lengths[name] = length
            if len(set(lengths.values())) > 1:
                raise self.fail(f"is given columns of different lengths ({lengths})", None)
            self.n = next(iter(lengths.values()), 0)
        self.cache: dict[str, _Value] = {}

    def fail(self, message: str, node: tree.Node | None, fix: str = "") -> ExpressionError:
        fix = fix or "convert the columns or change the expression"
        return ExpressionError(
            f"The expression {tree.quote(self.source)} {message}; {fix}.",
            source=self.source,
            offset=None if node is None else node.offset,
        )

    def mismatch(self, node: tree.Node, what: str, *values: _Value) -> ExpressionError:
        kinds = " and ".join(_KIND_NAMES[value.kind] for value in values)
        return self.fail(f"cannot compute {node.text!r}: {what} does not work on {kinds}", node)

    def run(self, node: tree.Node) -> _Value:
        try:
            with np.errstate(all="ignore"):
                return self.dispatch(node)
        except ExpressionError:
            raise
        except (TypeError, ValueError, ArithmeticError) as exc:
            reason = str(exc).split("\n")[0].rstrip(".")
            raise self.fail(f"cannot compute {node.text!r} ({reason})", node) from None

    def dispatch(self, node: tree.Node) -> _Value:
        match node:
            case tree.Constant(value=value):
                return self.constant(value, node)
            case tree.Column(name=name):
                if name not in self.cache:
                    self.cache[name] = self.column(name, node)
                return self.cache[name]
            case tree.Unary(op=op, operand=operand):
                return self.unary(node, op, self.run(operand))
            case tree.Binary(op=op, left=left, right=right):
                return self.binary(node, op, self.run(left), self.run(right))
            case tree.Compare(ops=ops, operands=operands):
                result, before = np.ones(self.n, dtype=bool), self.run(operands[0])
                for op, operand in zip(ops, operands[1:], strict=True):
                    after = self.run(operand)
                    result &= self.compare(node, op, before, after)
                    before = after
                return _Value("bool", result)
            case tree.Membership():
                return self.membership(node, self.run(node.operand))
            case tree.Logical(op=op, operands=operands):
                combine = np.logical_and if op == "and" else np.logical_or
                truth = self.truth(self.run(operands[0]), operands[0])
                for operand in operands[1:]:
                    truth = combine(truth, self.truth(self.run(operand), operand))
                return _Value("bool", truth)
            case tree.Conditional():
                return self.conditional(node)
            case tree.Call(name="min" | "max" | "clip" | "abs"):
                return self.extremum(node)
            case tree.Call(name=name, args=args):
                return self.call(node, name, self.run(args[0]))
        raise AssertionError(f"unknown node {node!r}")  # pragma: no cover

    def constant(self, value: float | str | bool | None, node: tree.Constant) -> _Value:
        if value is None:
            return _Value("null", self.same(np.nan))
        if isinstance(value, bool):
            return _Value("bool", self.same(value))
        if isinstance(value, str):
            return _Value("string", self.same(value, object), node)
        return _Value("number", self.same(value, float))

    def same(self, value: Any, dtype: Any = None) -> Array:
        """``value`` in every row, as a read-only view that takes no memory per row."""
        return np.broadcast_to(np.asarray(value, dtype=dtype), (self.n,))

    def column(self, name: str, node: tree.Node) -> _Value:
        if name not in self.frame:
            raise self.fail(
                f"uses column {name!r}, which the table does not have",
                node,
                f"columns are {tree.name_list(str(column) for column in self.frame)}",
            )
        raw = self.frame[name]
        if isinstance(raw, pd.DataFrame):
            raise self.fail(f"uses column {name!r}, which the table has more than once", node)
        series = raw if isinstance(raw, pd.Series) else pd.Series(raw, copy=False)
        if series.ndim != 1 or len(series) != self.n:
            raise self.fail(f"uses column {name!r}, which is not one column of the table", node)
        value = _convert(series)
        if value is None:
            raise self.fail(
                f"uses column {name!r} of type {series.dtype}, which it cannot use", node
            )
        return value

    def as_datetime(self, value: _Value) -> _Value:
        """A string constant read as a date-time; any other value as it is."""
        if value.literal is None:
            return value
        moment = self.timestamp(str(value.literal.value), value.literal)
        return _Value("datetime", self.same(moment, "datetime64[ns]"))

    def timestamp(self, text: str, node: tree.Node) -> np.datetime64:
        """``text`` as a date-time; it must name its year ('10:00' or 'today' would change)."""
        try:
            stamp = pd.Timestamp(text) if re.search(r"\d{4}", text) else None
            if isinstance(stamp, pd.Timestamp):  # not NaT
                if stamp.tzinfo is not None:
                    stamp = stamp.tz_convert("UTC").tz_localize(None)
                return stamp.as_unit("ns").to_datetime64()
        except (ValueError, TypeError, OverflowError):
            pass
        raise self.fail(
            f"uses {text!r} as a date-time, but it is not one",
            node,
            "write dates as 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS'",
        )

    def promote(self, *values: _Value) -> list[_Value]:
        """Values made comparable: true/false as numbers next to numbers or None, date strings as
        date-times next to date-times."""
        kinds = {value.kind for value in values}
        if "datetime" in kinds:
            return [self.as_datetime(value) for value in values]
        if "bool" in kinds and kinds & {"number", "null"}:
            return [_as_number(value) for value in values]
        return list(values)

    def unary(self, node: tree.Unary, op: str, value: _Value) -> _Value:
        if op == "not":
            return _Value("bool", ~self.truth(value, node.operand))
        value = _as_number(value)
        if value.kind in ("number", "timedelta", "null"):
            return _Value(value.kind, -value.data if op == "-" else value.data)
        raise self.mismatch(node, f"'{op}'", value)

    def binary(self, node: tree.Node, op: str, left: _Value, right: _Value) -> _Value:
        left, right = self.promote(_as_number(left), _as_number(right))
        kinds = (left.kind, right.kind)
        if "null" in kinds:  # a column with no values at all
            return _Value("null", self.same(np.nan))
        if kinds == ("number", "number"):
            return _Value("number", np.asarray(_ARITHMETIC[op](left.data, right.data), float))
        if kinds == ("string", "string") and op == "+":
            result = np.full(self.n, None, dtype=object)
            valid = ~(_missing(left) | _missing(right))
            result[valid] = left.data[valid] + right.data[valid]
            return _Value("string", result)
        kind = _TEMPORAL.get(f"{left.kind} {op} {right.kind}")
        if kind is None:
            raise self.mismatch(node, f"'{op}'", left, right)
        data = np.asarray(_ARITHMETIC[op](left.data, right.data))
        if kind == "number":
            data = np.where(_missing(left) | _missing(right), np.nan, data.astype(float))
        return _Value(kind, data)

    def compare(self, node: tree.Node, op: str, left: _Value, right: _Value) -> Array:
        left, right = self.promote(left, right)
        if "null" in (left.kind, right.kind):
            return np.zeros(self.n, dtype=bool)
        if left.kind != right.kind:
            raise self.mismatch(node, f"'{op}'", left, right)
        valid = ~(_missing(left) | _missing(right))
        if left.kind != "string":
            return np.asarray(_COMPARE[op](left.data, right.data), dtype=bool) & valid
        result = np.zeros(self.n, dtype=bool)
        result[valid] = _COMPARE[op](left.data[valid], right.data[valid])
        return result

    def membership(self, node: tree.Membership, operand: _Value) -> _Value:
        if operand.kind == "null":
            return _Value("bool", np.zeros(self.n, dtype=bool))
        numbers: tuple[type, ...] = (float, bool)
        wanted = {"number": numbers, "bool": numbers, "string": (str,), "datetime": (str,)}
        types = wanted.get(operand.kind, ())
        odd = [v for v in node.values if not isinstance(v, types)]
        if not types or odd:
            what = f"a list holding {odd[0]!r}" if odd else "a list"
            raise self.fail(
                f"checks whether {node.operand.text!r}, {_KIND_NAMES[operand.kind]}, is in {what}",
                node,
                "use values of the same type as the column",
            )
        if operand.kind == "string":
            found = pd.Series(operand.data, dtype=object).isin(node.values).to_numpy(dtype=bool)
        elif operand.kind == "datetime":
            dates = [self.timestamp(str(value), node) for value in node.values]
            found = np.isin(operand.data, np.array(dates, dtype="datetime64[ns]"))
        else:
            found = np.isin(operand.data.astype(float), np.array(node.values, dtype=float))
        valid = ~_missing(operand)
        return _Value("bool", (~found if node.negated else found) & valid)

    def truth(self, value: _Value, node: tree.Node) -> Array:
        if value.kind == "bool":
            return value.data
        if value.kind == "number":
            return np.asarray((value.data != 0) & ~np.isnan(value.data))
        if value.kind == "null":
            return np.zeros(self.n, dtype=bool)
        raise self.fail(
            f"uses {node.text!r}, {_KIND_NAMES[value.kind]}, as a condition",
            node,
            "compare it with something, as in 'country == \"NO\"'",
        )

    def conditional(self, node: tree.Conditional) -> _Value:
        condition = self.truth(self.run(node.condition), node.condition)
        then, otherwise = self.unify(node, self.run(node.then), self.run(node.otherwise))
        return _Value(then.kind, np.where(condition, then.data, otherwise.data))

    def unify(self, node: tree.Node, *values: _Value) -> list[_Value]:
        """Values of one kind, for the branches of a condition or the arguments of min/max/clip."""
        unified = self.promote(*values)
        if len({value.kind for value in unified} - {"null"}) > 1:
            raise self.fail(
                f"mixes {' and '.join(_KIND_NAMES[v.kind] for v in values)} in {node.text!r}",
                node,
                "make the parts the same type",
            )
        kind = next((v.kind for v in unified if v.kind != "null"), "null")
        empty = {"number": np.nan, "datetime": np.datetime64("NaT", "ns")}
        empty |= {"timedelta": np.timedelta64("NaT", "ns"), "string": None, "null": np.nan}
        dtypes: dict[str, Any] = {"number": float, "datetime": "M8[ns]", "timedelta": "m8[ns]"}
        dtype = dtypes.get(kind, object)
        return [
            _Value(kind, self.same(empty[kind], dtype)) if v.kind == "null" else v for v in unified
        ]

    def call(self, node: tree.Call, name: str, first: _Value) -> _Value:
        needs = {"days": "timedelta", "hours": "timedelta", "len": "string", "lower": "string"}
        needs |= {"upper": "string"} | dict.fromkeys(_PARTS, "datetime")
        needs |= dict.fromkeys([*_MATH, "round"], "number")
        need = needs.get(name)
        if need and first.kind == "null":
            return first
        if need and first.kind != need and (first.kind, need) != ("bool", "number"):
            raise self.fail(
                f"calls {name} on {node.args[0].text!r}, which is {_KIND_NAMES[first.kind]}",
                node,
                f"{name} needs {_KIND_NAMES[need]}",
            )
        if name in ("isnull", "notnull"):
            missing = _missing(first)
            return _Value("bool", missing if name == "isnull" else ~missing)
        if name in _MATH:
            return _Value("number", np.asarray(_MATH[name](_as_number(first).data), dtype=float))
        if name == "round":
            digits = node.args[1] if len(node.args) > 1 else None
            places = int(digits.value) if isinstance(digits, tree.Constant) and digits.value else 0
            return _Value("number", _round(_as_number(first).data, places))
        if name in _UNITS:
            return _Value("number", np.asarray(first.data / _UNITS[name], dtype=float))
        if name in _PARTS:
            part = getattr(pd.DatetimeIndex(first.data), _PARTS[name])
            return _Value("number", np.asarray(part, dtype=float))
        if name in ("len", "lower", "upper"):
            text = pd.Series(first.data, dtype=object).str
            if name == "len":
                return _Value("number", text.len().to_numpy(dtype=float, na_value=np.nan))
            changed = text.lower() if name == "lower" else text.upper()
            return _Value("string", _objects(changed))
        raise AssertionError(f"unknown function {name}")  # pragma: no cover

    def extremum(self, node: tree.Call) -> _Value:
        """abs, min, max and clip, folding in one argument at a time to keep memory flat."""
        kinds = ("number", "timedelta", "null") + (() if node.name == "abs" else ("datetime",))
        result = _as_number(self.run(node.args[0]))
        for index, arg in enumerate(node.args[1:], 1):
            result, other = self.unify(node, result, _as_number(self.run(arg)))
            if node.name == "clip":
                combine = np.maximum if index == 1 else np.minimum
            else:
                combine = np.minimum if node.name == "min" else np.maximum
            if result.kind in kinds:
                result = _Value(result.kind, np.asarray(combine(result.data, other.data)))
        if result.kind not in kinds:
            raise self.fail(
                f"calls {node.name} on {_KIND_NAMES[result.kind]}",
                node,
                f"{node.name} needs numbers, date-times or durations",
            )
        return _Value(result.kind, np.abs(result.data)) if node.name == "abs" else result


def _round(data: Array, digits: int) -> Array:
    """numpy.round, but huge or tiny digit counts leave numbers as they are or give 0."""
    result = np.asarray(np.round(data, digits), dtype=float)
    broken = np.isfinite(data) & ~np.isfinite(result)
    result[broken] = data[broken] if digits >= 0 else 0.0
    return np.where(np.isinf(data), data, result)


def _length(value: Any) -> int | None:
    """The length of a one-dimensional column, or None for anything else."""
    if isinstance(value, str | bytes) or not hasattr(value, "__len__"):
        return None
    return len(value) if getattr(value, "ndim", 1) == 1 else None


def _objects(series: pd.Series[Any]) -> Array:
    """A column as a new object array with None for missing values."""
    data = series.to_numpy(dtype=object, copy=True)
    data[np.asarray(pd.isna(data), dtype=bool)] = None
    return data


def _missing(value: _Value) -> Array:
    if value.kind == "number":
        return np.isnan(value.data)
    if value.kind in ("datetime", "timedelta"):
        return np.isnat(value.data)
    if value.kind == "string":
        return np.asarray(pd.isna(value.data), dtype=bool)
    if value.kind == "null":
        return np.ones(len(value.data), dtype=bool)
    return np.zeros(len(value.data), dtype=bool)


def _as_number(value: _Value) -> _Value:
    return _Value("number", value.data.astype(float)) if value.kind == "bool" else value


def _convert(series: pd.Series[Any]) -> _Value | None:
    """A column as a value of the kind its dtype says, or None when no kind fits."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
        dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) and not series.hasnans:
        return _Value("bool", series.to_numpy(dtype=bool))
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if getattr(dtype, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return _Value("datetime", series.astype("datetime64[ns]").to_numpy())
    if pd.api.types.is_timedelta64_dtype(dtype):
        return _Value("timedelta", series.astype("timedelta64[ns]").to_numpy())
    if pd.api.types.is_complex_dtype(dtype):
        return None
    if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return _Value("number", series.to_numpy(dtype=float, na_value=np.nan))
    if not (pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype)):
        return None
    data = _objects(series)
    inferred = pd.api.types.infer_dtype(data, skipna=True)
    if inferred == "empty":  # no values at all: missing in whatever role the expression gives it
        return _Value("null", np.full(len(data), np.nan))
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal", "boolean"):
        if inferred == "boolean" and not series.hasnans:
            return _Value("bool", data.astype(bool))
        return _Value("number", pd.to_numeric(pd.Series(data, dtype=object)).to_numpy(float))
    if inferred in ("datetime", "datetime64", "date"):
        return _convert(pd.Series(pd.to_datetime(pd.Series(data, dtype=object))))
    if inferred in ("timedelta", "timedelta64"):
        return _convert(pd.Series(pd.to_timedelta(pd.Series(data, dtype=object))))
    return _Value("string", data)
