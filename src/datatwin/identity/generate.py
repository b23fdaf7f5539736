"""``identities()``: check the arguments, cut the rows into blocks and by locale, build fields."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from datatwin.errors import ParameterError
from datatwin.identity._rows import Block, Rows, Streams
from datatwin.identity._text import to_objects
from datatwin.identity.address import address_fields, draw_address
from datatwin.identity.contact import contact_fields, draw_email, draw_phone, draw_username
from datatwin.identity.finance import draw_card, draw_iban, finance_fields
from datatwin.identity.locales import LOCALES, check_locale, load
from datatwin.identity.names import draw_gender, draw_names, name_fields
from datatwin.identity.national import draw_birth, draw_national, national_fields
from datatwin.identity.work import draw_company, draw_job, work_fields

__all__ = ["FIELDS", "LOCALES", "identities"]

BLOCK = 1 << 17  # rows built at a time: bounds memory, and small blocks stay in the caches

# every component's draws, in the fixed order in which they are made
DRAWS: dict[str, Callable[[Rows], dict[str, Any]]] = {
    "gender": draw_gender,
    "names": draw_names,
    "email": draw_email,
    "username": draw_username,
    "phone": draw_phone,
    "address": draw_address,
    "company": draw_company,
    "job": draw_job,
    "birth": draw_birth,
    "iban": draw_iban,
    "card": draw_card,
    "national": draw_national,
}
BUILD: dict[str, Callable[[Rows], Any]] = {
    **name_fields,
    **contact_fields,
    **address_fields,
    **work_fields,
    **finance_fields,
    **national_fields,
}
ADDRESS = ("address",)
NEEDS: dict[str, tuple[str, ...]] = {
    "first_name": ("gender", "names"),
    "last_name": ("names",),
    "name": ("gender", "names"),
    "gender": ("gender",),
    "email": ("gender", "names", "email"),
    "username": ("gender", "names", "username"),
    "phone": ("phone", "address"),  # en_US numbers use the city's area code
    "street_address": ADDRESS,
    "city": ADDRESS,
    "postcode": ADDRESS,
    "region": ADDRESS,
    "country": (),
    "address": ADDRESS,
    "company": ("company",),
    "job_title": ("job",),
    "iban": ("iban",),
    "card_number": ("card",),
    "card_brand": ("card",),
    "national_id": ("gender", "birth", "national"),
    "birth_date": ("birth",),
}
FIELDS: tuple[str, ...] = tuple(NEEDS)
GENDER_WORDS = {"female": 0, "f": 0, "male": 1, "m": 1}


def _check_fields(fields: Sequence[str]) -> list[str]:
    names = [fields] if isinstance(fields, str) else list(fields)
    for name in names:
        if not isinstance(name, str) or name not in NEEDS:
            raise ParameterError(
                f"Unknown identity field {name!r}; use any of {', '.join(FIELDS)}."
            )
    return list(dict.fromkeys(names))


def _check_n(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or int(n) < 0:
        raise ParameterError(f"The number of rows must be an int >= 0. Got {n!r}.")
    return int(n)


def _check_locales(locale: str | Sequence[str], n: int) -> str | npt.NDArray[np.object_]:
    if isinstance(locale, str):
        return check_locale(locale)
    codes = np.asarray(locale, dtype=object)
    if codes.shape != (n,):
        got = codes.shape[0] if codes.ndim else 0
        raise ParameterError(f"locale must be one locale or one per row ({n}); got {got} values.")
    for code in dict.fromkeys(codes.tolist()):
        check_locale(code)
    return codes


def _check_gender(gender: Any, n: int) -> npt.NDArray[np.int8] | None:
    if gender is None:
        return None
    import pandas as pd

    values = np.asarray(gender, dtype=object)
    if values.shape != (n,):
        raise ParameterError(f"gender must have one value per row ({n}); got shape {values.shape}.")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapping = np.empty(len(uniques) + 1, dtype=np.int8)
    mapping[-1] = -1  # missing: drawn
    for i, value in enumerate(uniques):
        key = str(value).strip().lower()
        if key == "":
            mapping[i] = -1
        elif key in GENDER_WORDS:
            mapping[i] = GENDER_WORDS[key]
        else:
            raise ParameterError(
                f"Unknown gender {value!r}; use 'female' or 'male' (or 'f'/'m'), or a missing "
                "value to draw one."
            )
    return mapping[codes]


def _check_birth(birth_date: Any, n: int) -> npt.NDArray[np.datetime64] | None:
    if birth_date is None:
        return None
    try:
        dates = np.asarray(birth_date)
        if dates.dtype.kind in "biufc":
            raise TypeError(f"got numbers ({dates.dtype})")
        dates = dates.astype("datetime64[D]")
    except (TypeError, ValueError) as error:
        raise ParameterError(
            f"birth_date must hold dates (datetime64, or 'YYYY-MM-DD' strings): {error}."
        ) from None
    if dates.shape != (n,):
        raise ParameterError(
            f"birth_date must have one value per row ({n}); got shape {dates.shape}."
        )
    return dates


def _build(
    code: str,
    block: Block,
    positions: npt.NDArray[np.intp] | None,
    gender: npt.NDArray[np.int8] | None,
    birth: npt.NDArray[np.datetime64] | None,
    fields: list[str],
    needed: list[str],
    keep_arrow: bool = False,
) -> dict[str, Any]:
    """The fields of a block's rows of one locale (``positions`` in the block; None: all).

    Text fields come as numpy object arrays, or with ``keep_arrow`` as each field is built (an
    Arrow string array or a numpy object array).
    """
    rows = Rows(load(code), block, positions, gender, birth)
    for component in needed:
        rows.cache[component] = DRAWS[component](rows)
    out: dict[str, Any] = {}
    for field in fields:
        value = BUILD[field](rows)
        out[field] = value if field == "birth_date" or keep_arrow else to_objects(value)
    return out


def _locales_in(
    codes: str | npt.NDArray[np.object_], start: int, stop: int
) -> list[tuple[str, npt.NDArray[np.intp] | None]]:
    """The locales of rows ``start`` to ``stop``, each with its rows' places among them."""
    if isinstance(codes, str):
        return [(codes, None)]
    here = codes[start:stop]
    found = [(code, np.flatnonzero(here == code)) for code in LOCALES]
    return [(code, positions) for code, positions in found if len(positions)]


