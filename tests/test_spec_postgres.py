"""``datatwin generate`` into real databases: a PostgreSQL server the tests start, and SQLite.

The tables must exist with their primary and foreign keys declared, hold exactly the rows that
``dt.generate`` makes for the same spec, rows and seed, and have no orphan foreign key.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

import datatwin as dt
from datatwin.cli.generate import table_infos
from datatwin.spec import Spec
from tests.conftest import ok

BANK = Path(__file__).resolve().parents[1] / "examples" / "specs" / "bank.yaml"
ROWS = {"customers": 200, "merchants": 300}
SEED = 4


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec.load(BANK)


@pytest.fixture(scope="module")
def expected(spec: Spec) -> dict[str, int]:
    """Rows per table that ``dt.generate`` makes for the same spec, rows and seed."""
    return {name: len(df) for name, df in dt.generate(spec, rows=ROWS, seed=SEED).items()}


def generate_into(target: str) -> None:
    rows = [f"--rows={table}={n}" for table, n in ROWS.items()]
    ok("generate", BANK, "-o", target, *rows, "--seed", str(SEED), "--chunk-rows", "5000")


PRIMARY = {
    "customers": "customer_id",
    "accounts": "account_id",
    "transactions": "transaction_id",
    "merchants": "merchant_id",
}
FOREIGN = {  # (table, column, parent table, parent column), as bank.yaml declares them
    ("accounts", "customer_id", "customers", "customer_id"),
    ("transactions", "account_id", "accounts", "account_id"),
    ("transactions", "merchant_id", "merchants", "merchant_id"),
}


def declared_keys(spec: Spec) -> tuple[dict[str, str], set[tuple[str, str, str, str]]]:
    """The keys the output declares for ``spec``: those of bank.yaml."""
    infos = table_infos(spec)
    assert {info.name: info.primary_key for info in infos} == PRIMARY
    assert {
        (info.name, key.column, key.parent, key.parent_column)
        for info in infos
        for key in info.foreign_keys
    } == FOREIGN
    return PRIMARY, FOREIGN


def test_generate_into_postgres(pg: Any, spec: Spec, expected: dict[str, int]) -> None:
    import sqlalchemy as sa

    generate_into(pg.url.render_as_string(hide_password=False))
    primary, foreign = declared_keys(spec)
    with pg.connect() as conn:

        def rows(query: str) -> list[tuple[Any, ...]]:
            return [tuple(row) for row in conn.execute(sa.text(query))]

        tables = {
            r[0]
            for r in rows(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
        assert tables == set(spec.tables)
        for table, count in expected.items():
            assert rows(f'SELECT count(*) FROM "{table}"') == [(count,)], table
        keys = rows(
            "SELECT tc.table_name, kcu.column_name FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage kcu "
            "ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema "
            "WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = 'public'"
        )
        assert dict(keys) == primary
        references = rows(
            "SELECT tc.table_name, kcu.column_name, ccu.table_name, ccu.column_name "
            "FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage kcu "
            "ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema "
            "JOIN information_schema.constraint_column_usage ccu "
            "ON tc.constraint_name = ccu.constraint_name AND tc.table_schema = ccu.table_schema "
            "WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = 'public'"
        )
        assert set(references) == foreign
        for child, column, parent, key in foreign:
            orphans = rows(
                f'SELECT count(*) FROM "{child}" c LEFT JOIN "{parent}" p '
                f'ON c."{column}" = p."{key}" WHERE c."{column}" IS NOT NULL AND p."{key}" IS NULL'
            )
            assert orphans == [(0,)], (child, column)
        assert rows('SELECT count(*) FROM "transactions"')[0][0] > 1000


def test_generate_into_sqlite(tmp_path: Path, spec: Spec, expected: dict[str, int]) -> None:
    path = tmp_path / "bank.db"
    generate_into(f"sqlite:///{path}")
    primary, foreign = declared_keys(spec)
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert tables == set(spec.tables)
        found: set[tuple[str, str, str, str]] = set()
        for table, count in expected.items():
            assert conn.execute(f'SELECT count(*) FROM "{table}"').fetchone() == (count,)
            pk = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")') if r[5] > 0]
            assert pk == [primary[table]], table
            found |= {
                (table, r[3], r[2], r[4])
                for r in conn.execute(f'PRAGMA foreign_key_list("{table}")')
            }
        assert found == foreign
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for child, column, parent, key in foreign:
            orphans = conn.execute(
                f'SELECT count(*) FROM "{child}" c LEFT JOIN "{parent}" p '
                f'ON c."{column}" = p."{key}" WHERE c."{column}" IS NOT NULL AND p."{key}" IS NULL'
            ).fetchone()
            assert orphans == (0,), (child, column)
