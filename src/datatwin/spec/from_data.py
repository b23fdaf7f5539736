"""Draft a generation spec from a real table, for a person to edit: ``datatwin spec DATA``.

Each column becomes a spec column of its detected kind (:func:`datatwin.detect_schema`):

- numbers: a fitted distribution (normal, lognormal, gamma, exponential, uniform, poisson) or a
  histogram of uniform bins, with bounds rounded outward, rounding and whole numbers kept;
- categories: values with weights; values seen in fewer than ``min_count`` rows are merged into
  ``"Other"`` (or, for numbers, into the nearest common value) and never written;
- booleans: a rate; date-times: a range rounded outward to the day or month, with weekday, month
  and hour weights; ids: sequential, UUID or a pattern of the ids' shape;
- personal data (e-mails, names, phones, ...): identity fields, made up on output (e-mails and
  usernames unique where the real ones are);
- correlations between numeric columns: Spearman's rho as the Gaussian copula's ``2 sin(pi rho /
  6)``, pairs with ``|r| >= 0.1``, made positive definite;
- a share of missing values per column.

No real row, id or personal value, and no value held by fewer than ``min_count`` rows, is copied.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from datatwin.errors import SpecError
from datatwin.schema.columns import Column
from datatwin.schema.detect import check_table, detect_schema
from datatwin.spec.correlation import nearest_correlation
from datatwin.spec.document import SPEC_FORMAT, SPEC_VERSION
from datatwin.spec.from_data_fit import fit_numeric, histogram, round_outward, significant
from datatwin.spec.specification import Spec

__all__ = ["OTHER", "spec_from_table"]

OTHER = "Other"
CORRELATION_SAMPLE = 20_000
PII_FIELDS = {"email": "email", "phone": "phone", "national_id": "national_id"}
PII_FIELDS.update({"credit_card": "card_number", "name": "name"})
_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_PREFIXED = re.compile(r"^([A-Za-z_\-/:. ]*)(\d+)$")
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def spec_from_table(
    df: pd.DataFrame,
    name: str = "table",
    *,
    min_count: int = 10,
    ks_threshold: float = 0.05,
    max_bins: int = 20,
    min_correlation: float = 0.1,
    seed: int = 0,
) -> Spec:
    """A draft spec of one table ``name`` that makes tables like ``df``, and no real row.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"size": ["S", "M", "L", "XL"] * 25, "price": range(100)})
    >>> spec = spec_from_table(df, "shop", min_count=30)
    >>> spec.to_dict()["tables"]["shop"]["columns"]["size"]["values"]
    ['Other']
    """
    df = check_table(df)
    if not _TABLE_NAME.match(name):
        raise SpecError(
            f"The table name {name!r} must be a letter or '_' followed by up to 62 letters, "
            "digits or '_'."
        )
    if not isinstance(min_count, int) or min_count < 1:
        raise SpecError(f"min_count must be a whole number >= 1; got {min_count!r}.")
    bad = [str(c) for c in df.columns if not isinstance(c, str) or "." in c or c.startswith("#")]
    if bad:
        raise SpecError(
            f"The column name(s) {bad} cannot name spec columns (text without '.' that does "
            "not start with '#'); rename them first."
        )
    rng = np.random.default_rng(seed)
    schema = detect_schema(df)
    columns: dict[str, dict[str, Any]] = {}
    numeric: list[str] = []
    for column in schema:
        series = df[column.name]
        spec, correlatable = _column(column, series, min_count, ks_threshold, max_bins, rng)
        share = float(series.isna().mean())
        if share > 0 and spec.get("type") not in ("id",):
            spec["missing"] = min(0.999, max(0.001, round(share, 3)))
        columns[column.name] = spec
        if correlatable:
            numeric.append(column.name)
    table: dict[str, Any] = {"rows": len(df), "columns": columns}
    correlation = _correlations(df, numeric, columns, min_correlation, rng)
    if correlation is not None:
        table["correlations"] = correlation
    document = {
        "format": SPEC_FORMAT,
        "version": SPEC_VERSION,
        "description": (
            f"Drafted by datatwin from a table of {len(df):,} rows: fitted marginals, categories "
            f"seen in >= {min_count} rows (rarer ones merged) and correlations; edit before use."
        ),
        "tables": {name: table},
    }
    return Spec.load(document)


def _column(
    column: Column,
    series: pd.Series,
    min_count: int,
    ks_threshold: float,
    max_bins: int,
    rng: np.random.Generator,
) -> tuple[dict[str, Any], bool]:
    """The spec of one column, and whether it joins the numeric correlations."""
    nonnull = series.dropna()
    kind = column.kind
    if kind == "numeric":
        values = nonnull.to_numpy(dtype=np.float64)
        values = values[np.isfinite(values)]
        if len(values) == 0:
            return _empty(), False
        integer = bool(column.integer)
        out = fit_numeric(
            values,
            integer,
            min_count=min_count,
            ks_threshold=ks_threshold,
            max_bins=max_bins,
            rng=rng,
        )
        if integer:
            out["integer"] = True
        elif column.decimals is not None and column.decimals <= 6:
            out["round"] = column.decimals
        return {"type": "numeric", **out}, True
    if kind == "boolean" and pd.api.types.is_bool_dtype(nonnull.dtype):
        return {"type": "boolean", "rate": round(float(nonnull.astype(bool).mean()), 4)}, False
    if kind in ("categorical", "boolean", "constant"):
        return _categorical(nonnull, min_count)
    if kind == "datetime":
        return _datetime(nonnull, column.format), False
    if kind == "id":
        return _id(nonnull), False
    if kind == "pii":
        out = _pii(column)
        if out.get("field") in ("email", "username") and len(nonnull) > 1 and nonnull.is_unique:
            out["unique"] = True  # the real column is a key: keep the made-up one a key too
        return out, False
    return _empty(), False


def _empty() -> dict[str, Any]:
    return {"type": "categorical", "values": [OTHER], "missing": 0.999}


def _categorical(nonnull: pd.Series, min_count: int) -> tuple[dict[str, Any], bool]:
    """Values with weights; rare values merged into ``OTHER`` (numbers: the nearest kept one)."""
    counts = nonnull.value_counts(sort=False)
    numbers = all(
        isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in counts.index
    )
    if numbers and len(counts):
        ordered = counts.sort_index()
        keys = np.asarray(ordered.index, dtype=np.float64)
        kept = ordered[ordered >= min_count]
        if len(kept) == 0:  # no common value: a histogram of the numbers instead
            return {"type": "numeric", **_fallback(keys, ordered.to_numpy(), min_count)}, True
        kept_keys = np.asarray(kept.index, dtype=np.float64)
        nearest = np.abs(keys[:, None] - kept_keys[None, :]).argmin(axis=1)
        weights = np.bincount(nearest, weights=ordered.to_numpy(), minlength=len(kept))
        values = [_value(v) for v in kept.index]
        return {"type": "categorical", "values": values, "weights": _shares(weights)}, True
    labels = counts.rename(index=lambda v: v if isinstance(v, str | int | float) else str(v))
    labels = labels.groupby(level=0, sort=False).sum().sort_values(ascending=False, kind="stable")
    kept = labels[labels >= min_count]
    rare = int(labels[labels < min_count].sum())
    values = [_value(v) for v in kept.index]
    counted = [float(c) for c in kept.to_numpy()]
    if rare:
        if OTHER in values:
            counted[values.index(OTHER)] += rare
        else:
            values.append(OTHER)
            counted.append(float(rare))
    return {"type": "categorical", "values": values, "weights": _shares(np.asarray(counted))}, False


def _fallback(keys: np.ndarray, counts: np.ndarray, min_count: int) -> dict[str, Any]:
    values = np.repeat(keys, counts.astype(np.int64))
    integer = bool(np.all(values == np.round(values)))
    low, high = round_outward(float(values.min()), False), round_outward(float(values.max()), True)
    out = histogram(values, integer, float(low), float(high), min_count, 10)
    if integer:
        out["integer"] = True
    return out


def _shares(weights: np.ndarray) -> list[float]:
    total = float(weights.sum())
    return [max(significant(float(w) / total), 0.0) for w in weights]


def _value(value: Hashable) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value if isinstance(value, str | int | float) else str(value)


def _datetime(nonnull: pd.Series, fmt: str | None) -> dict[str, Any]:
    """A range rounded outward (to the day, or the month past a year) with weekday, month and
    hour weights."""
    stamps = pd.to_datetime(nonnull, format=fmt) if fmt else pd.to_datetime(nonnull)
    index = pd.DatetimeIndex(stamps)
    if index.tz is not None:
        index = index.tz_convert(None)
    first, last = index.min(), index.max()
    yearly = (last - first) >= pd.Timedelta(days=365)
    if yearly:
        start = first.to_period("M").to_timestamp()
        end = (last.to_period("M") + 1).to_timestamp()
    else:
        start, end = first.floor("D"), last.floor("D") + pd.Timedelta(days=1)
    dates_only = bool((index == index.normalize()).all())
    out: dict[str, Any] = {"type": "date" if dates_only else "datetime"}
    out["start"], out["end"] = start.strftime("%Y-%m-%d"), end.strftime("%Y-%m-%d")
    if dates_only:
        out["end"] = (end - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    if len(index) >= 7 * 10:
        out["weekdays"] = _shares(
            np.bincount(np.asarray(index.day_of_week), minlength=7).astype(float)
        )
    if yearly and len(index) >= 12 * 10:
        out["months"] = _shares(
            np.bincount(np.asarray(index.month) - 1, minlength=12).astype(float)
        )
    if not dates_only and len(index) >= 24 * 10:
        out["hours"] = _shares(np.bincount(np.asarray(index.hour), minlength=24).astype(float))
    return out


def _id(nonnull: pd.Series) -> dict[str, Any]:
    """Sequential ids for numbers; for text, UUIDs or a pattern of the ids' shape."""
    if pd.api.types.is_numeric_dtype(nonnull.dtype):
        return {"type": "id", "kind": "sequential"}
    texts = nonnull.astype(str)
    if texts.str.match(_UUID).all():
        return {"type": "id", "kind": "uuid"}
    parts = texts.str.extract(_PREFIXED)
    prefixes = parts[0].dropna().unique()
    widths = parts[1].dropna().str.len().unique()
    if parts[1].notna().all() and len(prefixes) == 1 and len(widths) == 1:
        digits = max(int(widths[0]), math.ceil(math.log10(max(len(texts), 2) * 10)))
        return {"type": "id", "pattern": str(prefixes[0]) + "#" * digits}
    length = max(int(texts.str.len().median()), math.ceil(math.log(len(texts) * 10, 36)), 4)
    return {"type": "id", "pattern": "*" * min(length, 32)}