def _empty(fields: list[str], n: int) -> dict[str, np.ndarray[Any, Any]]:
    return {f: np.empty(n, dtype="datetime64[D]" if f == "birth_date" else object) for f in fields}


def identities(
    fields: Sequence[str],
    n: int,
    rng: np.random.Generator,
    *,
    locale: str | Sequence[str] = "en_US",
    gender: npt.ArrayLike | None = None,
    birth_date: npt.ArrayLike | None = None,
) -> dict[str, np.ndarray[Any, Any]]:
    """Fake identities, ``n`` rows of the ``fields`` asked for, that hold together within a row.

    Returns one array of length ``n`` per field (in the order asked, each once): strings in
    object arrays, and ``datetime64[D]`` for ``birth_date``. ``locale`` is one of
    :data:`LOCALES` for every row, or one per row. ``gender`` ("female"/"male", or missing to
    draw) and ``birth_date`` (``datetime64``, NaT to draw), one per row, are respected by the
    names and national ids and returned as the ``gender`` and ``birth_date`` fields.

    Randomness comes only from ``rng``, of which exactly 12 integers are drawn whatever the
    arguments: the same generator state gives the same output, and a field's values do not
    depend on which other fields are asked for. A row's values depend only on the generator's
    state, the row's position and its own locale, gender and birth date, never on ``n`` or on
    the other rows, so the first ``k`` rows of ``n >= k`` equal the ``k`` rows made with the same
    generator state and the first ``k`` values of the per-row arguments (see
    :mod:`datatwin.identity._rows`). Rows are made in blocks of 131,072 by position.
    """
    drawn = identity_arrays(fields, n, rng, locale=locale, gender=gender, birth_date=birth_date)
    return {name: to_objects(values) for name, values in drawn.items()}  # dates pass through


def identity_arrays(
    fields: Sequence[str],
    n: int,
    rng: np.random.Generator,
    *,
    locale: str | Sequence[str] = "en_US",
    gender: npt.ArrayLike | None = None,
    birth_date: npt.ArrayLike | None = None,
) -> dict[str, Any]:
    """:func:`identities`, but text fields may come as Arrow string arrays, with no Python
    string made per value: where every row has one locale and ``n`` is at most one block
    (131,072). Otherwise, and for fields built from Python strings, numpy object arrays.
    The values are the same as :func:`identities` gives.
    """
    names = _check_fields(fields)
    n = _check_n(n)
    if not isinstance(rng, np.random.Generator):
        raise ParameterError(
            f"rng must be a numpy.random.Generator (numpy.random.default_rng(seed)); got "
            f"{type(rng).__name__}."
        )
    codes = _check_locales(locale, n)
    gender_codes = _check_gender(gender, n)
    births = _check_birth(birth_date, n)
    streams = Streams(rng)
    needed = [c for c in DRAWS if any(c in NEEDS[f] for f in names)]
    if isinstance(codes, str) and n <= BLOCK:
        block = Block(streams, 0, n)
        return _build(codes, block, None, gender_codes, births, names, needed, keep_arrow=True)
    out = _empty(names, n)
    for index, start in enumerate(range(0, n, BLOCK)):
        stop = min(start + BLOCK, n)
        block = Block(streams, index, stop - start)
        for code, positions in _locales_in(codes, start, stop):
            at: Any = slice(start, stop) if positions is None else start + positions
            g = None if gender_codes is None else gender_codes[at]
            b = None if births is None else births[at]
            built = _build(code, block, positions, g, b, names, needed)
            for field, values in built.items():
                out[field][at] = values
    return out
