"""Stream a spec's tables in chunks of bounded size, the same whatever the chunk size.

Every table is drawn in fixed blocks of :data:`~datatwin.spec.randomness.BLOCK_ROWS` rows, block
``b`` holding rows ``[b * BLOCK_ROWS, (b + 1) * BLOCK_ROWS)``, each column from its own random
stream keyed by (seed, table, column, block). A value depends only on that stream and on the rows
up to its own in the block (and for child tables on their parent rows), so output is identical
for any ``chunk_rows``, which only decides how blocks are cut into the chunks handed out;
blocks can be drawn in any order (:func:`generate_rows`); and a table with more rows starts with
the same rows, identity fields included (:func:`datatwin.identity.identities` makes each row
from its position in the block and its own locale, gender and birth date).

A child table's rows follow its parent's: parent row ``p`` has ``count(p)`` children (drawn per
parent block, so per parent row), child rows are numbered by the running sum of counts, and a
child block is drawn as soon as the parent rows it needs have been handed out. Only those parent
rows, and only the parent columns that children read, are kept, so memory stays a few chunks
whatever the size of the tables.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from datatwin.errors import SpecError
from datatwin.spec.block import draw_block, take
from datatwin.spec.ids import ForeignKeyColumn
from datatwin.spec.randomness import BLOCK_ROWS, generator
from datatwin.spec.reader import suggest
from datatwin.spec.relations import TablePlan
from datatwin.spec.specification import Spec
from datatwin.spec.tables import draw_counts

__all__ = ["DEFAULT_CHUNK_ROWS", "generate", "generate_rows", "iter_generate", "table_rows"]

DEFAULT_CHUNK_ROWS = BLOCK_ROWS
ROW = "#row"
Rows = npt.NDArray[np.int64]
SpecLike = Spec | str | os.PathLike[str] | Mapping[str, Any]


def _spec(spec: SpecLike) -> Spec:
    return spec if isinstance(spec, Spec) else Spec.load(spec)


def _row_counts(spec: Spec, rows: int | Mapping[str, int] | None) -> dict[str, int]:
    """Rows of each root table: the spec's, overridden by ``rows``."""
    roots = [name for name, plan in spec.plans.items() if plan.spec.is_root]
    wanted: dict[str, int] = {}
    if isinstance(rows, bool):
        raise SpecError(f"rows must be a whole number or a mapping of table to rows; got {rows}.")
    if isinstance(rows, int):
        if len(roots) != 1:
            raise SpecError(
                f"The spec has {len(roots)} tables with their own row counts ({roots}); give rows "
                "as a mapping such as {'" + roots[0] + "': 1000}."
            )
        wanted = {roots[0]: rows}
    elif isinstance(rows, Mapping):
        wanted = dict(rows)
    elif rows is not None:
        raise SpecError(f"rows must be a whole number or a mapping of table to rows; got {rows!r}.")
    for name, count in wanted.items():
        if name not in spec.plans:
            raise SpecError(
                f"rows names the table {name!r}, which the spec does not have"
                f"{suggest(name, spec.plans)}; its tables are {sorted(spec.plans)}."
            )
        if not spec.plans[name].spec.is_root:
            raise SpecError(
                f"Table {name!r} has no row count of its own: its rows come from its parent's "
                f"rows (per_parent); set the rows of {_root_of(spec, name)!r} instead."
            )
        if isinstance(count, bool) or not isinstance(count, int | np.integer) or count < 0:
            raise SpecError(
                f"The rows of table {name!r} must be a whole number >= 0; got {count!r}."
            )
    out: dict[str, int] = {}
    for name in roots:
        given: int | None = wanted.get(name, spec.plans[name].spec.rows)
        if given is None:
            raise spec.plans[name].spec.where.error(
                f"Table {name!r} has no 'rows'; give it rows in the spec or rows={{{name!r}: n}}."
            )
        out[name] = int(given)
    return out


def _root_of(spec: Spec, name: str) -> str:
    table = spec.plans[name].spec
    while table.parent is not None:
        table = table.parent
    return table.name


