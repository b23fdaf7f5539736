"""Rules that every output row keeps, declared in the schema JSON or from Python.

Each rule says which rows are valid (:meth:`Rule.valid`). Some also change what the model learns so
that it cannot break them (:meth:`Rule.transform` before fitting, :meth:`Rule.reverse` after
sampling): an inequality becomes a non-negative gap, a formula's column is computed rather than
learned, a fixed combination of columns becomes one column of the seen combinations, a one-hot
group one column of which member is set. The others are kept by drawing rows again
(:class:`datatwin.constraints.ruleset.RuleSet`). Missing values never break a rule: a rule holds
on the rows where its columns have values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from datatwin.errors import SchemaError
from datatwin.expression import Expression
from datatwin.transforms.dtypes import plain

__all__ = [
    "RULE_TYPES",
    "Check",
    "FixedCombinations",
    "Formula",
    "IfThen",
    "Inequality",
    "Negative",
    "OneHot",
    "Positive",
    "Predicate",
    "Range",
    "Regex",
    "Rule",
    "Unique",
    "row_keys",
    "rule_from_dict",
]

Bound = float | int | str | dict[str, str] | None  # a number, a date, or {"column": name}


@dataclass(frozen=True)
class Rule:
    """A rule on some columns. Subclasses are frozen dataclasses of their JSON fields."""

    type: ClassVar[str] = ""

    def columns(self) -> list[str]:
        """The columns the rule reads."""
        raise NotImplementedError

    def valid(self, df: pd.DataFrame) -> np.ndarray:
        """Whether each row keeps the rule (rows with missing values in its columns do)."""
        raise NotImplementedError

    def describe(self) -> str:
        """The rule as a person would write it."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The rule as a JSON-ready dict with its ``type``."""
        return {"type": self.type, **asdict(self)}


def _numbers(df: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float64 (dates as nanoseconds), NaN where missing."""
    series = df[column]
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        stamps = pd.DatetimeIndex(series)
        if stamps.tz is not None:
            stamps = stamps.tz_convert("UTC").tz_localize(None)
        values = stamps.as_unit("ns").asi8.astype(np.float64)
        values[np.asarray(stamps.isna())] = np.nan
        return values
    if series.dtype == object or pd.api.types.is_string_dtype(series.dtype):
        parsed = pd.to_datetime(series, errors="coerce", format="mixed")
        return _numbers(pd.DataFrame({column: parsed}), column)
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _bound(df: pd.DataFrame, bound: Bound) -> np.ndarray | float:
    if isinstance(bound, dict):
        return _numbers(df, bound["column"])
    if isinstance(bound, str):
        return float(pd.Timestamp(bound).as_unit("ns").value)
    return np.nan if bound is None else float(bound)


@dataclass(frozen=True)
class Inequality(Rule):
    """``low <= high`` (``<`` when ``strict``), optionally with ``high - low >= gap``."""

    low: str
    high: str
    strict: bool = False
    gap: float = 0.0

    type: ClassVar[str] = "inequality"

    def columns(self) -> list[str]:
        return [self.low, self.high]

    def valid(self, df: pd.DataFrame) -> np.ndarray:
        low, high = _numbers(df, self.low), _numbers(df, self.high)
        gap = self.gap * (86_400e9 if pd.api.types.is_datetime64_any_dtype(df[self.low]) else 1)
        with np.errstate(invalid="ignore"):
            ok = high - low > gap if self.strict else high - low >= gap
        return np.asarray(ok | np.isnan(low) | np.isnan(high), dtype=bool)

    def describe(self) -> str:
        op = "<" if self.strict else "<="
        gap = f" + {self.gap:g}" if self.gap else ""
        return f"{self.low}{gap} {op} {self.high}"


@dataclass(frozen=True)
class Range(Rule):
    """``low <= column <= high``; each bound a number, a date, ``{"column": name}`` or None."""

    column: str
    low: Bound = None
    high: Bound = None
    strict: bool = False

    type: ClassVar[str] = "range"

    def columns(self) -> list[str]:
        return [self.column] + [b["column"] for b in (self.low, self.high) if isinstance(b, dict)]

    def valid(self, df: pd.DataFrame) -> np.ndarray:
        x = _numbers(df, self.column)
        ok = np.ones(len(df), dtype=bool)
        with np.errstate(invalid="ignore"):
            if self.low is not None:
                low = _bound(df, self.low)
                ok &= ~(x <= low if self.strict else x < low)
            if self.high is not None:
                high = _bound(df, self.high)
                ok &= ~(x >= high if self.strict else x > high)
        return ok

    def describe(self) -> str:
        op = "<" if self.strict else "<="
        show = [b["column"] if isinstance(b, dict) else repr(b) for b in (self.low, self.high)]
        left = f"{show[0]} {op} " if self.low is not None else ""
        right = f" {op} {show[1]}" if self.high is not None else ""
        return f"{left}{self.column}{right}"


@dataclass(frozen=True)
class Positive(Rule):
    """``column > 0`` when ``strict`` (the default), else ``column >= 0``."""

    column: str
    strict: bool = True

    type: ClassVar[str] = "positive"
    sign: ClassVar[int] = 1

    def columns(self) -> list[str]:
        return [self.column]

    def valid(self, df: pd.DataFrame) -> np.ndarray:
        x = _numbers(df, self.column) * self.sign
        with np.errstate(invalid="ignore"):
            return np.asarray(~(x <= 0 if self.strict else x < 0), dtype=bool)

    def describe(self) -> str:
        op = (">" if self.strict else ">=") if self.sign > 0 else ("<" if self.strict else "<=")
        return f"{self.column} {op} 0"


@dataclass(frozen=True)
class Negative(Positive):
    """``column < 0`` when ``strict`` (the default), else ``column <= 0``."""

    type: ClassVar[str] = "negative"
    sign: ClassVar[int] = -1


def row_keys(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One hashable key per row: the tuple of its plain values in ``columns`` (None: missing)."""
    parts = [df[c].map(plain, na_action="ignore").astype(object) for c in columns]
    parts = [p.where(p.notna(), None) for p in parts]
    return pd.Series(list(zip(*parts, strict=True)), index=df.index, dtype=object)


@dataclass(frozen=True)
class FixedCombinations(Rule):
    """Only combinations of these columns' values that the real data holds."""

    columns_: list[str] = field(default_factory=list, metadata={"json": "columns"})
    seen: list[list[Any]] = field(default_factory=list, compare=False)

    type: ClassVar[str] = "fixed_combinations"

    def columns(self) -> list[str]:
        return list(self.columns_)

    def valid(self, df: pd.DataFrame) -> np.ndarray:
        if not self.seen:
            return np.ones(len(df), dtype=bool)
        known = {tuple(row) for row in self.seen}
        return np.asarray(row_keys(df, self.columns_).isin(known), dtype=bool)

    def describe(self) -> str:
        return f"fixed combinations of {self.columns_}"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "columns": list(self.columns_)}


