"""Detect a :class:`~datatwin.schema.Schema` from a table.

Detection is conservative where a wrong guess would leak data: string columns that look like
personal data or unique keys are flagged so that no model copies their values into the output.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from datatwin.errors import DataError
from datatwin.schema.columns import Column, Schema
from datatwin.schema.patterns import detect_pii

__all__ = ["check_table", "detect_schema"]

SAMPLE = 2000  # values looked at by the pattern recognisers
MAX_NUMERIC_CATEGORIES = 10  # numbers with at most this many distinct values are categories
MAX_DECIMALS = 10
ID_HINTS = ("id", "key", "uuid", "guid", "code", "number", "num", "no")
BOOLEAN_PAIRS = (
    frozenset({"true", "false"}),
    frozenset({"yes", "no"}),
    frozenset({"y", "n"}),
    frozenset({"t", "f"}),
)
DATETIME_FORMATS = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M:%S",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%Y-%m",
)
PRECISIONS = (
    ("D", 86_400 * 10**9),
    ("h", 3_600 * 10**9),
    ("min", 60 * 10**9),
    ("s", 10**9),
    ("ms", 10**6),
    ("us", 10**3),
    ("ns", 1),
)


def check_table(df: Any) -> pd.DataFrame:
    """Raise :class:`DataError` unless ``df`` is a data frame that datatwin can work with."""
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"Expected a pandas DataFrame; got {type(df).__name__}.")
    if df.shape[1] == 0:
        raise DataError("The table has no columns; give a table with at least one column.")
    names = list(df.columns)
    not_str = [n for n in names if not isinstance(n, str)]
    if not_str:
        raise DataError(
            f"Column names must be strings; got {not_str[:3]!r}. Rename them, for example with "
            "df.columns = df.columns.astype(str)."
        )
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataError(f"The table has duplicate column names {duplicates}; rename them.")
    if len(df) == 0:
        raise DataError("The table has no rows; a model needs at least one row to learn from.")
    return df


def detect_schema(df: pd.DataFrame) -> Schema:
    """Describe each column of ``df``: its kind, bounds, format and how to write it back.

    >>> import pandas as pd, datatwin as dt
    >>> dt.detect_schema(pd.DataFrame({"age": [31, 45, 27]}))["age"].kind
    'numeric'
    """
    check_table(df)
    return Schema([detect_column(name, df[name]) for name in df.columns])


def detect_column(name: str, series: pd.Series) -> Column:
    """The :class:`Column` description of one series."""
    dtype = str(series.dtype)
    nonnull = series.dropna()
    column = Column(name=name, kind="empty", dtype=dtype, nullable=len(nonnull) < len(series))
    if len(nonnull) == 0:
        column.notes.append("every value is missing")
        return column
    if pd.api.types.is_bool_dtype(series.dtype):
        column.kind = "boolean"
    elif isinstance(series.dtype, pd.CategoricalDtype):
        _categorical_dtype(column, series.dtype)
    elif pd.api.types.is_datetime64_any_dtype(series.dtype):
        column.kind = "datetime"
        column.precision = _precision(pd.DatetimeIndex(nonnull))
    elif pd.api.types.is_numeric_dtype(series.dtype):
        _numeric(column, nonnull)
    else:
        _objects(column, nonnull)
    return column


def _categorical_dtype(column: Column, dtype: pd.CategoricalDtype) -> None:
    column.kind = "categorical"
    column.ordered = bool(dtype.ordered)
    if dtype.ordered:
        column.order = [_plain(v) for v in dtype.categories]


def _numeric(column: Column, nonnull: pd.Series) -> None:
    values = nonnull.to_numpy(dtype=np.float64, na_value=np.nan)
    finite = values[np.isfinite(values)]
    if len(finite) < len(values):
        column.notes.append(f"{len(values) - len(finite)} infinite value(s) kept as they are")
    if len(finite) == 0:
        column.kind = "numeric"
        return
    uniques = np.unique(finite)
    integer = bool(np.all(finite == np.round(finite)))
    if len(uniques) == 1 and len(finite) == len(values):
        column.kind, column.value = "constant", _plain(uniques[0])
    elif integer and set(uniques.tolist()) == {0.0, 1.0} and len(finite) == len(values):
        column.kind = "boolean"
    elif integer and _is_numeric_id(column.name, uniques, len(values)):
        column.kind = "id"
        column.notes.append("every value is a different whole number")
    elif (
        len(uniques) <= MAX_NUMERIC_CATEGORIES
        and len(uniques) * 2 <= len(finite)
        and len(finite) == len(values)  # infinities are states of a number, not categories
    ):
        column.kind, column.ordered = "categorical", True
        if pd.api.types.is_integer_dtype(nonnull.dtype):  # exact, even past 2**53
            column.order = [int(v) for v in np.unique(nonnull.to_numpy(dtype=np.int64))]
        else:
            column.order = [_plain(v) for v in uniques]
    else:
        column.kind, column.integer = "numeric", integer
        column.min, column.max = _plain(finite.min()), _plain(finite.max())
        column.decimals = 0 if integer else _decimals(finite)


def _is_numeric_id(name: str, uniques: np.ndarray, count: int) -> bool:
    if len(uniques) < count or count < 20:
        return False
    hinted = any(name.lower() == h or name.lower().endswith(("_" + h, " " + h)) for h in ID_HINTS)
    dense = (uniques[-1] - uniques[0] + 1) <= 2 * count
    return hinted or dense


def _decimals(values: np.ndarray) -> int | None:
    """The fewest decimals that write every value back exactly; ``None`` past ``MAX_DECIMALS``."""
    for decimals in range(1, MAX_DECIMALS + 1):
        if np.array_equal(np.round(values, decimals), values):
            return decimals
    return None  # full precision: no rounding on output


def _objects(column: Column, nonnull: pd.Series) -> None:
    """Columns of strings or mixed Python objects."""
    sample = nonnull.iloc[:SAMPLE] if len(nonnull) > SAMPLE else nonnull
    all_strings = all(isinstance(v, str) for v in sample)
    n_unique = int(nonnull.nunique())
    unique_share = n_unique / len(nonnull)
    if n_unique == 1:
        column.kind, column.value = "constant", _plain(nonnull.iloc[0])
        return
    if all_strings:
        texts = [str(v) for v in sample]
        lowered = {t.strip().lower() for t in nonnull.unique()[:3]}
        if n_unique == 2 and any(lowered == pair for pair in BOOLEAN_PAIRS):
            column.kind = "boolean"
            return
        fmt = _datetime_format(nonnull)
        if fmt is not None:
            column.kind, column.format = "datetime", fmt
            parsed = pd.to_datetime(nonnull, format=fmt)
            column.precision = _precision(pd.DatetimeIndex(parsed))
            return
        pii = detect_pii(column.name, texts, unique_share)
        if pii is not None:
            column.kind, column.pii_type = "pii", pii  # type: ignore[assignment]
            column.notes.append("personal data: its values are made up on output, never copied")
            return
        if n_unique == len(nonnull) and len(nonnull) >= 20 and not any(" " in t for t in texts):
            column.kind = "id"
            column.notes.append("every value is different: treated as a key, made up on output")
            return
    column.kind = "categorical"
    column.ordered = False
    if not all_strings:
        column.notes.append("mixed value types: kept as categories")


def _datetime_format(nonnull: pd.Series) -> str | None:
    """The one format in ``DATETIME_FORMATS`` that parses every value, if any."""
    uniques = pd.Series(nonnull.unique()).astype(str)
    sample = uniques.iloc[:200]
    if not sample.str.contains(r"\d", regex=True).all():
        return None
    for fmt in DATETIME_FORMATS:
        if _parses(sample, fmt) and _parses(uniques, fmt):
            return fmt
    return None


def _parses(values: pd.Series, fmt: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    except (ValueError, TypeError, OverflowError):
        return False
    if parsed.isna().any():
        return False
    # a format must write the values back as they were (zero padding, case)
    return bool((parsed.iloc[:50].dt.strftime(fmt) == values.iloc[:50]).all())


def _precision(index: pd.DatetimeIndex) -> str:
    ns = index.as_unit("ns").asi8 if index.tz is None else index.tz_convert(None).as_unit("ns").asi8
    for name, step in PRECISIONS:
        if np.all(ns % step == 0):
            return name
    return "ns"


def _plain(value: Any) -> Any:
    """A numpy scalar as the matching plain Python value (for JSON)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value