class _Counts:
    """Children per parent row, drawn a parent block at a time (one block kept)."""

    def __init__(self, plan: TablePlan, seed: int) -> None:
        assert plan.spec.per_parent is not None
        self.per_parent = plan.spec.per_parent
        self.seed = seed
        self.table = plan.spec.name
        self.cached: tuple[int, Rows] | None = None

    def block(self, index: int) -> Rows:
        if self.cached is None or self.cached[0] != index:
            rng = generator(self.seed, self.table, "#per_parent", index)
            self.cached = (index, draw_counts(self.per_parent, rng, BLOCK_ROWS))
        return self.cached[1]

    def of(self, rows: Rows) -> Rows:
        out = np.empty(len(rows), dtype=np.int64)
        blocks = rows // BLOCK_ROWS
        for index in np.unique(blocks):
            where = np.flatnonzero(blocks == index)
            out[where] = self.block(int(index))[rows[where] - index * BLOCK_ROWS]
        return out


class _Children:
    """Turns a parent's chunks into the child table's blocks."""

    def __init__(self, plan: TablePlan, seed: int, sizes: Mapping[str, int]) -> None:
        self.plan = plan
        self.seed = seed
        self.sizes = sizes
        self.counts = _Counts(plan, seed)
        self.needs = sorted(plan.parent_needs)
        self.window: pd.DataFrame | None = None
        self.window_counts = np.zeros(0, dtype=np.int64)
        self.first_child = 0  # the child row of the window's first parent's first child
        self.next_row = 0  # the first child row not yet drawn (a multiple of BLOCK_ROWS)

    def part(self, piece: pd.DataFrame) -> pd.DataFrame:
        """The parent columns this table reads, indexed by parent row, apart from ``piece``."""
        return piece[self.needs].copy()

    def feed(self, part: pd.DataFrame) -> Iterator[pd.DataFrame]:
        """Child blocks made drawable by the parent rows in ``part`` (from :meth:`part`)."""
        counts = self.counts.of(part.index.to_numpy(dtype=np.int64))
        if self.window is None or not len(self.window):
            self.window, self.window_counts = part, counts
        else:
            self.window = pd.concat([self.window, part])
            self.window_counts = np.concatenate([self.window_counts, counts])
        ends = self.first_child + np.cumsum(self.window_counts)
        total = int(ends[-1]) if len(ends) else self.first_child
        while total - self.next_row >= BLOCK_ROWS:
            yield self._draw(ends, self.next_row, BLOCK_ROWS)
            self.next_row += BLOCK_ROWS
        keep = int(np.searchsorted(ends, self.next_row, side="right"))
        if keep:
            self.first_child = int(ends[keep - 1])
            self.window = self.window.iloc[keep:]
            self.window_counts = self.window_counts[keep:]

    def close(self) -> Iterator[pd.DataFrame]:
        ends = self.first_child + np.cumsum(self.window_counts)
        total = int(ends[-1]) if len(ends) else self.first_child
        if total > self.next_row:
            yield self._draw(ends, self.next_row, total - self.next_row)
            self.next_row = total

    def empty(self) -> pd.DataFrame:
        return self._draw(np.zeros(0, dtype=np.int64), self.next_row, 0)

    def _draw(self, ends: Rows, start: int, size: int) -> pd.DataFrame:
        assert self.window is not None
        rows = np.arange(start, start + size, dtype=np.int64)
        at = np.searchsorted(ends, rows, side="right")
        given = {f"parent.{ROW}": self.window.index.to_numpy(dtype=np.int64)[at]}
        for name in self.needs:
            given[f"parent.{name}"] = take(self.window[name].array, at)
        values = draw_block(self.plan, self.seed, start // BLOCK_ROWS, rows, given, self.sizes)
        return _frame(self.plan, rows, values)


def _frame(plan: TablePlan, rows: Rows, values: dict[str, Any]) -> pd.DataFrame:
    """A block's columns, indexed by row number (a block's rows are consecutive)."""
    first = int(rows[0]) if len(rows) else 0
    index = pd.RangeIndex(first, first + len(rows))
    return pd.DataFrame({name: values[name] for name in plan.spec.columns}, index=index, copy=False)


class _Stream:
    """One table's chunks on their way out, and its child tables fed from them."""

    def __init__(self, engine: _Engine, name: str, source: _Children | None) -> None:
        self.engine = engine
        self.plan = engine.spec.plans[name]
        self.source = source
        self.parts: list[pd.DataFrame] = []
        self.held = 0
        self.emitted = False
        self.children = [
            _Stream(engine, child, _Children(engine.spec.plans[child], engine.seed, engine.totals))
            for child in self.plan.children
        ]

    def feeder(self) -> _Children:
        """Where a child table's blocks come from (root tables have none)."""
        assert self.source is not None
        return self.source

    def push(self, frames: Iterator[pd.DataFrame]) -> Iterator[tuple[str, pd.DataFrame]]:
        size = self.engine.chunk_rows
        for frame in frames:
            if not self.parts and len(frame) == size:
                yield from self._piece(frame)
                continue
            self.parts.append(frame)
            self.held += len(frame)
            if self.held >= size:
                whole = pd.concat(self.parts) if len(self.parts) > 1 else self.parts[0]
                cut = (self.held // size) * size
                for start in range(0, cut, size):
                    yield from self._piece(whole.iloc[start : start + size])
                self.parts = [whole.iloc[cut:]] if cut < self.held else []
                self.held -= cut

    def _piece(self, piece: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
        """Hand out ``piece`` (its rows in order), then the child blocks it makes drawable.

        The children's parent columns are set apart first, so a caller that changes the chunk
        it was handed changes nothing else; the chunk itself is handed out without copying its
        values (a shallow copy: on pandas 2 a slice of a larger frame warns when it is changed,
        though no rows outside it could be).
        """
        self.emitted = True
        parts = [child.feeder().part(piece) for child in self.children]
        visible = self.plan.spec.visible
        out = (piece if len(visible) == piece.shape[1] else piece[visible]).copy(deep=False)
        first = int(piece.index[0]) if len(piece) else 0
        out.index = pd.RangeIndex(first, first + len(piece))
        yield self.plan.spec.name, out
        for child, part in zip(self.children, parts, strict=True):
            yield from child.push(child.feeder().feed(part))

    def close(self) -> Iterator[tuple[str, pd.DataFrame]]:
        if self.parts:
            whole = pd.concat(self.parts)
            self.parts, self.held = [], 0
            yield from self._piece(whole)
        if not self.emitted:
            empty = (
                self.source.empty()
                if self.source is not None
                else self.engine.root_empty(self.plan)
            )
            yield from self._piece(empty)
        for child in self.children:
            yield from child.push(child.feeder().close())
            yield from child.close()


class _Engine:
    def __init__(self, spec: Spec, rows: Any, seed: int, chunk_rows: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise SpecError(f"The seed must be a whole number >= 0; got {seed!r}.")
        if isinstance(chunk_rows, bool) or not isinstance(chunk_rows, int) or chunk_rows < 1:
            raise SpecError(f"chunk_rows must be a whole number >= 1; got {chunk_rows!r}.")
        self.spec = spec
        self.seed = int(seed)
        self.chunk_rows = chunk_rows
        self.roots = _row_counts(spec, rows)
        self.totals: dict[str, int] = dict(self.roots)
        for plan in spec.plans.values():
            for column in plan.spec.columns.values():
                if isinstance(column, ForeignKeyColumn) and not column.link:
                    table_rows(spec, column.target[0], self.seed, self.totals)

    def root_blocks(self, plan: TablePlan) -> Iterator[pd.DataFrame]:
        n = self.roots[plan.spec.name]
        for index in range(math.ceil(n / BLOCK_ROWS)):
            rows = np.arange(index * BLOCK_ROWS, min(n, (index + 1) * BLOCK_ROWS), dtype=np.int64)
            yield _frame(plan, rows, draw_block(plan, self.seed, index, rows, {}, self.totals))

    def root_empty(self, plan: TablePlan) -> pd.DataFrame:
        rows = np.zeros(0, dtype=np.int64)
        return _frame(plan, rows, draw_block(plan, self.seed, 0, rows, {}, self.totals))

    def run(self) -> Iterator[tuple[str, pd.DataFrame]]:
        for name in self.spec.root_order():
            stream = _Stream(self, name, None)
            yield from stream.push(self.root_blocks(self.spec.plans[name]))
            yield from stream.close()


def table_rows(spec: Spec, name: str, seed: int, totals: dict[str, int]) -> int:
    """How many rows table ``name`` has (a child's: the sum of its per-parent counts)."""
    if name in totals:
        return totals[name]
    plan = spec.plans[name]
    parent = plan.spec.parent
    assert parent is not None
    parents = table_rows(spec, parent.name, seed, totals)
    counts = _Counts(plan, seed)
    total = 0
    for index in range(math.ceil(parents / BLOCK_ROWS)):
        size = min(BLOCK_ROWS, parents - index * BLOCK_ROWS)
        total += int(counts.block(index)[:size].sum())
    totals[name] = total
    return total


def iter_generate(
    spec: SpecLike,
    rows: int | Mapping[str, int] | None = None,
    seed: int = 0,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[tuple[str, pd.DataFrame]]:
    """The spec's tables as ``(table, chunk)`` pairs of at most ``chunk_rows`` rows each.

    A parent's chunk always comes before the chunks of child rows that refer to it; a table's
    chunks come in row order (each chunk's index holds its row numbers). Memory stays bounded by
    a few chunks and blocks, whatever the tables' sizes; the rows are the same for any
    ``chunk_rows``. The spec is checked before the first chunk is drawn.
    """
    engine = _Engine(_spec(spec), rows, seed, chunk_rows)
    return engine.run()


def generate_rows(
    spec: SpecLike,
    table: str,
    start: int,
    stop: int,
    rows: int | Mapping[str, int] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Rows ``start`` to ``stop`` of a table with its own row count, drawn on their own.

    They equal the same rows of :func:`generate`'s table, so a large table can be made in pieces,
    in any order or in parallel processes. (A child table's rows follow its parent's rows and are
    made by streaming; see :func:`iter_generate`.)
    """
    engine = _Engine(_spec(spec), rows, seed, DEFAULT_CHUNK_ROWS)
    if table not in engine.roots:
        known = sorted(engine.roots)
        raise SpecError(
            f"generate_rows needs a table with its own row count ({known}); {table!r} is not one."
        )
    total = engine.roots[table]
    if not 0 <= start <= stop <= total:
        raise SpecError(f"Rows {start} to {stop} are not within table {table!r}'s {total} rows.")
    plan = engine.spec.plans[table]
    parts = []
    for index in range(start // BLOCK_ROWS, math.ceil(stop / BLOCK_ROWS)):
        first = index * BLOCK_ROWS
        block = np.arange(first, min(total, first + BLOCK_ROWS), dtype=np.int64)
        frame = _frame(plan, block, draw_block(plan, engine.seed, index, block, {}, engine.totals))
        parts.append(frame.iloc[max(start - first, 0) : stop - first])
    whole = pd.concat(parts) if parts else engine.root_empty(plan)
    out = whole[plan.spec.visible]
    out.index = pd.RangeIndex(start, start + len(out))
    return out


def generate(
    spec: SpecLike,
    rows: int | Mapping[str, int] | None = None,
    seed: int = 0,
) -> dict[str, pd.DataFrame]:
    """Every table of ``spec`` as a DataFrame, keyed by table name in the spec's order.

    ``spec`` is a path to a YAML or JSON file, YAML/JSON text, a dict, or a :class:`Spec`.
    ``rows`` overrides the row counts of tables that have their own (``{"customers": 500}``, or
    a number when there is only one such table); a child table's rows always follow its
    parent's. The same spec, rows and seed give the same tables, byte for byte.
    """
    loaded = _spec(spec)
    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in loaded.plans}
    for name, chunk in iter_generate(loaded, rows, seed, chunk_rows=1 << 20):
        parts[name].append(chunk)
    return {
        name: pd.concat(chunks, ignore_index=True)
        if len(chunks) > 1
        else chunks[0].reset_index(drop=True)
        for name, chunks in parts.items()
    }
