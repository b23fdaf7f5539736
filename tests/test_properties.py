"""Invariants that hold for any table: round trips, output shape and ranges, reproducibility, files.

Tables come from :mod:`tests.strategies`; each property states what must hold for every one of
them. Files are written under a session-scoped temporary folder because hypothesis runs many
examples inside one call of a test (function-scoped fixtures would be shared between them).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import datatwin as dt
from datatwin.evaluate import column_pairs, column_shapes
from datatwin.io.modelfile import read_model, write_model
from datatwin.transforms import TableCodec
from datatwin.transforms.codecs import PRECISION_NS
from tests.strategies import EXACT_KINDS, KINDS, frames

GENERATED = ("id", "pii")  # kinds that are made up on output, never copied
SIZES = (0, 1, 17)

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# mixed tables repeat what the one-kind tests find; shrinking one failure is enough there
MIXED = settings(SLOW, report_multiple_bugs=False)


def round_trip(df: pd.DataFrame) -> tuple[dt.Schema, pd.DataFrame]:
    """The schema of ``df`` and ``df`` encoded and decoded again by a codec fitted on it."""
    schema = dt.detect_schema(df)
    codec = TableCodec.fit(schema, df)
    parts = {p.key: p.data for p in codec.encode(df)}
    return schema, codec.decode(parts, len(df), np.random.default_rng(0))


def modelled(schema: dt.Schema) -> list[str]:
    return [c.name for c in schema if c.kind not in GENERATED]


def as_stamps(series: pd.Series, column: dt.Column) -> pd.Series:
    """A datetime column's values as timestamps (string columns parsed in their format)."""
    if column.format is not None:
        return pd.to_datetime(series, format=column.format)
    return series


@pytest.fixture(scope="session")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("properties")


# --- schema -----------------------------------------------------------------------------------


@FAST
@given(frames())
def test_schema_json_round_trip(df: pd.DataFrame) -> None:
    schema = dt.detect_schema(df)
    assert schema.names == list(df.columns)
    assert dt.Schema.from_json(schema.to_json()).to_dict() == schema.to_dict()


# --- codec ------------------------------------------------------------------------------------


@FAST
@given(frames())
def test_codec_part_keys_are_unique(df: pd.DataFrame) -> None:
    schema = dt.detect_schema(df)
    keys = [p.key for p in TableCodec.fit(schema, df).encode(df)]
    assert len(set(keys)) == len(keys), keys


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_codec_round_trip_is_exact_for_each_kind(kind: str, data: st.DataObject) -> None:
    df = data.draw(frames(kinds=[kind], max_columns=3, twins=False), label="df")
    schema, out = round_trip(df)
    kept = modelled(schema)
    assert list(out.columns) == list(df.columns)
    # gaps, values, dtypes: each on its own line, so that hypothesis reports each failure apart
    pdt.assert_frame_equal(out[kept].isna(), df[kept].isna())
    exact = [name for name in kept if not beyond_float(schema[name], df[name])]
    pdt.assert_frame_equal(out[exact], df[exact], check_exact=True, check_dtype=False)
    for name in set(kept) - set(exact):  # documented: float64 precision, 2**-52 of the range
        got, want = as_int64(out[name]), as_int64(df[name])
        size = float(np.abs(want).max()) if schema[name].kind == "numeric" else np.ptp(want)
        np.testing.assert_allclose(got, want, rtol=0, atol=size * 2.0**-52)
    pdt.assert_series_equal(out.dtypes, df.dtypes)


def as_int64(series: pd.Series) -> np.ndarray:
    """Integers, or datetimes as nanoseconds, without the missing values."""
    present = series.dropna()
    if pd.api.types.is_datetime64_any_dtype(present.dtype):
        return pd.DatetimeIndex(present).as_unit("ns").asi8.astype(np.float64)
    return present.to_numpy(dtype=np.float64)


def beyond_float(column: dt.Column, series: pd.Series) -> bool:
    """Whether a column needs more than a float64's 53 bits: integers beyond 2**53 in size and
    datetimes spanning 2**53 steps of their precision are kept to float precision, not exactly
    (see README.md, "What comes back")."""
    present = series.dropna()
    if column.kind == "numeric" and pd.api.types.is_integer_dtype(present.dtype) and len(present):
        return bool(np.abs(present.to_numpy(dtype=np.float64)).max() >= 2**53)
    if column.kind == "datetime" and column.format is None and len(present):
        ns = pd.DatetimeIndex(present).as_unit("ns").asi8
        step = PRECISION_NS[column.precision or "ns"]
        return (int(ns.max()) - int(ns.min())) // step >= 2**53
    return False


