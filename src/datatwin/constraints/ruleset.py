"""A table's rules together: checked before fitting, turned into what the model learns, undone
after sampling.

:meth:`RuleSet.fit` checks that the rules name real columns of fitting kinds, that they do not
contradict each other, and that the real rows keep them; then it rewrites the table so that the
model cannot break the rules it can encode:

* ``formula``: the column is dropped and computed from the others after sampling;
* ``inequality`` between numbers without missing values: ``high`` is replaced by
  ``log1p(high - low - gap)``, so any sampled value gives ``high >= low + gap`` back;
* ``fixed_combinations``: the columns become one column of the combinations seen;
* ``one_hot``: the columns become one column naming the member that is set.

Every other rule is kept by dropping the sampled rows that break it and drawing again
(:meth:`RuleSet.valid`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from datatwin.constraints.rules import (
    FixedCombinations,
    Formula,
    Inequality,
    OneHot,
    Positive,
    Range,
    Rule,
    Unique,
    row_keys,
    rule_from_dict,
)
from datatwin.errors import DataError, SchemaError
from datatwin.schema.columns import Column, Schema
from datatwin.transforms.dtypes import plain, restore_dtype

__all__ = ["RuleSet", "as_rules"]

NUMBER_KINDS = ("numeric", "datetime")


def as_rules(items: Iterable[Rule | Mapping[str, Any]]) -> list[Rule]:
    """Rules from rule objects or their JSON dicts."""
    return [item if isinstance(item, Rule) else rule_from_dict(item) for item in items]


class RuleSet:
    """The rules of one table and how the model's table is derived from it."""

    def __init__(self, rules: list[Rule], schema: Schema) -> None:
        self.rules = rules
        self.schema = schema  # the real table's columns
        self.encoded: list[Rule] = []  # rules kept by rewriting the table
        self.model_schema = schema

    # --- fitting ------------------------------------------------------------------------------

    @classmethod
    def fit(
        cls, rules: list[Rule], schema: Schema, df: pd.DataFrame
    ) -> tuple[RuleSet, pd.DataFrame]:
        """Check the rules against the schema and the real rows; the table the model learns."""
        check_rules(rules, schema)
        for rule in rules:
            bad = ~rule.valid(df)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise DataError(
                    f"{int(bad.sum()):,} of {len(df):,} real rows break the rule "
                    f"'{rule.describe()}' (the first is row {row}); fix the data or drop the rule."
                )
        fitted = []
        for rule in rules:
            if isinstance(rule, FixedCombinations):
                seen = row_keys(df, rule.columns()).drop_duplicates().tolist()
                rule = FixedCombinations(rule.columns(), [list(k) for k in seen])
            fitted.append(rule)
        out = cls(fitted, schema)
        out._plan(df)
        return out, out.transform(df)

    def _plan(self, df: pd.DataFrame) -> None:
        """Choose the rules that rewrite the table, and the model's schema."""
        taken: set[str] = set()
        columns = list(self.schema.columns)
        for rule in self.rules:
            names = rule.columns()
            if isinstance(rule, Formula):  # computed after the others are restored
                if rule.column in taken:
                    continue
                taken.add(rule.column)
                columns = [c for c in columns if c.name != rule.column]
                self.encoded.append(rule)
                continue
            if taken & set(names):
                continue  # one rewrite per column; the rest are kept by drawing again
            if isinstance(rule, Inequality):
                pair = df[[rule.low, rule.high]]
                if self.schema[rule.high].kind != "numeric" or pair.isna().any().any():
                    continue
                if self.schema[rule.low].kind != "numeric":
                    continue
                new = Column(f"{rule.high}#gap", "numeric", "float64")
                names = [rule.high]
            elif isinstance(rule, FixedCombinations):
                new = Column(f"{'+'.join(names)}#combination", "categorical", "int64")
            elif isinstance(rule, OneHot):
                new = Column(f"{'+'.join(names)}#one_hot", "categorical", "object")
            else:
                continue
            taken |= set(names)
            columns = [c for c in columns if c.name not in names]
            columns.append(new)
            self.encoded.append(rule)
        self.model_schema = Schema(columns)

    # --- the model's table and back -----------------------------------------------------------

    def transform(self, df: pd.DataFrame) -> pd.DataFrame:
        """The real table as the model learns it."""
        out = df.copy()
        for rule in self.encoded:
            if isinstance(rule, Formula):
                out = out.drop(columns=[rule.column])
            elif isinstance(rule, Inequality):
                gap = out[rule.high].astype(float) - out[rule.low].astype(float) - rule.gap
                out[f"{rule.high}#gap"] = np.log1p(np.maximum(gap.to_numpy(), 0.0))
                out = out.drop(columns=[rule.high])
            elif isinstance(rule, FixedCombinations):
                index = {tuple(k): i for i, k in enumerate(map(tuple, rule.seen))}
                keys = row_keys(df, rule.columns())
                name = f"{'+'.join(rule.columns())}#combination"
                out[name] = np.array([index[tuple(k)] for k in keys], dtype=np.int64)
                out = out.drop(columns=rule.columns())
            elif isinstance(rule, OneHot):
                members = rule.columns()
                values = np.column_stack([df[c].astype(float).to_numpy() for c in members])
                which = np.array(members, dtype=object)[values.argmax(axis=1)]
                out[f"{'+'.join(members)}#one_hot"] = which
                out = out.drop(columns=members)
        return out[self.model_schema.names]

    def reverse(self, df: pd.DataFrame) -> pd.DataFrame:
        """Sampled rows of the model's table as rows of the real table, rules applied."""
        out = df.copy()
        for rule in reversed(self.encoded):
            if isinstance(rule, Inequality):
                name = f"{rule.high}#gap"
                low = out[rule.low].to_numpy(dtype=np.float64, na_value=np.nan)
                gap = np.expm1(np.maximum(out[name].to_numpy(dtype=np.float64), 0.0))
                out[rule.high] = self._number(rule.high, low + rule.gap + gap, low, rule)
                out = out.drop(columns=[name])
            elif isinstance(rule, FixedCombinations):
                name = f"{'+'.join(rule.columns())}#combination"
                codes = out[name].to_numpy(dtype=np.int64)
                for j, column in enumerate(rule.columns()):
                    values = np.array([row[j] for row in rule.seen], dtype=object)[codes]
                    out[column] = self._values(column, values)
                out = out.drop(columns=[name])
            elif isinstance(rule, OneHot):
                name = f"{'+'.join(rule.columns())}#one_hot"
                which = out[name].to_numpy(dtype=object)
                for column in rule.columns():
                    out[column] = self._values(column, (which == column).astype(np.int64))
                out = out.drop(columns=[name])
        formulas = [r for r in self.encoded if isinstance(r, Formula)]
        while formulas:  # last, in an order where each reads only columns already there
            ready = [f for f in formulas if f.parsed().columns <= set(out.columns)]
            if not ready:
                break
            for rule in ready:
                values = np.asarray(rule.parsed().evaluate(out), dtype=np.float64)
                out[rule.column] = self._number(rule.column, values, None, None)
                formulas.remove(rule)
        return out[self.schema.names]

    def _number(
        self, name: str, values: np.ndarray, low: np.ndarray | None, rule: Inequality | None
    ) -> Any:
        column = self.schema[name]
        if rule is not None and low is not None and column.max is not None:
            values = np.minimum(values, np.maximum(column.max, low + rule.gap))  # seen range
        step = 1.0 if column.integer or column.decimals == 0 else None
        if column.decimals:
            step = 10.0**-column.decimals
        if step is not None:
            values = np.round(values / step) * step
            if rule is not None and low is not None:  # rounding must not break the rule
                floor = low + rule.gap + (step if rule.strict else 0.0)
                values = np.where(values < floor, np.ceil(floor / step) * step, values)
        elif rule is not None and rule.strict and low is not None:
            floor = low + rule.gap
            values = np.where(values <= floor, np.nextafter(floor, np.inf), values)
        return restore_dtype(values, column.dtype)

    def _values(self, name: str, values: np.ndarray) -> Any:
        column = self.schema[name]
        if column.dtype in ("bool", "boolean"):
            values = np.array([None if v is None else bool(v) for v in values], dtype=object)
        return restore_dtype(values, column.dtype)

    def valid(self, df: pd.DataFrame, before: list[pd.DataFrame] | None = None) -> np.ndarray:
        """Whether each output row keeps every rule; rows already kept (``before``) count for
        rules across rows (``unique``)."""
        ok = np.ones(len(df), dtype=bool)
        for rule in self.rules:
            if isinstance(rule, Unique) and before:
                every = pd.concat([*(b[rule.columns()] for b in before), df[rule.columns()]])
                ok &= rule.valid(every.reset_index(drop=True))[-len(df) :]
            else:
                ok &= rule.valid(df)
        return ok

    # --- files --------------------------------------------------------------------------------

    def get_state(self) -> dict[str, Any]:
        return {
            "rules": [_with_seen(rule) for rule in self.rules],
            "encoded": [self.rules.index(rule) for rule in self.encoded],
            "model_schema": self.model_schema.to_dict(),
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any], schema: Schema) -> RuleSet:
        rules = []
        for data in state["rules"]:
            seen = data.get("seen")
            rule = rule_from_dict({k: v for k, v in data.items() if k != "seen"})
            if isinstance(rule, FixedCombinations) and seen is not None:
                rule = FixedCombinations(rule.columns(), [list(k) for k in seen])
            rules.append(rule)
        out = cls(rules, schema)
        out.encoded = [rules[i] for i in state["encoded"]]
        out.model_schema = Schema.from_dict(state["model_schema"])
        return out