@dataclass(frozen=True)
class OneHot(Rule):
    """Exactly one of these columns is set (true or 1) in every row."""

    columns_: list[str] = field(default_factory=list, metadata={"json": "columns"})

    type: ClassVar[str] = "one_hot"

    def columns(self) -> list[str]:
        return list(self.columns_)

    def valid(self, df: pd.DataFrame) -> np.ndarray:
        values = np.column_stack([df[c].astype(float).fillna(0).to_numpy() for c in self.columns_])
        return np.asarray(
            ((values == 0) | (values == 1)).all(axis=1) & (values.sum(axis=1) == 1), dtype=bool
        )

    def describe(self) -> str:
        return f"exactly one of {self.columns_}"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "columns": list(self.columns_)}


@dataclass(frozen=True)
class Formula(Rule):
    """``column = expression`` of other columns (computed, never learned)."""

    column: str
    expression: str
    tolerance: float = 1e-9

    type: ClassVar[str] = "formula"

    def parsed(self) -> Expression:
        return Expression.parse(self.expression)

    def columns(self) -> list[str]:
        return [self.column, *sorted(self.parsed().columns)]

    def valid(self, df: pd.DataFrame) -> np.ndarray:
        want = np.asarray(self.parsed().evaluate(df), dtype=np.float64)
        have = _numbers(df, self.column)
        with np.errstate(invalid="ignore"):
            close = np.abs(have - want) <= self.tolerance * np.maximum(np.abs(want), 1.0)
        return np.asarray(close | np.isnan(want) | np.isnan(have), dtype=bool)

    def describe(self) -> str:
        return f"{self.column} = {self.expression}"


@dataclass(frozen=True)
class Unique(Rule):
    """No two rows share their values in these columns."""

    columns_: list[str] = field(default_factory=list, metadata={"json": "columns"})

    type: ClassVar[str] = "unique"

    def columns(self) -> list[str]:
        return list(self.columns_)

    def valid(self, df: pd.DataFrame) -> np.ndarray:
        return np.asarray(~df.duplicated(subset=self.columns_, keep="first"), dtype=bool)

    def describe(self) -> str:
        return f"unique {self.columns_}"

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "columns": list(self.columns_)}


