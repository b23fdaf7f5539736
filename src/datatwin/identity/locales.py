"""The locales: their formats (in code, below) and their word lists (JSON in ``data/``, read once).

A locale's lists are read on first use and kept (``functools.cache``); importing this module reads
nothing. Each list is ordered roughly from common to rare, and names and cities are drawn with a
mild skew towards the front (see :func:`skewed`).
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from datatwin.errors import ParameterError

__all__ = ["LOCALES", "LocaleData", "LocaleSpec", "check_locale", "load", "skewed", "to_ascii"]


@dataclass(frozen=True)
class LocaleSpec:
    """How one locale writes things. Templates use ``#`` for a random digit."""

    code: str
    country: str  # the country's name as the locale writes it
    iban_country: str  # ISO country code of the IBANs drawn (en_US: GB, as the US has no IBAN)
    phones: tuple[tuple[str, float], ...]  # (template, weight); "@" is the city's area code
    street_first: bool  # "Hauptstraße 12" rather than "12 Main Street"
    street_comma: bool  # "Calle Mayor, 12"
    house_suffixes: tuple[str, ...]  # drawn after the house number ("" most often)
    company_suffixes: tuple[str, ...]  # repeated entries weigh more
    mail_domains: tuple[str, ...]  # the locale's common free-mail providers
    cards: tuple[float, float, float]  # weights of Visa, Mastercard, American Express
    two_surnames: bool = False  # Spanish names carry the father's and the mother's surname
    trade_first: bool = False  # company names "Transports Atlantique" rather than "Atlas Logistics"
    folds: tuple[tuple[str, str], ...] = ()  # locale's own transliteration before the generic one


SAFE_DOMAINS = ("example.com", "example.org", "example.net")  # reserved (RFC 2606)

_SPECS = (
    LocaleSpec(
        code="en_US",
        country="United States",
        iban_country="GB",
        # 555-0100 to 555-0199 is reserved for fiction in every North American area code
        phones=(("(@@@) 555-01##", 1.0),),
        street_first=False,
        street_comma=False,
        house_suffixes=("",),
        company_suffixes=("Inc.", "Inc.", "LLC", "LLC", "Corp.", "Group", "Co.", "Partners"),
        mail_domains=(
            "gmail.com",
            "gmail.com",
            "yahoo.com",
            "outlook.com",
            "hotmail.com",
            "aol.com",
            "icloud.com",
        ),
        cards=(0.55, 0.30, 0.15),
    ),
    LocaleSpec(
        code="en_GB",
        country="United Kingdom",
        iban_country="GB",
        # Ofcom's numbers for drama: never given to anyone
        phones=(
            ("07700 900###", 0.55),
            ("020 7946 0###", 0.12),
            ("0161 496 0###", 0.05),
            ("0121 496 0###", 0.05),
            ("0113 496 0###", 0.04),
            ("0141 496 0###", 0.04),
            ("0131 496 0###", 0.04),
            ("0117 496 0###", 0.04),
            ("0151 496 0###", 0.04),
            ("0191 498 0###", 0.03),
        ),
        street_first=False,
        street_comma=False,
        house_suffixes=("",),
        company_suffixes=("Ltd", "Ltd", "Ltd", "PLC", "LLP", "& Co.", "Group"),
        mail_domains=(
            "gmail.com",
            "gmail.com",
            "hotmail.co.uk",
            "yahoo.co.uk",
            "outlook.com",
            "btinternet.com",
            "sky.com",
        ),
        cards=(0.6, 0.35, 0.05),
    ),
    LocaleSpec(
        code="de_DE",
        country="Deutschland",
        iban_country="DE",
        # the Bundesnetzagentur's "drama numbers" in five cities: never given to anyone
        phones=(
            ("030 23125###", 0.3),
            ("069 90009###", 0.15),
            ("040 66969###", 0.2),
            ("0221 4710###", 0.15),
            ("089 99998###", 0.2),
        ),
        street_first=True,
        street_comma=False,
        house_suffixes=("", "", "", "", "", "", "", "", "a", "b"),
        company_suffixes=("GmbH", "GmbH", "GmbH", "AG", "KG", "GmbH & Co. KG", "e.K.", "OHG"),
        mail_domains=(
            "gmx.de",
            "web.de",
            "gmail.com",
            "t-online.de",
            "outlook.de",
            "freenet.de",
            "yahoo.de",
        ),
        cards=(0.5, 0.45, 0.05),
        folds=(("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")),
    ),
    LocaleSpec(
        code="fr_FR",
        country="France",
        iban_country="FR",
        # numbers Arcep reserves for fiction
        phones=(
            ("01 99 00 ## ##", 0.15),
            ("02 61 91 ## ##", 0.1),
            ("03 53 01 ## ##", 0.1),
            ("04 65 71 ## ##", 0.1),
            ("05 36 49 ## ##", 0.1),
            ("06 39 98 ## ##", 0.45),
        ),
        street_first=False,
        street_comma=False,
        house_suffixes=("", "", "", "", "", "", "", "", "", " bis"),
        company_suffixes=("SARL", "SAS", "SAS", "SA", "EURL", "et Fils", "SNC"),
        mail_domains=(
            "gmail.com",
            "orange.fr",
            "free.fr",
            "hotmail.fr",
            "laposte.net",
            "sfr.fr",
            "yahoo.fr",
        ),
        cards=(0.6, 0.37, 0.03),
        trade_first=True,
    ),
    LocaleSpec(
        code="nb_NO",
        country="Norge",
        iban_country="NO",
        phones=(("4## ## ###", 0.45), ("9## ## ###", 0.45), ("2# ## ## ##", 0.1)),
        street_first=True,
        street_comma=False,
        house_suffixes=("", "", "", "", "", "", "", "A", "B", "C"),
        company_suffixes=("AS", "AS", "AS", "AS", "ASA", "ANS", "DA"),
        mail_domains=(
            "gmail.com",
            "gmail.com",
            "online.no",
            "hotmail.com",
            "outlook.com",
            "live.no",
            "yahoo.no",
        ),
        cards=(0.6, 0.38, 0.02),
        folds=(("æ", "ae"), ("ø", "o"), ("å", "aa")),
    ),
    LocaleSpec(
        code="es_ES",
        country="España",
        iban_country="ES",
        phones=(("6## ### ###", 0.75), ("9## ### ###", 0.25)),
        street_first=True,
        street_comma=True,
        house_suffixes=("",),
        company_suffixes=("S.L.", "S.L.", "S.L.", "S.A.", "S.L.U.", "y Asociados"),
        mail_domains=(
            "gmail.com",
            "gmail.com",
            "hotmail.es",
            "yahoo.es",
            "outlook.es",
            "telefonica.net",
        ),
        cards=(0.6, 0.37, 0.03),
        two_surnames=True,
        trade_first=True,
    ),
)

