"""Column values as numbers for comparing real and synthetic tables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from datatwin.errors import DataError
from datatwin.schema.columns import Column
from datatwin.transforms.codecs import DatetimeCodec

__all__ = ["as_numbers"]


def as_numbers(series: pd.Series, column: Column) -> np.ndarray:
    """Finite float values of a numeric or datetime column; NaN for missing and infinite ones.

    Dates are read in the schema's format, and in any ISO-like format when a table written by
    another tool uses a different one.
    """
    if column.kind == "datetime":
        try:
            values = DatetimeCodec(column).as_floats(series)
        except DataError:
            parsed = pd.to_datetime(series, errors="coerce", utc=True, format="mixed")
            index = pd.DatetimeIndex(parsed).tz_convert(None)
            values = index.as_unit("ns").asi8.astype(np.float64)
            values[np.asarray(index.isna())] = np.nan
    else:
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isfinite(values), values, np.nan)
