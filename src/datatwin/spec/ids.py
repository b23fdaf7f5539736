"""Key columns: sequential numbers, UUIDs and patterned ids, and foreign keys to them.

An id is a pure function of (seed, table, column, row number), computed for any rows at once, so
a foreign key can name row ``r`` of its parent table without the parent table being kept: a
sequential id is ``start + step * r``; a UUID is built around a keyed bijection of ``r`` (version 4
format, never two alike); a patterned id (``ACC-#####``: ``#`` a digit, ``?`` a capital letter,
``*`` either, ``\\`` makes the next character literal) writes a keyed permutation of ``r`` in the
pattern's digits, so ids are unique and scattered while rows remain.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from datatwin.spec.base import COMMON_KEYS, Block, ColumnSpec
from datatwin.spec.randomness import key64, mix64, permute
from datatwin.spec.reader import Section

__all__ = ["ForeignKeyColumn", "IdColumn", "parse_id", "strings"]

Rows = npt.NDArray[np.int64]
_DIGITS = b"0123456789"
_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ALPHABETS = {"#": _DIGITS, "?": _LETTERS, "*": _DIGITS + _LETTERS}
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_CAP = 1 << 62


def strings(chars: npt.NDArray[np.uint8]) -> Any:
    """Rows of equal-length UTF-8 bytes ``(n, width)`` as a pandas string array, without a loop."""
    n, width = chars.shape
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int64)
    data = np.ascontiguousarray(chars).reshape(-1)
    array = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))
    return pd.array(array.cast(pa.string()), dtype="str")


class IdColumn(ColumnSpec):
    """A unique key, computed from the row number."""

    kind = "id"
    style: ClassVar[str] = ""

    def is_fixed(self) -> bool:
        return True

    def __init__(self, name: str, section: Section, table: str) -> None:
        super().__init__(name, section.where, hidden=section.boolean("hidden", False))
        self.table = table

    def capacity(self) -> int | None:
        """How many distinct ids there are (``None``: as many as rows can be)."""
        return None

    def at(self, seed: int, rows: Rows) -> Any:
        """The ids of rows ``rows``."""
        raise NotImplementedError

    def generate(self, block: Block) -> Any:
        return self.at(block.seed, block.rows)


class Sequential(IdColumn):
    style = "sequential"

    def __init__(self, name: str, section: Section, table: str) -> None:
        super().__init__(name, section, table)
        section.allow(["type", "kind", "hidden", "start", "step"])
        self.start = section.integer("start", 1)
        self.step = section.integer("step", 1)
        if self.step == 0:
            raise section.fail("step", f"{section.title()} needs a step other than 0.")

    def at(self, seed: int, rows: Rows) -> Any:
        return self.start + self.step * np.asarray(rows, dtype=np.int64)


class Uuid(IdColumn):
    style = "uuid"

    def __init__(self, name: str, section: Section, table: str) -> None:
        super().__init__(name, section, table)
        section.allow(["type", "kind", "hidden"])

    def at(self, seed: int, rows: Rows) -> Any:
        r = np.asarray(rows, dtype=np.uint64)
        key = np.uint64(key64(seed, self.table, self.name))
        with np.errstate(over="ignore"):
            h = mix64(r + key)  # a bijection of the row: no two UUIDs alike
            g = mix64(r ^ mix64(np.array([key], dtype=np.uint64))[0])
        hi = (
            (h & np.uint64(0xFFFFFFFFFFFF0000))
            | np.uint64(0x4000)
            | ((h >> np.uint64(4)) & np.uint64(0xFFF))
        )
        lo = np.uint64(0x8000000000000000) | ((h & np.uint64(0xF)) << np.uint64(58))
        lo |= g & np.uint64((1 << 58) - 1)
        raw = np.stack([hi, lo], axis=1).astype(">u8").view(np.uint8).reshape(len(r), 16)
        hexed = np.empty((len(r), 32), dtype=np.uint8)
        hexed[:, 0::2], hexed[:, 1::2] = _HEX[raw >> 4], _HEX[raw & 15]
        out = np.full((len(r), 36), ord("-"), dtype=np.uint8)
        for start, stop, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
            out[:, at : at + stop - start] = hexed[:, start:stop]
        return strings(out)


class Pattern(IdColumn):
    style = "pattern"

    def __init__(self, name: str, section: Section, table: str) -> None:
        super().__init__(name, section, table)
        section.allow(["type", "kind", "hidden", "pattern", "ordered"])
        text = section.string("pattern")
        self.ordered = section.boolean("ordered", False)
        self.slots: list[
            tuple[int, bytes]
        ] = []  # (byte position, alphabet), least significant last
        literal = bytearray()
        escaped = False
        for char in text:
            if not escaped and char == "\\":
                escaped = True
                continue
            if not escaped and char in _ALPHABETS:
                self.slots.append((len(literal), _ALPHABETS[char]))
                literal += b"?"
            else:
                literal += char.encode("utf-8")
            escaped = False
        if not self.slots:
            raise section.fail(
                "pattern",
                f"{section.title()} has the pattern {text!r} with no '#', '?' or '*' "
                "placeholder, so every id would be the same; add placeholders.",
            )
        self.template = np.frombuffer(bytes(literal), dtype=np.uint8)
        self.size = 1
        for _, alphabet in self.slots:
            self.size *= len(alphabet)
        self.pattern = text

    def capacity(self) -> int | None:
        return self.size

    def at(self, seed: int, rows: Rows) -> Any:
        r = np.asarray(rows, dtype=np.uint64)
        space = min(self.size, _CAP)
        if len(r) and int(r.max()) >= space:
            raise self.where.error(
                f"Column {self.name!r} of table {self.table!r} has {self.size:,} possible ids, "
                f"fewer than the table's {int(r.max()) + 1:,}+ rows; lengthen its pattern."
            )
        value = r if self.ordered else permute(r, space, key64(seed, self.table, self.name))
        out = np.tile(self.template, (len(r), 1))
        for position, alphabet in reversed(self.slots):
            radix = np.uint64(len(alphabet))
            out[:, position] = np.frombuffer(alphabet, dtype=np.uint8)[value % radix]
            value = value // radix
        return strings(out)


_STYLES: dict[str, type[IdColumn]] = {c.style: c for c in (Sequential, Uuid, Pattern)}


def parse_id(name: str, section: Section, table: str) -> IdColumn:
    default = "pattern" if "pattern" in section else "sequential"
    style = section.string("kind", default, choices=list(_STYLES))
    return _STYLES[style](name, section, table)


class ForeignKeyColumn(ColumnSpec):
    """Values of a key column of another table (or of this one).

    With ``per_parent`` on the table this is the link to the parent row; otherwise each row names
    a row of the referenced table drawn uniformly, or by Zipf's law (``distribution: zipf``, ``a``)
    so a few rows are referenced often.
    """

    kind = "foreign_key"

    def __init__(self, name: str, section: Section, target: tuple[str, str], **options: Any):
        super().__init__(name, section.where, **options)
        section.allow([*COMMON_KEYS, "table", "column", "distribution", "a"])
        self.target = target
        self.distribution = section.string("distribution", "uniform", choices=["uniform", "zipf"])
        self.a = section.number("a", 1.0, above=0.0) if self.distribution == "zipf" else 0.0
        self.link = False  # set when the column is the table's link to its parent rows
        self.key: IdColumn | None = None  # the referenced id, resolved when the spec is checked

    def is_fixed(self) -> bool:
        return self.link

    def needs(self) -> set[str]:
        return {"parent.#row"} if self.link else set()

    def generate(self, block: Block) -> Any:
        assert self.key is not None
        if self.link:
            return self.key.at(block.seed, block.get("parent.#row"))
        rows = block.sizes.get(self.target[0], 0)
        if rows <= 0:
            raise self.where.error(
                f"Column {self.name!r} refers to table {self.target[0]!r}, which has no rows; "
                "give it rows or leave the key out."
            )
        u = block.rng(self.name).random(block.n)
        if self.distribution == "zipf":
            rank = _zipf_rank(u, rows, self.a)
            key = key64(block.seed, block.table, self.name, "popularity")
            index = permute(rank, rows, key).astype(np.int64)
        else:
            index = np.minimum((u * rows).astype(np.int64), rows - 1)
        return self.key.at(block.seed, index)


def _zipf_rank(u: npt.NDArray[np.float64], n: int, a: float) -> npt.NDArray[np.int64]:
    """Ranks 0..n-1 with P(rank k) about proportional to (k + 1) ** -a (continuous inverse)."""
    if abs(a - 1.0) < 1e-9:
        x = np.power(float(n + 1), u)
    else:
        x = np.power(1.0 + u * ((n + 1) ** (1.0 - a) - 1.0), 1.0 / (1.0 - a))
    return np.clip(np.floor(x).astype(np.int64) - 1, 0, n - 1)