@settings(FAST, report_multiple_bugs=False)
@given(frames(kinds=EXACT_KINDS))
def test_codec_round_trip_is_exact_for_mixed_tables(df: pd.DataFrame) -> None:
    schema, out = round_trip(df)
    kept = modelled(schema)
    assert list(out.columns) == list(df.columns)
    pdt.assert_frame_equal(out[kept].isna(), df[kept].isna())
    pdt.assert_frame_equal(out[kept], df[kept], check_exact=True, check_dtype=False)
    pdt.assert_series_equal(out.dtypes, df.dtypes)


# --- the copula's samples ---------------------------------------------------------------------


def check_sample(df: pd.DataFrame, schema: dt.Schema, out: pd.DataFrame, n: int) -> None:
    """Everything a sample of ``n`` rows from a model of ``df`` must satisfy."""
    assert len(out) == n
    assert list(out.columns) == list(df.columns)
    pdt.assert_index_equal(out.index, pd.RangeIndex(n))
    for column in schema:
        real, synthetic = df[column.name], out[column.name]
        if not real.isna().any():
            assert not synthetic.isna().any(), f"{column.name!r} ({column.kind}) got nulls"
        if column.kind == "numeric":
            real_values = real.to_numpy(dtype=np.float64, na_value=np.nan)
            values = synthetic.to_numpy(dtype=np.float64, na_value=np.nan)
            finite, real_finite = values[np.isfinite(values)], real_values[np.isfinite(real_values)]
            if len(finite):
                assert real_finite.min() <= finite.min(), column.name
                assert finite.max() <= real_finite.max(), column.name
            assert set(values[np.isinf(values)]) <= set(real_values[np.isinf(real_values)])
            if column.decimals is not None:  # no more decimals than the real values have
                assert np.all(finite == np.round(finite, column.decimals)), column.name
        if column.kind in ("categorical", "boolean", "constant"):
            assert set(synthetic.dropna()) <= set(real.dropna()), column.name
        if column.kind == "datetime":
            stamps, real_stamps = as_stamps(synthetic, column), as_stamps(real, column)
            if stamps.notna().any():
                assert real_stamps.min() <= stamps.min(), column.name
                assert stamps.max() <= real_stamps.max(), column.name
    pdt.assert_series_equal(out.dtypes, df.dtypes)  # last, so that value failures show apart


def check_copula(df: pd.DataFrame) -> None:
    model = dt.synthesizer("copula", seed=0).fit(df)
    for n in SIZES:
        out = model.sample(n, seed=n)
        check_sample(df, model.schema_, out, n)
    scores = column_shapes(df, out, model.schema_)
    assert all(0.0 <= s <= 1.0 for s in scores.values()), scores


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_copula_samples_of_each_kind_keep_dtypes_ranges_and_categories(
    kind: str, data: st.DataObject
) -> None:
    check_copula(data.draw(frames(kinds=[kind], max_columns=3, twins=False), label="df"))


@MIXED
@given(frames())
def test_copula_samples_of_mixed_tables_keep_dtypes_ranges_and_categories(df: pd.DataFrame) -> None:
    check_copula(df)


# --- reproducibility --------------------------------------------------------------------------


@SLOW
@given(frames(max_rows=30))
def test_same_data_and_seed_give_the_same_rows(df: pd.DataFrame) -> None:
    first = dt.synthesizer("copula", seed=3).fit(df)
    second = dt.synthesizer("copula", seed=3).fit(df.copy())
    seeded = first.sample(17, seed=2)
    pdt.assert_frame_equal(seeded, second.sample(17, seed=2), check_exact=True)
    unseeded = first.sample(17)  # without a seed, the model's own seed decides
    pdt.assert_frame_equal(unseeded, second.sample(17), check_exact=True)
    first.fit(df)  # fitting again learns the same model and starts the unseeded draws over
    pdt.assert_frame_equal(first.sample(17, seed=2), seeded, check_exact=True)
    pdt.assert_frame_equal(first.sample(17), unseeded, check_exact=True)


