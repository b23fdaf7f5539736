"""The order of work: columns within a table, and tables within a spec.

Within a table, each step makes one column, or several that are drawn together (a correlated
group, the identity columns); a step runs after the steps that make what it reads, and a circle
of dependencies is an error that names it. Across tables, parents come before their children and
the tables a foreign key refers to before the tables that refer to them, where that is possible.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from datatwin.spec.base import PARENT, Block, ColumnSpec
from datatwin.spec.correlation import CorrelatedGroup, correlated_values
from datatwin.spec.document import Where
from datatwin.spec.people import IdentityGroup

__all__ = ["ColumnStep", "GroupStep", "Step", "order_steps"]


class Step(Protocol):
    names: list[str]
    where: Where

    def needs(self) -> set[str]: ...

    def run(self, block: Block) -> dict[str, Any]: ...


class ColumnStep:
    """One column on its own."""

    def __init__(self, column: ColumnSpec) -> None:
        self.column = column
        self.names = [column.name]
        self.where = column.where

    def needs(self) -> set[str]:
        return self.column.needs()

    def run(self, block: Block) -> dict[str, Any]:
        return {self.column.name: self.column.finish(block, self.column.generate(block))}


class GroupStep:
    """Correlated columns, drawn from one Gaussian copula."""

    def __init__(self, group: CorrelatedGroup, columns: dict[str, ColumnSpec]) -> None:
        self.group = group
        self.columns = {name: columns[name] for name in group.names}
        self.names = list(group.names)
        self.where = group.where

    def needs(self) -> set[str]:
        out: set[str] = set()
        for column in self.columns.values():
            out |= column.needs()
        return out

    def run(self, block: Block) -> dict[str, Any]:
        return correlated_values(self.group, block, self.columns)


class IdentityStep:
    """The table's identity columns, drawn together."""

    def __init__(self, group: IdentityGroup) -> None:
        self.group = group
        self.names = group.names
        self.where = group.where

    def needs(self) -> set[str]:
        return self.group.needs()

    def run(self, block: Block) -> dict[str, Any]:
        return self.group.run(block)


def order_steps(steps: Sequence[Step], table: str, order: list[str]) -> list[Step]:
    """``steps`` so that each comes after those it reads from (spec order otherwise)."""
    maker = {name: step for step in steps for name in step.names}
    rank = {name: i for i, name in enumerate(order)}

    def position(step: Step) -> int:
        return min(rank[name] for name in step.names)

    deps: dict[int, set[int]] = {}
    for step in steps:
        local = {n for n in step.needs() if not n.startswith(PARENT)}
        deps[id(step)] = {id(maker[n]) for n in local if n in maker}
    done: list[Step] = []
    placed: set[int] = set()
    waiting = sorted(steps, key=position)
    while waiting:
        ready = next((s for s in waiting if deps[id(s)] <= placed), None)
        if ready is None:
            raise _circle(waiting, deps, maker, table)
        waiting.remove(ready)
        placed.add(id(ready))
        done.append(ready)
    return done


def _circle(
    waiting: list[Step], deps: dict[int, set[int]], maker: dict[str, Step], table: str
) -> Exception:
    by_id = {id(step): step for step in waiting}
    step = waiting[0]
    path = [step]
    while True:
        nxt = next(by_id[d] for d in deps[id(step)] if d in by_id)
        if nxt in path:
            path = [*path[path.index(nxt) :], nxt]
            break
        path.append(nxt)
        step = nxt
    names = " -> ".join(s.names[0] if len(s.names) == 1 else "+".join(s.names) for s in path)
    return path[0].where.error(
        f"Columns of table {table!r} depend on each other in a circle ({names}); break it."
    )
