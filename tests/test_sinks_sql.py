"""Database sinks: SQLite, SQLAlchemy's generic path, and PostgreSQL.

The PostgreSQL tests run against a real server that the ``postgres_url`` fixture starts
(tests/postgres.py); each test gets a database of its own.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from datatwin.errors import DataError, MissingDependencyError
from datatwin.io.sinks import (
    ForeignKey,
    OutputExistsError,
    TableInfo,
    open_sink,
)
from datatwin.io.sql import sqlite_path
from datatwin.io.sqlalchemy_sink import SqlAlchemySink
from tests.sink_tables import TABLES, bank, fail_midway, listed, one_sentence, write_all, write_bank

# ---- SQLite --------------------------------------------------------------------------------------


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def test_sqlite_path_follows_sqlalchemy() -> None:
    assert sqlite_path("sqlite:///test.db") == "test.db"
    assert sqlite_path("sqlite:////tmp/a b.db") == "/tmp/a b.db"
    for bad in ("sqlite://", "sqlite:///:memory:", "sqlite:///x.db?mode=ro"):
        with pytest.raises(DataError) as caught:
            sqlite_path(bad)
        one_sentence(caught.value)


def test_sqlite_tables_keys_and_rows(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    data = bank()
    with open_sink(sqlite_url(path), TABLES) as sink:
        write_bank(sink, data)
    assert sink.rows == {name: len(df) for name, df in data.items()}
    with sqlite3.connect(path) as db:
        ddl = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
        assert 'PRIMARY KEY ("customer_id")' in ddl["customers"]
        assert 'PRIMARY KEY ("account_id")' in ddl["accounts"]
        assert (
            'FOREIGN KEY ("customer_id") REFERENCES "customers" ("customer_id")' in ddl["accounts"]
        )
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        types = {row[1]: row[2] for row in db.execute("PRAGMA table_info(customers)")}
        assert types == {
            "customer_id": "INTEGER",
            "name": "TEXT",
            "score": "REAL",
            "vip": "INTEGER",
            "joined": "TEXT",
            "visits": "INTEGER",
        }
        for name, expected in data.items():
            (count,) = db.execute(f"SELECT count(*) FROM {name}").fetchone()
            assert count == len(expected)
        back = pd.read_sql_query("SELECT * FROM customers ORDER BY customer_id", db)
        accounts = pd.read_sql_query("SELECT * FROM accounts ORDER BY account_id", db)
    want = data["customers"]
    assert back["customer_id"].tolist() == want["customer_id"].tolist()
    assert listed(back["name"]) == listed(want["name"])
    np.testing.assert_array_equal(back["score"], want["score"])
    assert back["vip"].tolist() == want["vip"].astype(int).tolist()
    joined = want["joined"].dt.strftime("%Y-%m-%d %H:%M:%S")
    assert listed(back["joined"]) == listed(joined)
    assert back["visits"].astype("Int64").tolist() == want["visits"].tolist()
    assert accounts["kind"].tolist() == data["accounts"]["kind"].astype(str).tolist()


def test_sqlite_abort_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE accounts (x INTEGER)")
        db.execute("INSERT INTO accounts VALUES (1), (2)")
    db.close()
    sink = open_sink(sqlite_url(path), TABLES, overwrite=True)
    with pytest.raises(RuntimeError, match="boom"):
        fail_midway(sink, bank())
    with sqlite3.connect(path) as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["accounts"]
        assert db.execute("SELECT x FROM accounts").fetchall() == [(1,), (2,)]
    db.close()
    fresh = tmp_path / "fresh.db"
    sink = open_sink(sqlite_url(fresh), TABLES)
    with pytest.raises(RuntimeError, match="boom"):
        fail_midway(sink, bank())
    assert list(tmp_path.iterdir()) == [path]


def test_sqlite_refuses_existing_tables_unless_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    data = bank()
    with open_sink(sqlite_url(path), TABLES) as sink:
        write_bank(sink, data)
    with pytest.raises(OutputExistsError) as e:
        open_sink(sqlite_url(path), TABLES)
    assert one_sentence(e.value) == (
        f"The database {str(path)!r} already has tables named 'customers' and 'accounts'; "
        "pass overwrite=True to replace them."
    )
    with pytest.raises(OutputExistsError) as e:
        open_sink(sqlite_url(path), TABLES[:1])
    assert one_sentence(e.value) == (
        f"The database {str(path)!r} already has a table named 'customers'; "
        "pass overwrite=True to replace it."
    )
    smaller = bank(10, seed=1)
    with open_sink(sqlite_url(path), TABLES, overwrite=True) as sink:
        write_bank(sink, smaller)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM customers").fetchone() == (10,)
    db.close()


def test_sqlite_checks_foreign_keys_on_close(tmp_path: Path) -> None:
    path = tmp_path / "bank.db"
    data = bank()
    broken = data["accounts"].assign(customer_id=data["accounts"]["customer_id"] + 1000)
    sink = open_sink(sqlite_url(path), TABLES)
    writes = [("customers", data["customers"]), ("accounts", broken)]
    with pytest.raises(DataError, match=r"no row in customers\.customer_id") as caught:
        write_all(sink, writes)
    one_sentence(caught.value)
    assert not path.exists()
    sink = open_sink(sqlite_url(path), TABLES)
    writes = [("customers", data["customers"])] * 2
    with pytest.raises(DataError, match="UNIQUE constraint failed") as caught:
        write_all(sink, writes)
    one_sentence(caught.value)


def test_sqlalchemy_generic_insert_path(tmp_path: Path) -> None:
    """The path every database but PostgreSQL takes, here on SQLite through SQLAlchemy."""
    pytest.importorskip("sqlalchemy")
    path = tmp_path / "generic.db"
    data = bank()
    with SqlAlchemySink(f"sqlite:///{path}", TABLES) as sink:
        write_bank(sink, data)
    with sqlite3.connect(path) as db:
        ddl = dict(db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
        assert "FOREIGN KEY(customer_id) REFERENCES customers (customer_id)" in ddl["accounts"]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("SELECT count(*) FROM accounts").fetchone() == (len(data["accounts"]),)
    db.close()
    with pytest.raises(OutputExistsError) as caught:
        SqlAlchemySink(f"sqlite:///{path}", TABLES)
    assert one_sentence(caught.value) == (
        f"The database {str(path)!r} already has tables named 'customers' and 'accounts'; "
        "pass overwrite=True to replace them."
    )
    sink = SqlAlchemySink(f"sqlite:///{path}", TABLES, overwrite=True)
    with pytest.raises(RuntimeError, match="boom"):
        fail_midway(sink, bank(5))
    with sqlite3.connect(
        path
    ) as db:  # SQLite cannot roll back DDL here: the new tables are dropped
        assert db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall() == []
    db.close()


STAFF = (
    TableInfo("staff", primary_key="id", foreign_keys=(ForeignKey("manager", "staff", "id"),)),
)
STAFF_ROWS = pd.DataFrame({"id": [1, 2, 3, 4], "manager": pd.array([None, 1, 1, 2], dtype="Int64")})


@pytest.mark.parametrize("engine", ["sqlite3", "sqlalchemy"])
def test_sqlite_self_reference(tmp_path: Path, engine: str) -> None:
    url = sqlite_url(tmp_path / "staff.db")
    if engine == "sqlalchemy":
        pytest.importorskip("sqlalchemy")
    sink = open_sink(url, STAFF) if engine == "sqlite3" else SqlAlchemySink(url, STAFF)
    write_all(sink, [("staff", STAFF_ROWS.iloc[:2]), ("staff", STAFF_ROWS.iloc[2:])])
    with sqlite3.connect(tmp_path / "staff.db") as db:
        assert db.execute("PRAGMA foreign_key_list(staff)").fetchone()[2:5] == (
            "staff",
            "manager",
            "id",
        )
        assert db.execute("SELECT manager FROM staff ORDER BY id").fetchall() == [
            (None,),
            (1,),
            (1,),
            (2,),
        ]
    db.close()


def test_database_url_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(DataError, match=r"127\.0\.0\.1:1") as caught:
        open_sink("postgresql://someone:s3cret-pw@127.0.0.1:1/nowhere", TABLES)
    text = one_sentence(caught.value)
    assert "nowhere" in text
    assert "s3cret-pw" not in text
    with pytest.raises(DataError, match="Unknown kind of database"):
        open_sink("nosuchdb://x/y", TABLES)
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    with pytest.raises(MissingDependencyError, match=r'pip install "datatwin\[sql\]"') as caught:
        open_sink("postgresql://localhost/db", TABLES)
    one_sentence(caught.value)


# ---- PostgreSQL ----------------------------------------------------------------------------------


def rows_of(engine: Any, query: str) -> list[tuple[Any, ...]]:
    import sqlalchemy as sa

    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(query))]


@pytest.mark.parametrize("use_copy", [True, False], ids=["copy", "insert"])
def test_postgres_tables_keys_and_rows(pg: Any, use_copy: bool) -> None:
    data = bank()
    url = pg.url.render_as_string(hide_password=False)
    with SqlAlchemySink(url, TABLES, use_copy=use_copy) as sink:
        assert sink.copy is use_copy
        write_bank(sink, data)
    assert sink.rows == {name: len(df) for name, df in data.items()}
    for name, expected in data.items():
        assert rows_of(pg, f"SELECT count(*) FROM {name}") == [(len(expected),)]
    keys = rows_of(
        pg,
        """SELECT tc.table_name, tc.constraint_type, kcu.column_name, ccu.table_name,
                  ccu.column_name
           FROM information_schema.table_constraints tc
           JOIN information_schema.key_column_usage kcu USING (constraint_schema, constraint_name)
           JOIN information_schema.constraint_column_usage ccu
             USING (constraint_schema, constraint_name)
           WHERE tc.constraint_type IN ('PRIMARY KEY', 'FOREIGN KEY')
             AND tc.table_schema = 'public'
           ORDER BY 1, 2""",
    )
    assert keys == [
        ("accounts", "FOREIGN KEY", "customer_id", "customers", "customer_id"),
        ("accounts", "PRIMARY KEY", "account_id", "accounts", "account_id"),
        ("customers", "PRIMARY KEY", "customer_id", "customers", "customer_id"),
    ]
    types = rows_of(
        pg,
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'customers' ORDER BY ordinal_position",
    )
    assert types == [
        ("customer_id", "bigint"),
        ("name", "text"),
        ("score", "double precision"),
        ("vip", "boolean"),
        ("joined", "timestamp without time zone"),
        ("visits", "bigint"),
    ]
    with pg.connect() as conn:
        back = pd.read_sql("SELECT * FROM customers ORDER BY customer_id", conn)
    want = data["customers"]
    assert listed(back["name"]) == listed(want["name"])
    np.testing.assert_array_equal(back["score"], want["score"])
    assert back["vip"].tolist() == want["vip"].tolist()
    assert back["joined"].astype("datetime64[us]").tolist() == want["joined"].tolist()
    assert back["visits"].astype("Int64").tolist() == want["visits"].tolist()


def test_postgres_dtypes_round_trip(pg: Any) -> None:
    table = pd.DataFrame(
        {
            "small": np.array([1, -2, 3], dtype=np.int16),
            "int32": pd.array([1, None, 3], dtype="Int32"),
            "real": np.array([1.5, np.inf, -np.inf], dtype=np.float32),
            "flag": pd.array([True, None, False], dtype="boolean"),
            "aware": pd.to_datetime(
                ["2024-07-01 10:00", None, "2024-01-01 00:00:00.5"], format="ISO8601"
            ).tz_localize("Europe/Oslo"),
            "wait": pd.to_timedelta(["1h", "90s", None]),
            "mixed": pd.Series([1, "two", None], dtype=object),
        }
    )
    url = pg.url.render_as_string(hide_password=False)
    with SqlAlchemySink(url, (TableInfo("odd"),)) as sink:
        sink.write("odd", table)
    types = dict(
        rows_of(
            pg,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'odd'",
        )
    )
    assert types == {
        "small": "smallint",
        "int32": "integer",
        "real": "real",
        "flag": "boolean",
        "aware": "timestamp with time zone",
        "wait": "interval",
        "mixed": "text",
    }
    rows = rows_of(pg, "SELECT small, int32, real, flag, aware, wait, mixed FROM odd")
    assert [r[0] for r in rows] == [1, -2, 3]
    assert [r[1] for r in rows] == [1, None, 3]
    assert [r[2] for r in rows] == [1.5, np.inf, -np.inf]
    assert [r[3] for r in rows] == [True, None, False]
    aware = [None if r[4] is None else pd.Timestamp(r[4]) for r in rows]
    assert aware == [None if pd.isna(v) else v for v in table["aware"]]
    assert [None if r[5] is None else pd.Timedelta(r[5]) for r in rows] == [
        pd.Timedelta("1h"),
        pd.Timedelta("90s"),
        None,
    ]
    assert [r[6] for r in rows] == ["1", "two", None]


def test_postgres_abort_rolls_back(pg: Any) -> None:
    url = pg.url.render_as_string(hide_password=False)
    with SqlAlchemySink(url, TABLES) as sink:
        write_bank(sink, bank(10))
    with pytest.raises(OutputExistsError) as caught:
        open_sink(url, TABLES)
    assert one_sentence(caught.value).endswith(
        "already has tables named 'customers' and 'accounts'; pass overwrite=True to replace them."
    )
    sink = open_sink(url, TABLES, overwrite=True)
    with pytest.raises(RuntimeError, match="boom"):
        fail_midway(sink, bank(30))
    assert rows_of(pg, "SELECT count(*) FROM customers") == [(10,)]
    assert rows_of(
        pg,
        "SELECT count(*) FROM information_schema.table_constraints "
        "WHERE constraint_type = 'FOREIGN KEY'",
    ) == [(1,)]
    with open_sink(url, TABLES, overwrite=True) as sink:
        write_bank(sink, bank(30))
    assert rows_of(pg, "SELECT count(*) FROM customers") == [(30,)]


def test_postgres_key_violations_write_nothing(pg: Any) -> None:
    url = pg.url.render_as_string(hide_password=False)
    data = bank()
    broken = data["accounts"].assign(customer_id=data["accounts"]["customer_id"] + 1000)
    sink = open_sink(url, TABLES)
    writes = [("customers", data["customers"]), ("accounts", broken)]
    with pytest.raises(DataError, match=r"no row in customers\.customer_id") as caught:
        write_all(sink, writes)
    one_sentence(caught.value)
    sink = open_sink(url, TABLES)
    with pytest.raises(DataError, match="duplicate key") as caught:
        write_all(sink, [("customers", data["customers"])] * 2)
    one_sentence(caught.value)
    assert rows_of(
        pg, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
    ) == [(0,)]


def test_postgres_self_reference(pg: Any) -> None:
    url = pg.url.render_as_string(hide_password=False)
    write_all(open_sink(url, STAFF), [("staff", STAFF_ROWS)])
    assert rows_of(pg, "SELECT id, manager FROM staff ORDER BY id") == [
        (1, None),
        (2, 1),
        (3, 1),
        (4, 2),
    ]
    assert rows_of(
        pg,
        "SELECT count(*) FROM information_schema.table_constraints "
        "WHERE constraint_type = 'FOREIGN KEY' AND table_name = 'staff'",
    ) == [(1,)]
