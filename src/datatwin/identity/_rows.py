"""Random streams, the draws of one block of rows, and one locale's rows within a block.

The caller's generator is used exactly once per call: it gives one 62-bit key per *stream*
(:data:`STREAMS`), always all of them, whatever the fields, the rows or the locales. Each stream
feeds exactly one component (the names, the address, the card, ...). The rows of a call are cut
into blocks of fixed size by position (row ``i`` is in block ``i // BLOCK``); every draw a
component makes in a block (its uniforms, its card digits, ...) comes from a generator of its
own, seeded from the stream's key, the block's index and the draw's label, and is made for every
row of the block at once, one row after the other (row-major, so row ``i``'s numbers are drawn
before row ``i + 1``'s). A block's rows of each locale then take their rows of those draws. A
component draws the same numbers whichever of its fields are asked for, and the same whether or
not the caller passed ``gender`` or ``birth_date``. So:

* the same generator state gives the same output;
* a field's values do not depend on which other fields are asked for (``email`` alone equals the
  ``email`` drawn beside ``name``, and is built from the names ``name`` would have shown);
* a row's values depend on its position, its own locale, gender and birth date only, never on
  the other rows: a call with more rows starts with the rows of a call with fewer (numpy's
  ``random`` and ``integers`` give the first ``k`` of ``n`` values equal to ``k`` values);
* the caller's generator advances by the same amount on every call.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import numpy.typing as npt

from datatwin.identity.locales import LocaleData

__all__ = ["STREAMS", "Block", "Rows", "Streams"]

STREAMS: tuple[str, ...] = (
    "gender",
    "names",
    "email",
    "username",
    "phone",
    "address",
    "company",
    "job",
    "birth",
    "iban",
    "card",
    "national",
)


class Streams:
    """One key per stream, drawn from the caller's generator when this is made."""

    def __init__(self, rng: np.random.Generator) -> None:
        keys = rng.integers(0, 2**62, size=len(STREAMS), dtype=np.int64)
        self.keys = dict(zip(STREAMS, (int(k) for k in keys), strict=True))

    def generator(self, stream: str, block: int, label: str) -> np.random.Generator:
        """The generator of one draw: ``label`` of ``stream`` in block ``block``."""
        where = (block, zlib.crc32(label.encode("ascii")))
        seeds = np.random.SeedSequence(self.keys[stream], spawn_key=where)
        return np.random.Generator(np.random.PCG64(seeds))


class Block:
    """The draws for the ``n`` rows of block ``index``, made on first use and kept."""

    def __init__(self, streams: Streams, index: int, n: int) -> None:
        self.streams = streams
        self.index = index
        self.n = n
        self._draws: dict[tuple[str, str], Any] = {}

    def uniforms(self, stream: str, k: int) -> npt.NDArray[np.float64]:
        """``(n, k)`` uniforms in [0, 1), drawn row by row."""
        key = (stream, f"u{k}")
        if key not in self._draws:
            rng = self.streams.generator(stream, self.index, key[1])
            self._draws[key] = rng.random((self.n, k))
        out: npt.NDArray[np.float64] = self._draws[key]
        return out

    def integers(
        self, stream: str, label: str, high: int, width: int | None, dtype: Any
    ) -> npt.NDArray[Any]:
        """Integers in [0, high), ``(n,)`` or ``(n, width)``, drawn row by row."""
        key = (stream, label)
        if key not in self._draws:
            rng = self.streams.generator(stream, self.index, label)
            shape = (self.n,) if width is None else (self.n, width)
            self._draws[key] = rng.integers(0, high, shape, dtype=dtype)
        out: npt.NDArray[Any] = self._draws[key]
        return out


class Rows:
    """A block's rows of one locale: their draws, the caller's per-row inputs, a cache.

    ``positions`` are the rows' places in the block (``None``: all of the block's rows).
    """

    def __init__(
        self,
        data: LocaleData,
        block: Block,
        positions: npt.NDArray[np.intp] | None,
        gender: npt.NDArray[np.int8] | None,
        birth_date: npt.NDArray[np.datetime64] | None,
    ) -> None:
        self.data = data
        self.spec = data.spec
        self.code = data.spec.code
        self.block = block
        self.positions = positions
        self.n = block.n if positions is None else len(positions)
        self.gender_in = gender  # 0 female, 1 male, -1 not given for that row
        self.birth_in = birth_date  # NaT where not given
        self.cache: dict[str, Any] = {}

    def uniforms(self, stream: str, k: int) -> npt.NDArray[np.float64]:
        """``(k, n)`` uniforms in [0, 1) for these rows."""
        u = self.block.uniforms(stream, k)
        return (u if self.positions is None else np.take(u, self.positions, axis=0)).T

    def uniform(self, stream: str) -> npt.NDArray[np.float64]:
        """One uniform in [0, 1) per row."""
        return self.uniforms(stream, 1)[0]

    def integers(
        self, stream: str, label: str, high: int, width: int | None = None, dtype: Any = np.int64
    ) -> npt.NDArray[Any]:
        """Integers in [0, high) for these rows, ``(n,)`` or ``(n, width)``."""
        values = self.block.integers(stream, label, high, width, dtype)
        return values if self.positions is None else np.take(values, self.positions, axis=0)
