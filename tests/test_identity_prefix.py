"""datatwin.identity: a call with more rows starts with the rows of a call with fewer.

For the same generator state, the first ``k`` rows of ``identities(fields, n, ...)`` equal the
rows of ``identities(fields, k, ...)`` given the first ``k`` of the per-row arguments (locales,
genders, birth dates), for every field, locale and option, across block boundaries too.
"""

from __future__ import annotations

from typing import Any
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from datatwin.identity import FIELDS, LOCALES, identities
from datatwin.identity import generate as generate_module

GENDERS = ("female", "male", "f", "M", None, "")
FIRST_DAY, LAST_DAY = np.datetime64("1900-01-01"), np.datetime64("2030-12-31")  # nb_NO's range
SPAN = int((LAST_DAY - FIRST_DAY).astype(np.int64))


@st.composite
def calls(draw: st.DrawFn) -> dict[str, Any]:
    """The arguments of one call of ``n`` rows, and the ``k`` to compare its first rows with."""
    n = draw(st.integers(0, 60))
    call: dict[str, Any] = {
        "n": n,
        "k": draw(st.integers(0, n)),
        "fields": draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=len(FIELDS))),
        "seed": draw(st.integers(0, 2**63 - 1)),
        "block": draw(st.sampled_from([1, 5, 16, generate_module.BLOCK])),
        "options": {},
    }
    rows = st.lists
    if draw(st.booleans()):
        call["options"]["locale"] = draw(st.sampled_from(LOCALES))
    else:
        call["options"]["locale"] = draw(rows(st.sampled_from(LOCALES), min_size=n, max_size=n))
    if draw(st.booleans()):
        call["options"]["gender"] = draw(rows(st.sampled_from(GENDERS), min_size=n, max_size=n))
    if draw(st.booleans()):
        days = rows(st.one_of(st.none(), st.integers(0, SPAN)), min_size=n, max_size=n)
        call["options"]["birth_date"] = np.array(
            [np.datetime64("NaT") if d is None else FIRST_DAY + d for d in draw(days)],
            dtype="datetime64[D]",
        )
    return call


def first(options: dict[str, Any], k: int) -> dict[str, Any]:
    """The per-row options cut to their first ``k`` rows (a single locale stays as it is)."""
    return {key: value if isinstance(value, str) else value[:k] for key, value in options.items()}


@settings(max_examples=150, deadline=None)
@given(call=calls())
def test_more_rows_start_with_the_rows_of_fewer(call: dict[str, Any]) -> None:
    n, k, fields, seed, options = (call[key] for key in ("n", "k", "fields", "seed", "options"))
    with mock.patch.object(generate_module, "BLOCK", call["block"]):
        long = identities(fields, n, np.random.default_rng(seed), **options)
        short = identities(fields, k, np.random.default_rng(seed), **first(options, k))
    assert list(long) == list(short) == list(dict.fromkeys(fields))
    for field in short:
        assert short[field].shape == (k,)
        assert short[field].dtype == long[field].dtype
        assert short[field].tolist() == long[field][:k].tolist(), field


def test_prefix_across_the_real_block_size() -> None:
    """One call of more than a block against calls ending inside the first and second block."""
    n = generate_module.BLOCK + 50
    locales = np.array([LOCALES[i * 7 % len(LOCALES)] for i in range(n)], dtype=object)
    fields = ["name", "email", "national_id", "iban", "phone", "address", "birth_date"]
    long = identities(fields, n, np.random.default_rng(3), locale=locales)
    for k in (1_000, generate_module.BLOCK + 7):
        short = identities(fields, k, np.random.default_rng(3), locale=locales[:k])
        for field in fields:
            assert short[field].tolist() == long[field][:k].tolist(), (field, k)


def test_a_rows_values_do_not_depend_on_the_other_rows() -> None:
    """Changing the other rows' locales, genders and birth dates leaves a row as it was."""
    n, fields = 40, list(FIELDS)
    rng = np.random.default_rng(5)
    locales = [LOCALES[i % len(LOCALES)] for i in range(n)]
    genders = ["female" if i % 3 else "male" for i in range(n)]
    births = np.datetime64("1970-01-01") + rng.integers(0, 20_000, n).astype("timedelta64[D]")
    base = identities(fields, n, np.random.default_rng(6), locale=locales)
    other_locales = [LOCALES[(i + 1) % len(LOCALES)] if i != 17 else locales[17] for i in range(n)]
    changed = identities(
        fields,
        n,
        np.random.default_rng(6),
        locale=other_locales,
        gender=[g if i != 17 else None for i, g in enumerate(genders)],
        birth_date=np.where(np.arange(n) != 17, births, np.datetime64("NaT")),
    )
    for field in fields:
        assert base[field][17] == changed[field][17], field
        assert (base[field] != changed[field]).any(), field  # the other rows did change
