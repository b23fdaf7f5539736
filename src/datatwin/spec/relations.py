"""What spans tables: foreign keys, parents, ``parent.x`` names, and the checks that need them.

:func:`resolve` runs once the tables are read: it finds each child table's parent (the foreign key
of a table with ``per_parent``), points every foreign key at its id column, rejects circles
between tables, checks that every name a column reads exists, reads correlations, rules and the
identity options, and orders each table's columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from datatwin.spec.base import PARENT, ColumnSpec, key_text
from datatwin.spec.columns import Boolean, Categorical, Drawn
from datatwin.spec.correlation import parse_correlations
from datatwin.spec.ids import ForeignKeyColumn, IdColumn
from datatwin.spec.people import IdentityColumn, IdentityGroup, parse_identity_options
from datatwin.spec.plan import ColumnStep, GroupStep, IdentityStep, Step, order_steps
from datatwin.spec.reader import suggest
from datatwin.spec.rules import SpecRule, parse_rules
from datatwin.spec.tables import TableSpec, parent_scope

__all__ = ["TablePlan", "resolve"]


@dataclass
class TablePlan:
    """A table ready to draw: its spec, ordered steps, rules and child tables."""

    spec: TableSpec
    steps: list[Step]
    rules: list[SpecRule]
    children: list[str] = field(default_factory=list)
    parent_needs: set[str] = field(default_factory=set)  # parent columns its rows read


def resolve(tables: dict[str, TableSpec]) -> dict[str, TablePlan]:
    """Check what spans tables and plan each table."""
    for table in tables.values():
        _link(table, tables)
    _check_circles(tables)
    plans: dict[str, TablePlan] = {}
    for name, table in tables.items():
        plans[name] = _plan(table)
    for name, plan in plans.items():
        parent = plan.spec.parent
        if parent is not None:
            plans[parent.name].children.append(name)
    return plans


def _link(table: TableSpec, tables: dict[str, TableSpec]) -> None:
    keys = [c for c in table.columns.values() if isinstance(c, ForeignKeyColumn)]
    section = table.section
    for key in keys:
        target_name, column_name = key.target
        target = tables.get(target_name)
        if target is None:
            raise key.where.error(
                f"Column {key.name!r} of table {table.name!r} refers to the table "
                f"{target_name!r}, which the spec does not have{suggest(target_name, tables)}"
                f"; its tables are {sorted(tables)}."
            )
        if not column_name:
            column_name = target.primary_key() or ""
            if not column_name:
                raise key.where.error(
                    f"Column {key.name!r} of table {table.name!r} refers to table "
                    f"{target_name!r}, which has no id column; give it one (type: id)."
                )
        referenced = target.columns.get(column_name)
        if referenced is None:
            raise key.where.error(
                f"Column {key.name!r} of table {table.name!r} refers to {target_name}."
                f"{column_name}, a column that table {target_name!r} does not have"
                f"{suggest(column_name, target.columns)}."
            )
        if not isinstance(referenced, IdColumn):
            raise key.where.error(
                f"Column {key.name!r} of table {table.name!r} refers to {target_name}."
                f"{column_name}, a {referenced.kind} column; a foreign key refers to an id "
                "column (type: id)."
            )
        if referenced.hidden and not key.hidden:
            raise key.where.error(
                f"Column {key.name!r} of table {table.name!r} refers to {target_name}."
                f"{column_name}, which is hidden; a key that is written must refer to one that is."
            )
        key.key = referenced
        key.target = (target_name, column_name)
    if table.parent_name is not None and table.per_parent is None:
        raise section.fail(
            "parent",
            f"{section.title()} names a parent but has no "
            "'per_parent'; add how many rows each parent row has.",
        )
    if table.per_parent is None:
        return
    if table.parent_name is not None:
        links = [k for k in keys if k.target[0] == table.parent_name]
    else:  # a key drawn by a distribution, missing at times, or to its own table is no link
        links = [
            k
            for k in keys
            if k.distribution == "uniform" and not k.missing and k.target[0] != table.name
        ]
    if len(links) != 1:
        what = "no foreign key" if not links else "several foreign keys"
        hint = (
            "add a column such as {type: foreign_key, table: ..., column: id}"
            if not links
            else "name the parent table with 'parent: TABLE'"
        )
        if table.parent_name:
            what += f" to its parent {table.parent_name!r}"
        raise section.fail("per_parent", f"{section.title()} has 'per_parent' but {what}; {hint}.")
    link = links[0]
    if link.target[0] == table.name:
        raise link.where.error(f"Table {table.name!r} cannot be its own parent.")
    if link.missing or link.distribution != "uniform":
        raise link.where.error(
            f"Column {link.name!r} of table {table.name!r} links each row to its parent row; "
            "it can have no 'missing' and no 'distribution'."
        )
    link.link = True
    table.link = link
    table.parent = tables[link.target[0]]


def _check_circles(tables: dict[str, TableSpec]) -> None:
    edges: dict[str, list[str]] = {}
    for table in tables.values():
        targets = [
            c.target[0]
            for c in table.columns.values()
            if isinstance(c, ForeignKeyColumn) and c.target[0] != table.name
        ]
        edges[table.name] = list(dict.fromkeys(targets))
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in edges[name]:
            if state.get(nxt) == 1:
                circle = [*path[path.index(nxt) :], nxt]
                raise tables[name].where.error(
                    f"Tables refer to each other in a circle ({' -> '.join(circle)}); a foreign "
                    "key must point at a table that does not point back."
                )
            if state.get(nxt) is None:
                visit(nxt, [*path, nxt])
        state[name] = 2

    for name in tables:
        if name not in state:
            visit(name, [name])


def _plan(table: TableSpec) -> TablePlan:
    scope = parent_scope(table)
    for column in table.columns.values():
        for name in sorted(column.needs()):
            if name == "parent.#row" or name in scope:
                continue
            if name.startswith(PARENT) and table.parent is None:
                raise column.where.error(
                    f"Column {column.name!r} of table {table.name!r} reads {name!r}, but the "
                    "table has no parent (give it per_parent and a foreign key to one)."
                )
            raise column.where.error(
                f"Column {column.name!r} of table {table.name!r} reads the column {name!r}, "
                f"which the table does not have{suggest(name, scope)}."
            )
        if isinstance(column, Drawn) and column.depends_on:
            _check_cases(column, scope[column.depends_on], table)
    section = table.section
    for column in table.columns.values():
        capacity = column.capacity() if isinstance(column, IdColumn) else None
        if capacity is not None and table.rows is not None and table.rows > capacity:
            raise column.where.error(
                f"Column {column.name!r} of table {table.name!r} has {capacity:,} possible ids, "
                f"fewer than the table's {table.rows:,} rows; lengthen its pattern."
            )
    groups = parse_correlations(section, table.columns)
    grouped = {name for group in groups for name in group.names}
    steps: list[Step] = [GroupStep(group, table.columns) for group in groups]
    identity = [c for c in table.columns.values() if isinstance(c, IdentityColumn)]
    locale, locale_column, gender, birth = parse_identity_options(section, table.columns)
    if identity:
        group = IdentityGroup(identity, locale, locale_column, gender, birth, identity[0].where)
        steps.append(IdentityStep(group))
    for name, column in table.columns.items():
        if name not in grouped and not isinstance(column, IdentityColumn):
            steps.append(ColumnStep(column))
    rules = parse_rules(section, scope)
    ordered = order_steps(steps, table.name, list(table.columns))
    needs: set[str] = set()
    for step in ordered:
        needs |= {n[len(PARENT) :] for n in step.needs() if n.startswith(PARENT)}
    for spec_rule in rules:
        needs |= {n[len(PARENT) :] for n in spec_rule.rule.columns() if n.startswith(PARENT)}
    needs.discard("#row")
    return TablePlan(table, ordered, rules, parent_needs=needs)


def _check_cases(column: Drawn, source: ColumnSpec, table: TableSpec) -> None:
    """Case names must be values of the column they depend on; without a default, all must be
    covered."""
    values: list[str] | None = None
    if isinstance(source, Categorical):
        values = [key_text(v) or "" for v in source.values]
    elif isinstance(source, Boolean):
        values = ["true", "false"]
    if values is None:
        return
    for case, where in column.case_where.items():
        if case not in values:
            raise where.error(
                f"Column {column.name!r} of table {table.name!r} has a case {case!r}, which is "
                f"not a value of {column.depends_on!r}{suggest(case, values)}; "
                f"its values are {values}."
            )
    if getattr(column, "default", None) is None:
        left = [v for v in values if v not in column.case_names]
        column.covered = not left and source.missing == 0 and not getattr(source, "nullable", 0)
        if left:
            raise column.where.error(
                f"Column {column.name!r} of table {table.name!r} has no case for {left} of "
                f"{column.depends_on!r} and no default; add cases or a default at the top."
            )
