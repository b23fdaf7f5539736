"""Birth dates and national-id-like numbers, with the check digits their formats have.

* en_US ``9AA-GG-SSSS``: shaped like a Social Security number, but the area 900-999 is never
  issued as one, and the group 01-49 is outside every ITIN range, so it can never be real.
* en_GB ``AB123456C``: a National Insurance number's format (allowed prefix letters, six digits,
  suffix A-D). The format has no check digit.
* de_DE ``12345678903``: a Steuer-ID's format: 11 digits, the first not 0, one digit twice among
  the first ten, the last the ISO 7064 MOD 11,10 check digit.
* fr_FR ``185057800608436``: an INSEE number: sex (1 male, 2 female), year and month of birth,
  a metropolitan département, commune, order number and the key 97 - (number mod 97).
* nb_NO ``DDMMYYIIIKK``: a fødselsnummer: birth date, individual number in the range of the
  birth year's century (odd for men, even for women) and the two mod-11 check digits.
* es_ES ``12345678Z``: a DNI: eight digits and the letter of the number mod 23.

Birth dates, when drawn, lie between 1940-01-01 and 2006-12-31 (fixed, not relative to today,
so that output never depends on the clock). When the caller passes ``birth_date`` and
``gender``, the ids agree with them.
"""

from __future__ import annotations

import itertools
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from datatwin.errors import ParameterError
from datatwin.identity._rows import Rows
from datatwin.identity._text import ZERO, ascii_arrow
from datatwin.identity.names import gender_codes

__all__ = ["birth_dates", "draw_birth", "draw_national", "national_fields"]

Ints = npt.NDArray[np.int64]
Dates = npt.NDArray[np.datetime64]
FIRST_BIRTH = np.datetime64("1940-01-01", "D")
LAST_BIRTH = np.datetime64("2006-12-31", "D")
DNI_LETTERS = np.frombuffer(b"TRWAGMYFPDXBNJZSQVHLCKE", dtype=np.uint8)
NO_K1 = np.array([3, 7, 6, 1, 8, 9, 4, 5, 2], dtype=np.int64)
NO_K2 = np.array([5, 4, 3, 2, 7, 6, 5, 4, 3, 2], dtype=np.int64)
FR_DEPARTEMENTS = np.array([d for d in range(1, 96) if d != 20], dtype=np.int64)  # no Corsica


def draw_birth(rows: Rows) -> dict[str, Any]:
    span = int((LAST_BIRTH - FIRST_BIRTH).astype(np.int64)) + 1
    return {"days": rows.integers("birth", "days", span)}


def birth_dates(rows: Rows) -> Dates:
    """The caller's birth dates where given, else the drawn ones."""
    if "birth_dates" not in rows.cache:
        dates = FIRST_BIRTH + rows.cache["birth"]["days"].astype("timedelta64[D]")
        if rows.birth_in is not None:
            dates = np.where(np.isnat(rows.birth_in), dates, rows.birth_in)
        rows.cache["birth_dates"] = dates.astype("datetime64[D]")
    dates_out: Dates = rows.cache["birth_dates"]
    return dates_out


def draw_national(rows: Rows) -> dict[str, Any]:
    draws = {
        "u": rows.uniforms("national", 4),
        "digits": rows.integers("national", "digits", 10, 10, np.uint8).astype(np.int64),
    }
    if rows.code == "de_DE":
        draws["permutation"] = rows.integers("national", "permutation", 3_628_800)  # 10!
    return draws


