"""What every column generator shares: the block being drawn, and the column base class.

A table is drawn one block of rows at a time (:data:`~datatwin.spec.randomness.BLOCK_ROWS`);
:class:`Block` holds the block's place (seed, table, block number, re-draw attempt), the global
row numbers being drawn and the values drawn so far, and hands out the random stream of each
column, keyed by that place. Columns are :class:`ColumnSpec` objects that read the values they
depend on from the block and return their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd

from datatwin.spec.document import Where
from datatwin.spec.randomness import generator

__all__ = ["PARENT", "Block", "ColumnSpec", "apply_missing", "case_keys", "key_text"]

PARENT = "parent."
"""The prefix that names a column of the parent row, as in ``parent.opened``."""

COMMON_KEYS = ["type", "missing", "hidden"]


class Block:
    """One block of one table being drawn (or re-drawn, ``attempt`` > 0)."""

    def __init__(
        self,
        seed: int,
        table: str,
        block: int,
        rows: npt.NDArray[np.int64],
        values: dict[str, Any] | None = None,
        attempt: int = 0,
        sizes: Mapping[str, int] | None = None,
    ) -> None:
        self.seed = seed
        self.table = table
        self.block = block
        self.rows = rows
        self.n = len(rows)
        self.values: dict[str, Any] = {} if values is None else values
        self.attempt = attempt
        self.sizes: Mapping[str, int] = {} if sizes is None else sizes  # rows of other tables

    def rng(self, column: str, purpose: str = "") -> np.random.Generator:
        """The random stream of ``column`` (and ``purpose``) in this block and attempt."""
        return generator(self.seed, self.table, column + purpose, self.block, self.attempt)

    def get(self, name: str) -> Any:
        return self.values[name]

    def frame(self, names: frozenset[str] | set[str]) -> pd.DataFrame:
        """The named columns as a DataFrame (for expressions and rules)."""
        return pd.DataFrame({name: self.values[name] for name in sorted(names)}, copy=False)


class ColumnSpec:
    """One column of a spec's table: where it is declared, what it reads, how it is drawn."""

    kind: ClassVar[str] = ""

    def __init__(self, name: str, where: Where, missing: float = 0.0, hidden: bool = False):
        self.name = name
        self.where = where
        self.missing = missing
        self.hidden = hidden

    def needs(self) -> set[str]:
        """The columns (``parent.x`` for the parent's) whose values this column reads."""
        return set()

    def is_fixed(self) -> bool:
        """Whether the row number or parent row alone sets the value (never drawn again)."""
        return False

    def generate(self, block: Block) -> Any:
        """The column's values for the block's rows (an array or pandas array)."""
        raise NotImplementedError

    def finish(self, block: Block, values: Any) -> Any:
        """The values with this column's missing share blanked out."""
        if self.missing <= 0:
            return values
        mask = block.rng(self.name, "#missing").random(block.n) < self.missing
        return apply_missing(values, mask)


def apply_missing(values: Any, mask: npt.NDArray[np.bool_]) -> Any:
    """``values`` with the rows of ``mask`` missing, in a dtype that can hold missing values
    (integers and booleans become pandas' nullable types even when no row is missing, so that
    every block of a column has the same dtype)."""
    if isinstance(values, pd.Categorical):
        codes = values.codes.copy()
        codes[mask] = -1
        return pd.Categorical.from_codes(codes, dtype=values.dtype)
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "f":
            out = values.copy()
            out[mask] = np.nan
            return out
        if values.dtype.kind in "mM":
            out = values.copy()
            out[mask] = np.datetime64("NaT") if values.dtype.kind == "M" else np.timedelta64("NaT")
            return out
        if values.dtype.kind in "iu":
            return pd.arrays.IntegerArray(values.astype(np.int64), mask.copy())
        if values.dtype.kind == "b":
            return pd.arrays.BooleanArray(values.copy(), mask.copy())
    if not mask.any():
        return values
    series = pd.Series(values, copy=True)
    series[mask] = None
    return series.array


def key_text(value: object) -> str | None:
    """How a value names a case of ``depends_on``: ``true``/``false``, ``3`` for 3.0, text."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def case_keys(values: Any, cases: Mapping[str, int], default: int) -> npt.NDArray[np.intp]:
    """For each row, the index of the case its value names (``default`` when none does)."""
    if isinstance(values, pd.Categorical):
        codes, uniques = values.codes, list(values.categories)
    else:
        codes, found = pd.factorize(pd.Series(values, copy=False), use_na_sentinel=True)
        uniques = list(found)
    lookup = np.array([cases.get(key_text(u) or "", default) for u in uniques] + [default])
    return np.asarray(lookup[np.asarray(codes)], dtype=np.intp)  # code -1 takes the last entry
