"""A table's ``constraints:``: the rules issue's rules, kept by drawing offending rows again.

Items are rule dicts of :mod:`datatwin.constraints` (``{type: inequality, low: opened, high:
closed}``, ``{type: range, column: age, low: 18}``, ``{type: if_then, when: ..., then: ...}``) or
a plain expression, which is a ``check`` rule. Names may be ``parent.x``. Rules are checked when
the spec is read: they must name columns the table has, not contradict each other or the columns'
own bounds, and read at least one column that is drawn (a rule on keys alone cannot be met by
drawing again). Rules that need all rows (``unique``) or real data (``fixed_combinations``) and
``formula`` (write a derived column instead) do not apply to generation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from datatwin.constraints.rules import (
    Inequality,
    Negative,
    Positive,
    Range,
    Rule,
    rule_from_dict,
)
from datatwin.constraints.ruleset import check_rules
from datatwin.errors import SchemaError
from datatwin.schema.columns import Column, Schema
from datatwin.spec.base import ColumnSpec
from datatwin.spec.columns import Derived, Numeric
from datatwin.spec.datetimes import Datetime
from datatwin.spec.document import Where
from datatwin.spec.expressions import compile_expression, rewrite_parent
from datatwin.spec.reader import Section, suggest

__all__ = ["SpecRule", "failing", "parse_rules"]

_UNSUPPORTED = {
    "unique": "a unique rule needs every row at once; make the column type: id (or, for an "
    "e-mail or username identity column, give it unique: true)",
    "fixed_combinations": "fixed combinations come from real data; list the allowed "
    "combinations in a check rule such as 'x in [...]'",
    "formula": "write the column as type: derived with this expression instead",
}


@dataclass(frozen=True)
class SpecRule:
    """A rule and where the spec states it."""

    rule: Rule
    where: Where

    def describe(self) -> str:
        return self.rule.describe().replace("`", "")

    def valid(self, frame: pd.DataFrame) -> Any:
        return self.rule.valid(frame)


def _kind(column: ColumnSpec) -> str:
    if isinstance(column, Numeric | Derived) or getattr(column, "style", "") == "sequential":
        return "numeric"
    if isinstance(column, Datetime):
        return "datetime"
    return column.kind


def parse_rules(section: Section, scope: dict[str, ColumnSpec]) -> list[SpecRule]:
    """The rules of a table, checked against the names in ``scope``."""
    if "constraints" not in section:
        return []
    items = section.sequence("constraints", min_length=0)
    out: list[SpecRule] = []
    for index, item in enumerate(items):
        at = section.at("constraints").at(index, items)
        what = f"constraint {index + 1} of {section.what}"
        data: dict[str, Any] = (
            {"type": "check", "expression": item}
            if isinstance(item, str)
            else dict(Section(item, at, what).data)
        )
        kind = data.get("type")
        if kind in _UNSUPPORTED:
            raise at.error(
                f"The {what} is of type {kind!r}, which generation cannot keep; "
                f"{_UNSUPPORTED[kind]}."
            )
        for key in ("expression", "when", "then"):
            if isinstance(data.get(key), str):
                compile_expression(data[key], at, what, scope)
                data[key] = rewrite_parent(data[key])[0]
        try:
            rule = rule_from_dict(data)
        except SchemaError as exc:
            raise at.error(f"The {what} is not valid: {exc}") from None
        for name in rule.columns():
            if name not in scope:
                raise at.error(
                    f"The {what} names the column {name!r}, which the table does not "
                    f"have{suggest(name, scope)}."
                )
        if all(scope[name].is_fixed() for name in rule.columns()):
            raise at.error(
                f"The {what} ('{rule.describe()}') reads only keys and parent values, which "
                "drawing again cannot change; make it read a drawn column or drop it."
            )
        out.append(SpecRule(rule, at))
    _check_together(out, scope, section)
    for spec_rule in out:
        _check_against_bounds(spec_rule, scope)
    return out


def _check_together(rules: list[SpecRule], scope: dict[str, ColumnSpec], section: Section) -> None:
    columns = [Column(name, _kind(column), "float64") for name, column in scope.items()]  # type: ignore[arg-type]
    try:
        check_rules([r.rule for r in rules], Schema(columns))
    except SchemaError as exc:
        raise section.at("constraints").error(f"The constraints of {section.what}: {exc}") from None


def _interval(column: ColumnSpec) -> tuple[float, float]:
    """The values a column can take, as far as its spec shows (+-inf when unknown)."""
    if isinstance(column, Numeric) and column.unit is None:
        parts = [p for p in [*column.cases, column.default] if p is not None]
        return min(p.low for p in parts), max(p.high for p in parts)
    if (
        isinstance(column, Datetime)
        and isinstance(column.start, int)
        and isinstance(column.end, int)
    ):
        return column.start * 1e9, (column.end + (86_400 if column.dates_only else 0)) * 1e9
    return -math.inf, math.inf


def _check_against_bounds(spec_rule: SpecRule, scope: dict[str, ColumnSpec]) -> None:
    """A rule that no value within the columns' own bounds can keep."""
    rule, problem = spec_rule.rule, None
    if isinstance(rule, Range):
        lo, hi = _interval(scope[rule.column])
        for bound, side in ((rule.low, "low"), (rule.high, "high")):
            if isinstance(bound, int | float) and not isinstance(bound, bool):
                value = float(bound)
            elif isinstance(bound, str):
                value = float(pd.Timestamp(bound).as_unit("ns").value)
            else:
                continue
            if (side == "low" and value > hi) or (side == "high" and value < lo):
                problem = f"{rule.column!r} is drawn within [{_show(lo)}, {_show(hi)}]"
    elif isinstance(rule, Positive):
        lo, hi = _interval(scope[rule.column])
        positive = not isinstance(rule, Negative)
        if (positive and (hi < 0 or (rule.strict and hi <= 0))) or (
            not positive and (lo > 0 or (rule.strict and lo >= 0))
        ):
            problem = f"{rule.column!r} is drawn within [{_show(lo)}, {_show(hi)}]"
    elif isinstance(rule, Inequality):
        low, high = _interval(scope[rule.low]), _interval(scope[rule.high])
        if low[0] > high[1] - rule.gap or (rule.strict and low[0] >= high[1] - rule.gap):
            problem = (
                f"{rule.low!r} is never below {_show(low[0])} and {rule.high!r} never above "
                f"{_show(high[1])}"
            )
    if problem:
        raise spec_rule.where.error(
            f"The constraint '{spec_rule.describe()}' can never hold: {problem}; fix the rule or "
            "the columns' bounds."
        )


def _show(value: float) -> str:
    return f"{value:g}"


def failing(rules: list[SpecRule], frame: pd.DataFrame) -> tuple[np.ndarray, SpecRule | None]:
    """Whether each row keeps every rule, and the rule most rows break."""
    ok = np.ones(len(frame), dtype=bool)
    worst, most = None, 0
    for spec_rule in rules:
        valid = np.asarray(spec_rule.valid(frame), dtype=bool)
        broken = int((~valid).sum())
        if broken > most:
            worst, most = spec_rule, broken
        ok &= valid
    return ok, worst
