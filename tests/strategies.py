"""Hypothesis strategies for the tables datatwin must handle.

Written in the style of attrs' test strategies: one small composable strategy per kind of column,
and :func:`frames` that puts columns of any kinds together under unique (unicode) names. Every value
is drawn from hypothesis itself (no private random generator), so a failing table shrinks to a
small one: few rows, few columns, simple values.

Column kinds (the ``kind`` argument of :func:`columns` and :func:`frames`):

``int``             int64 without gaps, |values| < 2**53 (every one exact as a float64)
``big_int``         int64 anywhere in its range
``nullable_int``    pandas ``Int64`` with gaps
``float``           float64 with a fixed number of decimals (0 to 4), NaN gaps, maybe +-inf
``float_any``       float64 at full precision (as from ``rng.normal``), maybe NaN gaps
``string``          categories from a small alphabet (unicode too), pandas' ``str`` dtype, gaps
``object``          the same as Python objects (``object`` dtype)
``category``        pandas ``category`` dtype, ordered or not, maybe with unused categories
``bool``            numpy booleans
``nullable_bool``   pandas ``boolean`` with gaps
``date_string``     dates (and times) written in one fixed format, ``str`` dtype, gaps
``datetime``        ``datetime64[s|ms|us|ns]`` (maybe time-zone aware) with NaT gaps
``constant``        one value repeated (string, int, float or bool), maybe with gaps
``empty``           every value missing, in one of several dtypes
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from hypothesis import strategies as st

MAX_ROWS = 60
EXACT_INT = 2**53  # below this magnitude every integer is also exactly a float64

KINDS: tuple[str, ...] = (
    "int",
    "big_int",
    "nullable_int",
    "float",
    "float_any",
    "string",
    "object",
    "category",
    "bool",
    "nullable_bool",
    "date_string",
    "datetime",
    "constant",
    "empty",
)
# kinds whose values datatwin must be able to write back exactly (see the README's round trip)
EXACT_KINDS: tuple[str, ...] = tuple(k for k in KINDS if k not in ("big_int", "float_any"))

# Names that tend to break things: empty, blank, punctuation, hints that steer detection (id, name,
# email), unicode. :func:`frames` also pairs a drawn name with itself plus one of :data:`SUFFIXES`,
# which is how names that collide with datatwin's internal keys come about.
SPECIAL_NAMES = ("x", "", " ", "#", "id", "name", "email", "Øst", "名前", "🎉")
SUFFIXES = ("#state", "#0", ".1", "_")  # what internal keys might add to a column's name
NAME_CHARS = st.characters(exclude_categories=("Cs",))  # any code point but lone surrogates
# a small alphabet, so that values repeat and become categories: ASCII, Latin, CJK, emoji, blanks
CATEGORY_CHARS = st.sampled_from(["a", "b", "Z", "0", "ø", "名", "🎉", " ", "-", "\t", "é"])
DATE_FORMATS = {  # format -> step of the values in nanoseconds
    "%Y-%m-%d": 86_400 * 10**9,
    "%Y/%m/%d": 86_400 * 10**9,
    "%d.%m.%Y": 86_400 * 10**9,
    "%Y-%m-%d %H:%M:%S": 10**9,
    "%Y-%m-%dT%H:%M": 60 * 10**9,
}
STEPS_NS = {"D": 86_400 * 10**9, "h": 3_600 * 10**9, "s": 10**9, "ms": 10**6, "us": 10**3}
START_NS = pd.Timestamp("1900-01-01").value
END_NS = pd.Timestamp("2200-01-01").value


def column_names() -> st.SearchStrategy[str]:
    """Column names: awkward ones from :data:`SPECIAL_NAMES` or any short unicode text."""
    return st.one_of(st.sampled_from(SPECIAL_NAMES), st.text(NAME_CHARS, max_size=8))


def _gaps(draw: st.DrawFn, n: int, allowed: bool = True) -> np.ndarray:
    """A boolean mask of the rows left empty (all False when gaps are not wanted)."""
    if not allowed or not draw(st.booleans()):
        return np.zeros(n, dtype=bool)
    return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)


def _values(draw: st.DrawFn, n: int, elements: st.SearchStrategy) -> list:
    return draw(st.lists(elements, min_size=n, max_size=n))


def _pool(draw: st.DrawFn, elements: st.SearchStrategy, max_size: int = 6) -> list:
    """A few distinct values that the rows of a column are drawn from."""
    return draw(st.lists(elements, min_size=1, max_size=max_size, unique=True))


def _ints(draw: st.DrawFn, n: int, limit: int) -> list[int]:
    # a narrow range gives repeats (categories), a wide one distinct numbers (numeric, keys)
    bound = draw(st.sampled_from([3, 100, 10**6, limit]))
    low = draw(st.sampled_from([-bound, 0]))
    return _values(draw, n, st.integers(max(low, -limit), bound))


def _floats(draw: st.DrawFn, n: int, decimals: int | None) -> np.ndarray:
    magnitude = draw(st.sampled_from([1.0, 1e3, 1e6]))
    elements = st.floats(-magnitude, magnitude, allow_nan=False, allow_infinity=False)
    if decimals is not None:
        elements = elements.map(lambda x: round(x, decimals) + 0.0)  # + 0.0: no -0.0
    return np.array(_values(draw, n, elements), dtype=np.float64)


def _stamps(draw: st.DrawFn, n: int, step: int) -> np.ndarray:
    """``n`` datetime64[ns] values between 1900 and 2200 on multiples of ``step`` ns."""
    ticks = _values(draw, n, st.integers(0, (END_NS - START_NS) // step))
    return np.array([START_NS + t * step for t in ticks], dtype=np.int64).view("datetime64[ns]")


def _text_pool(draw: st.DrawFn) -> list[str]:
    return _pool(draw, st.text(CATEGORY_CHARS, max_size=3))


@st.composite
def columns(draw: st.DrawFn, n: int, kinds: Sequence[str] = KINDS) -> pd.Series:
    """One column of ``n`` rows of a kind drawn from ``kinds``."""
    kind = draw(st.sampled_from(list(kinds)))
    if kind == "int":
        return pd.Series(_ints(draw, n, EXACT_INT - 1), dtype="int64")
    if kind == "big_int":
        return pd.Series(_ints(draw, n, 2**63 - 1), dtype="int64")
    if kind == "nullable_int":
        values = pd.array(_ints(draw, n, EXACT_INT - 1), dtype="Int64")
        values[_gaps(draw, n)] = pd.NA
        return pd.Series(values)
    if kind in ("float", "float_any"):
        decimals = draw(st.integers(0, 4)) if kind == "float" else None
        values = _floats(draw, n, decimals)
        values[_gaps(draw, n)] = np.nan
        if kind == "float" and draw(st.booleans()):
            signs = _values(draw, n, st.sampled_from([0.0, 0.0, np.inf, -np.inf]))
            values = np.where(np.array(signs) != 0, signs, values)
        return pd.Series(values)
    if kind in ("string", "object"):
        values = np.array(_values(draw, n, st.sampled_from(_text_pool(draw))), dtype=object)
        values[_gaps(draw, n)] = None
        return pd.Series(values, dtype="str" if kind == "string" else object)
    if kind == "category":
        pool = _text_pool(draw)
        values = np.array(_values(draw, n, st.sampled_from(pool)), dtype=object)
        values[_gaps(draw, n)] = None
        unused = draw(st.lists(st.sampled_from(["unused", "ø?"]), unique=True))
        order = draw(st.permutations(pool + [u for u in unused if u not in pool]))
        ordered = draw(st.booleans())
        return pd.Series(pd.Categorical(values, categories=order, ordered=ordered))
    if kind == "bool":
        return pd.Series(_values(draw, n, st.booleans()), dtype=bool)
    if kind == "nullable_bool":
        values = pd.array(_values(draw, n, st.booleans()), dtype="boolean")
        values[_gaps(draw, n)] = pd.NA
        return pd.Series(values)
    if kind == "date_string":
        fmt, step = draw(st.sampled_from(sorted(DATE_FORMATS.items())))
        text = np.array(pd.DatetimeIndex(_stamps(draw, n, step)).strftime(fmt), dtype=object)
        text[_gaps(draw, n)] = None
        return pd.Series(text, dtype="str")
    if kind == "datetime":
        unit = draw(st.sampled_from(["s", "ms", "us", "ns"]))
        step = draw(st.sampled_from(["D", "h", "s", unit]))
        index = pd.DatetimeIndex(_stamps(draw, n, STEPS_NS.get(step, 1)))
        index = index.where(~_gaps(draw, n)).as_unit(unit)
        tz = draw(st.sampled_from([None, "UTC", "Europe/Oslo"]))
        if tz is not None:
            index = index.tz_localize("UTC").tz_convert(tz)
        return pd.Series(index)
    if kind == "constant":
        value = draw(
            st.one_of(
                st.text(CATEGORY_CHARS, min_size=1, max_size=3),
                st.integers(-5, 5),
                st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: x + 0.0),
                st.booleans(),
            )
        )
        values = np.array([value] * n, dtype=object)
        gaps = _gaps(draw, n, allowed=not isinstance(value, bool))
        values[gaps] = None
        series = pd.Series(list(values))
        return series
    dtype = draw(
        st.sampled_from(["float64", "object", "str", "Int64", "boolean", "datetime64[ns]"])
    )
    return pd.Series([None] * n, dtype=dtype)


@st.composite
def frames(
    draw: st.DrawFn,
    kinds: Sequence[str] = KINDS,
    min_columns: int = 1,
    max_columns: int = 5,
    max_rows: int = MAX_ROWS,
    twins: bool = True,
) -> pd.DataFrame:
    """A table of 1 to ``max_rows`` rows and columns of ``kinds`` under unique names.

    With ``twins`` a column may get a sibling named like it plus one of :data:`SUFFIXES`.
    """
    n = draw(st.integers(1, 3) | st.integers(1, max_rows))  # tiny tables are edge cases too
    names = draw(st.lists(column_names(), min_size=min_columns, max_size=max_columns, unique=True))
    if (
        twins and len(names) < max_columns and draw(st.booleans())
    ):  # a name and the same name + a suffix
        twin = draw(st.sampled_from(names)) + draw(st.sampled_from(SUFFIXES))
        names += [] if twin in names else [twin]
    return pd.DataFrame({name: draw(columns(n, kinds)) for name in names})
