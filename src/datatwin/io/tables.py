"""Read and write tables by file extension: ``.csv``, ``.parquet`` and ``.jsonl``.

Reading keeps each column's kind faithfully (whole numbers with gaps stay whole numbers, using
pandas' nullable dtypes), so that a CSV written back looks like the one read. Writing goes through a
temporary file and a rename: a failed write never leaves a half-written or clobbered file.
"""

from __future__ import annotations

import csv
import json
import os
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from datatwin.errors import DataError
from datatwin.io.atomic import atomic_path, check_writable
from datatwin.io.jsonl import write_jsonl

__all__ = [
    "TABLE_FORMATS",
    "ParquetChunkWriter",
    "read_table",
    "table_format",
    "write_table",
    "write_table_chunks",
]

TABLE_FORMATS = (".csv", ".parquet", ".jsonl")


def table_format(path: str | os.PathLike[str]) -> str:
    """The table format of ``path`` from its extension, or :class:`DataError`."""
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_FORMATS:
        shown = suffix or "no extension"
        raise DataError(
            f"Cannot tell the format of {str(path)!r} ({shown}); use a file ending in "
            f"{', '.join(TABLE_FORMATS[:-1])} or {TABLE_FORMATS[-1]}."
        )
    return suffix


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """The table at ``path``; every problem with the file is a :class:`DataError`."""
    suffix = table_format(path)
    source = Path(path)
    if not source.exists():
        raise DataError(f"File {str(path)!r} does not exist; check the path.")
    if source.is_dir():
        raise DataError(f"{str(path)!r} is a folder; give the path of a table file.")
    if source.stat().st_size == 0:
        raise DataError(f"File {str(path)!r} is empty; give a table with a header and rows.")
    readers: dict[str, Callable[[Path], pd.DataFrame]] = {
        ".csv": _read_csv,
        ".parquet": _read_parquet,
        ".jsonl": _read_jsonl,
    }
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas' parser warnings become our errors below
            return readers[suffix](source)
    except DataError:
        raise
    except UnicodeDecodeError:
        raise DataError(
            f"File {str(path)!r} is not UTF-8 text (is it binary, or in another encoding?); "
            "save it as UTF-8."
        ) from None
    except PermissionError:
        raise DataError(f"File {str(path)!r} cannot be read: permission denied.") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"File {str(path)!r} cannot be read as {suffix[1:]}: {reason}.") from None


def _read_csv(path: Path) -> pd.DataFrame:
    with path.open(encoding="utf-8", newline="") as handle:
        sample = handle.read(65536)
    if "\x00" in sample:
        raise DataError(f"File {str(path)!r} looks binary, not CSV text; give a CSV file.")
    header = next(csv.reader([sample.splitlines()[0] if sample else ""]), [])
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise DataError(f"File {str(path)!r} has duplicate column names {duplicates}; rename them.")
    try:
        return pd.read_csv(path, dtype_backend="numpy_nullable", encoding="utf-8")
    except pd.errors.ParserError as exc:
        raise DataError(
            f"File {str(path)!r} has a row with more fields than its header "
            f"({_line_info(exc)}); fix that row."
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"File {str(path)!r} has no columns; give a table with a header.") from None


def _line_info(exc: Exception) -> str:
    """pandas' "Error tokenizing data. C error: Expected 2 fields in line 3, saw 3" → the end."""
    text = str(exc).strip().rstrip(".")
    start = text.find("Expected")
    return text[start:] if start >= 0 else text


def _read_parquet(path: Path) -> pd.DataFrame:
    with path.open("rb") as handle:
        if handle.read(4) != b"PAR1":
            raise DataError(f"File {str(path)!r} is not a Parquet file; check the file.")
    return pd.read_parquet(path, dtype_backend="numpy_nullable")


def _read_jsonl(path: Path) -> pd.DataFrame:
    """One JSON object per line, read with Python's exact parser (pandas' rounds big integers and
    tiny floats); ``Infinity`` and ``NaN`` are accepted, as Python and pandas write them."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(
                    f"File {str(path)!r} cannot be read as jsonl: line {number} is not valid JSON "
                    f"({exc.msg}); fix that line."
                ) from None
            if not isinstance(row, dict):
                raise DataError(
                    f"File {str(path)!r} cannot be read as jsonl: line {number} is not a JSON "
                    'object; write one object per line, like {"a": 1, "b": "x"}.'
                )
            rows.append(row)
    if not rows:
        raise DataError(f"File {str(path)!r} has no rows; give one JSON object per line.")
    names = list(dict.fromkeys(name for row in rows for name in row))
    return pd.DataFrame({name: _json_column([row.get(name) for row in rows]) for name in names})


def _json_column(values: list[object]) -> pd.Series:
    """A column of parsed JSON values in the dtype ``read_csv`` would give (integers exactly)."""
    present = [v for v in values if v is not None]
    if present and all(type(v) is int and -(2**63) <= v < 2**63 for v in present):
        return pd.Series(values, dtype="Int64")  # exact: the parsed ints, not through float64
    return pd.Series(values, dtype=object).convert_dtypes(dtype_backend="numpy_nullable")


def write_table(df: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write ``df`` to ``path`` in the format its extension names, atomically."""
    suffix = table_format(path)
    target = Path(path)
    check_writable(target)
    with atomic_path(target) as tmp:
        if suffix == ".csv":
            df.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
        elif suffix == ".parquet":
            _arrow_ready(df).to_parquet(tmp, index=False)
        else:
            with tmp.open("w", encoding="utf-8", newline="") as handle:
                write_jsonl(df, handle)