def _ymd(dates: Dates) -> tuple[Ints, Ints, Ints]:
    months = dates.astype("datetime64[M]")
    year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (dates - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def _two(values: Ints) -> tuple[Ints, Ints]:
    return values // 10 % 10, values % 10


def _ascii(digits: Ints) -> npt.NDArray[np.uint8]:
    return (digits + ZERO).astype(np.uint8)


def _us(rows: Rows) -> Any:
    u, digits = rows.cache["national"]["u"], rows.cache["national"]["digits"]
    out = np.full((rows.n, 11), ord("-"), dtype=np.uint8)
    group = 1 + (u[0] * 49).astype(np.int64)  # 01-49: no SSN (area 9xx) and no ITIN group
    serial = 1 + (u[1] * 9999).astype(np.int64)  # 0001-9999
    out[:, 0] = ord("9")
    out[:, 1:3] = _ascii(digits[:, :2])
    out[:, 4], out[:, 5] = (_ascii(d) for d in _two(group))
    out[:, 7:11] = _ascii(serial[:, None] // np.array([1000, 100, 10, 1]) % 10)
    return ascii_arrow(out)


@cache
def _uk_prefixes() -> npt.NDArray[np.uint8]:
    first, second = "ABCEGHJKLMNOPRSTWXYZ", "ABCEGHJKLMNPRSTWXYZ"
    banned = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}
    pairs = [a + b for a in first for b in second if a + b not in banned]
    return np.frombuffer("".join(pairs).encode("ascii"), dtype=np.uint8).reshape(-1, 2)


def _gb(rows: Rows) -> Any:
    u, digits = rows.cache["national"]["u"], rows.cache["national"]["digits"]
    prefixes = _uk_prefixes()
    out = np.empty((rows.n, 9), dtype=np.uint8)
    out[:, :2] = prefixes[np.minimum((u[0] * len(prefixes)).astype(np.int64), len(prefixes) - 1)]
    out[:, 2:8] = _ascii(digits[:, :6])
    out[:, 8] = ord("A") + (u[1] * 4).astype(np.uint8)
    return ascii_arrow(out)


@cache
def _steuer_table() -> Ints:
    """ISO 7064 MOD 11,10 as a table: the next state from (state, digit), flattened."""
    table = np.zeros((11, 10), dtype=np.int64)
    for state in range(11):
        for digit in range(10):
            total = (digit + state) % 10 or 10
            table[state, digit] = total * 2 % 11
    return table.reshape(-1)


def steuer_check(digits: Ints) -> Ints:
    """ISO 7064 MOD 11,10 check digit of each row of ten digits."""
    table = _steuer_table()
    state = np.full(digits.shape[0], 10, dtype=np.int64)
    for j in range(digits.shape[1]):
        state = table[state * 10 + digits[:, j]]
    check = 11 - state
    return np.where(check == 10, 0, check)


@cache
def _permutations() -> tuple[Ints, Ints, Ints]:
    """Every ordered choice of 3 digits, the 7 left over, and every order of 7: 10! in all."""
    triples = list(itertools.permutations(range(10), 3))
    rest = [[d for d in range(10) if d not in t] for t in triples]
    orders = list(itertools.permutations(range(7)))
    return np.array(triples), np.array(rest), np.array(orders)


def _de(rows: Rows) -> Any:
    draws = rows.cache["national"]
    u, n = draws["u"], rows.n
    triples, rest, orders = _permutations()
    pick = draws["permutation"]  # a uniform permutation of the ten digits per row
    first, order = pick // len(orders), pick % len(orders)
    ten = np.concatenate([triples[first], np.take_along_axis(rest[first], orders[order], 1)], 1)
    rows_i = np.arange(n)
    gone = (u[0] * 10).astype(np.int64)  # this place's digit goes missing ...
    twice = (gone + 1 + (u[1] * 9).astype(np.int64)) % 10  # ... this place's digit comes twice
    ten[rows_i, gone] = ten[rows_i, twice]
    lead = np.argmax(ten != 0, axis=1)  # the first digit must not be 0: swap in the first non-0
    lead_digit = ten[rows_i, lead]
    ten[rows_i, lead] = ten[:, 0]
    ten[:, 0] = lead_digit
    out = np.concatenate([ten, steuer_check(ten)[:, None]], axis=1)
    return ascii_arrow(_ascii(out))


def _fr(rows: Rows) -> Any:
    u = rows.cache["national"]["u"]
    year, month, _ = _ymd(birth_dates(rows))
    sex = 2 - gender_codes(rows).astype(np.int64)  # 1 male, 2 female
    departement = FR_DEPARTEMENTS[(u[0] * len(FR_DEPARTEMENTS)).astype(np.int64)]
    commune = 1 + (u[1] * 899).astype(np.int64)
    order = 1 + (u[2] * 999).astype(np.int64)
    number = (
        sex * 10**12
        + (year % 100) * 10**10
        + month * 10**8
        + departement * 10**6
        + commune * 10**3
        + order
    )
    key = 97 - number % 97
    powers = 10 ** np.arange(14, -1, -1, dtype=np.int64)
    return ascii_arrow(_ascii((number * 100 + key)[:, None] // powers % 10))


def _no_ranges(year: Ints) -> tuple[Ints, Ints]:
    """Start and size of the individual numbers of each birth year (1940-1999: two ranges)."""
    if year.size and (int(year.min()) < 1854 or int(year.max()) > 2039):
        raise ParameterError(
            "nb_NO national ids need birth dates from 1854 to 2039; pass birth dates in that range."
        )
    start = np.where(year < 1900, 500, np.where(year < 2000, 0, 500))
    size = np.where(year < 1900, 250, np.where(year < 1940, 500, np.where(year < 2000, 600, 500)))
    return start, size


def _no_checks(head: Ints) -> tuple[Ints, Ints]:
    k1 = 11 - head @ NO_K1 % 11
    k1 = np.where(k1 == 11, 0, k1)
    k2 = 11 - (head @ NO_K2[:9] + 2 * k1) % 11
    return k1, np.where(k2 == 11, 0, k2)


def _no(rows: Rows) -> Any:
    u = rows.cache["national"]["u"]
    year, month, day = _ymd(birth_dates(rows))
    start, size = _no_ranges(year)
    male = gender_codes(rows).astype(np.int64)
    step = (u[0] * size).astype(np.int64) // 2  # the n-th number of the sex's parity
    date = np.stack([*_two(day), *_two(month), *_two(year % 100)], axis=1)
    out = np.zeros((rows.n, 11), dtype=np.int64)
    todo = np.arange(rows.n)
    for _ in range(300):  # the next number of that parity while a check digit would be 10
        if not todo.size:
            break
        offset = 2 * (step[todo] % (size[todo] // 2)) + male[todo]
        number = start[todo] + np.where(offset >= 500, offset + 400, offset)  # 1940-1999: 9xx
        head = np.concatenate([date[todo], number[:, None] // [100, 10, 1] % 10], axis=1)
        k1, k2 = _no_checks(head)
        ok = (k1 < 10) & (k2 < 10)
        done = todo[ok]
        out[done] = np.concatenate([head[ok], k1[ok, None], k2[ok, None]], axis=1)
        step[todo[~ok]] += 1
        todo = todo[~ok]
    return ascii_arrow(_ascii(out))


def _es(rows: Rows) -> Any:
    digits = rows.cache["national"]["digits"][:, :8]
    number = digits @ (10 ** np.arange(7, -1, -1, dtype=np.int64))
    out = np.empty((rows.n, 9), dtype=np.uint8)
    out[:, :8] = _ascii(digits)
    out[:, 8] = DNI_LETTERS[number % 23]
    return ascii_arrow(out)


BUILDERS = {"en_US": _us, "en_GB": _gb, "de_DE": _de, "fr_FR": _fr, "nb_NO": _no, "es_ES": _es}


def _national_id(rows: Rows) -> Any:
    return BUILDERS[rows.code](rows)


national_fields = {"national_id": _national_id, "birth_date": birth_dates}
