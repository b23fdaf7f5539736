"""Streaming table sinks: folders of CSV / Parquet / JSON lines files, and what every sink
shares (the database sinks: tests/test_sinks_sql.py)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from datatwin.errors import DataError, ParameterError
from datatwin.io.sinks import (
    FolderSink,
    ForeignKey,
    OutputExistsError,
    TableInfo,
    open_sink,
)
from datatwin.io.tables import read_table
from tests.sink_tables import TABLES, bank, fail_midway, listed, one_sentence, write_bank

FORMATS = ["parquet", "csv", "jsonl"]

# ---- folders -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_folder_round_trip(tmp_path: Path, fmt: str) -> None:
    data = bank()
    out = tmp_path / "out"
    with open_sink(out, TABLES, format=fmt) as sink:
        write_bank(sink, data)
    assert sink.rows == {name: len(df) for name, df in data.items()}
    assert sorted(p.name for p in out.iterdir()) == [f"accounts.{fmt}", f"customers.{fmt}"]
    for name, expected in data.items():
        back = read_table(out / f"{name}.{fmt}")
        assert list(back.columns) == list(expected.columns)
        assert len(back) == len(expected)
        for column in expected.columns:
            want, got = expected[column], back[column]
            if column == "joined" and fmt != "parquet":
                sep = "T" if fmt == "jsonl" else " "
                want = want.dt.strftime(f"%Y-%m-%d{sep}%H:%M:%S")
            if column == "name" and fmt == "csv":
                want = want.replace("", None)  # CSV cannot tell an empty text from a missing one
            assert listed(got) == listed(want), (name, column)


def test_parquet_keeps_dtypes(tmp_path: Path) -> None:
    data = bank()
    with open_sink(tmp_path, TABLES) as sink:  # parquet is the default
        write_bank(sink, data, parts=4)
    schema = pq.read_schema(tmp_path / "customers.parquet")
    types = {field.name: str(field.type) for field in schema}
    whole = pa.Schema.from_pandas(data["customers"], preserve_index=False)
    assert types == {field.name: str(field.type) for field in whole}  # as if written at once
    assert types["visits"] == "int64"  # a nullable integer stays an integer
    assert types["vip"] == "bool"
    assert types["joined"].startswith("timestamp[")  # [us] on pandas 3, [ns] on pandas 2
    back = pd.read_parquet(tmp_path / "customers.parquet")
    pd.testing.assert_frame_equal(back, data["customers"])
    back = pd.read_parquet(tmp_path / "accounts.parquet")
    pd.testing.assert_frame_equal(back, data["accounts"].reset_index(drop=True))
    assert pq.ParquetFile(tmp_path / "accounts.parquet").metadata.num_row_groups == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_folder_abort_leaves_nothing(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    sink = open_sink(tmp_path, TABLES, format=fmt)
    with pytest.raises(RuntimeError, match="boom"):
        fail_midway(sink, bank())
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    fresh = tmp_path / "new" / "folder"
    sink = open_sink(fresh, TABLES, format=fmt)
    with pytest.raises(RuntimeError, match="boom"):
        fail_midway(sink, bank())
    assert not fresh.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_folder_refuses_existing_files_unless_overwrite(tmp_path: Path, fmt: str) -> None:
    old = tmp_path / f"accounts.{fmt}"
    old.write_text("old")
    with pytest.raises(OutputExistsError) as caught:
        open_sink(tmp_path, TABLES, format=fmt)
    assert one_sentence(caught.value) == (
        f"The file {str(old)!r} already exists; pass overwrite=True to replace it."
    )
    assert caught.value.advice("--overwrite") == (
        f"The file {str(old)!r} already exists; pass --overwrite to replace it."
    )
    (tmp_path / f"customers.{fmt}").write_text("old")
    with pytest.raises(OutputExistsError) as caught:
        open_sink(tmp_path, TABLES, format=fmt)
    both = " and ".join(repr(str(tmp_path / f"{t}.{fmt}")) for t in ("customers", "accounts"))
    assert one_sentence(caught.value) == (
        f"The files {both} already exist; pass overwrite=True to replace them."
    )
    (tmp_path / f"customers.{fmt}").unlink()
    assert old.read_text() == "old"
    data = bank()
    with open_sink(tmp_path, TABLES, format=fmt, overwrite=True) as sink:
        write_bank(sink, data)
    assert len(read_table(old)) == len(data["accounts"])
    # a table that gets no chunk this time leaves no stale file behind
    with open_sink(tmp_path, TABLES, format=fmt, overwrite=True) as sink:
        sink.write("customers", data["customers"])
    assert not old.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_does_not_depend_on_the_chunk_size(tmp_path: Path, fmt: str) -> None:
    data = bank(200)
    outputs = []
    for size in (7, 64, 1000):
        out = tmp_path / str(size)
        with FolderSink(out, TABLES, format=fmt, row_group_rows=50) as sink:
            for name, df in data.items():
                for start in range(0, len(df), size):
                    sink.write(name, df.iloc[start : start + size])
        outputs.append({p.name: p.read_bytes() for p in out.iterdir()})
    assert outputs[0] == outputs[1] == outputs[2]
    if fmt == "parquet":
        assert pq.ParquetFile(tmp_path / "7" / "accounts.parquet").metadata.num_row_groups == 8


def test_datetime_text_keeps_one_format_per_column(tmp_path: Path) -> None:
    info = (TableInfo("t"),)
    first = pd.DataFrame({"at": pd.to_datetime(["2024-01-01 10:00", "2024-01-02 11:30"])})
    midnight = pd.DataFrame({"at": pd.to_datetime(["2024-01-03 00:00", None])})
    finer = pd.DataFrame({"at": pd.to_datetime(["2024-01-04 12:00:00.250"])})
    dates = pd.DataFrame({"day": pd.to_datetime(["2024-02-01", "2024-02-02"])})
    with open_sink(tmp_path, info, format="csv") as sink:
        for chunk in (first, midnight, finer):
            sink.write("t", chunk)
    assert (tmp_path / "t.csv").read_text().splitlines() == [
        "at",
        "2024-01-01 10:00:00",
        "2024-01-02 11:30:00",
        "2024-01-03 00:00:00",
        '""',  # pandas' CSV writes a row of one missing value so
        "2024-01-04 12:00:00.250",  # never cut: a value that needs more digits gets them
    ]
    with open_sink(tmp_path / "d", info, format="jsonl") as sink:
        sink.write("t", dates)
    assert (tmp_path / "d" / "t.jsonl").read_text().splitlines() == [
        '{"day":"2024-02-01"}',
        '{"day":"2024-02-02"}',
    ]
    aware = pd.DataFrame({"at": pd.to_datetime(["2024-07-01 10:00"]).tz_localize("Europe/Oslo")})
    with open_sink(tmp_path / "z", info, format="csv") as sink:
        sink.write("t", aware)
    assert (tmp_path / "z" / "t.csv").read_text().splitlines()[1] == "2024-07-01 10:00:00+02:00"


def test_bad_use_is_one_clear_sentence(tmp_path: Path) -> None:
    data = bank()
    with open_sink(tmp_path / "a", TABLES) as sink:
        with pytest.raises(DataError, match="not one of the tables") as caught:
            sink.write("nope", data["customers"])
        one_sentence(caught.value)
        sink.write("customers", data["customers"].iloc[:5])
        with pytest.raises(DataError, match="same columns") as caught:
            sink.write("customers", data["customers"].iloc[5:, ::-1])
        one_sentence(caught.value)
        wrong = data["customers"].iloc[5:].assign(customer_id="x")
        with pytest.raises(DataError, match="column types") as caught:
            sink.write("customers", wrong)
        one_sentence(caught.value)
        with pytest.raises(DataError, match="no column 'customer_id'"):
            sink.write("accounts", data["accounts"].drop(columns="customer_id"))
    with pytest.raises(DataError, match="already closed"):
        sink.write("customers", data["customers"])
    with pytest.raises(ParameterError, match="Unknown output format") as caught:
        open_sink(tmp_path / "b", TABLES, format="xlsx")
    one_sentence(caught.value)
    with pytest.raises(ParameterError, match="only to a folder"):
        open_sink("sqlite:///x.db", TABLES, format="csv")
    orphan = (TableInfo("child", foreign_keys=(ForeignKey("p", "missing", "id"),)),)
    with pytest.raises(DataError, match="not one of the tables written") as caught:
        open_sink(tmp_path / "c", orphan)
    one_sentence(caught.value)
    with pytest.raises(DataError, match=r"give sqlite:///.*x\.db instead") as caught:
        open_sink(tmp_path / "x.db", TABLES)
    one_sentence(caught.value)
    with pytest.raises(DataError, match="listed twice"):
        open_sink(tmp_path / "c", (TableInfo("t"), TableInfo("t")))
    with pytest.raises(DataError, match="cannot be a file name"):
        open_sink(tmp_path / "c", (TableInfo("../t"),))
    (tmp_path / "d" / "customers.csv").mkdir(parents=True)
    with pytest.raises(DataError) as caught:
        open_sink(tmp_path / "d", TABLES, format="csv", overwrite=True)
    assert not isinstance(caught.value, OutputExistsError)  # overwriting would not help
    assert one_sentence(caught.value) == (
        f"Cannot write table 'customers' to {str(tmp_path / 'd' / 'customers.csv')!r}: a folder "
        "of that name is in the way; move it or choose another output folder."
    )
    assert not (tmp_path / "b").exists()
    assert not (tmp_path / "c").exists()