def write_table_chunks(
    chunks: Iterable[pd.DataFrame],
    path: str | os.PathLike[str],
    on_chunk: Callable[[int], None] | None = None,
) -> None:
    """Write data frames one after another as one table, atomically; memory stays one chunk."""
    suffix = table_format(path)
    target = Path(path)
    check_writable(target)
    with atomic_path(target) as tmp:
        if suffix == ".parquet":
            _write_parquet_chunks(chunks, tmp, on_chunk)
            return
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            for i, chunk in enumerate(chunks):
                if suffix == ".csv":
                    chunk.to_csv(handle, index=False, header=i == 0, lineterminator="\n")
                else:
                    write_jsonl(chunk, handle)
                if on_chunk is not None:
                    on_chunk(len(chunk))


def _write_parquet_chunks(
    chunks: Iterable[pd.DataFrame], tmp: Path, on_chunk: Callable[[int], None] | None
) -> None:
    writer = ParquetChunkWriter(tmp)
    try:
        for chunk in chunks:
            writer.write(chunk)
            if on_chunk is not None:
                on_chunk(len(chunk))
    finally:
        writer.close()


class ParquetChunkWriter:
    """One Parquet file written a data frame at a time; memory stays one chunk.

    The first chunk with rows fixes the file's schema and later chunks are cast to it (object
    columns that mix value types become text, as in :func:`write_table`). Empty chunks before it
    fix nothing; if no chunk has rows, the last empty one gives the schema. Each chunk is a row
    group of its own, unless ``row_group_rows`` is given: then rows are buffered into row groups
    of exactly that many (the last one smaller), so that the file's bytes do not depend on how
    the rows were cut into chunks. Call :meth:`close` to finish the file.
    """

    def __init__(self, path: Path, row_group_rows: int | None = None) -> None:
        self.path = Path(path)
        self.row_group_rows = row_group_rows
        self._writer: Any = None
        self._empty: pd.DataFrame | None = None
        self._pending: list[Any] = []
        self._pending_rows = 0

    def write(self, chunk: pd.DataFrame) -> None:
        """Append ``chunk``; a ``pyarrow`` error when it cannot be cast to the first's types."""
        if self._writer is None and len(chunk) == 0:
            self._empty = chunk
            return
        self._write(chunk)

    def _write(self, chunk: pd.DataFrame) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        writer = self._writer
        text: list[str] = (
            []
            if writer is None
            else [f.name for f in writer.schema if f.type in (pa.string(), pa.large_string())]
        )
        table = pa.Table.from_pandas(
            _arrow_ready(chunk, text),
            preserve_index=False,
            schema=writer.schema if writer is not None else None,
        )
        if writer is None:
            # dictionary-encode text and categories only: trying it on every float column is most
            # of the write time for numeric tables, and rarely makes their files smaller
            coded = [
                f.name
                for f in table.schema
                if pa.types.is_string(f.type)
                or pa.types.is_large_string(f.type)
                or pa.types.is_dictionary(f.type)
                or pa.types.is_boolean(f.type)
            ]
            writer = self._writer = pq.ParquetWriter(
                self.path, table.schema, use_dictionary=coded or False
            )
        size = self.row_group_rows
        if size is None:
            writer.write_table(table)
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        while self._pending_rows >= size:
            whole = pa.concat_tables(self._pending)
            self._flush(whole.slice(0, size))
            rest = whole.slice(size)
            self._pending = [rest] if rest.num_rows else []
            self._pending_rows = rest.num_rows

    def _flush(self, table: Any) -> None:
        """One row group from ``table``, its columns in one piece (pages then fall the same)."""
        self._writer.write_table(table.combine_chunks(), row_group_size=table.num_rows or 1)

    def close(self) -> None:
        """Finish the file (footer and metadata); further calls do nothing."""
        if self._writer is None and self._empty is not None:
            self._write(self._empty)
        self._empty = None
        if self._writer is not None:
            if self._pending_rows:
                import pyarrow as pa

                self._flush(pa.concat_tables(self._pending))
            self._pending, self._pending_rows = [], 0
            writer, self._writer = self._writer, None
            writer.close()


def _arrow_ready(df: pd.DataFrame, text: list[str] | None = None) -> pd.DataFrame:
    """``df`` with object columns that mix value types (1, "a", 2.5) written as text.

    Parquet holds one type per column; text keeps every value readable. Columns named in
    ``text`` become text too (a later chunk must match the first chunk's types).
    """
    mixed = {}
    for name in df.columns:
        column = df[name]
        if column.dtype != object:
            continue
        kind = pd.api.types.infer_dtype(column, skipna=True)  # in C: no loop over the values
        if kind in ("string", "empty"):
            continue
        present = column[column.notna()]
        types = {type(v) for v in present.tolist()}
        if len(types) > 1 or (text and name in text and types and types != {str}):
            mixed[name] = present.astype(str).reindex(column.index)
    if not mixed:
        return df
    out = df.copy()
    for name, values in mixed.items():
        out[name] = values.astype(object).where(values.notna(), None)
    return out
