"""Randomness keyed by place: every stream is a pure function of (seed, table, column, block, ...).

Streams come from :func:`generator`, a PCG64 generator seeded with a :class:`numpy.random.
SeedSequence` of the seed and stable (BLAKE2b, never Python's salted ``hash``) hashes of the names,
so the same place gives the same numbers in any process, in any order. Keys and patterned ids
that must be unique come from keyed bijections of the row index (:func:`mix64`, :func:`permute`).
"""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

__all__ = ["BLOCK_ROWS", "generator", "key64", "mix64", "permute", "stable_hash"]

BLOCK_ROWS = 1 << 16
"""Rows per block: every column of a table is drawn a whole block at a time."""

U64 = npt.NDArray[np.uint64]
_MASK64 = (1 << 64) - 1


def stable_hash(text: str) -> int:
    """A 64-bit hash of ``text`` that is the same in every process and on every machine."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def _part(part: str | int) -> int:
    return stable_hash(part) if isinstance(part, str) else int(part) & _MASK64


def generator(seed: int, *parts: str | int) -> np.random.Generator:
    """The random stream for one place, e.g. ``generator(seed, table, column, block, attempt)``."""
    entropy = [int(seed) & _MASK64, *(_part(p) for p in parts)]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def key64(seed: int, *parts: str | int) -> int:
    """A 64-bit key for one place, for the bijections below."""
    text = ":".join([str(int(seed)), *(f"{type(p).__name__}={p}" for p in parts)])
    return stable_hash(text)


def mix64(x: U64) -> U64:
    """SplitMix64's finaliser: a bijection of 64-bit integers that scatters neighbours."""
    with np.errstate(over="ignore"):
        z = np.asarray(x, dtype=np.uint64) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _feistel(x: U64, half: int, keys: list[int]) -> U64:
    mask = np.uint64((1 << half) - 1)
    left, right = x >> np.uint64(half), x & mask
    for key in keys:
        left, right = right, left ^ (mix64(right ^ np.uint64(key)) & mask)
    return (left << np.uint64(half)) | right


def permute(index: npt.NDArray[np.integer], size: int, key: int) -> U64:
    """A keyed bijection of ``[0, size)`` applied to ``index`` (a Feistel network on the next
    even power of two, cycle-walking back into range)."""
    x = np.asarray(index, dtype=np.uint64)
    if size <= 1:
        return np.zeros(len(x), dtype=np.uint64)
    bits = max(2, int(size - 1).bit_length())
    half = (bits + 1) // 2
    keys = [int(mix64(np.array([key + i], dtype=np.uint64))[0]) for i in range(4)]
    out = _feistel(x, half, keys)
    bad = np.flatnonzero(out >= np.uint64(size))
    while len(bad):
        out[bad] = _feistel(out[bad], half, keys)
        bad = bad[out[bad] >= np.uint64(size)]
    return out