@dataclass(frozen=True)
class Regex(Rule):
    """Every value of ``column`` matches ``pattern`` in full."""

    column: str
    pattern: str

    type: ClassVar[str] = "regex"

    def columns(self) -> list[str]:
        return [self.column]

    def valid(self, df: pd.DataFrame) -> np.ndarray:
        series = df[self.column]
        text = series.astype(object).where(series.isna(), series.astype(str))
        matched = text.str.fullmatch(re.compile(self.pattern))
        return np.asarray(matched.fillna(True).astype(bool), dtype=bool)

    def describe(self) -> str:
        return f"{self.column} matches {self.pattern!r}"


@dataclass(frozen=True)
class Check(Rule):
    """A boolean expression every row makes true (``age >= 18 or mortgage == 0``)."""

    expression: str

    type: ClassVar[str] = "check"

    def columns(self) -> list[str]:
        return sorted(Expression.parse(self.expression).columns)

    def valid(self, df: pd.DataFrame) -> np.ndarray:
        expression = Expression.parse(self.expression)
        ok = np.asarray(expression.evaluate(df), dtype=bool)
        missing = df[sorted(expression.columns)].isna().any(axis=1).to_numpy()
        return ok | missing

    def describe(self) -> str:
        return self.expression


@dataclass(frozen=True)
class IfThen(Rule):
    """``if when then then``: rows where ``when`` is true make ``then`` true."""

    when: str
    then: str

    type: ClassVar[str] = "if_then"

    def columns(self) -> list[str]:
        both = Expression.parse(self.when).columns | Expression.parse(self.then).columns
        return sorted(both)

    def valid(self, df: pd.DataFrame) -> np.ndarray:
        when = np.asarray(Expression.parse(self.when).evaluate(df), dtype=bool)
        then = np.asarray(Expression.parse(self.then).evaluate(df), dtype=bool)
        return ~when | then

    def describe(self) -> str:
        return f"if {self.when} then {self.then}"


@dataclass(frozen=True)
class Predicate(Rule):
    """Any Python function of the table returning a bool per row (Python only: not saved)."""

    function: Callable[[pd.DataFrame], Any] = field(compare=False)
    name: str = "predicate"
    uses: list[str] = field(default_factory=list)

    type: ClassVar[str] = "predicate"

    def columns(self) -> list[str]:
        return list(self.uses)

    def valid(self, df: pd.DataFrame) -> np.ndarray:
        out = np.asarray(self.function(df), dtype=bool)
        if out.shape != (len(df),):
            raise SchemaError(
                f"The predicate {self.name!r} must return one bool per row; it returned shape "
                f"{out.shape} for {len(df)} rows."
            )
        return out

    def describe(self) -> str:
        return self.name

    def to_dict(self) -> dict[str, Any]:
        raise SchemaError(
            f"The predicate {self.name!r} is Python code and cannot be saved; write it as a "
            "'check' expression to keep it in schema and model files."
        )


RULE_TYPES: dict[str, type[Rule]] = {
    cls.type: cls
    for cls in (
        Inequality,
        Range,
        Positive,
        Negative,
        FixedCombinations,
        OneHot,
        Formula,
        Unique,
        Regex,
        Check,
        IfThen,
    )
}


def rule_from_dict(data: Mapping[str, Any]) -> Rule:
    """A rule from its JSON dict, with one-sentence errors for unknown types and fields.

    A ``"why"`` field (a person's or :func:`suggest_constraints`' note on the rule) is allowed on
    every rule and ignored.
    """
    if not isinstance(data, Mapping) or "type" not in data:
        raise SchemaError("Each constraint must be a JSON object with a 'type'.")
    kind = data["type"]
    cls = RULE_TYPES.get(kind)
    if cls is None:
        raise SchemaError(f"Constraint type {kind!r} is unknown; use one of {sorted(RULE_TYPES)}.")
    names = {f.metadata.get("json", f.name): f.name for f in fields(cls) if f.init}
    args = {k: v for k, v in data.items() if k not in ("type", "why")}
    unknown = sorted(set(args) - set(names))
    if unknown:
        raise SchemaError(
            f"Constraint {kind!r} has unknown field(s) {unknown}; its fields are {sorted(names)}."
        )
    required = sorted(
        k
        for k, f in names.items()
        if _field(cls, f).default is MISSING and _field(cls, f).default_factory is MISSING
    )
    missing = [k for k in required if k not in args]
    if missing:
        raise SchemaError(f"Constraint {kind!r} is missing field(s) {missing}.")
    rule = cls(**{names[k]: v for k, v in args.items()})
    for expression in _expressions(rule):
        Expression.parse(expression)
    return rule


def _field(cls: type[Rule], name: str) -> Any:
    return next(f for f in fields(cls) if f.name == name)


def _expressions(rule: Rule) -> list[str]:
    if isinstance(rule, Formula | Check):
        return [rule.expression]
    if isinstance(rule, IfThen):
        return [rule.when, rule.then]
    return []
