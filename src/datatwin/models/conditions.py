"""Conditions on sampled rows: which values a column may take in every row that comes out.

A user writes conditions per column: a value (``"income": ">50K"``), a list of values
(``"sex": ["Female", "Male"]``) or a range as a tuple (``"age": (30, 40)``, either end ``None`` for
open). :func:`parse_conditions` checks them against what the model learned — an unseen category,
an empty range or a column whose values are generated rather than learned is an error — and turns
each into a :class:`Condition`: allowed categories, or allowed intervals on the model's numeric
scale. :meth:`Condition.parts` says the same in terms of model parts (:class:`PartCondition`), which
models that sample conditions exactly understand; :meth:`Condition.matches` checks output rows.

Points on a rounded scale (integers, fixed decimals, dates) become the interval that rounds to
them, so a model that samples inside it produces exactly the value; points on an unrounded scale
become a tiny interval, and the value is written into the output as asked.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from datatwin.errors import ParameterError
from datatwin.transforms import TableCodec
from datatwin.transforms.codecs import CategoryCodec, ColumnCodec, DatetimeCodec, NumericCodec
from datatwin.transforms.dtypes import plain

__all__ = [
    "Condition",
    "ImpossibleConditionError",
    "PartCondition",
    "parse_conditions",
    "parse_where",
    "resample",
]

TINY = 1e-6  # half-width of a point on an unrounded scale, relative to the value's magnitude
OPERATORS = (">=", "<=", "!=", "==", "=", ">", "<")


class ImpossibleConditionError(Exception):
    """Raised by a model when no row it can make meets the part conditions it was given."""


@dataclass(frozen=True)
class PartCondition:
    """A condition on one model part: allowed levels (discrete) or closed intervals (continuous)."""

    key: str
    allowed: np.ndarray | None = None  # discrete: a bool per level
    intervals: np.ndarray | None = None  # continuous: (k, 2), sorted and disjoint

    def contains(self, values: np.ndarray) -> np.ndarray:
        """Whether each part value meets the condition."""
        if self.allowed is not None:
            return np.asarray(self.allowed[values.astype(np.int64)], dtype=bool)
        assert self.intervals is not None
        inside = np.zeros(len(values), dtype=bool)
        for low, high in self.intervals:
            inside |= (values >= low) & (values <= high)
        return inside


@dataclass(frozen=True)
class Condition:
    """The values one column may take: categories, or intervals of numbers (and maybe missing)."""

    column: str
    text: str  # how a person would write it, for messages
    codec: ColumnCodec = field(repr=False, compare=False)
    values: tuple[Any, ...] = ()  # categories (plain values; None is missing)
    intervals: tuple[tuple[float, float], ...] = ()  # the model's scale: what rounds into a bound
    checks: tuple[tuple[float, float, bool, bool], ...] = ()  # (low, high, low_open, high_open)
    points: tuple[float | None, ...] = ()  # per interval, a value to write exactly, or None
    missing: bool = False  # numbers: rows without a value may match

    @property
    def is_categorical(self) -> bool:
        return isinstance(self.codec, CategoryCodec)

    def parts(self) -> list[PartCondition]:
        """The same condition on the model parts of the column."""
        codec = self.codec
        if isinstance(codec, CategoryCodec):
            allowed = np.array([c in self.values for c in codec.categories], dtype=bool)
            return [PartCondition(codec.key, allowed=allowed)]
        assert isinstance(codec, NumericCodec)
        out = []
        if self.intervals:
            out.append(PartCondition(codec.key, intervals=np.array(self.intervals, dtype=float)))
        if len(codec.states) > 1:
            allowed = np.array(
                [
                    (s == "value" and bool(self.intervals)) or (s == "missing" and self.missing)
                    for s in codec.states
                ],
                dtype=bool,
            )
            out.append(PartCondition(f"{codec.key}#state", allowed=allowed))
        return out

    def matches(self, series: pd.Series) -> np.ndarray:
        """Whether each output value meets the condition."""
        if isinstance(self.codec, CategoryCodec):
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            wanted = set(self.values)  # plain values: compare each distinct output value once
            ok = np.array([plain(u) in wanted for u in uniques] + [None in wanted], dtype=bool)
            return np.asarray(ok[codes], dtype=bool)  # code -1 (missing) takes the last entry
        assert isinstance(self.codec, NumericCodec)
        x = self.codec.as_floats(series)
        inside = np.isnan(x) & self.missing
        for low, high, low_open, high_open in self.checks:
            above = x > low if low_open else x >= low
            below = x < high if high_open else x <= high
            inside |= above & below
        return np.asarray(inside, dtype=bool)

    def write_points(self, series: pd.Series) -> pd.Series:
        """The output column with point conditions written exactly (unrounded scales only)."""
        if not any(p is not None for p in self.points):
            return series
        assert isinstance(self.codec, NumericCodec)
        x = self.codec.as_floats(series)
        out = series.copy()
        for (low, high), point in zip(self.intervals, self.points, strict=True):
            if point is not None:
                hit = (x >= low) & (x <= high)
                out[hit] = point
        return out


def parse_conditions(conditions: Mapping[str, Any], codec: TableCodec) -> list[Condition]:
    """Check ``{column: value | [values] | (low, high)}`` against a fitted table codec."""
    if not isinstance(conditions, Mapping):
        raise ParameterError(
            "The 'conditions' of sample() must be a dict of column -> value, list of values or "
            f"(low, high) range, or a DataFrame of conditions. Got {type(conditions).__name__}."
        )
    by_name = {c.column.name: c for c in codec.codecs}
    out = []
    for column, spec in conditions.items():
        if column not in by_name:
            raise ParameterError(
                f"The condition names column {column!r}, which the model does not have; its "
                f"columns are {list(by_name)}."
            )
        out.append(_condition(str(column), spec, by_name[column]))
    return out


def _condition(column: str, spec: Any, codec: ColumnCodec) -> Condition:
    if isinstance(codec, CategoryCodec):
        return _categories(column, spec, codec)
    if isinstance(codec, NumericCodec):
        return _numbers(column, spec, codec)
    raise ParameterError(
        f"Column {column!r} is of kind {codec.column.kind!r}: its values are made up, not "
        "learned, so rows cannot be sampled on a condition on it; drop that condition."
    )


def _categories(column: str, spec: Any, codec: CategoryCodec) -> Condition:
    negate = isinstance(spec, _Not)
    if isinstance(spec, _Not):
        spec = spec.value
    wanted = list(spec) if isinstance(spec, list | tuple | set | frozenset) else [spec]
    if not wanted:
        raise ParameterError(f"The condition on {column!r} lists no values; give at least one.")
    known = codec.categories
    values = []
    for value in wanted:
        value = plain(value)
        if value not in known:  # the command line gives text: match by it when unambiguous
            same = [c for c in known if c is not None and str(c) == str(value)]
            if not same:  # "true" for True
                same = [c for c in known if c is not None and str(c).lower() == str(value).lower()]
            if len(same) != 1:
                seen = [c for c in known if c is not None][:8]
                raise ParameterError(
                    f"The condition on {column!r} asks for {value!r}, which the model never saw "
                    f"in that column; seen values include {seen}."
                )
            value = same[0]
        values.append(value)
    shown = values[0] if len(values) == 1 else values
    if negate:
        values = [c for c in known if c not in values]
        if not values:
            raise ParameterError(f"The condition {column} != {shown!r} leaves no value to draw.")
        return Condition(column, f"{column} != {shown!r}", codec, values=tuple(values))
    return Condition(column, f"{column} = {shown!r}", codec, values=tuple(values))


def _numbers(column: str, spec: Any, codec: NumericCodec) -> Condition:
    if isinstance(spec, _Not):
        raise ParameterError(
            f"Column {column!r} is numeric: '!=' works on categories only; give a range instead."
        )
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise ParameterError(
                f"The range for {column!r} must be a (low, high) pair; got {len(spec)} values."
            )
        low, high = spec
        low_open = isinstance(low, _Open) and low.open
        high_open = isinstance(high, _Open) and high.open
        low = low.value if isinstance(low, _Open) else low
        high = high.value if isinstance(high, _Open) else high
        return _range(column, codec, low, high, low_open, high_open)
    wanted = list(spec) if isinstance(spec, list | set | frozenset) else [spec]
    if not wanted:
        raise ParameterError(f"The condition on {column!r} lists no values; give at least one.")
    missing = any(plain(v) is None for v in wanted)
    points = [_scale(column, codec, v) for v in wanted if plain(v) is not None]
    if missing and len(codec.states) == 1:
        raise ParameterError(
            f"The condition on {column!r} asks for missing values, which that column never had "
            "in the training data; drop that value."
        )
    resolution = _resolution(codec)
    intervals: list[tuple[float, float]] = []
    checks: list[tuple[float, float, bool, bool]] = []
    exact: list[float | None] = []
    for x in sorted(set(points)):
        if resolution:  # the values that round to the point
            x = round(x / resolution) * resolution
            half = resolution / 2
            intervals.append((x - half, x + half))
            checks.append((x - half, x + half, True, False))
            exact.append(None)
        else:  # a sliver around it; the value itself is written into the output
            half = TINY * max(abs(x), 1.0)
            intervals.append((x - half, x + half))
            checks.append((x, x, False, False))
            exact.append(x)
    shown = wanted[0] if len(wanted) == 1 else wanted
    return Condition(
        column,
        f"{column} = {shown!r}",
        codec,
        intervals=tuple(intervals),
        checks=tuple(checks),
        points=tuple(exact),
        missing=missing,
    )


def _range(
    column: str, codec: NumericCodec, low: Any, high: Any, low_open: bool, high_open: bool
) -> Condition:
    lo = -math.inf if plain(low) is None else _scale(column, codec, low)
    hi = math.inf if plain(high) is None else _scale(column, codec, high)
    if plain(high) is None:  # an open end reads as a bound
        text = f"{column} {'>' if low_open else '>='} {plain(low)}"
    elif plain(low) is None:
        text = f"{column} {'<' if high_open else '<='} {plain(high)}"
    else:
        text = (
            f"{column} in {'(' if low_open else '['}{plain(low)}, {plain(high)}"
            f"{')' if high_open else ']'}"
        )
    resolution = _resolution(codec)
    lo_model, hi_model, empty = lo, hi, lo > hi or (lo == hi and (low_open or high_open))
    if resolution and not empty:  # the model values that round into the range
        if math.isfinite(lo):
            first = math.ceil(lo / resolution - 1e-9)
            first += low_open and math.isclose(first * resolution, lo, abs_tol=1e-12)
            lo_model = (first - 0.5) * resolution
        if math.isfinite(hi):
            last = math.floor(hi / resolution + 1e-9)
            last -= high_open and math.isclose(last * resolution, hi, abs_tol=1e-12)
            hi_model = (last + 0.5) * resolution
        empty = lo_model >= hi_model
    if empty:
        raise ParameterError(f"The range {text} holds no value; give a low end below the high end.")
    return Condition(
        column,
        text,
        codec,
        intervals=((lo_model, hi_model),),
        checks=((lo, hi, low_open, high_open),),
        points=(None,),
    )


def _resolution(codec: NumericCodec) -> float:
    """The spacing of output values on the model's scale (0 for unrounded numbers)."""
    if isinstance(codec, DatetimeCodec):
        return 1.0  # whole steps
    column = codec.column
    if column.integer or column.decimals == 0:
        return 1.0
    if column.decimals is not None:
        return float(10.0**-column.decimals)
    return 0.0


