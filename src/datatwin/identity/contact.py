"""E-mail addresses and usernames built from the row's own name, and phone numbers.

An e-mail's local part is one of a few patterns over the row's given name and (first) surname in
lower-case ASCII (``first.last``, ``flast42``, ``first_last``, ``last.first``, ``first1987``,
...), at one of the locale's common free-mail domains or, for 30 % of rows, at a domain reserved
for examples (``example.com``, ``example.org``, ``example.net``). Phone numbers follow the
locale's national format, in ranges reserved for fiction where the country has them (see each
locale's templates in :mod:`datatwin.identity.locales`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from datatwin.identity._rows import Rows
from datatwin.identity._text import ZERO, Pool, ascii_arrow, chunk_digits, join
from datatwin.identity.address import area_digits
from datatwin.identity.locales import SAFE_DOMAINS, SPECS
from datatwin.identity.names import KINDS, first_index, name_pools

__all__ = ["contact_fields", "draw_email", "draw_phone", "draw_username"]

SAFE_SHARE = 0.3  # e-mails at an example.* domain
SEPARATORS = Pool(("", ".", "_"))
NUMBERS = Pool(("", *(str(i) for i in range(1, 100)), *(str(y) for y in range(1960, 2006))))
NO_NUMBER, TWO_DIGITS, YEAR = 0, 1, 2
# (first token, separator, second token, number, weight)
EMAIL_PATTERNS = (
    ("first", ".", "last", NO_NUMBER, 0.28),
    ("first", "", "last", NO_NUMBER, 0.08),
    ("finit", "", "last", TWO_DIGITS, 0.12),
    ("first", "_", "last", NO_NUMBER, 0.06),
    ("first", ".", "last", TWO_DIGITS, 0.12),
    ("last", ".", "first", NO_NUMBER, 0.05),
    ("first", "", "empty", YEAR, 0.08),
    ("first", "", "linit", NO_NUMBER, 0.05),
    ("finit", ".", "last", NO_NUMBER, 0.08),
    ("first", "", "last", YEAR, 0.08),
)
USERNAME_PATTERNS = (
    ("first", "", "last", NO_NUMBER, 0.2),
    ("finit", "", "last", TWO_DIGITS, 0.2),
    ("first", "_", "last", NO_NUMBER, 0.15),
    ("first", "", "empty", TWO_DIGITS, 0.15),
    ("last", "", "finit", NO_NUMBER, 0.1),
    ("first", ".", "last", NO_NUMBER, 0.1),
    ("first", "", "last", YEAR, 0.1),
)


def _cumulative(weights: list[float]) -> npt.NDArray[np.float64]:
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    return cum / cum[-1]


def _pick(u: npt.NDArray[np.float64], cumulative: npt.NDArray[np.float64]) -> Any:
    return np.minimum(np.searchsorted(cumulative, u, side="right"), len(cumulative) - 1)


@cache
def _domains(code: str) -> tuple[Pool, int]:
    free = SPECS[code].mail_domains
    return Pool([f"@{d}" for d in (*free, *SAFE_DOMAINS)]), len(free)


def draw_email(rows: Rows) -> dict[str, Any]:
    return {"u": rows.uniforms("email", 4)}


def draw_username(rows: Rows) -> dict[str, Any]:
    return {"u": rows.uniforms("username", 2)}


def draw_phone(rows: Rows) -> dict[str, Any]:
    return {
        "u": rows.uniform("phone"),
        "chunks": rows.integers("phone", "chunks", 10_000, 4, np.int16),
    }


@cache
def _pattern_table(patterns: tuple[Any, ...]) -> tuple[Any, ...]:
    """Per pattern: first and second token kind, separator and number kind; and the weights."""
    a = np.array([KINDS.index(p[0]) for p in patterns])
    sep = np.array([SEPARATORS.values.index(p[1]) for p in patterns])
    b = np.array([KINDS.index(p[2]) for p in patterns])
    number = np.array([p[3] for p in patterns])
    return a, sep, b, number, _cumulative([p[4] for p in patterns])


def _local_part(rows: Rows, u_pattern: Any, u_number: Any, patterns: tuple[Any, ...]) -> list[Any]:
    """The Arrow pieces of each row's local part: token, separator, token, number."""
    pools = name_pools(rows.code)
    first = first_index(rows)
    last = rows.cache["names"]["last"]
    a_kind, sep_kind, b_kind, number_kind, cumulative = _pattern_table(patterns)
    pattern = _pick(u_pattern, cumulative)
    offset, uses_first, uses_last = pools.kinds()
    a, b = a_kind[pattern], b_kind[pattern]
    a = offset[a] + uses_first[a] * first + uses_last[a] * last
    b = offset[b] + uses_first[b] * first + uses_last[b] * last
    kind = number_kind[pattern]
    number = np.where(
        kind == TWO_DIGITS,
        1 + (u_number * 99).astype(np.int64),
        np.where(kind == YEAR, 100 + (u_number * 46).astype(np.int64), 0),
    )
    return [
        pools.tokens.take_arrow(a),
        SEPARATORS.take_arrow(sep_kind[pattern]),
        pools.tokens.take_arrow(b),
        NUMBERS.take_arrow(number),
    ]


def _email(rows: Rows) -> Any:
    u = rows.cache["email"]["u"]
    domains, n_free = _domains(rows.code)
    free = np.minimum((u[2] * n_free).astype(np.int64), n_free - 1)
    safe = n_free + np.minimum((u[3] / SAFE_SHARE * len(SAFE_DOMAINS)).astype(np.int64), 2)
    domain = np.where(u[3] < SAFE_SHARE, safe, free)
    parts = _local_part(rows, u[0], u[1], EMAIL_PATTERNS)
    return join(*parts, domains.take_arrow(domain))


def _username(rows: Rows) -> Any:
    u = rows.cache["username"]["u"]
    return join(*_local_part(rows, u[0], u[1], USERNAME_PATTERNS))


@cache
def _phone_templates(code: str) -> tuple[Any, ...]:
    """The locale's templates as ASCII rows, their lengths, weights, and area-code places."""
    templates = SPECS[code].phones
    width = max(len(t) for t, _ in templates)
    matrix = np.full((len(templates), width), ord(" "), dtype=np.uint8)
    for i, (template, _) in enumerate(templates):
        matrix[i, : len(template)] = np.frombuffer(template.encode("ascii"), dtype=np.uint8)
    lengths = np.array([len(t) for t, _ in templates], dtype=np.int64)
    area = matrix == ord("@")
    slot = np.clip(np.cumsum(area, axis=1) - 1, 0, 2)  # which area-code digit goes where
    return matrix, lengths, _cumulative([w for _, w in templates]), area, slot


def _phone(rows: Rows) -> Any:
    draws = rows.cache["phone"]
    matrix, lengths, cumulative, area, slot = _phone_templates(rows.code)
    template = _pick(draws["u"], cumulative)
    out = matrix[template]
    digits = chunk_digits(draws["chunks"])[:, : out.shape[1]]
    out = np.where(out == ord("#"), digits + ZERO, out).astype(np.uint8)
    if area.any():  # the city's area code, in the template's "@" places
        codes = np.take_along_axis(area_digits(rows), slot[template], axis=1)
        out = np.where(area[template], codes, out)
    return ascii_arrow(out, lengths[template])


contact_fields = {"email": _email, "username": _username, "phone": _phone}
