"""Gender, given names and surnames, and the ASCII tokens that e-mails and usernames are made of."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from datatwin.identity._rows import Rows
from datatwin.identity._text import Objects, Pool, join
from datatwin.identity.locales import load, skewed, to_ascii

__all__ = [
    "GENDERS",
    "KINDS",
    "NamePools",
    "draw_gender",
    "draw_names",
    "first_index",
    "gender_codes",
    "name_fields",
    "name_pools",
]

GENDERS = Pool(("female", "male"))
KINDS = ("first", "finit", "last", "linit", "empty")  # the tokens an e-mail is made of


@dataclass(frozen=True)
class NamePools:
    """A locale's names. Given names are the female ones, then the male ones, in one pool.

    ``tokens`` holds, in this order, the ASCII forms of the given names, their initials, the
    ASCII forms of the surnames, their initials, and an empty string (see :meth:`kinds`).
    """

    first: Pool
    n_female: int
    n_male: int
    last: Pool
    tokens: Pool

    def kinds(self) -> tuple[Any, Any, Any]:
        """Per token kind (:data:`KINDS`): offset into ``tokens``, and whether the row's given
        name or surname index is added to it."""
        n_first, n_last = len(self.first), len(self.last)
        offset = np.array([0, n_first, 2 * n_first, 2 * n_first + n_last, 2 * (n_first + n_last)])
        return offset, np.array([1, 1, 0, 0, 0]), np.array([0, 0, 1, 1, 0])


@cache
def name_pools(code: str) -> NamePools:
    data = load(code)
    folds = data.spec.folds
    first = data.female + data.male
    first_ascii = [to_ascii(v, folds) or "x" for v in first]
    last_ascii = [to_ascii(v, folds) or "x" for v in data.last]
    tokens = (
        first_ascii + [a[0] for a in first_ascii] + last_ascii + [a[0] for a in last_ascii] + [""]
    )
    return NamePools(
        first=Pool(first),
        n_female=len(data.female),
        n_male=len(data.male),
        last=Pool(data.last),
        tokens=Pool(tokens),
    )


def draw_gender(rows: Rows) -> dict[str, Any]:
    return {"u": rows.uniform("gender")}


def draw_names(rows: Rows) -> dict[str, Any]:
    u = rows.uniforms("names", 3)
    size = len(name_pools(rows.code).last)
    return {"first": u[0], "last": skewed(u[1], size), "last2": skewed(u[2], size)}


def gender_codes(rows: Rows) -> npt.NDArray[np.int8]:
    """1 for male, 0 for female: the caller's where given, else drawn (half and half)."""
    if "gender_codes" not in rows.cache:
        drawn = (rows.cache["gender"]["u"] >= 0.5).astype(np.int8)
        if rows.gender_in is not None:
            drawn = np.where(rows.gender_in >= 0, rows.gender_in, drawn).astype(np.int8)
        rows.cache["gender_codes"] = drawn
    codes: npt.NDArray[np.int8] = rows.cache["gender_codes"]
    return codes


def first_index(rows: Rows) -> npt.NDArray[np.int64]:
    """Each row's given name (an index into the pool), from the row's gender's list."""
    if "first_index" not in rows.cache:
        pools = name_pools(rows.code)
        u = rows.cache["names"]["first"]
        male = gender_codes(rows) == 1
        female_i = skewed(u, pools.n_female)
        male_i = pools.n_female + skewed(u, pools.n_male)
        rows.cache["first_index"] = np.where(male, male_i, female_i)
    index: npt.NDArray[np.int64] = rows.cache["first_index"]
    return index


def _last_arrow(rows: Rows) -> Any:
    pools = name_pools(rows.code)
    draws = rows.cache["names"]
    if rows.spec.two_surnames:
        return join(
            pools.last.take_arrow(draws["last"]), " ", pools.last.take_arrow(draws["last2"])
        )
    return pools.last.take_arrow(draws["last"])


def _gender(rows: Rows) -> Objects:
    return GENDERS.take(gender_codes(rows))


def _first_name(rows: Rows) -> Objects:
    return name_pools(rows.code).first.take(first_index(rows))


def _last_name(rows: Rows) -> Any:
    if rows.spec.two_surnames:
        return _last_arrow(rows)
    return name_pools(rows.code).last.take(rows.cache["names"]["last"])


def _name(rows: Rows) -> Any:
    first = name_pools(rows.code).first.take_arrow(first_index(rows))
    return join(first, " ", _last_arrow(rows))


name_fields = {
    "first_name": _first_name,
    "last_name": _last_name,
    "name": _name,
    "gender": _gender,
}