def _pii(column: Column) -> dict[str, Any]:
    """An identity field for personal data; an id pattern where no field fits."""
    lowered = column.name.lower()
    if column.pii_type == "name" and ("first" in lowered or "given" in lowered):
        return {"type": "identity", "field": "first_name"}
    if column.pii_type == "name" and any(h in lowered for h in ("last", "surname", "family")):
        return {"type": "identity", "field": "last_name"}
    field = PII_FIELDS.get(str(column.pii_type))
    if field is not None:
        return {"type": "identity", "field": field}
    if column.pii_type == "ip_address":
        return {"type": "id", "pattern": "10.1#.1##.1##"}
    return {"type": "id", "pattern": "TEXT-########"}


def _correlations(
    df: pd.DataFrame,
    names: list[str],
    columns: dict[str, dict[str, Any]],
    floor: float,
    rng: np.random.Generator,
) -> dict[str, Any] | None:
    """The copula matrix of the numeric columns linked by a correlation of at least ``floor``."""
    names = [n for n in names if columns[n].get("missing", 0) < 0.9]
    if len(names) < 2:
        return None
    frame = df[names]
    if len(frame) > CORRELATION_SAMPLE:
        frame = frame.iloc[np.sort(rng.choice(len(frame), CORRELATION_SAMPLE, replace=False))]
    frame = frame.apply(pd.to_numeric, errors="coerce")
    rho = frame.corr(method="spearman", min_periods=20).fillna(0.0).to_numpy()
    r = 2 * np.sin(np.pi * rho / 6)
    np.fill_diagonal(r, 1.0)
    r[np.abs(r) < floor] = 0.0
    linked = [i for i in range(len(names)) if np.any(np.abs(np.delete(r[i], i)) > 0)]
    if len(linked) < 2:
        return None
    r = r[np.ix_(linked, linked)]
    if np.linalg.eigvalsh(r).min() < 1e-6:
        r = nearest_correlation(r)
    matrix = [[round(float(v), 3) for v in row] for row in r]
    return {"columns": [names[i] for i in linked], "matrix": matrix, "nearest": True}
