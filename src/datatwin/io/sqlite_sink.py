"""The SQLite sink: tables in one file through Python's own ``sqlite3``, in one transaction."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from datatwin.errors import DataError
from datatwin.io.sinks import (
    DatetimeFormats,
    Sink,
    TableInfo,
    tables_exist,
)
from datatwin.io.sql import check_key_targets, column_kind, plain, python_values, reason

_SQLITE_TYPES = {
    "bool": "INTEGER",
    "int": "INTEGER",
    "float": "REAL",
    "datetime": "TEXT",
    "timedelta": "TEXT",
    "text": "TEXT",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class SqliteSink(Sink):
    """Tables in an SQLite file, through Python's ``sqlite3``, in one transaction.

    ``check_keys`` (default true) runs SQLite's foreign key check on close: a child value with no
    parent row is an error and nothing is written.
    """

    def __init__(
        self,
        path: str | Path,
        tables: Sequence[TableInfo],
        *,
        overwrite: bool = False,
        check_keys: bool = True,
    ) -> None:
        super().__init__(tables)
        check_key_targets(self.tables)
        self.path = Path(path)
        self.check_keys = check_keys
        if self.path.is_dir():
            raise DataError(f"Cannot write the database {str(path)!r}: it is a folder.")
        if not self.path.parent.is_dir():
            raise DataError(
                f"Cannot write the database {str(path)!r}: the folder {str(self.path.parent)!r} "
                "does not exist; create it first."
            )
        self._created = not self.path.exists()
        self._db: sqlite3.Connection | None = None
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("BEGIN IMMEDIATE")
            found = self._db.execute(
                "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')"
            ).fetchall()
        except sqlite3.Error as exc:
            self._abort()
            raise DataError(
                f"Cannot open the SQLite database {str(path)!r}: {reason(exc)}."
            ) from None
        existing = {str(name).lower(): (str(name), str(kind)) for name, kind in found}
        clash = [existing[name.lower()] for name in self.tables if name.lower() in existing]
        if clash and not overwrite:
            self._abort()
            raise tables_exist(f"The database {str(path)!r}", clash)
        for name, kind in clash:
            self._db.execute(f"DROP {'VIEW' if kind == 'view' else 'TABLE'} {_quote(name)}")
        self._datetimes = DatetimeFormats(sep=" ")

    def _write(self, info: TableInfo, chunk: pd.DataFrame, first: bool) -> None:
        assert self._db is not None
        columns = [plain(chunk[name]) for name in chunk.columns]
        kinds = [column_kind(column.dtype) for column in columns]
        try:
            if first:
                self._db.execute(self._create(info, list(chunk.columns), kinds))
            if len(chunk) == 0:
                return
            text = self._datetimes.apply(info.name, chunk)
            values = [
                python_values(
                    column,
                    kind,
                    text[name].to_numpy() if kind == "datetime" else None,
                )
                for name, column, kind in zip(chunk.columns, columns, kinds, strict=True)
            ]
            names = ", ".join(_quote(name) for name in chunk.columns)
            marks = ", ".join("?" * len(columns))
            insert = f"INSERT INTO {_quote(info.name)} ({names}) VALUES ({marks})"
            self._db.executemany(insert, zip(*values, strict=True))
        except (sqlite3.Error, OverflowError) as exc:
            raise DataError(
                f"Cannot write table {info.name!r} to {str(self.path)!r}: {reason(exc)}."
            ) from None

    @staticmethod
    def _create(info: TableInfo, names: list[str], kinds: list[str]) -> str:
        lines = []
        for name, kind in zip(names, kinds, strict=True):
            line = f"{_quote(name)} {_SQLITE_TYPES[kind]}"
            lines.append(line + (" NOT NULL" if name == info.primary_key else ""))
        if info.primary_key is not None:
            lines.append(f"PRIMARY KEY ({_quote(info.primary_key)})")
        for key in info.foreign_keys:
            lines.append(
                f"FOREIGN KEY ({_quote(key.column)}) REFERENCES {_quote(key.parent)} "
                f"({_quote(key.parent_column)})"
            )
        return f"CREATE TABLE {_quote(info.name)} (\n  " + ",\n  ".join(lines) + "\n)"

    def _close(self) -> None:
        assert self._db is not None
        for name, info in self.tables.items():
            if name not in self.columns:
                continue
            for key in info.foreign_keys:
                if key.parent not in self.columns:
                    raise DataError(
                        f"Table {name!r} refers to table {key.parent!r}, which was never written; "
                        "write the parent table too."
                    )
            if self.check_keys and info.foreign_keys:
                self._check_keys(info)
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise DataError(f"Cannot commit to {str(self.path)!r}: {reason(exc)}.") from None
        self._db.close()
        self._db = None

    def _check_keys(self, info: TableInfo) -> None:
        assert self._db is not None
        try:
            bad = self._db.execute(f"PRAGMA foreign_key_check({_quote(info.name)})").fetchone()
        except sqlite3.Error as exc:
            raise DataError(
                f"Cannot check the foreign keys of table {info.name!r}: {reason(exc)}."
            ) from None
        if bad is not None:
            key = info.foreign_keys[::-1][int(bad[3])]  # SQLite numbers them from the last
            raise DataError(
                f"Table {info.name!r} has a value in {key.column!r} with no row in "
                f"{key.parent}.{key.parent_column} (row {bad[1]}); nothing was written."
            )

    def _abort(self) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
            self._db.close()
            self._db = None
        if self._created:
            for suffix in ("", "-journal", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    Path(f"{self.path}{suffix}").unlink()
