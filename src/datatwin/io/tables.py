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

import numpy as np
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

    Columns are dictionary-encoded when the first row group repeats its values (see
    :func:`dictionary_columns`); the choice is made once, from rows that do not depend on how
    the table was cut into chunks when ``row_group_rows`` is given.
    """

    def __init__(self, path: Path, row_group_rows: int | None = None) -> None:
        self.path = Path(path)
        self.row_group_rows = row_group_rows
        self._schema: Any = None
        self._writer: Any = None
        self._empty: pd.DataFrame | None = None
        self._pending: list[Any] = []
        self._pending_rows = 0

    def write(self, chunk: pd.DataFrame) -> None:
        """Append ``chunk``; a ``pyarrow`` error when it cannot be cast to the first's types."""
        if self._schema is None and len(chunk) == 0:
            self._empty = chunk
            return
        self._write(chunk)

    def _write(self, chunk: pd.DataFrame) -> None:
        import pyarrow as pa

        schema = self._schema
        if schema is None:
            table = pa.Table.from_pandas(_arrow_ready(chunk), preserve_index=False)
            self._schema = table.schema
        else:
            text = [f.name for f in schema if f.type in (pa.string(), pa.large_string())]
            table = _to_arrow(_arrow_ready(chunk, text), schema)
        size = self.row_group_rows
        if size is None:
            self._writer_for(table).write_table(table)
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        while self._pending_rows >= size:
            whole = pa.concat_tables(self._pending)
            self._flush(whole.slice(0, size))
            rest = whole.slice(size)
            self._pending = [rest] if rest.num_rows else []
            self._pending_rows = rest.num_rows

    def _writer_for(self, table: Any) -> Any:
        """The file's writer, opened for ``table``'s rows (the first written) if not yet."""
        if self._writer is None:
            import pyarrow.parquet as pq

            coded = dictionary_columns(table)
            self._writer = pq.ParquetWriter(
                self.path,
                table.schema,
                use_dictionary=coded or False,
                compression=compression_of(table, coded),
            )
        return self._writer

    def _flush(self, table: Any) -> None:
        """One row group from ``table``, its columns in one piece (pages then fall the same)."""
        whole = table.combine_chunks()
        self._writer_for(whole).write_table(whole, row_group_size=table.num_rows or 1)

    def close(self) -> None:
        """Finish the file (footer and metadata); further calls do nothing."""
        if self._schema is None and self._empty is not None:
            self._write(self._empty)
        self._empty = None
        if self._schema is None:
            return
        import pyarrow as pa

        if self._pending_rows:
            self._flush(pa.concat_tables(self._pending))
        self._writer_for(self._schema.empty_table())  # no rows at all: the schema alone
        self._pending, self._pending_rows, self._schema = [], 0, None
        writer, self._writer = self._writer, None
        writer.close()


DICTIONARY_SHARE = 0.5
INCOMPRESSIBLE = 0.9


def dictionary_columns(table: Any) -> list[str]:
    """The columns of ``table`` worth dictionary-encoding in Parquet.

    Categories always; other columns (but booleans) whose distinct values number at most
    :data:`DICTIONARY_SHARE` of ``table``'s rows (first names, cities, whole numbers, rounded
    amounts). Columns of mostly distinct values (measurements, e-mails, IBANs) are written
    plain: pyarrow would build a dictionary for them only to drop it, which costs more time
    than the rest of their writing and gives larger files.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    coded = []
    limit = DICTIONARY_SHARE * table.num_rows
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_boolean(field.type):  # bit-packed: Parquet has no dictionary for them
            continue
        if pa.types.is_dictionary(field.type):
            coded.append(field.name)
            continue
        try:
            distinct = pc.count_distinct(column, mode="all").as_py()
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
            continue
        if distinct <= limit:
            coded.append(field.name)
    return coded


def compression_of(table: Any, coded: list[str]) -> dict[str, str]:
    """Snappy for each column of ``table``, but none for fixed-width columns written plain (not
    in ``coded``) whose values snappy cannot shrink below :data:`INCOMPRESSIBLE` of their size
    (random measurements): compressing them costs time and saves nothing."""
    import pyarrow as pa

    out = {}
    for field, column in zip(table.schema, table.columns, strict=True):
        out[field.name] = "snappy"
        fixed = pa.types.is_integer(field.type) or pa.types.is_floating(field.type)
        fixed = fixed or pa.types.is_temporal(field.type)
        if field.name in coded or not fixed or column.num_chunks != 1 or column.null_count:
            continue
        array = column.chunk(0)
        width = field.type.bit_width // 8
        values = array.buffers()[1].slice(array.offset * width, len(array) * width)
        if values.size < 4096:
            continue
        packed = pa.compress(values, codec="snappy", asbytes=True)
        if len(packed) > INCOMPRESSIBLE * values.size:
            out[field.name] = "none"
    return out


def _to_arrow(df: pd.DataFrame, schema: Any) -> Any:
    """``df`` as an Arrow table of ``schema`` (the first chunk's, with its pandas metadata).

    Numeric and boolean numpy columns of the schema's type are handed to Arrow as they are (a
    float column's NaN becoming null, as pandas means it); any other column goes through
    pyarrow's pandas conversion, which raises when it cannot be cast. This is what
    ``Table.from_pandas(df, schema=schema)`` does, without its per-column type inference and
    NaN scan over columns that have none.
    """
    import pyarrow as pa

    if list(df.columns) != schema.names or not df.columns.is_unique:
        return pa.Table.from_pandas(df, preserve_index=False, schema=schema)
    arrays = []
    for field in schema:
        column = df[field.name]
        dtype = column.dtype
        if (
            isinstance(dtype, np.dtype)
            and dtype.kind in "biuf"
            and pa.from_numpy_dtype(dtype) == field.type
        ):
            values = column.to_numpy()
            mask = np.isnan(values) if dtype.kind == "f" else None
            arrays.append(pa.array(values, mask=mask if mask is not None and mask.any() else None))
        else:
            arrays.append(pa.array(column, type=field.type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


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