@SLOW
@given(frames(max_rows=30))
def test_a_saved_and_loaded_model_samples_the_same_rows(folder: Path, df: pd.DataFrame) -> None:
    path = folder / "model.dtw"
    model = dt.synthesizer("copula", seed=5).fit(df)
    model.save(path)
    loaded = dt.load(path)
    for n in SIZES:
        pdt.assert_frame_equal(loaded.sample(n, seed=7), model.sample(n, seed=7), check_exact=True)


# --- model files ------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(df=frames(max_rows=12, max_columns=3), data=st.data())
def test_any_damage_to_a_model_file_is_refused(
    folder: Path, df: pd.DataFrame, data: st.DataObject
) -> None:
    path = folder / "damaged.dtw"
    dt.synthesizer("copula", seed=0).fit(df).save(path)
    blob = path.read_bytes()
    if data.draw(st.booleans(), label="truncate"):
        damaged = blob[: data.draw(st.integers(0, len(blob) - 1), label="length")]
    else:
        at = data.draw(st.integers(0, len(blob) - 1), label="position")
        flip = data.draw(st.integers(1, 255), label="xor")
        damaged = blob[:at] + bytes([blob[at] ^ flip]) + blob[at + 1 :]
    path.write_bytes(damaged)
    with pytest.raises(dt.ModelFileError):
        dt.load(path)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=("Cs",)), max_size=5), inner, max_size=3
        )
    ),
    max_leaves=10,
)
ARRAY_DTYPES = ("<f8", "<f4", "<i8", "<i4", "<i2", "|i1", "|u1", "|b1", "<u4", "<u8", ">f8", ">i4")
ARRAYS = st.dictionaries(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=6),
    st.sampled_from(ARRAY_DTYPES).flatmap(
        lambda d: hnp.arrays(d, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    ),
    max_size=4,
)


@settings(max_examples=60, deadline=None)
@given(params=st.dictionaries(st.text(max_size=5), JSON, max_size=3), state=JSON, arrays=ARRAYS)
def test_model_file_round_trip(folder: Path, params: dict, state: object, arrays: dict) -> None:
    path = folder / "raw.dtw"
    schema = {"columns": [{"name": "ø", "kind": "numeric"}]}
    write_model(
        path,
        synthesizer="copula",
        params=params,
        schema=schema,
        codec=[],
        state=state,
        arrays=arrays,
    )
    manifest, read = read_model(path)
    assert (manifest["params"], manifest["state"], manifest["schema"]) == (params, state, schema)
    assert read.keys() == arrays.keys()  # in any order
    for name, array in arrays.items():
        expected = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        assert read[name].dtype == expected.dtype
        assert read[name].shape == expected.shape
        assert read[name].tobytes() == expected.tobytes()  # bit for bit: NaN payloads, -0.0


# --- evaluation -------------------------------------------------------------------------------


def others(df: pd.DataFrame) -> list[pd.DataFrame]:
    """Tables to compare ``df`` with, made without a model so that only the scores are tested.

    Its rows drawn again with replacement, each column drawn on its own (which breaks the pairs),
    and its first row alone.
    """
    rows = df.sample(len(df) + 7, replace=True, random_state=0).reset_index(drop=True)
    columns = pd.DataFrame(
        {
            name: df[name].sample(len(df), replace=True, random_state=i).reset_index(drop=True)
            for i, name in enumerate(df.columns)
        }
    )
    return [rows, columns, df.head(1)]


@settings(FAST, max_examples=100)
@given(frames())
def test_column_shapes_are_in_range_and_perfect_for_a_copy(df: pd.DataFrame) -> None:
    assert all(s == 1.0 for s in column_shapes(df, df.copy()).values())
    for other in others(df):
        scores = column_shapes(df, other)
        assert all(0.0 <= s <= 1.0 for s in scores.values()), scores


@settings(FAST, max_examples=100)
@given(frames())
def test_column_pairs_are_in_range_and_perfect_for_a_copy(df: pd.DataFrame) -> None:
    assert all(math.isclose(s, 1.0) for s in column_pairs(df, df.copy()).values())
    for other in others(df):
        scores = column_pairs(df, other)
        assert all(0.0 <= s <= 1.0 for s in scores.values()), scores
