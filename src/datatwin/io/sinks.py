"""Streaming table sinks: write several related tables a chunk at a time, all or nothing.

:func:`open_sink` gives a :class:`Sink` for a target: a folder (one ``<table>.parquet``, ``.csv``
or ``.jsonl`` file per table), ``sqlite:///path.db`` (Python's own ``sqlite3``), or any other
SQLAlchemy URL such as ``postgresql://user@host/db`` (the ``sql`` extra; PostgreSQL is bulk-loaded
with ``COPY``). Chunks are written as they come, so memory stays one chunk whatever the size of the
tables; nothing is visible until :meth:`Sink.close` (files are renamed into place, the transaction
is committed), and :meth:`Sink.abort` leaves the target as it was.

Datetime columns written as text (CSV, JSON lines, SQLite) keep one format per column: the
coarsest of date, seconds, milliseconds, microseconds or nanoseconds that holds every value of the
table's first chunk (``2024-01-31``, ``2024-01-31 09:30:00``, ...); a later value that needs more
digits gets them rather than being cut.
"""

from __future__ import annotations

import contextlib
import os
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
import pandas as pd

from datatwin.errors import DataError, ParameterError

__all__ = ["SINK_FORMATS", "ForeignKey", "OutputExistsError", "Sink", "TableInfo", "open_sink"]

SINK_FORMATS = ("parquet", "csv", "jsonl")

_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")


class OutputExistsError(DataError):
    """The output already has files or tables of the names to write, and overwriting is off.

    ``what`` names what exists (``"The file 'out/a.csv' already exists"``) and ``plural`` says
    whether that is more than one thing. The message tells Python callers to pass
    ``overwrite=True``; :meth:`advice` words it for another way of asking (``--overwrite``).
    """

    def __init__(self, what: str, plural: bool = False) -> None:
        self.what = what
        self.plural = plural
        super().__init__(self.advice("overwrite=True"))

    def advice(self, option: str) -> str:
        """The message, telling the user to pass ``option`` to replace what exists."""
        return f"{self.what}; pass {option} to replace {'them' if self.plural else 'it'}."

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.what, self.plural))


def names_of(names: Sequence[str]) -> str:
    """``'a'``, ``'a' and 'b'``, ``'a', 'b' and 'c'``: names quoted, for a message."""
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} and {quoted[-1]}"


def tables_exist(owner: str, found: Sequence[tuple[str, str]]) -> OutputExistsError:
    """The error for a database (``owner``) that has tables of the names to write already;
    ``found`` holds their names and kinds (``"table"``, ``"view"``, or ``""`` for a table)."""
    if len(found) == 1:
        name, kind = found[0]
        return OutputExistsError(f"{owner} already has a {kind or 'table'} named {name!r}")
    names = names_of([name for name, _ in found])
    return OutputExistsError(f"{owner} already has tables named {names}", plural=True)


@dataclass(frozen=True)
class ForeignKey:
    """``column`` of a table holds values of ``parent_column`` (the primary key of ``parent``)."""

    column: str
    parent: str
    parent_column: str


@dataclass(frozen=True)
class TableInfo:
    """A table to write: its name, its primary key column and its foreign keys."""

    name: str
    primary_key: str | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()


def open_sink(
    target: str | os.PathLike[str],
    tables: Sequence[TableInfo],
    *,
    format: str | None = None,
    overwrite: bool = False,
) -> Sink:
    """A sink that writes ``tables`` to ``target``: a folder, ``sqlite:///path.db`` or a URL.

    ``format`` (``parquet``, the default, ``csv`` or ``jsonl``) applies to folders only.
    Existing files or tables of the same names are refused unless ``overwrite`` is true.
    """
    text = os.fspath(target)
    match = _URL.match(text) if isinstance(target, str) else None
    if match is None:
        return FolderSink(Path(text), tables, format=format or "parquet", overwrite=overwrite)
    if format is not None:
        raise ParameterError(
            f"A format ({format!r}) applies only to a folder output, not to the database "
            f"{match.group(1)}://...; leave it out."
        )
    if match.group(1).lower() in ("sqlite", "sqlite+pysqlite"):
        from datatwin.io.sql import sqlite_path
        from datatwin.io.sqlite_sink import SqliteSink

        return SqliteSink(sqlite_path(text), tables, overwrite=overwrite)
    from datatwin.io.sqlalchemy_sink import SqlAlchemySink

    return SqlAlchemySink(text, tables, overwrite=overwrite)


