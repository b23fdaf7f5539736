"""IBANs with valid check digits and card numbers with valid Luhn digits, from digit matrices.

IBANs are in the locale's country's format (en_US, whose country has no IBAN, gets British
ones), electronic form without spaces: ``GB`` 22 characters, ``DE`` 22, ``FR`` 27 (with the RIB
key inside the BBAN), ``NO`` 15 (with the account number's mod-11 digit), ``ES`` 24 (with the
two "dígitos de control"). The two IBAN check digits make the mod-97 test come out at 1.

Card numbers: Visa ``4`` and 16 digits, Mastercard ``51``-``55`` or ``2221``-``2720`` and 16
digits, American Express ``34`` or ``37`` and 15 digits, the last digit being the Luhn check.

Random digits are drawn four at a time (numbers below 10,000) and looked up; check digits are
integer arithmetic on whole columns: Horner's rule modulo 97 over runs of up to nine digits, and
a table of each 4-digit block's Luhn sum.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

from datatwin.identity._rows import Rows
from datatwin.identity._text import ZERO, Objects, Pool, ascii_arrow, chunk_digits

__all__ = ["BRANDS", "finance_fields", "iban_number", "luhn_digit"]

Ints = npt.NDArray[np.int64]
Digits = npt.NDArray[np.int8]
BRANDS = Pool(("Visa", "Mastercard", "American Express"))
VISA, MASTERCARD, AMEX = 0, 1, 2
BANKS = {  # the BBAN's leading bank code, one drawn per row
    "GB": ("NWBK", "BARC", "LOYD", "HBUK", "MIDL", "NAIA", "RBOS", "SCBL", "ABBY", "TSBS"),
    "FR": ("30003", "30004", "30002", "20041", "10278", "30066", "10107", "17515", "18206"),
    "ES": ("2100", "0049", "0182", "0081", "0128", "2080", "0487", "3058", "0075"),
}
NO_WEIGHTS = np.array([5, 4, 3, 2, 7, 6, 5, 4, 3, 2], dtype=np.int64)
ES_WEIGHTS = np.array([1, 2, 4, 8, 5, 10, 9, 7, 3, 6], dtype=np.int64)


def iban_number(text: str) -> str:
    """IBAN characters as the digits the mod-97 test reads: digits as such, A=10 ... Z=35."""
    return "".join(str(int(ch, 36)) for ch in text)


def _horner(r: Ints, digits: Digits) -> Ints:
    """Continue ``r`` (a remainder mod 97) with each row's ``digits``, nine at a time."""
    for start in range(0, digits.shape[1], 9):
        piece = digits[:, start : start + 9].astype(np.int64)
        width = piece.shape[1]
        r = (r * 10**width + piece @ (10 ** np.arange(width - 1, -1, -1, dtype=np.int64))) % 97
    return r


def _ascii(digits: Digits) -> npt.NDArray[np.uint8]:
    return (digits + ZERO).astype(np.uint8)


@cache
def _banks(country: str) -> tuple[npt.NDArray[np.uint8], Ints, Ints]:
    """The country's bank codes: ASCII ``(banks, width)``, mod-97 remainders, digit values."""
    codes = BANKS[country]
    text = np.frombuffer("".join(codes).encode("ascii"), dtype=np.uint8).reshape(len(codes), -1)
    remainders = np.array([int(iban_number(c)) % 97 for c in codes], dtype=np.int64)
    values = np.array([int(c) if c.isdigit() else 0 for c in codes], dtype=np.int64)
    return text, remainders, values


def _es_digit(digits: Digits) -> Ints:
    d = 11 - (digits.astype(np.int64) @ ES_WEIGHTS) % 11
    return np.where(d == 11, 0, np.where(d == 10, 1, d))


