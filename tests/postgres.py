"""A throwaway PostgreSQL server for the tests, from Debian's server binaries.

``running_postgres()`` runs ``initdb`` into a new temporary folder, starts the server on a free
TCP port of 127.0.0.1 (its socket in that folder, no fsync), and yields the URL of its ``postgres``
database (trust authentication, user ``postgres``); it stops the server and removes the folder at
the end. PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user (which
Debian's package creates) through ``runuser``. ``scripts/test`` installs the package when missing.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["find_binaries", "running_postgres"]


def find_binaries() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: Debian's newest, else the ones on the PATH."""

    def version(path: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", Path(path).parent.parent.name))

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _runner() -> tuple[list[str], int | None, int | None]:
    """The command prefix that runs as a non-root user, and that user's uid and gid."""
    if os.geteuid() != 0:
        return [], None, None
    for user in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(user)
            if shutil.which("runuser"):
                return ["runuser", "-u", user, "--"], entry.pw_uid, entry.pw_gid
            return ["su", user, "-s", "/bin/sh", "-c"], entry.pw_uid, entry.pw_gid
    raise RuntimeError("PostgreSQL cannot run as root and there is no postgres or nobody user.")


def _run(prefix: list[str], command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    full = [*prefix, shlex.join(command)] if prefix[:1] == ["su"] else [*prefix, *command]
    return subprocess.run(full, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


@contextlib.contextmanager
def running_postgres(binaries: Path) -> Iterator[str]:
    """Start a server with the binaries in ``binaries``; yield its URL; stop it."""
    prefix, uid, gid = _runner()
    root = Path(tempfile.mkdtemp(prefix="datatwin-pg-"))
    data = root / "data"
    try:
        if uid is not None and gid is not None:
            os.chown(root, uid, gid)
        done = _run(
            prefix,
            [
                str(binaries / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            root,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed: {done.stderr.strip() or done.stdout.strip()}")
        for _ in range(3):  # another process may take the free port between the probe and start
            port = _free_port()
            options = (
                f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off"
            )
            pg_ctl = str(binaries / "pg_ctl")
            log = root / "server.log"
            done = _run(
                prefix,
                [pg_ctl, "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start"],
                root,
            )
            if done.returncode == 0:
                break
        else:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else done.stderr
            raise RuntimeError(f"PostgreSQL did not start: {tail.strip()}")
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            _run(prefix, [pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