def _with_seen(rule: Rule) -> dict[str, Any]:
    data = rule.to_dict()
    if isinstance(rule, FixedCombinations):
        data["seen"] = [[plain(v) for v in row] for row in rule.seen]
    return data


def check_rules(rules: list[Rule], schema: Schema) -> None:
    """Raise :class:`SchemaError` for a rule on a missing column or of the wrong kind, and for
    rules that contradict each other (before any fitting)."""
    names = set(schema.names)
    for rule in rules:
        missing = [c for c in rule.columns() if c not in names]
        if missing:
            raise SchemaError(
                f"The rule '{rule.describe()}' names column(s) {missing}, which the table does "
                f"not have; its columns are {schema.names}."
            )
        if isinstance(rule, Inequality | Range | Positive | Formula):
            numeric = rule.columns() if not isinstance(rule, Formula) else [rule.column]
            wrong = [c for c in numeric if schema[c].kind not in NUMBER_KINDS]
            if wrong:
                raise SchemaError(
                    f"The rule '{rule.describe()}' needs numbers or dates, but {wrong} are "
                    f"{[schema[c].kind for c in wrong]}; fix the rule or the schema."
                )
    _check_bounds(rules)
    _check_cycles(rules)


def _check_bounds(rules: list[Rule]) -> None:
    """Fixed bounds on one column must leave some values."""
    low: dict[str, tuple[float, str]] = {}
    high: dict[str, tuple[float, str]] = {}
    for rule in rules:
        bounds: list[tuple[str, float | None, float | None]] = []
        if isinstance(rule, Range):
            lo = rule.low if isinstance(rule.low, int | float) else None
            hi = rule.high if isinstance(rule.high, int | float) else None
            bounds.append((rule.column, lo, hi))
        elif isinstance(rule, Positive):
            bounds.append((rule.column, 0.0, None) if rule.sign > 0 else (rule.column, None, 0.0))
        for column, lo, hi in bounds:
            if lo is not None and (column not in low or lo > low[column][0]):
                low[column] = (float(lo), rule.describe())
            if hi is not None and (column not in high or hi < high[column][0]):
                high[column] = (float(hi), rule.describe())
    for column in set(low) & set(high):
        if low[column][0] > high[column][0]:
            raise SchemaError(
                f"The rules '{low[column][1]}' and '{high[column][1]}' contradict each other: "
                f"no value of {column!r} keeps both; drop or fix one."
            )