def _bban(country: str, digits: Digits, bank: Ints) -> tuple[list[Any], Ints]:
    """The BBAN's parts (ASCII arrays, left to right) and the remainder mod 97 of its number."""
    n = digits.shape[0]
    zero = np.zeros(n, dtype=np.int64)
    head: Any = None
    r0, values = zero, zero
    if country in BANKS:
        text, remainders, codes = _banks(country)
        bank = bank % len(remainders)
        head, r0, values = text[bank], remainders[bank], codes[bank]
    if country == "GB":  # bank(4 letters) sort code(6) account(8)
        body = digits[:, :14]
        return [head, _ascii(body)], _horner(r0, body)
    if country == "DE":  # Bankleitzahl(8, first digit 1-8) account(10)
        body = digits[:, :18].copy()
        body[:, 0] = 1 + body[:, 0] % 8
        return [_ascii(body)], _horner(zero, body)
    if country == "NO":  # bank(4) account(6) mod-11 check digit (never 10)
        body = digits[:, :11].copy()
        body[:, 0] = 1 + body[:, 0] % 9
        total = body[:, :10].astype(np.int64) @ NO_WEIGHTS
        bad = total % 11 == 1  # would need a check digit of 10: change the last account digit
        body[:, 9] = np.where(bad, (body[:, 9] + 1) % 10, body[:, 9])
        rest = (body[:, :10].astype(np.int64) @ NO_WEIGHTS) % 11
        body[:, 10] = np.where(rest == 0, 0, 11 - rest)
        return [_ascii(body)], _horner(zero, body)
    if country == "ES":  # bank(4) branch(4) DC(2) account(10)
        bank_digits = (values[:, None] // np.array([1000, 100, 10, 1]) % 10).astype(np.int8)
        body = np.empty((n, 16), dtype=np.int8)
        body[:, :4] = digits[:, :4]
        head_digits = np.concatenate([np.zeros((n, 2), np.int8), bank_digits, digits[:, :4]], 1)
        body[:, 4] = _es_digit(head_digits)
        body[:, 5] = _es_digit(digits[:, 4:14])
        body[:, 6:] = digits[:, 4:14]
        return [head, _ascii(body)], _horner(r0, body)
    # FR: bank(5) branch(5) account(11) RIB key(2)
    powers = 10 ** np.arange(10, -1, -1, dtype=np.int64)
    branch = digits[:, :5].astype(np.int64) @ powers[-5:]
    account = digits[:, 5:16].astype(np.int64) @ powers
    key = 97 - (89 * values + 15 * branch + 3 * account) % 97
    body = np.empty((n, 18), dtype=np.int8)
    body[:, :16] = digits[:, :16]
    body[:, 16], body[:, 17] = key // 10, key % 10
    return [head, _ascii(body)], _horner(r0, body)


def draw_iban(rows: Rows) -> dict[str, Any]:
    return {
        "chunks": rows.integers("iban", "chunks", 10_000, 5, np.int16),
        "bank": rows.integers("iban", "bank", 1_000),
    }


def _iban(rows: Rows) -> Any:
    draws = rows.cache["iban"]
    country = rows.spec.iban_country
    parts, r = _bban(country, chunk_digits(draws["chunks"]), draws["bank"])
    tail = int(iban_number(country + "00"))  # the country code and "00" come last
    check = 98 - (r * 10 ** len(str(tail)) + tail) % 97
    n = len(check)
    lead = np.empty((n, 4), dtype=np.uint8)
    lead[:, 0], lead[:, 1] = ord(country[0]), ord(country[1])
    lead[:, 2], lead[:, 3] = ZERO + check // 10, ZERO + check % 10
    return ascii_arrow(np.concatenate([lead, *parts], axis=1))


@cache
def _luhn_table() -> Ints:
    """Luhn sum of every 4-digit block whose first and third digits are doubled."""
    d = np.arange(10_000)[:, None] // np.array([1000, 100, 10, 1]) % 10
    doubled = np.where(d * 2 > 9, d * 2 - 9, d * 2)
    return (doubled[:, 0] + d[:, 1] + doubled[:, 2] + d[:, 3]).astype(np.int64)


def luhn_digit(blocks: Ints) -> Ints:
    """Luhn check digit of 16-digit numbers ``(n, 4)`` in blocks of four, last digit zero."""
    total = _luhn_table()[blocks].sum(axis=1)
    return (10 - total % 10) % 10


def draw_card(rows: Rows) -> dict[str, Any]:
    return {
        "u": rows.uniforms("card", 3),
        "chunks": rows.integers("card", "chunks", 10_000, 4, np.int16),
    }


def card_brand_codes(rows: Rows) -> Ints:
    if "card_brand" not in rows.cache:
        weights = np.cumsum(rows.spec.cards)
        u = rows.cache["card"]["u"][0] * weights[-1]
        rows.cache["card_brand"] = np.minimum(np.searchsorted(weights, u, side="right"), 2)
    brands: Ints = rows.cache["card_brand"]
    return brands


def _card_number(rows: Rows) -> Any:
    """All numbers as 16 digits, check digit last; American Express ones with a leading 0."""
    draws = rows.cache["card"]
    brand = card_brand_codes(rows)
    u = draws["u"]
    blocks = draws["chunks"].astype(np.int64)
    first = blocks[:, 0]
    mc_old = u[1] < 0.8
    series = np.where(
        mc_old,
        5100 + (u[2] * 5).astype(np.int64) * 100 + first % 100,  # 51-55
        2221 + (u[2] * 500).astype(np.int64),  # 2221-2720
    )
    amex = np.where(u[2] < 0.5, 340, 370) + first % 10  # 034x / 037x
    blocks[:, 0] = np.where(
        brand == VISA, 4000 + first % 1000, np.where(brand == AMEX, amex, series)
    )
    blocks[:, 3] -= blocks[:, 3] % 10
    blocks[:, 3] += luhn_digit(blocks)
    text = _ascii(chunk_digits(blocks))
    is_amex = brand == AMEX
    text[is_amex, :15] = text[is_amex, 1:]
    return ascii_arrow(text, np.where(is_amex, 15, 16))


def _card_brand(rows: Rows) -> Objects:
    return BRANDS.take(card_brand_codes(rows))


finance_fields = {"iban": _iban, "card_number": _card_number, "card_brand": _card_brand}
