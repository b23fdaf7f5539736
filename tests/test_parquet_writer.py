"""The Parquet chunk writer: types kept across chunks, its dictionary choice, bytes that do not
depend on how the rows were cut."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datatwin.io.tables import ParquetChunkWriter, dictionary_columns


def frame(n: int, start: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(start)
    rows = np.arange(start, start + n)
    return pd.DataFrame(
        {
            "measure": rng.normal(size=n),
            "count": rng.poisson(3, n),
            "flag": rng.random(n) < 0.3,
            "tier": pd.Categorical(rng.choice(["a", "b", "c"], n), categories=["a", "b", "c"]),
            "email": [f"user{i}@example.org" for i in rows],
            "city": pd.array(rng.choice(["Oslo", "Bergen", "Tromsø"], n), dtype="str"),
        }
    )


def write(path: Path, chunks: list[pd.DataFrame], row_group_rows: int | None = None) -> None:
    writer = ParquetChunkWriter(path, row_group_rows)
    for chunk in chunks:
        writer.write(chunk)
    writer.close()


def encodings(path: Path) -> dict[str, set[str]]:
    meta = pq.ParquetFile(path).metadata.row_group(0)
    return {
        meta.column(i).path_in_schema: set(meta.column(i).encodings)
        for i in range(meta.num_columns)
    }


def test_repeated_values_get_a_dictionary_and_distinct_ones_do_not(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    write(path, [frame(5000), frame(5000, 5000)], row_group_rows=4096)
    found = encodings(path)
    for name in ("count", "tier", "city"):
        assert "RLE_DICTIONARY" in found[name], name
    for name in ("measure", "flag", "email"):
        assert "RLE_DICTIONARY" not in found[name], name
    table = pa.Table.from_pandas(frame(4096), preserve_index=False)
    assert dictionary_columns(table) == ["count", "tier", "city"]
    meta = pq.ParquetFile(path).metadata.row_group(0)
    compression = {meta.column(i).path_in_schema: meta.column(i).compression for i in range(6)}
    assert compression["measure"] == "UNCOMPRESSED"  # random doubles: snappy cannot shrink them
    assert {compression[n] for n in ("count", "flag", "tier", "email", "city")} == {"SNAPPY"}


def test_later_chunks_keep_the_first_chunks_types(tmp_path: Path) -> None:
    first = pd.DataFrame({"x": [1.5, 2.5], "n": [1, 2], "s": ["a", "b"]})
    later = pd.DataFrame({"x": [np.nan, 4.0], "n": [3, 4], "s": [None, "d"]})
    whole_numbers = pd.DataFrame({"x": [5, 6], "n": [5, 6], "s": ["e", "f"]})
    mixed = pd.DataFrame({"x": [7.0, 8.0], "n": [7, 8], "s": [1, "g"]})
    path = tmp_path / "t.parquet"
    write(path, [first, later, whole_numbers, mixed])
    table = pq.read_table(path)
    assert table.schema.field("x").type == pa.float64()
    assert table.column("x").to_pylist() == [1.5, 2.5, None, 4.0, 5.0, 6.0, 7.0, 8.0]
    assert table.column("n").to_pylist() == [1, 2, 3, 4, 5, 6, 7, 8]
    assert table.column("s").to_pylist() == ["a", "b", None, "d", "e", "f", "1", "g"]


def test_a_chunk_that_cannot_take_the_first_chunks_types_is_refused(tmp_path: Path) -> None:
    writer = ParquetChunkWriter(tmp_path / "t.parquet")
    writer.write(pd.DataFrame({"n": [1, 2]}))
    with pytest.raises(pa.ArrowInvalid):
        writer.write(pd.DataFrame({"n": ["one", "two"]}))
    writer.close()


@pytest.mark.parametrize("row_group_rows", [None, 100])
def test_no_rows_still_make_a_file_with_the_columns(tmp_path: Path, row_group_rows: int) -> None:
    path = tmp_path / "t.parquet"
    write(path, [frame(0), frame(0)], row_group_rows)
    table = pq.read_table(path)
    assert table.num_rows == 0
    assert table.column_names == list(frame(0).columns)


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(0, 700), max_size=6), rows=st.integers(1, 700))
def test_the_bytes_do_not_depend_on_the_chunks(
    tmp_path_factory: pytest.TempPathFactory, cuts: list[int], rows: int
) -> None:
    folder = tmp_path_factory.mktemp("chunks")
    whole = frame(rows)
    edges = sorted({0, rows, *(c for c in cuts if c < rows)})
    pieces = [whole.iloc[a:b] for a, b in itertools.pairwise(edges)] or [whole]
    write(folder / "one.parquet", [whole], row_group_rows=256)
    write(folder / "cut.parquet", pieces, row_group_rows=256)
    assert (folder / "one.parquet").read_bytes() == (folder / "cut.parquet").read_bytes()
    back = pd.read_parquet(folder / "cut.parquet")
    pd.testing.assert_frame_equal(back, whole, check_dtype=False)