def _check_cycles(rules: list[Rule]) -> None:
    """Strict inequalities in a circle (a < b < a), and formulas that compute each other."""
    edges: dict[str, set[str]] = {}
    strict: dict[tuple[str, str], bool] = {}
    for rule in rules:
        if isinstance(rule, Inequality):
            edges.setdefault(rule.low, set()).add(rule.high)
            strict[(rule.low, rule.high)] = rule.strict or rule.gap > 0
    for start in edges:
        stack = [(start, False, [start])]
        while stack:
            node, any_strict, path = stack.pop()
            for nxt in edges.get(node, ()):
                through = any_strict or strict[(node, nxt)]
                if nxt == start and through:
                    chain = " < ".join([*path, start])
                    raise SchemaError(
                        f"The inequalities {chain} contradict each other: no row can keep them "
                        "all; drop one."
                    )
                if nxt not in path:
                    stack.append((nxt, through, [*path, nxt]))
    targets: dict[str, Formula] = {}
    for rule in rules:
        if isinstance(rule, Formula):
            if rule.column in targets:
                raise SchemaError(f"Two formulas compute {rule.column!r}; keep one of them.")
            targets[rule.column] = rule
    for column, rule in targets.items():
        seen, todo = {column}, list(rule.parsed().columns)
        while todo:
            name = todo.pop()
            if name == column:
                raise SchemaError(
                    f"The formula for {column!r} depends on itself through other formulas; "
                    "break the circle."
                )
            if name in targets and name not in seen:
                seen.add(name)
                todo.extend(targets[name].parsed().columns)
