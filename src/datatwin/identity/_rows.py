"""Random streams and one block of rows of one locale, with the draws made for it.

The caller's generator is used exactly once per call: it gives one 62-bit key per *stream*
(:data:`STREAMS`), always all of them, whatever the fields, the rows or the locales. Each stream
is a generator of its own seeded from its key, and each stream feeds exactly one component (the
names, the address, the card, ...). A component draws the same numbers whichever of its fields
are asked for, and the same whether or not the caller passed ``gender`` or ``birth_date``. So:

* the same generator state gives the same output;
* a field's values do not depend on which other fields are asked for (``email`` alone equals the
  ``email`` drawn beside ``name``, and is built from the names ``name`` would have shown);
* the caller's generator advances by the same amount on every call.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from datatwin.identity.locales import LocaleData

__all__ = ["STREAMS", "Rows", "Streams"]

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
    """One child generator per stream, keyed from the caller's generator when this is made."""

    def __init__(self, rng: np.random.Generator) -> None:
        keys = rng.integers(0, 2**62, size=len(STREAMS), dtype=np.int64)
        self._keys = dict(zip(STREAMS, (int(k) for k in keys), strict=True))
        self._made: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in self._made:
            self._made[name] = np.random.Generator(np.random.PCG64(self._keys[name]))
        return self._made[name]


class Rows:
    """``n`` rows of one locale: the streams, the caller's per-row inputs and a cache of draws."""

    def __init__(
        self,
        data: LocaleData,
        n: int,
        streams: Streams,
        gender: npt.NDArray[np.int8] | None,
        birth_date: npt.NDArray[np.datetime64] | None,
    ) -> None:
        self.data = data
        self.spec = data.spec
        self.code = data.spec.code
        self.n = n
        self.streams = streams
        self.gender_in = gender  # 0 female, 1 male, -1 not given for that row
        self.birth_in = birth_date  # NaT where not given
        self.cache: dict[str, Any] = {}

    def rng(self, stream: str) -> np.random.Generator:
        return self.streams[stream]
