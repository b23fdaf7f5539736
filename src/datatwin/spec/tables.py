"""One table of a spec: its rows (or children per parent row), columns and table options.

This module reads what a table says on its own; :mod:`datatwin.spec.relations` then checks what
spans tables (foreign keys, ``parent.x`` names, rules) and :mod:`datatwin.spec.plan` orders the
work.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from datatwin.spec.base import COMMON_KEYS, PARENT, ColumnSpec
from datatwin.spec.bounded import Bounded, parse_distribution
from datatwin.spec.columns import Boolean, Categorical, Derived, Numeric, common_options
from datatwin.spec.datetimes import Datetime, parse_bound
from datatwin.spec.distributions import Empirical
from datatwin.spec.document import Where
from datatwin.spec.expressions import compile_expression
from datatwin.spec.ids import ForeignKeyColumn, parse_id
from datatwin.spec.people import IdentityColumn
from datatwin.spec.reader import Section, suggest

__all__ = ["COLUMN_TYPES", "TABLE_KEYS", "TableSpec", "parse_column"]

TABLE_KEYS = [
    "rows",
    "per_parent",
    "parent",
    "columns",
    "correlations",
    "constraints",
    "locale",
    "identity",
]
COLUMN_TYPES = [
    "numeric",
    "categorical",
    "boolean",
    "datetime",
    "date",
    "duration",
    "id",
    "foreign_key",
    "identity",
    "derived",
]
_INFER = [  # the key that shows a column's type when it has no 'type', checked in this order
    ("foreign_key", "foreign_key"),
    ("expression", "derived"),
    ("field", "identity"),
    ("pattern", "id"),
    ("distribution", "numeric"),
    ("values", "categorical"),
    ("rate", "boolean"),
    ("start", "datetime"),
]


class TableSpec:
    """A table as the spec describes it."""

    def __init__(self, name: str, section: Section) -> None:
        self.name = name
        self.where = section.where
        self.section = section
        section.allow(TABLE_KEYS, kind="table key")
        self.rows: int | None = section.integer("rows", None, low=0)
        self.per_parent: Bounded | None = None
        if "per_parent" in section:
            if self.rows is not None:
                raise section.fail(
                    "rows",
                    f"{section.title()} has both 'rows' and "
                    "'per_parent'; its rows come from its parent's, so drop 'rows'.",
                )
            self.per_parent = parse_per_parent(section)
        self.parent_name: str | None = section.string("parent", None)
        columns = section.section("columns", f"the columns of {section.what}")
        if not columns.keys():
            raise section.fail("columns", f"{section.title()} has no columns.")
        self.columns: dict[str, ColumnSpec] = {}
        for key in columns:
            if not isinstance(key, str) or not key or "." in key or key.startswith("#"):
                raise columns.fail(
                    key,
                    f"{columns.title()} include the name {key!r}; a column name is text "
                    "without '.' that does not start with '#'.",
                )
            self.columns[key] = parse_column(key, columns.at(key), columns.raw(key), name)
        self.link: ForeignKeyColumn | None = None  # set by relations
        self.parent: TableSpec | None = None

    @property
    def is_root(self) -> bool:
        return self.per_parent is None

    @property
    def visible(self) -> list[str]:
        return [name for name, column in self.columns.items() if not column.hidden]

    def primary_key(self) -> str | None:
        """The first id column, if any."""
        return next((n for n, c in self.columns.items() if c.kind == "id"), None)


def parse_per_parent(section: Section) -> Bounded:
    """The distribution of how many rows each parent row has (whole numbers >= 0)."""
    raw = section.raw("per_parent")
    at = section.at("per_parent")
    what = f"the children per parent of {section.what}"
    if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 0:
        return Bounded(Empirical([float(raw)], [1.0]), None, None)
    part = Section(raw, at, what)
    if "uniform" in part:
        part.allow(["uniform"])
        low, high = ([*part.numbers("uniform", min_length=2), 0.0])[:2]
        if (
            len(part.raw("uniform")) != 2
            or low < 0
            or high < low
            or low != int(low)
            or high != int(high)
            or high - low > 1_000_000
        ):
            raise part.fail(
                "uniform",
                f"{part.title()} needs 'uniform: [low, high]' with whole numbers 0 <= low <= high.",
            )
        values = np.arange(int(low), int(high) + 1, dtype=np.float64).tolist()
        return Bounded(Empirical(values, [1.0] * len(values)), None, None)
    dist = parse_distribution(part, ["min", "max"])
    low = part.number("min", 0.0, low=0.0)
    high = part.number("max", None, low=low)
    bounded = Bounded(dist, low, high)
    if not bounded.mass > 1e-12:
        raise part.where.error(f"{part.title()} has bounds that hold none of its distribution.")
    return bounded


def draw_counts(per_parent: Bounded, rng: np.random.Generator, n: int) -> Any:
    """Children per parent row, as whole numbers >= 0."""
    return np.maximum(np.round(per_parent.sample(rng, n)), 0).astype(np.int64)


def parse_column(name: str, where: Where, raw: Any, table: str) -> ColumnSpec:
    """One column from its mapping."""
    section = Section(raw, where, f"column {name!r} of table {table!r}")
    kind = section.string("type", None, choices=COLUMN_TYPES)
    if kind is None:
        kind = next((k for key, k in _INFER if key in section), None)
        if kind is None:
            raise section.where.error(
                f"{section.title()} needs a 'type' (one of {COLUMN_TYPES}), or a 'distribution', "
                "'values', 'expression' or 'field' that shows it."
            )
    if kind == "id":
        return parse_id(name, section, table)
    options = common_options(section)
    if kind in ("numeric", "duration"):
        unit = None
        if kind == "duration":
            unit = section.string("unit", "days", choices=["days", "hours", "minutes", "seconds"])
        return Numeric(name, section, unit=unit, **options)
    if kind == "categorical":
        return Categorical(name, section, **options)
    if kind == "boolean":
        return Boolean(name, section, **options)
    if kind in ("datetime", "date"):
        dates_only = section.boolean("dates_only", kind == "date")
        bounds = []
        for key in ("start", "end"):
            value = parse_bound(section.raw(key), section, key)
            bounds.append(
                value
                if isinstance(value, int)
                else compile_expression(
                    value, section.at(key), f"the {key} of {section.what}", None
                )
            )
        return Datetime(name, section, (bounds[0], bounds[1]), dates_only, **options)
    if kind == "derived":
        expression = compile_expression(
            section.raw("expression"), section.at("expression"), section.what, None
        )
        return Derived(name, section, expression, **options)
    if kind == "identity":
        return IdentityColumn(name, section, **options)
    return _foreign_key(name, section, options)


def _foreign_key(name: str, section: Section, options: dict[str, Any]) -> ForeignKeyColumn:
    data = dict(section.data)
    if "foreign_key" in data:  # shorthand: foreign_key: customers.id or {table:, column:}
        short = data.pop("foreign_key")
        if isinstance(short, str) and short.count(".") == 1:
            data["table"], data["column"] = short.split(".")
        elif isinstance(short, dict):
            data.update(short)
        else:
            raise section.fail(
                "foreign_key",
                f"{section.title()} needs 'foreign_key: "
                "table.column' or 'foreign_key: {table: ..., column: ...}'.",
            )
        data.setdefault("type", "foreign_key")
    plain = Section(data, section.where, section.what)
    for key in data:
        if key not in [*COMMON_KEYS, "table", "column", "distribution", "a"]:
            raise section.fail(
                key,
                f"{section.title()} has the unknown key {key!r}"
                f"{suggest(key, ['table', 'column', 'distribution', 'a'])}.",
            )
    table = plain.string("table")
    column = plain.string("column", "")
    return ForeignKeyColumn(name, plain, (table, column), **options)


def parent_scope(table: TableSpec) -> dict[str, ColumnSpec]:
    """The names a column of ``table`` may read: its own columns and ``parent.x``."""
    scope: dict[str, ColumnSpec] = dict(table.columns)
    if table.parent is not None:
        for name, column in table.parent.columns.items():
            scope[PARENT + name] = column
    return scope