class Sink(ABC):
    """Where generated tables go. Use it as a context manager: an error inside aborts it.

    :meth:`write` may be called many times per table, tables interleaved, parents before
    children; every chunk of a table has the first chunk's columns, in that order.
    ``rows`` counts the rows written per table.
    """

    def __init__(self, tables: Sequence[TableInfo]) -> None:
        self.tables: dict[str, TableInfo] = _check_tables(tables)
        self.rows: dict[str, int] = dict.fromkeys(self.tables, 0)
        self.columns: dict[str, list[str]] = {}
        self._state = "open"

    def write(self, table: str, chunk: pd.DataFrame) -> None:
        """Append the rows of ``chunk`` to ``table``."""
        if self._state != "open":
            raise DataError(f"Cannot write table {table!r}: this output is already {self._state}.")
        info = self.tables.get(table)
        if info is None:
            raise DataError(
                f"Cannot write table {table!r}: it is not one of the tables this output was "
                f"opened with ({', '.join(map(repr, self.tables)) or 'none'})."
            )
        if not isinstance(chunk, pd.DataFrame):
            raise DataError(f"Table {table!r} was given a {type(chunk).__name__}, not a DataFrame.")
        columns = list(chunk.columns)
        first = table not in self.columns
        if first:
            _check_columns(info, columns)
        elif columns != self.columns[table]:
            raise DataError(
                f"A chunk of table {table!r} has columns {columns}, not the first chunk's "
                f"{self.columns[table]}; give every chunk the same columns in the same order."
            )
        self._write(info, chunk, first)
        self.columns.setdefault(table, columns)
        self.rows[table] += len(chunk)

    def close(self) -> None:
        """Make everything written visible (rename files, commit); a second call does nothing."""
        if self._state == "closed":
            return
        if self._state == "aborted":
            raise DataError("Cannot close this output: it was aborted and nothing was written.")
        try:
            self._close()
        except BaseException:
            self.abort()
            raise
        self._state = "closed"

    def abort(self) -> None:
        """Undo everything written (remove temporary files, roll back); later calls do nothing."""
        if self._state != "open":
            return
        self._state = "aborted"
        self._abort()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    @abstractmethod
    def _write(self, info: TableInfo, chunk: pd.DataFrame, first: bool) -> None: ...

    @abstractmethod
    def _close(self) -> None: ...

    @abstractmethod
    def _abort(self) -> None: ...


def _check_tables(tables: Sequence[TableInfo]) -> dict[str, TableInfo]:
    out: dict[str, TableInfo] = {}
    for info in tables:
        if not isinstance(info, TableInfo):
            raise DataError(f"An output table must be a TableInfo, not {type(info).__name__}.")
        if not isinstance(info.name, str) or not info.name:
            raise DataError(f"An output table needs a non-empty name, not {info.name!r}.")
        if info.name in out:
            raise DataError(f"Table {info.name!r} is listed twice; give each table once.")
        out[info.name] = info
    for info in out.values():
        for key in info.foreign_keys:
            if key.parent not in out:
                raise DataError(
                    f"Table {info.name!r} has a foreign key {key.column!r} to table "
                    f"{key.parent!r}, which is not one of the tables written."
                )
    return out


def _check_columns(info: TableInfo, columns: list[Any]) -> None:
    if not columns:
        raise DataError(f"Table {info.name!r} has no columns; give it at least one.")
    odd = [c for c in columns if not isinstance(c, str) or not c]
    if odd:
        raise DataError(f"Table {info.name!r} has column names that are not text: {odd[:3]}.")
    twice = sorted({c for c in columns if columns.count(c) > 1})
    if twice:
        raise DataError(f"Table {info.name!r} has duplicate column names {twice}; rename them.")
    keys = [info.primary_key] if info.primary_key is not None else []
    keys += [key.column for key in info.foreign_keys]
    missing = [k for k in keys if k not in columns]
    if missing:
        raise DataError(
            f"Table {info.name!r} has no column {missing[0]!r}, which is one of its keys."
        )


# ---- datetimes as text: one format per column, fixed by the first chunk -----------------------

