"""JSON lines written by datatwin read back with every value: full precision, infinities, gaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import datatwin as dt


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jsonl")


@settings(max_examples=60, deadline=None)
@given(
    numbers=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=20),
    text=st.text(min_size=0, max_size=8),
)
def test_floats_and_text_read_back_exactly(folder: Path, numbers: list[float], text: str) -> None:
    n = len(numbers)
    frame = pd.DataFrame(
        {
            "x": np.array(numbers, dtype=np.float64),
            "s": pd.Series([text if i % 2 else None for i in range(n)], dtype=object),
        }
    )
    path = folder / "t.jsonl"
    dt.write_table(frame, path)
    back = dt.read_table(path)
    got = back["x"].to_numpy(dtype=np.float64, na_value=np.nan)
    np.testing.assert_array_equal(got, frame["x"].to_numpy())  # NaN == NaN here, inf kept
    assert [None if pd.isna(v) else v for v in back["s"]] == frame["s"].tolist()


def test_integers_booleans_and_datetimes(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "i": pd.array([2**62 + 1, None, -3], dtype="Int64"),
            "b": pd.array([True, None, False], dtype="boolean"),
            "t": pd.to_datetime(
                ["2020-01-01 00:00:00.123456789", None, "1999-12-31"], format="ISO8601"
            ),
        }
    )
    path = tmp_path / "t.jsonl"
    dt.write_table(frame, path)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == '{"i":4611686018427387905,"b":true,"t":"2020-01-01T00:00:00.123456789"}'
    assert lines[1] == '{"i":null,"b":null,"t":null}'
    back = dt.read_table(path)
    pdt.assert_series_equal(back["i"], frame["i"])
