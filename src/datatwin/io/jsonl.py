"""JSON lines that keep every value: full float precision, infinities, and missing as null.

pandas' ``to_json`` rounds floats to 10 significant digits (15 at most) and writes infinities as
``null``, which would silently change a table. Here each column becomes an array of JSON
fragments, built column-wise with numpy, and rows are joined from them.
"""

from __future__ import annotations

import json
from typing import IO

import numpy as np
import pandas as pd

__all__ = ["write_jsonl"]


def write_jsonl(df: pd.DataFrame, handle: IO[str]) -> None:
    """Write ``df`` to ``handle`` as one JSON object per line."""
    if len(df) == 0:
        return
    line = np.full(len(df), "{", dtype=object)
    for i, name in enumerate(df.columns):
        key = ("," if i else "") + json.dumps(str(name), ensure_ascii=False) + ":"
        line = line + key + _fragments(df.iloc[:, i])
    handle.write("\n".join((line + "}").tolist()))
    handle.write("\n")


def _fragments(column: pd.Series) -> np.ndarray:
    """The JSON text of every value of ``column`` (``null`` where missing)."""
    missing = column.isna().to_numpy()
    out = np.full(len(column), "null", dtype=object)
    present = ~missing
    values = column[present]
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        text = np.where(values.to_numpy(dtype=bool), "true", "false").astype(object)
    elif pd.api.types.is_integer_dtype(dtype):
        text = values.to_numpy(dtype=np.int64).astype(str).astype(object)
    elif pd.api.types.is_float_dtype(dtype):
        numbers = values.to_numpy(dtype=np.float64)
        text = numbers.astype(str).astype(object)  # the shortest text that reads back exactly
        text[np.isposinf(numbers)] = "Infinity"
        text[np.isneginf(numbers)] = "-Infinity"
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        stamps = pd.DatetimeIndex(values)
        if stamps.tz is not None:
            iso = stamps.map(pd.Timestamp.isoformat)
        else:  # one unit for the whole column: the coarsest that keeps every value
            raw = stamps.to_numpy().astype("datetime64[ns]")
            unit = _unit(raw.view(np.int64))
            iso = np.datetime_as_string(raw, unit=unit)  # type: ignore[call-overload]
        text = np.array([json.dumps(v) for v in iso], dtype=object)
    else:
        text = np.array([_json_value(v) for v in values.tolist()], dtype=object)
    out[present] = text
    return out


def _unit(nanoseconds: np.ndarray) -> str:
    for unit, size in [("D", 86_400 * 10**9), ("s", 10**9), ("ms", 10**6), ("us", 10**3)]:
        if not np.any(nanoseconds % size):
            return unit
    return "ns"


def _json_value(value: object) -> str:
    if isinstance(value, float) and np.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool | int | float | str) or value is None:
        return json.dumps(value, ensure_ascii=False)
    return json.dumps(str(value), ensure_ascii=False)
