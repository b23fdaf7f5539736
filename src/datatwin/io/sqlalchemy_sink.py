"""The SQLAlchemy sink: tables in any database SQLAlchemy reaches, in one transaction; PostgreSQL
(with psycopg 3) is bulk-loaded with ``COPY``."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from datatwin.errors import DataError, MissingDependencyError
from datatwin.io.sinks import (
    Sink,
    TableInfo,
    datetime_text,
    datetime_unit,
    tables_exist,
)
from datatwin.io.sql import (
    check_key_targets,
    column_kind,
    parents_first,
    plain,
    python_values,
    reason,
)

if TYPE_CHECKING:
    import sqlalchemy


def _sqlalchemy() -> Any:
    try:
        import sqlalchemy
    except ImportError:
        raise MissingDependencyError(
            "Writing to a database URL needs SQLAlchemy; install it with "
            'pip install "datatwin[sql]".'
        ) from None
    return sqlalchemy


_TRANSACTIONAL_DDL = ("postgresql", "mssql")


class SqlAlchemySink(Sink):
    """Tables in any database SQLAlchemy reaches, in one transaction.

    PostgreSQL through psycopg 3 is loaded with ``COPY`` unless ``use_copy`` is false; its
    foreign keys are added after the load. Elsewhere the keys are part of ``CREATE TABLE``, and
    where the database cannot roll back ``CREATE TABLE`` an abort drops the tables it made.
    """

    def __init__(
        self,
        url: str,
        tables: Sequence[TableInfo],
        *,
        overwrite: bool = False,
        use_copy: bool = True,
    ) -> None:
        super().__init__(tables)
        check_key_targets(self.tables)
        sa = _sqlalchemy()
        self._sa = sa
        try:
            parsed = sa.engine.make_url(url)
        except (sa.exc.ArgumentError, ValueError):
            raise DataError(
                "Cannot read the database URL; write it like "
                "postgresql://user:password@host:5432/database."
            ) from None
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+psycopg")
        self.url = parsed
        self._secret = parsed.password if parsed.password else None
        where = f"database {parsed.database or '(default)'!r}"
        if parsed.host:
            where += f" on {parsed.host}" + (f":{parsed.port}" if parsed.port else "")
        self.where = where
        connect_args: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = 10
        try:
            self._engine = sa.create_engine(
                parsed, poolclass=sa.pool.NullPool, connect_args=connect_args
            )
        except sa.exc.NoSuchModuleError:
            raise DataError(
                f"Unknown kind of database {parsed.drivername!r} in the URL; use for example "
                "postgresql://, mysql:// or sqlite:///."
            ) from None
        except ImportError as exc:
            raise MissingDependencyError(
                f"The database driver for {parsed.drivername}:// URLs is not installed "
                f'({exc}); install it, for PostgreSQL with pip install "datatwin[sql]".'
            ) from None
        try:
            self._conn = self._engine.connect()
        except sa.exc.SQLAlchemyError as exc:
            self._engine.dispose()
            raise DataError(
                f"Cannot connect to the {where} ({reason(exc, self._secret)}); check the URL "
                "and that the server is running."
            ) from None
        self.dialect = self._conn.dialect.name
        self.copy = (
            use_copy and self.dialect == "postgresql" and self._conn.dialect.driver == "psycopg"
        )
        self._trans = self._conn.begin()
        self._metadata = sa.MetaData()
        self._made: dict[str, sqlalchemy.Table] = {}
        try:
            self._replace(overwrite)
        except BaseException:
            self._abort()
            raise

    def _replace(self, overwrite: bool) -> None:
        sa = self._sa
        try:
            inspector = sa.inspect(self._conn)
            clash = [name for name in self.tables if inspector.has_table(name)]
        except sa.exc.SQLAlchemyError as exc:
            raise DataError(
                f"Cannot list the tables of the {self.where}: {reason(exc, self._secret)}."
            ) from None
        if clash and not overwrite:
            raise tables_exist(f"The {self.where}", [(name, "") for name in clash])
        order = [name for name in reversed(parents_first(self.tables)) if name in clash]
        try:
            for name in order:
                if self.dialect == "postgresql":
                    quoted = self._conn.dialect.identifier_preparer.quote(name)
                    self._conn.execute(sa.text(f"DROP TABLE {quoted} CASCADE"))
                else:
                    sa.Table(name, sa.MetaData()).drop(self._conn)
        except sa.exc.SQLAlchemyError as exc:
            raise DataError(
                f"Cannot replace the existing tables in the {self.where}: "
                f"{reason(exc, self._secret)}."
            ) from None

    def _column_type(self, column: pd.Series, kind: str, key: bool) -> Any:
        sa = self._sa
        dtype: Any = column.dtype
        if kind == "bool":
            return sa.Boolean()
        if kind in ("int", "float"):
            numpy_dtype = np.dtype(getattr(dtype, "numpy_dtype", dtype))
            size = numpy_dtype.itemsize * (2 if numpy_dtype.kind == "u" else 1)
            if kind == "float":
                return sa.REAL() if size <= 4 else sa.Double()
            if size <= 2:
                return sa.SmallInteger()
            return sa.Integer() if size <= 4 else sa.BigInteger()
        if kind == "datetime":
            return sa.DateTime(timezone=isinstance(dtype, pd.DatetimeTZDtype))
        if kind == "timedelta":
            return sa.Interval()
        if key and self.dialect not in ("postgresql", "sqlite"):
            return sa.String(255)  # MySQL and others cannot index unbounded text
        return sa.Text()

    def _create(
        self, info: TableInfo, names: list[str], columns: list[pd.Series], kinds: list[str]
    ) -> sqlalchemy.Table:
        sa = self._sa
        keys = {key.column for key in info.foreign_keys} | {info.primary_key}
        items: list[Any] = [
            sa.Column(
                name,
                self._column_type(column, kind, name in keys),
                primary_key=name == info.primary_key,
                autoincrement=False,
            )
            for name, column, kind in zip(names, columns, kinds, strict=True)
        ]
        table = sa.Table(info.name, self._metadata, *items)
        self._made[info.name] = table
        if self.dialect != "postgresql":  # PostgreSQL gets them after the load, in _close
            for key in info.foreign_keys:
                parent = self._parent(info, key)
                table.append_constraint(sa.ForeignKeyConstraint([key.column], [parent]))
        table.create(self._conn)
        return table

    def _parent(self, info: TableInfo, key: Any) -> Any:
        parent = self._made.get(key.parent)
        if parent is None:
            raise DataError(
                f"Table {info.name!r} refers to table {key.parent!r}, which was not written "
                "before it; write parent tables first."
            )
        return parent.c[key.parent_column]

    def _write(self, info: TableInfo, chunk: pd.DataFrame, first: bool) -> None:
        sa = self._sa
        columns = [plain(chunk[name]) for name in chunk.columns]
        kinds = [column_kind(column.dtype) for column in columns]
        try:
            if first:
                table = self._create(info, list(chunk.columns), columns, kinds)
            else:
                table = self._made[info.name]
            if len(chunk) == 0:
                return
            if self.copy:
                self._copy(table, columns, kinds)
            else:
                values = [python_values(c, k) for c, k in zip(columns, kinds, strict=True)]
                names = list(chunk.columns)
                records = [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
                self._conn.execute(table.insert(), records)
        except DataError:
            raise
        except (sa.exc.SQLAlchemyError, *_driver_errors(self.copy)) as exc:
            raise DataError(
                f"Cannot write table {info.name!r} to the {self.where}: "
                f"{reason(exc, self._secret)}."
            ) from None

    def _copy(self, table: sqlalchemy.Table, columns: list[pd.Series], kinds: list[str]) -> None:
        preparer = self._conn.dialect.identifier_preparer
        names = ", ".join(preparer.quote(str(c.name)) for c in table.columns)
        statement = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"
        rows = copy_text(columns[0], kinds[0])
        for column, kind in zip(columns[1:], kinds[1:], strict=True):
            rows = rows + "\t" + copy_text(column, kind)
        payload = ("\n".join(rows.tolist()) + "\n").encode("utf-8")
        raw = self._conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(statement.encode("utf-8")) as copy:
            copy.write(payload)

    def _close(self) -> None:
        sa = self._sa
        for name, info in self.tables.items():
            if name not in self._made:
                continue
            for key in info.foreign_keys:
                parent = self._parent(info, key)
                if self.dialect != "postgresql":
                    continue
                constraint = sa.ForeignKeyConstraint([key.column], [parent])
                self._made[name].append_constraint(constraint)
                try:
                    self._conn.execute(sa.schema.AddConstraint(constraint))
                except sa.exc.SQLAlchemyError as exc:
                    raise DataError(
                        f"Table {name!r} has a value in {key.column!r} with no row in "
                        f"{key.parent}.{key.parent_column} ({reason(exc, self._secret)}); "
                        "nothing was written."
                    ) from None
        try:
            self._trans.commit()
        except sa.exc.SQLAlchemyError as exc:
            raise DataError(
                f"Cannot commit to the {self.where}: {reason(exc, self._secret)}."
            ) from None
        self._conn.close()
        self._engine.dispose()

    def _abort(self) -> None:
        with contextlib.suppress(Exception):
            self._trans.rollback()
        with contextlib.suppress(Exception):
            self._conn.close()
        if self._made and self.dialect not in _TRANSACTIONAL_DDL:
            with contextlib.suppress(Exception), self._engine.begin() as conn:
                for table in reversed(list(self._made.values())):
                    table.drop(conn, checkfirst=True)
        self._engine.dispose()


def _driver_errors(copy: bool) -> tuple[type[BaseException], ...]:
    if not copy:
        return ()
    import psycopg

    return (psycopg.Error,)


_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def copy_text(column: pd.Series, kind: str) -> np.ndarray:
    """PostgreSQL ``COPY`` text of every value of ``column`` (``\\N`` where missing)."""
    missing = column.isna().to_numpy()
    n = len(column)
    if kind == "bool":
        values = column.to_numpy(dtype=bool, na_value=False)
        text = np.where(values, "t", "f").astype(object)
    elif kind == "int":
        if str(column.dtype).lower() == "uint64":
            text = column.to_numpy(dtype=object, na_value=0).astype(str).astype(object)
        else:
            text = column.to_numpy(dtype=np.int64, na_value=0).astype(str).astype(object)
    elif kind == "float":
        numbers = column.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = np.isnan(numbers)
        text = numbers.astype(str).astype(object)
        text[np.isposinf(numbers)] = "Infinity"
        text[np.isneginf(numbers)] = "-Infinity"
    elif kind == "datetime":  # time-zone aware values end with their offset, which COPY reads
        text = datetime_text(column, datetime_unit(column), " ")
    elif kind == "timedelta":
        seconds = column.dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan)
        text = (seconds.astype(str).astype(object) + " seconds") if n else seconds.astype(object)
    else:
        objects = python_values(column, "text")
        strings = ["" if v is None else str(v) for v in objects]
        joined = "".join(strings)
        if any(c in joined for c, _ in _COPY_ESCAPES):
            series = pd.Series(strings, dtype=object)
            for old, new in _COPY_ESCAPES:
                series = series.str.replace(old, new, regex=False)
            strings = series.tolist()
        text = np.asarray(strings, dtype=object) if n else np.empty(0, dtype=object)
    text[missing] = "\\N"
    return text
