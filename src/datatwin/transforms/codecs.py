"""Per-column codecs: a column in, model-ready :class:`Part` arrays out, and back again.

Each codec keeps the little it learns from the data (category lists, null shares) as JSON-ready
state, so that a model file can rebuild it without pickle.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd

from datatwin.errors import DataError, SchemaError
from datatwin.schema.columns import Column
from datatwin.transforms.dtypes import plain, restore_dtype
from datatwin.transforms.parts import Part

__all__ = ["CategoryCodec", "ColumnCodec", "DatetimeCodec", "EmptyCodec", "NumericCodec"]

STATES = ("value", "missing", "+inf", "-inf")
PRECISION_NS = {
    "D": 86_400 * 10**9,
    "h": 3_600 * 10**9,
    "min": 60 * 10**9,
    "s": 10**9,
    "ms": 10**6,
    "us": 10**3,
    "ns": 1,
}


class ColumnCodec:
    """Base class: ``fit`` learns from a series, ``encode`` makes parts, ``decode`` reverses it."""

    name: ClassVar[str]

    def __init__(self, column: Column, key: str | None = None) -> None:
        self.column = column
        self.key = column.name if key is None else key  # unique among a table's parts

    def fit(self, series: pd.Series) -> None:
        """Learn what the codec needs from the real column."""

    def encode(self, series: pd.Series) -> list[Part]:
        """The model inputs of this column."""
        return []

    def decode(self, parts: dict[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.Series:
        """The output column from the parts a model produced."""
        raise NotImplementedError

    def get_state(self) -> dict[str, Any]:
        """What :meth:`fit` learned, as JSON-ready data."""
        return {}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`get_state` returned."""

    def _series(self, values: Any) -> pd.Series:
        if self.column.dtype == "object":  # else pandas 3 infers its own string dtype
            return pd.Series(values, name=self.column.name, dtype=object)
        return pd.Series(values, name=self.column.name)


