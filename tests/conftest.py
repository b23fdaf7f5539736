"""Shared fixtures: small tables made here or read from ../shared/datasets when it is present."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from datatwin.cli.main import cli

# The suite draws the same examples on every run, so that CI passes or fails on the code alone;
# DATATWIN_HYPOTHESIS=explore draws new random examples on each run, to hunt for bugs.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("DATATWIN_HYPOTHESIS", "ci"))

SHARED = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def mixed_table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A small table with one column of every kind datatwin knows, with gaps and dependence."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    income = np.round(age * 900 + rng.normal(0, 8000, n), 2)
    income[rng.random(n) < 0.1] = np.nan
    group = np.where(age > 45, "senior", np.where(age > 30, "mid", "junior"))
    start = pd.Timestamp("2020-01-01")
    joined = (start + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")).strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "id": np.arange(1000, 1000 + n),
            "age": age,
            "income": income,
            "group": group,
            "member": rng.random(n) < 0.3,
            "joined": joined,
            "score": pd.array(np.where(rng.random(n) < 0.2, None, rng.integers(0, 5, n)), "Int64"),
            "email": [f"person{i}@mail{i % 7}.org" for i in range(n)],
            "country": "NO",
            "nothing": np.full(n, np.nan),
        }
    )


@pytest.fixture
def mixed() -> pd.DataFrame:
    return mixed_table()


@pytest.fixture(scope="session")
def adult() -> pd.DataFrame:
    """The bundled Adult sample (always present, shipped with the package)."""
    from datatwin.demo import bundled_table

    return bundled_table()


def shared_table(name: str) -> pd.DataFrame:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} is not present")
    return pd.read_csv(path)


def invoke(*args: str | Path) -> Result:
    """Run the CLI in process; an exception escaping a command would be a traceback for a user."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    return result


def ok(*args: str | Path) -> Result:
    """Run the CLI and require success."""
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a throwaway PostgreSQL server's database (tests/postgres.py), for the session."""
    from tests.postgres import find_binaries, running_postgres

    binaries = find_binaries()
    if binaries is None:
        pytest.skip(
            "PostgreSQL's server binaries (initdb, pg_ctl) are not installed; "
            "scripts/test installs Debian's postgresql package"
        )
    with running_postgres(binaries) as url:
        yield url


_databases = itertools.count()


@pytest.fixture
def pg(postgres_url: str) -> Iterator[Any]:
    """A fresh database on the session's PostgreSQL server; yields a SQLAlchemy engine for it."""
    sa = pytest.importorskip("sqlalchemy")
    server = sa.create_engine(
        postgres_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
    )
    name = f"test_{next(_databases)}"
    with server.connect() as conn:
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    engine = sa.create_engine(
        postgres_url.rsplit("/", 1)[0] + f"/{name}", poolclass=sa.pool.NullPool
    )
    yield engine
    engine.dispose()
    with server.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE {name}"))
    server.dispose()