_STEP_NS = {"D": 86_400 * 10**9, "s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}
_UNITS = tuple(_STEP_NS)


def datetime_unit(column: pd.Series) -> str:
    """The coarsest of ``D``, ``s``, ``ms``, ``us``, ``ns`` that holds every value of ``column``."""
    raw, base = _raw(column)
    ticks = raw.view(np.int64)[~np.isnat(raw)]
    lowest = "s" if isinstance(column.dtype, pd.DatetimeTZDtype) else "D"
    for unit in _UNITS[_UNITS.index(lowest) :]:
        step = _STEP_NS[unit] // _STEP_NS[base]
        if step <= 1 or not np.any(ticks % step):
            return unit
    return base


def datetime_text(column: pd.Series, unit: str, sep: str = " ") -> np.ndarray:
    """ISO 8601 text of a datetime ``column`` at ``unit`` (finer where a value needs it).

    Missing values are ``None``; time-zone aware values end with their UTC offset.
    """
    raw, base = _raw(column)
    missing = np.isnat(raw)
    step = max(_STEP_NS[unit] // _STEP_NS[base], 1)
    finer = (raw.view(np.int64) % step != 0) & ~missing
    text = np.datetime_as_string(raw, unit=unit).astype(object)  # type: ignore[call-overload]
    if finer.any():
        needed = datetime_unit(pd.Series(raw[finer]))
        text[finer] = np.datetime_as_string(raw[finer], unit=needed)  # type: ignore[call-overload]
    if sep != "T" and (unit != "D" or finer.any()):
        text = _replace_t(text, sep)
    dtype = column.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        text = text + _utc_offsets(column)
    text[missing] = None
    return text


def _replace_t(text: np.ndarray, sep: str) -> np.ndarray:
    """``text`` (ISO datetimes, ``None`` or ``NaT``) with the ``T`` before the time as ``sep``."""
    fixed = np.asarray(text.astype(str))
    width = fixed.dtype.itemsize // 4
    if len(fixed) and width > 10 and len(sep) == 1:  # years of four digits: the T is 11th
        codes = fixed.view(np.uint32).reshape(len(fixed), width)
        if np.all((codes[:, 10] == ord("T")) | (codes[:, 10] == 0)):
            codes[:, 10] = np.where(codes[:, 10] == 0, 0, ord(sep))
            return fixed.astype(object)
    return np.char.replace(fixed, "T", sep, count=1).astype(object)


def _raw(column: pd.Series) -> tuple[np.ndarray, str]:
    """Wall-clock ``datetime64`` values of ``column`` and their numpy unit."""
    values = column
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        values = column.dt.tz_localize(None)
    raw = np.asarray(values.to_numpy())
    if raw.dtype.kind != "M":
        raw = raw.astype("datetime64[ns]")
    return raw, str(np.datetime_data(raw.dtype)[0])


def _utc_offsets(column: pd.Series) -> np.ndarray:
    """``+HH:MM`` for every value of a time-zone aware ``column`` (``+00:00`` where missing)."""
    wall = column.dt.tz_localize(None).to_numpy().astype("datetime64[s]").view(np.int64)
    utc = column.dt.tz_convert("UTC").dt.tz_localize(None)
    minutes = (wall - utc.to_numpy().astype("datetime64[s]").view(np.int64)) // 60
    minutes = np.where(column.isna().to_numpy(), 0, minutes)
    sign = np.where(minutes < 0, "-", "+").astype(object)
    hours = np.char.zfill((np.abs(minutes) // 60).astype(str), 2).astype(object)
    rest = np.char.zfill((np.abs(minutes) % 60).astype(str), 2).astype(object)
    return sign + hours + ":" + rest


def is_datetime(dtype: object) -> bool:
    return isinstance(dtype, pd.DatetimeTZDtype) or (
        isinstance(dtype, np.dtype) and dtype.kind == "M"
    )


class DatetimeFormats:
    """The datetime text unit of every (table, column), fixed by the table's first chunk."""

    def __init__(self, sep: str) -> None:
        self.sep = sep
        self._units: dict[tuple[str, str], str] = {}

    def apply(self, table: str, chunk: pd.DataFrame) -> pd.DataFrame:
        """``chunk`` with its datetime columns as text (a shallow copy when there are any)."""
        names = [c for c in chunk.columns if is_datetime(chunk[c].dtype)]
        if not names:
            return chunk
        out = chunk.copy(deep=False)
        for name in names:
            column = chunk[name]
            key = (table, name)
            unit = self._units.get(key)
            if unit is None and column.notna().any():
                unit = self._units[key] = datetime_unit(column)
            out[name] = pd.Series(
                datetime_text(column, unit or "s", self.sep), index=chunk.index, dtype=object
            )
        return out


# ---- folders: one file per table ----------------------------------------------------------------


class _Aborted(Exception):
    """Passed to the temporary files' context managers so that they remove their files."""


ROW_GROUP_ROWS = 2**17


class FolderSink(Sink):
    """One file per table in a folder, written to temporary files that ``close`` renames.

    Parquet files have row groups of ``row_group_rows`` rows whatever the chunks, so the same
    rows give the same bytes however they were cut; CSV and JSON lines are that way anyway.
    """

    def __init__(
        self,
        folder: Path,
        tables: Sequence[TableInfo],
        *,
        format: str = "parquet",
        overwrite: bool = False,
        row_group_rows: int = ROW_GROUP_ROWS,
    ) -> None:
        super().__init__(tables)
        fmt = format.lower().lstrip(".")
        if fmt not in SINK_FORMATS:
            raise ParameterError(
                f"Unknown output format {format!r}; use {', '.join(SINK_FORMATS[:-1])} or "
                f"{SINK_FORMATS[-1]}."
            )
        self.format = fmt
        self.folder = folder
        self.overwrite = overwrite
        self.row_group_rows = row_group_rows
        for name in self.tables:
            if name in (".", "..") or any(c in name for c in "/\\\0") or name.startswith("."):
                raise DataError(
                    f"Table name {name!r} cannot be a file name; use letters, digits and _."
                )
        if folder.exists() and not folder.is_dir():
            raise DataError(
                f"Cannot write tables into {str(folder)!r}: it is a file, not a folder."
            )
        suffix = folder.suffix.lower()
        if not folder.exists() and suffix in (".csv", ".parquet", ".jsonl", ".db", ".sqlite"):
            hint = f"sqlite:///{folder}" if suffix in (".db", ".sqlite") else "a folder name"
            raise DataError(
                f"The output {str(folder)!r} looks like a file name, but every table is written "
                f"to a file of its own in a folder; give {hint} instead."
            )
        for name in self.tables:
            if self.path(name).is_dir():
                raise DataError(
                    f"Cannot write table {name!r} to {str(self.path(name))!r}: a folder of that "
                    "name is in the way; move it or choose another output folder."
                )
        found = [str(self.path(name)) for name in self.tables if self.path(name).exists()]
        if found and not overwrite:
            files = "file" if len(found) == 1 else "files"
            exist = "exists" if len(found) == 1 else "exist"
            raise OutputExistsError(
                f"The {files} {names_of(found)} already {exist}", plural=len(found) > 1
            )
        self._created = not folder.exists()
        if self._created:
            try:
                folder.mkdir(parents=True)
            except OSError as exc:
                raise DataError(
                    f"Cannot create the folder {str(folder)!r}: {exc.strerror}."
                ) from None
        self._stack = contextlib.ExitStack()
        self._files: dict[str, Any] = {}
        self._datetimes = DatetimeFormats(sep="T" if fmt == "jsonl" else " ")

    def path(self, table: str) -> Path:
        """Where ``table`` is written."""
        return self.folder / f"{table}.{self.format}"

    def _write(self, info: TableInfo, chunk: pd.DataFrame, first: bool) -> None:
        from datatwin.io.atomic import atomic_path

        name = info.name
        if name not in self._files:
            tmp = self._stack.enter_context(atomic_path(self.path(name)))
            if self.format == "parquet":
                from datatwin.io.tables import ParquetChunkWriter

                writer = ParquetChunkWriter(tmp, self.row_group_rows)
                self._stack.callback(writer.close)
                self._files[name] = writer
            else:
                handle = self._stack.enter_context(tmp.open("w", encoding="utf-8", newline=""))
                self._files[name] = handle
        target = self._files[name]
        if self.format == "parquet":
            _write_parquet(name, target, chunk)
        elif self.format == "csv":
            text = self._datetimes.apply(name, chunk)
            text.to_csv(target, index=False, header=first, lineterminator="\n")
        else:
            from datatwin.io.jsonl import write_jsonl

            write_jsonl(self._datetimes.apply(name, chunk), target)

    def _close(self) -> None:
        self._stack.close()
        if self.overwrite:  # a table that got no rows this time leaves no stale file behind
            for name in self.tables:
                if name not in self.columns:
                    with contextlib.suppress(FileNotFoundError):
                        self.path(name).unlink()

    def _abort(self) -> None:
        with contextlib.suppress(Exception):  # every file is removed even if one close fails
            self._stack.__exit__(_Aborted, _Aborted(), None)
        if self._created:
            with contextlib.suppress(OSError):
                self.folder.rmdir()  # only when empty


def _write_parquet(table: str, writer: Any, chunk: pd.DataFrame) -> None:
    try:
        writer.write(chunk)
    except (ValueError, TypeError, NotImplementedError) as exc:  # pyarrow's errors are these
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"A chunk of table {table!r} does not match the first chunk's column types "
            f"({reason.rstrip('.')}); give every chunk the same dtypes."
        ) from None
