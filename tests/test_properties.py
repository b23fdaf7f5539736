"""Invariants that hold for any table: round trips, output shape, ranges, reproducibility."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import datatwin as dt
from datatwin.evaluate import column_pairs, column_shapes
from datatwin.transforms import TableCodec
from tests.strategies import frames

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GENERATED = ("id", "pii")


@SETTINGS
@given(frames())
def test_schema_json_round_trip(df: pd.DataFrame) -> None:
    schema = dt.detect_schema(df)
    assert dt.Schema.from_json(schema.to_json()).to_dict() == schema.to_dict()


@SETTINGS
@given(frames())
def test_codec_round_trip_is_exact(df: pd.DataFrame) -> None:
    schema = dt.detect_schema(df)
    codec = TableCodec.fit(schema, df)
    parts = {p.key: p.data for p in codec.encode(df)}
    out = codec.decode(parts, len(df), np.random.default_rng(0))
    kept = [c.name for c in schema if c.kind not in GENERATED]
    pdt.assert_frame_equal(out[kept], df[kept])
    pdt.assert_series_equal(out.dtypes, df.dtypes)


@SETTINGS
@given(frames(), st.sampled_from([0, 1, 17]))
def test_samples_keep_the_table_shape_and_ranges(df: pd.DataFrame, n: int) -> None:
    schema = dt.detect_schema(df)
    out = dt.synthesizer("copula", seed=0).fit(df).sample(n, seed=1)
    assert list(out.columns) == list(df.columns)
    assert len(out) == n
    pdt.assert_series_equal(out.dtypes, df.dtypes)
    for column in schema:
        real, synthetic = df[column.name], out[column.name]
        if column.kind == "numeric":
            finite = np.isfinite(synthetic.to_numpy(dtype=float, na_value=np.nan))
            values = synthetic.to_numpy(dtype=float, na_value=np.nan)[finite]
            assert np.all((values >= column.min) & (values <= column.max))
        if column.kind in ("categorical", "boolean", "constant"):
            assert set(synthetic.dropna()) <= set(real.dropna())
        if column.kind not in GENERATED and not real.isna().any():
            assert not synthetic.isna().any()


@SETTINGS
@given(frames())
def test_same_seed_same_rows_and_files_reload(df: pd.DataFrame) -> None:
    first = dt.synthesizer("copula", seed=3).fit(df)
    second = dt.synthesizer("copula", seed=3).fit(df)
    pdt.assert_frame_equal(first.sample(25, seed=2), second.sample(25, seed=2))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.dtw"
        first.save(path)
        pdt.assert_frame_equal(dt.load(path).sample(25, seed=2), first.sample(25, seed=2))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_any_damage_to_a_model_file_is_refused(data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.dtw"
        dt.synthesizer("copula", seed=0).fit(pd.DataFrame({"a": [1, 2, 3], "b": list("xyz")})).save(
            path
        )
        blob = path.read_bytes()
        if data.draw(st.booleans()):
            cut = data.draw(st.integers(0, len(blob) - 1))
            damaged = blob[:cut]
        else:
            at = data.draw(st.integers(0, len(blob) - 1))
            flip = data.draw(st.integers(1, 255))
            damaged = blob[:at] + bytes([blob[at] ^ flip]) + blob[at + 1 :]
        path.write_bytes(damaged)
        try:
            dt.load(path)
        except dt.ModelFileError:
            return
        raise AssertionError("a damaged model file was loaded")


@SETTINGS
@given(frames())
def test_similarity_scores_are_in_range_and_perfect_for_a_copy(df: pd.DataFrame) -> None:
    out = dt.synthesizer("copula", seed=0).fit(df).sample(30, seed=0)
    for scores in (column_shapes(df, out), column_pairs(df, out)):
        assert all(0.0 <= s <= 1.0 for s in scores.values())
    assert all(s == 1.0 for s in column_shapes(df, df.copy()).values())
    assert all(abs(s - 1.0) < 1e-12 for s in column_pairs(df, df.copy()).values())