SPECS: dict[str, LocaleSpec] = {spec.code: spec for spec in _SPECS}
LOCALES: tuple[str, ...] = tuple(SPECS)


@dataclass(frozen=True)
class LocaleData:
    """A locale's spec and its word lists (from ``data/<code>.json``)."""

    spec: LocaleSpec
    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]
    cities: tuple[tuple[Any, ...], ...]  # (city, region, region code, postcode rule, phone area)
    streets: tuple[str, ...]
    company_words: tuple[str, ...]
    company_trades: tuple[str, ...]
    jobs: tuple[str, ...]


def check_locale(code: object) -> str:
    if not isinstance(code, str) or code not in SPECS:
        raise ParameterError(
            f"Unknown locale {code!r}; use one of {', '.join(LOCALES)} (one for all rows, or "
            "one per row)."
        )
    return code


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))


@cache
def load(code: str) -> LocaleData:
    """The locale's data, read from its JSON file on first use."""
    spec = SPECS[check_locale(code)]
    text = resources.files("datatwin.identity").joinpath("data", f"{code}.json").read_text("utf-8")
    raw = json.loads(text)
    streets = _unique(raw["streets"])
    if raw.get("street_types"):  # en_*: every street name with every street type
        streets = tuple(f"{s} {t}" for s in streets for t in _unique(raw["street_types"]))
    return LocaleData(
        spec=spec,
        female=_unique(raw["female"]),
        male=_unique(raw["male"]),
        last=_unique(raw["last"]),
        cities=tuple(tuple(c) for c in raw["cities"]),
        streets=streets,
        company_words=_unique(raw["company_words"]),
        company_trades=_unique(raw["company_trades"]),
        jobs=_unique(raw["jobs"]),
    )


def to_ascii(text: str, folds: tuple[tuple[str, str], ...] = ()) -> str:
    """Lower-case ASCII letters and digits only: "Jean-Loup Müller" -> "jeanloupmuller"."""
    text = text.lower()
    for old, new in (*folds, ("æ", "ae"), ("ø", "o"), ("œ", "oe"), ("ß", "ss"), ("ł", "l")):
        text = text.replace(old, new)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if ch.isascii() and ch.isalnum())


def skewed(u: npt.NDArray[np.float64], size: int) -> npt.NDArray[np.int64]:
    """Indices in [0, size) from uniforms ``u``, the front of a list drawn more often.

    ``size * u ** 1.5``: the first tenth of a list gets about a fifth of the draws.
    """
    return np.minimum((u * np.sqrt(u) * size).astype(np.int64), size - 1)