def _scale(column: str, codec: NumericCodec, value: Any) -> float:
    """A value of the column on the model's scale (dates as steps from the earliest date)."""
    if isinstance(codec, DatetimeCodec):
        try:
            stamp: Any = pd.Timestamp(value)
        except (TypeError, ValueError):
            stamp = None
        if stamp is None or pd.isna(stamp):
            raise ParameterError(
                f"The condition on {column!r} gives {value!r}, which is not a date; write it "
                "like '2024-01-31'."
            )
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        step = codec.step
        return float(stamp.as_unit("ns").value // step - (codec.origin or 0) // step)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or math.isnan(number):
        raise ParameterError(
            f"The condition on {column!r} gives {value!r}, which is not a number; that column "
            "is numeric."
        )
    return number


def parse_where(clauses: Sequence[str]) -> dict[str, Any]:
    """Command-line conditions (``age>=30``, ``income=>50K``, ``age=30..40``) as a dict.

    The operator is the first ``=``, ``!=``, ``<``, ``<=``, ``>`` or ``>=`` in the clause, so
    ``income=>50K`` means income equals ``>50K``. ``COL=A|B`` allows several values,
    ``COL=LOW..HIGH`` a range; several clauses on one column must all hold.
    """
    out: dict[str, Any] = {}
    for clause in clauses:
        place = next((i for i, ch in enumerate(clause) if ch in "<>=!"), -1)
        if place <= 0:
            raise ParameterError(
                f"The condition {clause!r} has no column and operator; write it like "
                "'age>=30', 'income=>50K' or 'age=30..40'."
            )
        column = clause[:place].strip()
        op = clause[place : place + 2] if clause[place : place + 2] in OPERATORS else clause[place]
        if op == "!":
            raise ParameterError(f"The condition {clause!r} has a lone '!'; write '!='.")
        text = clause[place + len(op) :].strip()
        out[column] = _combine(column, out.get(column), _where_spec(op, text), clause)
    return out


@dataclass(frozen=True)
class _Not:
    """Every category but these (``COL!=VALUE`` on the command line)."""

    value: Any


@dataclass(frozen=True)
class _Open:
    """A bound from the command line: a value, exclusive or not."""

    value: Any
    open: bool


def _where_spec(op: str, text: str) -> Any:
    if op in ("=", "=="):
        if ".." in text:
            low, high = text.split("..", 1)
            return (low.strip() or None, high.strip() or None)
        return text.split("|") if "|" in text else text
    if op == "!=":
        return _Not(text.split("|") if "|" in text else text)
    if op in (">", ">="):
        return (_Open(text, op == ">"), None)
    return (None, _Open(text, op == "<"))


def _combine(column: str, old: Any, new: Any, clause: str) -> Any:
    if old is None:
        return new
    if isinstance(old, tuple) and isinstance(new, tuple):
        low = new[0] if old[0] is None else old[0]
        high = new[1] if old[1] is None else old[1]
        if (old[0] is not None and new[0] is not None) or (
            old[1] is not None and new[1] is not None
        ):
            raise ParameterError(
                f"The condition {clause!r} sets a bound of {column!r} twice; give each bound once."
            )
        return (low, high)
    raise ParameterError(
        f"The condition {clause!r} repeats column {column!r}; give one condition per column, "
        "or a range as LOW..HIGH."
    )


def resample(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` row indices drawn in proportion to ``weights`` (systematic resampling, sorted)."""
    total = float(weights.sum())
    if not np.isfinite(total) or total <= 0:
        return np.zeros(0, dtype=np.int64)
    cumulative = np.cumsum(weights / total)
    points = (rng.random() + np.arange(n)) / n
    return np.minimum(np.searchsorted(cumulative, points, side="right"), len(weights) - 1)
