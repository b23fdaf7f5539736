"""Turn model output back into columns of exactly the input's pandas dtype."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["plain", "restore_dtype"]


def plain(value: Any) -> Any:
    """A value as plain JSON-ready Python: numpy scalars unwrapped, NaN/NA as ``None``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _dtype(dtype: str) -> Any:
    try:
        return pd.api.types.pandas_dtype(dtype)
    except TypeError:
        return np.dtype(object)


def restore_dtype(values: np.ndarray, dtype: str) -> Any:
    """``values`` as an array of pandas dtype ``dtype``; integer dtypes turn nullable if needed."""
    target = _dtype(dtype)
    if isinstance(target, np.dtype) and target.kind in "iub" and values.dtype.kind in "fO":
        missing = pd.isna(values)
        if missing.any():  # a non-nullable integer column cannot hold missing values
            nullable = {"i": "Int64", "u": "UInt64", "b": "boolean"}[target.kind]
            return pd.array(values, dtype=nullable)  # type: ignore[call-overload]
        if values.dtype.kind == "O":
            if target.kind != "b" and all(isinstance(v, int) for v in values.tolist()):
                return values.astype(target)  # Python ints (categories): exact, whatever size
            values = values.astype(np.float64) if target.kind != "b" else values.astype(bool)
        if target.kind in "iu":  # float rounding may step past the integer range (2**63)
            info = np.iinfo(target)
            values = np.clip(
                values, np.nextafter(float(info.min), 0), np.nextafter(float(info.max), 0)
            )
    if isinstance(target, np.dtype) and target.kind == "O":
        return values.astype(object)
    return (
        pd.array(values, dtype=target)
        if not isinstance(target, np.dtype)
        else values.astype(target)
    )