class NumericCodec(ColumnCodec):
    """Numbers: a continuous part for finite values, a discrete part for missing and infinities."""

    name = "numeric"

    def __init__(self, column: Column, key: str | None = None) -> None:
        super().__init__(column, key)
        self.states: list[str] = ["value"]

    def as_floats(self, series: pd.Series) -> np.ndarray:
        try:
            return series.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise DataError(
                f"Column {self.column.name!r} is described as numeric but holds values that are "
                "not numbers; fix the data or set its kind to 'categorical' in the schema."
            ) from None

    def _state_codes(self, values: np.ndarray) -> np.ndarray:
        codes = np.zeros(len(values), dtype=np.int32)
        codes[np.isnan(values)] = 1
        codes[values == np.inf] = 2
        codes[values == -np.inf] = 3
        return codes

    def fit(self, series: pd.Series) -> None:
        present = np.unique(self._state_codes(self.as_floats(series)))
        self.states = [STATES[i] for i in sorted(set(present.tolist()) | {0})]

    def encode(self, series: pd.Series) -> list[Part]:
        values = self.as_floats(series)
        codes = self._state_codes(values)
        name, key = self.column.name, self.key
        finite = np.where(codes == 0, values, np.nan)
        parts = [Part(key, name, "continuous", 0, finite)]
        if len(self.states) > 1:
            remap = np.full(len(STATES), -1, dtype=np.int32)
            remap[[STATES.index(s) for s in self.states]] = np.arange(len(self.states))
            parts.append(Part(f"{key}#state", name, "discrete", len(self.states), remap[codes]))
        return parts

    def _finish(self, values: np.ndarray) -> np.ndarray:
        column = self.column
        if column.min is not None or column.max is not None:
            values = np.clip(values, column.min, column.max)
        if column.integer or column.decimals == 0:
            return np.round(values)
        if column.decimals is not None:
            return np.round(values, column.decimals)
        return values

    def decode(self, parts: dict[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.Series:
        values = self._finish(parts.get(self.key, np.full(n, np.nan)))
        if len(self.states) > 1:
            codes = parts[f"{self.key}#state"]
            special = {"missing": np.nan, "+inf": np.inf, "-inf": -np.inf}
            for i, state in enumerate(self.states):
                if state in special:
                    values = np.where(codes == i, special[state], values)
        return self._series(restore_dtype(values, self.column.dtype))

    def get_state(self) -> dict[str, Any]:
        return {"states": self.states}

    def set_state(self, state: dict[str, Any]) -> None:
        self.states = list(state["states"])


class DatetimeCodec(NumericCodec):
    """Dates and times, native or as strings in a known format.

    The model sees whole steps of the column's precision (days, seconds, ...) counted from the
    earliest real value: exact as floats up to 2**53 steps (285 years in microseconds).
    """

    name = "datetime"

    def __init__(self, column: Column, key: str | None = None) -> None:
        super().__init__(column, key)
        self.origin: int | None = None  # nanoseconds since 1970 of the earliest real value
        self.span = 0  # steps from the earliest to the latest real value

    @property
    def step(self) -> int:
        return PRECISION_NS.get(self.column.precision or "ns", 1)

    def _nanoseconds(self, series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        column = self.column
        if column.format is not None:
            parsed = pd.to_datetime(series, format=column.format, errors="coerce")
            bad = parsed.isna() & series.notna()
            if bad.any():
                raise DataError(
                    f"Column {column.name!r} has value {series[bad].iloc[0]!r} that does not match "
                    f"its date format {column.format!r}; fix the value or the schema's format."
                )
        else:
            try:
                parsed = pd.to_datetime(series)
            except (ValueError, TypeError):
                raise DataError(
                    f"Column {column.name!r} is described as datetime but holds values that are "
                    "not dates; fix the data or its kind in the schema."
                ) from None
        index = pd.DatetimeIndex(parsed)
        if index.tz is not None:
            index = index.tz_convert("UTC").tz_localize(None)
        return index.as_unit("ns").asi8, np.asarray(index.isna())

    def fit(self, series: pd.Series) -> None:
        ns, missing = self._nanoseconds(series)
        present = ns[~missing]
        self.origin = int(present.min()) if len(present) else 0
        self.span = int((int(present.max()) - self.origin) // self.step) if len(present) else 0
        super().fit(series)

    def as_floats(self, series: pd.Series) -> np.ndarray:
        ns, missing = self._nanoseconds(series)
        first = (self.origin or 0) // self.step  # steps first: a difference of ns may overflow
        steps = (ns // self.step - first).astype(np.float64)
        steps[missing] = np.nan
        return steps

    def _finish(self, values: np.ndarray) -> np.ndarray:
        return values  # rounded to whole steps in decode

    def decode(self, parts: dict[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.Series:
        values = self._finish(parts.get(self.key, np.full(n, np.nan)))
        if len(self.states) > 1:
            values = np.where(parts[f"{self.key}#state"] == 0, values, np.nan)
        missing = np.isnan(values)
        steps = np.clip(np.rint(np.where(missing, 0, values)), 0, self.span).astype(np.int64)
        ns = ((self.origin or 0) // self.step + steps) * self.step
        stamps = pd.DatetimeIndex(
            np.where(missing, np.datetime64("NaT"), ns.view("datetime64[ns]"))
        )
        if self.column.format is not None:
            text = format_datetimes(ns.view("datetime64[ns]"), self.column.format)
            text[missing] = np.nan
            return self._series(restore_dtype(text, self.column.dtype))
        target = pd.api.types.pandas_dtype(self.column.dtype)
        if isinstance(target, pd.DatetimeTZDtype):
            stamps = stamps.tz_localize("UTC").tz_convert(target.tz)
        return self._series(pd.Series(stamps).astype(target).array)

    def get_state(self) -> dict[str, Any]:
        return {**super().get_state(), "origin": self.origin, "span": self.span}

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self.origin, self.span = state["origin"], int(state["span"])


# strftime formats that numpy's ISO 8601 writer produces directly (much faster than strftime):
# format -> (numpy unit, separator between date and time, suffix)
ISO_FORMATS = {
    "%Y-%m-%d": ("D", "T", ""),
    "%Y-%m-%dT%H:%M": ("m", "T", ""),
    "%Y-%m-%d %H:%M": ("m", " ", ""),
    "%Y-%m-%dT%H:%M:%S": ("s", "T", ""),
    "%Y-%m-%d %H:%M:%S": ("s", " ", ""),
    "%Y-%m-%dT%H:%M:%SZ": ("s", "T", "Z"),
}


def format_datetimes(stamps: np.ndarray, fmt: str) -> np.ndarray:
    """``datetime64[ns]`` values as strings in ``fmt`` (an object array)."""
    if len(stamps) > 1000:  # dates repeat (days, hours): write each distinct one once
        unique, inverse = np.unique(stamps, return_inverse=True)
        if len(unique) * 4 < len(stamps):
            return _format(unique, fmt)[inverse]
    return _format(stamps, fmt)


def _format(stamps: np.ndarray, fmt: str) -> np.ndarray:
    if len(stamps) == 0:
        return np.empty(0, dtype=object)
    if fmt in ISO_FORMATS:
        unit, separator, suffix = ISO_FORMATS[fmt]
        years = stamps.astype("datetime64[Y]").astype(np.int64) + 1970
        if np.all((years >= 1) & (years <= 9999)):  # numpy writes other years differently
            text = np.datetime_as_string(stamps, unit=unit)  # type: ignore[call-overload]
            if separator != "T":
                text = np.strings.replace(text, "T", separator)
            if suffix:
                text = np.strings.add(text, suffix)
            return text.astype(object)
    return np.asarray(pd.DatetimeIndex(stamps).strftime(fmt), dtype=object)


class CategoryCodec(ColumnCodec):
    """Categories, booleans and constants: one discrete part; missing is a category of its own."""

    name = "categorical"

    def __init__(self, column: Column, key: str | None = None) -> None:
        super().__init__(column, key)
        self.categories: list[Any] = []  # None stands for missing
        self.dtype_categories: list[Any] | None = None

    def fit(self, series: pd.Series) -> None:
        counts = series.value_counts(dropna=True, sort=False)
        seen = [plain(v) for v in counts.index]
        order = self.column.order
        if order is not None:
            unknown = [v for v in seen if v not in order]
            if unknown:
                raise SchemaError(
                    f"Column {self.column.name!r} has value(s) {unknown[:5]} missing from the "
                    "schema's 'order'; add them to the order."
                )
            categories = list(order)
        else:
            freq = sorted(
                zip(counts.to_numpy().tolist(), seen, strict=True),
                key=lambda cv: (-cv[0], repr(cv[1])),
            )
            categories = [v for _, v in freq]
        if series.isna().any():
            categories.append(None)
        self.categories = categories
        if isinstance(series.dtype, pd.CategoricalDtype):
            self.dtype_categories = [plain(v) for v in series.dtype.categories]

    def encode(self, series: pd.Series) -> list[Part]:
        known = [c for c in self.categories if c is not None]
        if _needs_plain(series):
            series = series.map(plain, na_action="ignore")
        codes = pd.Categorical(series, categories=known).codes.astype(np.int32)
        unseen = (codes == -1) & series.notna().to_numpy()
        if unseen.any():
            raise DataError(
                f"Column {self.column.name!r} has value {series[unseen].iloc[0]!r} that the model "
                "never saw; refit on data that includes it."
            )
        if None in self.categories:
            codes[codes == -1] = self.categories.index(None)
        ordered = bool(self.column.ordered) and self.column.order is not None
        return [Part(self.key, self.column.name, "discrete", len(self.categories), codes, ordered)]

    def decode(self, parts: dict[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.Series:
        codes = parts[self.key]
        known = [c for c in self.categories if c is not None]
        missing = self.categories.index(None) if None in self.categories else -1
        codes = np.where(codes == missing, -1, codes)
        target = pd.api.types.pandas_dtype(self.column.dtype)
        if isinstance(target, pd.CategoricalDtype):
            cats = self.dtype_categories if self.dtype_categories is not None else known
            lookup = np.empty(len(known) + 1, dtype=object)
            lookup[: len(known)] = known
            lookup[-1] = np.nan  # code -1: missing
            values = pd.Categorical(
                lookup[codes],
                categories=cats,
                ordered=bool(self.column.ordered),
            )
            return self._series(values)
        if isinstance(target, pd.StringDtype) and known:  # a take is far faster than parsing
            return self._series(pd.array(known, dtype=target).take(codes, allow_fill=True))
        lookup = np.empty(len(known) + 1, dtype=object)
        lookup[: len(known)] = known
        lookup[-1] = np.nan
        return self._series(restore_dtype(lookup[codes], self.column.dtype))

    def get_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"categories": self.categories}
        if self.dtype_categories is not None:
            state["dtype_categories"] = self.dtype_categories
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        self.categories = list(state["categories"])
        self.dtype_categories = state.get("dtype_categories")


class EmptyCodec(ColumnCodec):
    """A column with no values: it comes back with none."""

    name = "empty"

    def __init__(self, column: Column, key: str | None = None) -> None:
        super().__init__(column, key)
        self.dtype_categories: list[Any] | None = None  # a category dtype's (unused) categories
        self.dtype_ordered = False

    def fit(self, series: pd.Series) -> None:
        if isinstance(series.dtype, pd.CategoricalDtype):
            self.dtype_categories = [plain(v) for v in series.dtype.categories]
            self.dtype_ordered = bool(series.dtype.ordered)

    def get_state(self) -> dict[str, Any]:
        if self.dtype_categories is None:
            return {}
        return {"dtype_categories": self.dtype_categories, "dtype_ordered": self.dtype_ordered}

    def set_state(self, state: dict[str, Any]) -> None:
        self.dtype_categories = state.get("dtype_categories")
        self.dtype_ordered = bool(state.get("dtype_ordered", False))

    def decode(self, parts: dict[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.Series:
        if self.dtype_categories is not None:
            dtype = pd.CategoricalDtype(self.dtype_categories, ordered=self.dtype_ordered)
            return self._series(pd.Categorical([None] * n, dtype=dtype))
        try:
            values = pd.array([None] * n, dtype=pd.api.types.pandas_dtype(self.column.dtype))  # type: ignore[list-item, arg-type]
        except (TypeError, ValueError):  # dtypes that cannot hold a missing value
            values = restore_dtype(np.full(n, np.nan, dtype=object), self.column.dtype)
        return self._series(values)


def _needs_plain(series: pd.Series) -> bool:
    """Whether a column holds values (numpy scalars, other objects) that JSON cannot store as-is."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return True
    if series.dtype.kind != "O":
        return False
    return pd.api.types.infer_dtype(series, skipna=True) not in ("string", "empty")
