"""Vectorised string building: pools of strings, joins, and rows of ASCII bytes made into strings.

Every identity field is made from a few building blocks, all without a Python loop over rows:

* a :class:`Pool` of strings indexed by an integer array (a name, a city, a street);
* :func:`join`, which glues equal-length arrays and constant strings together row by row
  (pyarrow's ``binary_join_element_wise``, in C++);
* :func:`ascii_strings`, which turns a ``(rows, width)`` matrix of ASCII codes (a phone number,
  an IBAN, a card number, built with integer arithmetic) into strings without a copy per row.

pyarrow is imported on first use, never when the package is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from types import ModuleType
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "ZERO",
    "Objects",
    "Pool",
    "ascii_arrow",
    "ascii_strings",
    "chunk_digits",
    "digit_matrix",
    "join",
    "pool",
    "to_objects",
]

Objects = npt.NDArray[np.object_]
ZERO = 48  # ord("0")
LARGE = 2**31 - 1  # the most bytes an Arrow string array with 32-bit offsets holds


@cache
def _arrow() -> tuple[ModuleType, ModuleType]:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pa, pc


class Pool:
    """A fixed list of strings, taken by index into numpy object arrays or Arrow arrays."""

    def __init__(self, values: Sequence[str]) -> None:
        self.values: tuple[str, ...] = tuple(values)
        self.obj: Objects = np.array(self.values, dtype=object)
        self._arrow: Any = None

    def __len__(self) -> int:
        return len(self.values)

    @property
    def arrow(self) -> Any:
        if self._arrow is None:
            pa, _ = _arrow()
            self._arrow = pa.array(self.values, type=pa.string())
        return self._arrow

    def take(self, index: npt.NDArray[np.integer[Any]]) -> Objects:
        """The strings at ``index`` as a numpy object array (the pool's own string objects)."""
        return self.obj[index]

    def take_arrow(self, index: npt.NDArray[np.integer[Any]]) -> Any:
        """The strings at ``index`` as an Arrow string array (for :func:`join`)."""
        return self.arrow.take(index)


def pool(values: Sequence[str]) -> Pool:
    return Pool(values)


def join(*parts: Any) -> Any:
    """Row-wise concatenation of Arrow string arrays of one length and constant ``str`` parts."""
    _, pc = _arrow()
    return pc.binary_join_element_wise(*parts, "")


def to_objects(values: Any) -> Objects:
    """An Arrow string array (or a numpy object array, passed through) as a numpy object array."""
    if isinstance(values, np.ndarray):
        return values
    out = values.to_numpy(zero_copy_only=False)
    return np.asarray(out, dtype=object)


def ascii_arrow(matrix: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int64] | None = None) -> Any:
    """Row ``i`` of ``matrix`` (ASCII codes, left-aligned, ``lengths[i]`` of them) as a string.

    Without ``lengths`` every row is a string of the matrix's full width. The bytes are handed to
    Arrow as they are (one buffer, one offsets array), so no Python object is made per row.
    """
    pa, _ = _arrow()
    matrix = np.ascontiguousarray(matrix, dtype=np.uint8)
    rows, width = matrix.shape
    if lengths is None:
        data = matrix.reshape(-1)
        offsets = np.arange(rows + 1, dtype=np.int64) * width
    else:
        data = matrix[np.arange(width) < lengths[:, None]]
        offsets = np.zeros(rows + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
    if int(offsets[-1]) <= LARGE:
        return pa.StringArray.from_buffers(
            rows, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data)
        )
    return pa.LargeStringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(data))


def ascii_strings(
    matrix: npt.NDArray[np.uint8], lengths: npt.NDArray[np.int64] | None = None
) -> Objects:
    """Like :func:`ascii_arrow`, as a numpy object array of ``str``."""
    return to_objects(ascii_arrow(matrix, lengths))


def digit_matrix(values: npt.NDArray[np.integer[Any]], width: int) -> npt.NDArray[np.uint8]:
    """Non-negative integers as ``(rows, width)`` ASCII digits, zero-padded on the left."""
    values = np.asarray(values, dtype=np.int64)
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + ZERO).astype(np.uint8)


@cache
def _chunk_table() -> npt.NDArray[np.uint32]:
    """The four decimal digits of every number 0-9999, as four bytes packed in one uint32."""
    numbers = np.arange(10_000, dtype=np.int64)
    digits = (numbers[:, None] // np.array([1000, 100, 10, 1]) % 10).astype(np.int8)
    return np.ascontiguousarray(digits).view(np.uint32).reshape(-1)


def chunk_digits(chunks: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.int8]:
    """Numbers 0-9999, ``(rows, k)``, as their ``(rows, 4k)`` decimal digits (a table lookup).

    Drawing four digits at a time as one number below 10,000 and looking their digits up is
    several times faster than drawing every digit on its own.
    """
    rows, k = chunks.shape
    packed = _chunk_table()[chunks.astype(np.intp)]
    return packed.view(np.int8).reshape(rows, 4 * k)
