"""The :class:`Spec`: a checked generation spec, ready to draw from.

``Spec.load`` reads a spec from a path, YAML or JSON text, or a dict, brings it up to the current
version and checks all of it (every table, column, foreign key, expression, correlation and rule)
before anything is drawn, raising a :class:`~datatwin.errors.SpecError` that names the file and
line of the first mistake.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import yaml

from datatwin.spec.document import Map, Where, plain, read_document, upgrade_spec
from datatwin.spec.ids import ForeignKeyColumn
from datatwin.spec.reader import Section
from datatwin.spec.relations import TablePlan, resolve
from datatwin.spec.tables import TableSpec

__all__ = ["Spec"]

TOP_KEYS = ["format", "version", "description", "tables"]
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class Spec:
    """A checked generation spec: its tables, in the order the spec lists them."""

    def __init__(self, document: Map, source: str | None = None) -> None:
        document = upgrade_spec(document, source)
        self.source = source
        self._document = document
        top = Section(document, Where(source, (), document.line), "the spec")
        top.allow(TOP_KEYS)
        raw = top.section("tables", "the spec's tables")
        if not raw.keys():
            raise top.fail("tables", "The spec has no tables; add at least one.")
        tables: dict[str, TableSpec] = {}
        for name in raw:
            if not isinstance(name, str) or not _TABLE_NAME.match(name):
                raise raw.fail(
                    name,
                    f"The table name {name!r} must be a letter or '_' followed by up to 62 "
                    "letters, digits or '_' (it names files and database tables).",
                )
            section = Section(raw.raw(name), raw.at(name), f"table {name!r}")
            tables[name] = TableSpec(name, section)
        self.tables = tables
        self.plans: dict[str, TablePlan] = resolve(tables)

    @classmethod
    def load(cls, spec: Spec | str | os.PathLike[str] | Mapping[str, Any]) -> Spec:
        """A spec from a path (``.yaml``, ``.yml`` or ``.json``), YAML/JSON text, or a dict."""
        if isinstance(spec, Spec):
            return spec
        document, source = read_document(spec)
        return cls(document, source)

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain dicts and lists (current version); ``Spec.load`` reads it back."""
        out = plain(self._document)
        assert isinstance(out, dict)
        return out

    def to_yaml(self) -> str:
        """The spec as YAML text."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    @property
    def table_names(self) -> list[str]:
        return list(self.tables)

    def root_order(self) -> list[str]:
        """Tables with their own row counts, each after the tables its subtree refers to."""
        roots = [name for name, table in self.tables.items() if table.is_root]
        below: dict[str, set[str]] = {root: self._subtree(root) for root in roots}
        owner = {name: root for root, names in below.items() for name in names}
        needs: dict[str, set[str]] = {}
        for root, names in below.items():
            targets = {
                owner[column.target[0]]
                for name in names
                for column in self.tables[name].columns.values()
                if isinstance(column, ForeignKeyColumn) and not column.link
            }
            needs[root] = targets - {root}
        order: list[str] = []
        waiting = list(roots)
        while waiting:
            ready = next((r for r in waiting if needs[r] <= set(order)), waiting[0])
            waiting.remove(ready)
            order.append(ready)
        return order

    def _subtree(self, name: str) -> set[str]:
        out = {name}
        for child in self.plans[name].children:
            out |= self._subtree(child)
        return out

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{name}({len(table.columns)} columns)" for name, table in self.tables.items()
        )
        return f"Spec({parts})"
