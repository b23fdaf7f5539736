"""What the database sinks share: column kinds, values as a driver takes them, table order, and
SQLite URLs. The sinks: :mod:`datatwin.io.sqlite_sink` (Python's ``sqlite3``) and
:mod:`datatwin.io.sqlalchemy_sink` (any other database).

Both write every table in one transaction, so an aborted run leaves the database as it was, and
create the tables with their primary and foreign keys from the first chunk's dtypes. PostgreSQL
(with psycopg 3) is bulk-loaded with ``COPY`` and gets its foreign keys after the load, checked in
one pass; other databases get plain batched ``INSERT`` statements.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import numpy as np
import pandas as pd

from datatwin.errors import DataError
from datatwin.io.sinks import TableInfo


def sqlite_path(url: str) -> str:
    """The file of ``sqlite:///relative.db`` or ``sqlite:////absolute.db``, as SQLAlchemy reads."""
    rest = url.split("://", 1)[1]
    if "?" in rest:
        raise DataError(f"The SQLite URL {url!r} has options (?...); give only the file path.")
    path = urllib.parse.unquote(rest[1:]) if rest.startswith("/") else ""
    if not path or path == ":memory:":
        raise DataError(
            f"The SQLite URL {url!r} names no file; write sqlite:///path/to/file.db "
            "(an in-memory database would be lost when the run ends)."
        )
    return path


# ---- column types and values --------------------------------------------------------------------


def column_kind(dtype: Any) -> str:
    """``bool``, ``int``, ``float``, ``datetime``, ``timedelta`` or ``text``."""
    api = pd.api.types
    if isinstance(dtype, pd.DatetimeTZDtype) or api.is_datetime64_dtype(dtype):
        return "datetime"
    if api.is_timedelta64_dtype(dtype):
        return "timedelta"
    if api.is_bool_dtype(dtype):
        return "bool"
    if api.is_integer_dtype(dtype):
        return "int"
    if api.is_float_dtype(dtype):
        return "float"
    return "text"


def plain(column: pd.Series) -> pd.Series:
    """``column`` with categories replaced by their values (in their own dtype)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        values = column.astype(object).where(column.notna(), None)
        return values.convert_dtypes(dtype_backend="numpy_nullable")
    return column


def _with_none(values: list[Any], missing: np.ndarray) -> list[Any]:
    for i in np.flatnonzero(missing).tolist():
        values[i] = None
    return values


def python_values(column: pd.Series, kind: str, datetimes: np.ndarray | None = None) -> list[Any]:
    """The values of ``column`` as Python objects a database driver takes; ``None`` where missing.

    Datetimes are ``datetimes`` (their text) when given, else ``pandas.Timestamp`` objects.
    """
    missing = column.isna().to_numpy()
    if kind == "datetime":
        if datetimes is not None:
            return datetimes.tolist()
        return _with_none(column.astype(object).tolist(), missing)
    if kind == "bool":
        return _with_none(column.to_numpy(dtype=bool, na_value=False).tolist(), missing)
    if kind == "int":
        if str(column.dtype).lower() == "uint64":
            return _with_none([int(v) for v in column.to_numpy(dtype=object, na_value=0)], missing)
        return _with_none(column.to_numpy(dtype=np.int64, na_value=0).tolist(), missing)
    if kind == "float":
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        return _with_none(values.tolist(), np.isnan(values))
    if kind == "timedelta":
        return _with_none(column.astype(str).tolist(), missing)
    out = column.astype(object).tolist()
    if isinstance(column.dtype, pd.StringDtype):  # every present value is a str already
        return _with_none(out, missing)
    for i, value in enumerate(out):
        if value is not None and not isinstance(value, str | int | float | bytes):
            out[i] = str(value)
    return _with_none(out, missing)


def parents_first(tables: dict[str, TableInfo]) -> list[str]:
    """Table names with every parent before its children (cycles keep the given order)."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in seen or name in path:
            return
        for key in tables[name].foreign_keys:
            visit(key.parent, (*path, name))
        seen.add(name)
        order.append(name)

    for name in tables:
        visit(name, ())
    return order


def check_key_targets(tables: dict[str, TableInfo]) -> None:
    for info in tables.values():
        for key in info.foreign_keys:
            target = tables[key.parent].primary_key
            if key.parent_column != target:
                raise DataError(
                    f"Table {info.name!r} has a foreign key {key.column!r} to "
                    f"{key.parent}.{key.parent_column}, which is not the primary key of "
                    f"{key.parent!r}; a database key must point at a primary key."
                )


def reason(exc: BaseException, secret: str | None = None) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    line = text.splitlines()[0].strip().rstrip(".") if text else type(exc).__name__
    if secret:
        line = line.replace(secret, "***")
    return line
