"""Write files so that a crash or a bad input never leaves a half-written or lost file behind."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

from datatwin.errors import DataError

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "check_writable"]


def check_writable(target: Path) -> None:
    """Fail with one clear sentence when ``target`` cannot be written as a file."""
    target = Path(target)
    if target.is_dir():
        raise DataError(f"Cannot write {target}: it is a folder; give a file name instead.")
    parent = target.parent
    if not parent.is_dir():
        raise DataError(
            f"Cannot write {target}: the folder {parent} does not exist; create it first."
        )


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target`` in one rename.

    On any error the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    check_writable(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    tmp.touch(exist_ok=False)  # the umask's permissions, unlike mkstemp's 0600
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _write(target: Path, writer: Callable[[Path], object]) -> None:
    with atomic_path(target) as tmp:
        writer(tmp)


def atomic_write_bytes(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` through a temporary file and a rename."""
    _write(target, lambda tmp: tmp.write_bytes(data))


def atomic_write_text(target: Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``target`` through a temporary file and a rename."""
    _write(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))
