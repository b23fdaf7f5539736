"""Bad input: each case works as a user would expect, or ends with one clear sentence."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import datatwin as dt
from tests.conftest import invoke, ok

FORMATS = [".csv", ".parquet", ".jsonl"]


def fails_cleanly(args: tuple[str | Path, ...], *needles: str) -> str:
    """Exit status 1 and exactly one "Error: ..." line on stderr that contains every needle."""
    result = invoke(*args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    line = lines[0]
    assert line.startswith("Error: "), line
    assert "Unexpected internal error" not in line, line
    assert ".tmp" not in line, line  # the user never named a temporary file
    for needle in needles:
        assert needle in line, line
    return line


# --- files that cannot be read as tables ----------------------------------------------------------

FILES: dict[str, Callable[[Path], object]] = {
    "empty.csv": lambda p: p.write_bytes(b""),
    "header.csv": lambda p: p.write_text("a,b\n"),
    "binary.csv": lambda p: p.write_bytes(bytes(range(256)) * 20),
    "random.csv": lambda p: p.write_bytes(np.random.default_rng(1).bytes(5000)),
    "nul.csv": lambda p: p.write_bytes(b"a,b\n\x00\x01,2\n"),
    "latin1.csv": lambda p: p.write_bytes("name,x\nJos\xe9,1\nZo\xeb,2\n".encode("latin-1")),
    "ragged.csv": lambda p: p.write_text("a,b\n1,2\n3,4,5\n"),
    "duplicate.csv": lambda p: p.write_text("a,b,a\n1,2,3\n"),
    "table.xlsx": lambda p: p.write_text("a\n1\n"),
    "noextension": lambda p: p.write_text("a\n1\n"),
    "broken.parquet": lambda p: p.write_text("not parquet"),
    "broken.jsonl": lambda p: p.write_text('{"a": 1}\n{"a": \n'),
    "missing.csv": lambda p: None,
    "folder.csv": lambda p: p.mkdir(),
}
MESSAGES: dict[str, tuple[str, ...]] = {
    "empty.csv": ("empty.csv", "is empty"),
    "header.csv": ("has no rows",),
    "binary.csv": ("binary.csv", "not UTF-8"),
    "random.csv": ("random.csv", "not UTF-8"),
    "nul.csv": ("nul.csv", "binary"),
    "latin1.csv": ("latin1.csv", "not UTF-8"),
    "ragged.csv": ("ragged.csv", "more fields than its header", "line 3"),
    "duplicate.csv": ("duplicate.csv", "duplicate column names ['a']"),
    "table.xlsx": ("table.xlsx", "Cannot tell the format", ".xlsx"),
    "noextension": ("noextension", "Cannot tell the format"),
    "broken.parquet": ("broken.parquet", "not a Parquet file"),
    "broken.jsonl": ("broken.jsonl", "cannot be read as jsonl"),
    "missing.csv": ("missing.csv", "does not exist"),
    "folder.csv": ("folder.csv", "is a folder"),
}


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("command", ["schema", "fit"])
def test_unusable_data_files(tmp_path: Path, name: str, command: str) -> None:
    path = tmp_path / name
    FILES[name](path)
    model = tmp_path / "m.dtw"
    args = (command, path, "-o", model) if command == "fit" else (command, path)
    fails_cleanly(args, *MESSAGES[name])
    assert not model.exists()


def test_a_byte_order_mark_is_not_part_of_the_first_name(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufeffa,b\n1,x\n2,y\n".encode())
    assert [c["name"] for c in json.loads(ok("schema", path).stdout)["columns"]] == ["a", "b"]


def test_a_short_row_is_missing_values(tmp_path: Path) -> None:
    path = tmp_path / "short.csv"
    path.write_text("a,b\n1,2\n3\n5,6\n")
    out = _fit_sample_file(path, tmp_path, 50)
    assert list(out.columns) == ["a", "b"]


# --- awkward but usable columns -------------------------------------------------------------------


def _fit_sample_file(data: Path, tmp_path: Path, n: int, target: str = ".csv") -> pd.DataFrame:
    model, out = tmp_path / "m.dtw", tmp_path / f"out{target}"
    ok("fit", data, "-o", model, "--seed", "0")
    ok("sample", model, "-n", str(n), "-o", out, "--seed", "1")
    return dt.read_table(out)


def _fit_sample(
    frame: pd.DataFrame, tmp_path: Path, n: int = 200, source: str = ".csv", target: str = ".csv"
) -> pd.DataFrame:
    data = tmp_path / f"data{source}"
    dt.write_table(frame, data)
    return _fit_sample_file(data, tmp_path, n, target)


def test_an_all_null_column(tmp_path: Path) -> None:
    frame = pd.DataFrame({"all_null": [None] * 100, "x": np.arange(100)})
    out = _fit_sample(frame, tmp_path, 300)
    assert list(out.columns) == ["all_null", "x"]
    assert len(out) == 300
    assert out["all_null"].isna().all()


def test_a_constant_column(tmp_path: Path) -> None:
    frame = pd.DataFrame({"constant": ["same"] * 100, "number": [7] * 100, "x": np.arange(100)})
    out = _fit_sample(frame, tmp_path, 300)
    assert (out["constant"] == "same").all()
    assert (out["number"] == 7).all()


def test_a_mixed_type_column_in_csv(tmp_path: Path) -> None:
    words = ["a", "1", "2.5", "b", "x y"]
    out = _fit_sample(pd.DataFrame({"mixed": words * 60}), tmp_path, 500)
    assert set(out["mixed"].astype(str)) == set(words)


@pytest.mark.parametrize("target", FORMATS)
def test_a_mixed_type_column_in_jsonl(tmp_path: Path, target: str) -> None:
    """JSON lines can hold numbers and words in one field; every output format must cope."""
    values: list[object] = [1, "a", 2.5, "b", None]
    data = tmp_path / "mixed.jsonl"
    rows = [json.dumps({"mixed": v, "k": i % 3}) for i, v in enumerate(values * 40)]
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = _fit_sample_file(data, tmp_path, 300, target)
    assert list(out.columns) == ["mixed", "k"]
    assert set(out["mixed"].dropna().astype(str)) <= {"1", "a", "2.5", "b"}


UNICODE = pd.DataFrame(
    {
        "名前": ["Ünïcödé", "日本語", "emoji 🎉", "plain", "Ωmega"] * 40,
        "Ünïcödé": np.arange(200) % 17,
        "🎉": np.linspace(-1, 1, 200).round(4),
    }
)


@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("target", FORMATS)
def test_unicode_names_and_values_round_trip(tmp_path: Path, source: str, target: str) -> None:
    out = _fit_sample(UNICODE, tmp_path, 300, source, target)
    assert list(out.columns) == ["名前", "Ünïcödé", "🎉"]
    assert set(out["名前"]) <= set(UNICODE["名前"])
    assert "emoji 🎉" in set(out["名前"])


@pytest.mark.parametrize("target", FORMATS)
def test_infinite_values(tmp_path: Path, target: str) -> None:
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "pos": np.where(rng.random(n) < 0.2, np.inf, rng.normal(size=n).round(3)),
            "neg": np.where(rng.random(n) < 0.1, -np.inf, rng.normal(size=n).round(3)),
        }
    )
    out = _fit_sample(frame, tmp_path, 1000, ".csv", target)
    pos, neg = out["pos"].astype(float), out["neg"].astype(float)
    # an infinity written out as a missing value would be a silent change of the data
    assert not pos.isna().any(), f"{pos.isna().sum()} of {len(pos)} values came back missing"
    assert not neg.isna().any(), f"{neg.isna().sum()} of {len(neg)} values came back missing"
    assert np.isposinf(pos).mean() == pytest.approx(0.2, abs=0.07)
    assert np.isneginf(neg).mean() == pytest.approx(0.1, abs=0.06)
    assert not np.isneginf(pos).any()
    assert not np.isposinf(neg).any()


def test_twenty_thousand_unique_keys_are_made_up(tmp_path: Path) -> None:
    keys = [str(uuid.UUID(int=i * 7919 + 1, version=4)) for i in range(20_000)]
    frame = pd.DataFrame({"key": keys, "value": np.arange(20_000) % 7})
    out = _fit_sample(frame, tmp_path, 20_000)
    assert len(out) == 20_000
    assert out["key"].is_unique
    assert not set(out["key"]) & set(keys)
    assert out["key"].str.len().eq(36).all()
    assert set(out["value"]) <= set(range(7))


def test_single_row_table(tmp_path: Path) -> None:
    out = _fit_sample(pd.DataFrame({"a": [3], "b": ["x"], "c": [1.25]}), tmp_path, 4)
    assert out.to_dict("list") == {"a": [3] * 4, "b": ["x"] * 4, "c": [1.25] * 4}


# --- sample requests and model files --------------------------------------------------------------


@pytest.fixture
def model(tmp_path: Path) -> Path:
    data, path = tmp_path / "d.csv", tmp_path / "m.dtw"
    pd.DataFrame({"a": [1, 2, 3, 4], "b": ["x", "y", "x", "z"]}).to_csv(data, index=False)
    ok("-q", "fit", data, "-o", path, "--seed", "0")
    return path


def test_negative_rows_is_a_usage_error(model: Path, tmp_path: Path) -> None:
    result = invoke("sample", model, "-n", "-5", "-o", tmp_path / "o.csv")
    assert result.exit_code == 2
    assert "-5 is not in the range x>=0" in result.stderr
    assert not (tmp_path / "o.csv").exists()
    assert invoke("sample", model, "-n", "many", "-o", tmp_path / "o.csv").exit_code == 2


def test_zero_rows_writes_just_the_header(model: Path, tmp_path: Path) -> None:
    ok("sample", model, "-n", "0", "-o", tmp_path / "o.csv")
    assert (tmp_path / "o.csv").read_text() == "a,b\n"


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip(position: float) -> Callable[[Path], None]:
    """Flip one bit at ``position`` (a share of the file's length; -1 means the last byte)."""

    def flip(path: Path) -> None:
        blob = bytearray(path.read_bytes())
        blob[-1 if position < 0 else int(len(blob) * position)] ^= 0x01
        path.write_bytes(bytes(blob))

    return flip


BAD_MODELS: dict[str, tuple[Callable[[Path], object], tuple[str, ...]]] = {
    "truncated": (_truncate, ("truncated",)),
    "flipped in the middle": (_flip(0.5), ("altered",)),
    "flipped in the manifest": (_flip(0.1), ("altered",)),
    "flipped in the checksum": (_flip(-1), ("altered",)),
    "foreign": (
        lambda p: p.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 8),
        ("not a datatwin",),
    ),
    "empty": (lambda p: p.write_bytes(b""), ("not a datatwin",)),
    "magic only": (lambda p: p.write_bytes(b"DATATWIN"), ("truncated",)),
    "csv text": (lambda p: p.write_text("a,b\n1,2\n"), ("not a datatwin",)),
    "folder": (lambda p: (p.unlink(), p.mkdir()), ("is a folder",)),
    "missing": (lambda p: p.unlink(), ("does not exist",)),
}


@pytest.mark.parametrize("case", sorted(BAD_MODELS))
def test_bad_model_files_are_rejected(model: Path, tmp_path: Path, case: str) -> None:
    spoil, needles = BAD_MODELS[case]
    spoil(model)
    out = tmp_path / "o.csv"
    fails_cleanly(("sample", model, "-n", "5", "-o", out), model.name, *needles)
    assert not out.exists()
    with pytest.raises(dt.ModelFileError):
        dt.load(model)


def test_a_csv_given_as_the_model(tmp_path: Path) -> None:
    table = tmp_path / "table.csv"
    table.write_text("a,b\n1,2\n")
    fails_cleanly(
        ("sample", table, "-n", "5", "-o", tmp_path / "o.csv"), "table.csv", "not a datatwin model"
    )


# --- where output goes ----------------------------------------------------------------------------


def test_sample_into_bad_places(model: Path, tmp_path: Path) -> None:
    fails_cleanly(("sample", model, "-n", "5", "-o", tmp_path / "o.txt"), "o.txt", "format")
    fails_cleanly(("sample", model, "-n", "5", "-o", tmp_path / "no" / "o.csv"), "does not exist")
    (tmp_path / "dir.csv").mkdir()
    fails_cleanly(("sample", model, "-n", "5", "-o", tmp_path / "dir.csv"), "dir.csv", "folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "dir.csv", "m.dtw"]


@pytest.mark.parametrize("command", ["fit", "schema"])
def test_output_into_a_folder_that_does_not_exist(tmp_path: Path, command: str) -> None:
    data = tmp_path / "d.csv"
    pd.DataFrame({"a": [1, 2, 3]}).to_csv(data, index=False)
    target = tmp_path / "nowhere" / ("m.dtw" if command == "fit" else "s.json")
    fails_cleanly((command, data, "-o", target), "nowhere", "does not exist")
    assert not target.parent.exists()


@pytest.mark.parametrize("command", ["fit", "schema"])
def test_output_onto_a_folder(tmp_path: Path, command: str) -> None:
    data = tmp_path / "d.csv"
    pd.DataFrame({"a": [1, 2, 3]}).to_csv(data, index=False)
    target = tmp_path / ("m.dtw" if command == "fit" else "s.json")
    target.mkdir()
    fails_cleanly((command, data, "-o", target), target.name, "folder")
    assert target.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", target.name]


def test_a_failed_sample_leaves_an_existing_output_alone(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    out.write_text("precious\n")
    bad_model = tmp_path / "m.dtw"
    bad_model.write_bytes(b"DATATWIN" + b"\x00" * 40)
    fails_cleanly(("sample", bad_model, "-n", "5", "-o", out), "m.dtw", "damaged")
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.dtw", "o.csv"]


def test_a_failed_sample_from_a_cut_model_leaves_an_existing_output_alone(
    model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "o.parquet"
    ok("sample", model, "-n", "10", "-o", out, "--seed", "1")
    before = out.read_bytes()
    _truncate(model)
    fails_cleanly(("sample", model, "-n", "50", "-o", out), "truncated")
    assert out.read_bytes() == before


def test_a_failed_fit_leaves_an_existing_model_alone(model: Path, tmp_path: Path) -> None:
    before = model.read_bytes()
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    fails_cleanly(("fit", empty, "-o", model), "is empty")
    fails_cleanly(("fit", tmp_path / "d.csv", "-o", model, "-p", "quantiles=-3"), "quantiles")
    assert model.read_bytes() == before
    schema = tmp_path / "s.json"
    schema.write_text("{}")
    fails_cleanly(("schema", empty, "-o", schema), "is empty")
    assert schema.read_text() == "{}"


# --- schema files ---------------------------------------------------------------------------------


def _schema(*columns: dict[str, object], **top: object) -> str:
    return json.dumps({"format": "datatwin-schema", "version": 1, "columns": list(columns), **top})


A = {"name": "a", "kind": "numeric", "dtype": "int64"}
B = {"name": "b", "kind": "categorical", "dtype": "string"}

BAD_SCHEMAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "malformed": ('{"format": "datatwin-schema", "columns": [', ("not valid JSON",)),
    "not an object": ("[1, 2]", ("JSON object",)),
    "wrong format": (
        '{"format": "sdv", "version": 1, "columns": []}',
        ("not a datatwin schema", "'sdv'"),
    ),
    "newer version": (_schema(A, B, version=3), ("version 3",)),
    "missing column": (
        _schema(A, B, {"name": "zzz", "kind": "numeric", "dtype": "int64"}),
        ("does not match the table", "'zzz'"),
    ),
    "column left out": (_schema(A), ("does not match the table", "'b'")),
    "unknown kind": (_schema({**A, "kind": "weird"}, B), ("kind 'weird'", "'a'")),
    "unknown field": (_schema({**A, "colour": "red"}, B), ("unknown field", "colour")),
    "no columns": ('{"format": "datatwin-schema", "version": 1}', ("'columns'",)),
    "wrong kind for values": (_schema(A, {**B, "kind": "numeric"}), ("'b'", "not numbers")),
}


@pytest.mark.parametrize("case", sorted(BAD_SCHEMAS))
def test_bad_schema_files(tmp_path: Path, case: str) -> None:
    text, needles = BAD_SCHEMAS[case]
    data, schema, model = tmp_path / "d.csv", tmp_path / "s.json", tmp_path / "m.dtw"
    pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "x"]}).to_csv(data, index=False)
    schema.write_text(text, encoding="utf-8")
    fails_cleanly(("fit", data, "-o", model, "--schema", schema), *needles)
    assert not model.exists()


def test_a_missing_schema_file(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    pd.DataFrame({"a": [1, 2, 3]}).to_csv(data, index=False)
    fails_cleanly(
        ("fit", data, "-o", tmp_path / "m.dtw", "--schema", tmp_path / "gone.json"),
        "gone.json",
        "does not exist",
    )


def test_a_schema_in_another_column_order_keeps_the_table_order(tmp_path: Path) -> None:
    data, schema, model, out = (tmp_path / n for n in ("d.csv", "s.json", "m.dtw", "o.csv"))
    pd.DataFrame({"a": [1, 2, 3, 4], "b": ["x", "y", "x", "y"]}).to_csv(data, index=False)
    schema.write_text(_schema(B, A), encoding="utf-8")
    ok("fit", data, "-o", model, "--schema", schema)
    ok("sample", model, "-n", "10", "-o", out)
    assert out.read_text().splitlines()[0] == "a,b"


# --- the Python API -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data", [[[1, 2]], {"a": [1, 2]}, np.ones((3, 2)), pd.Series([1, 2]), "data.csv", None]
)
def test_fit_on_something_that_is_not_a_data_frame(data: object) -> None:
    with pytest.raises(dt.DataError, match="Expected a pandas DataFrame"):
        dt.synthesizer("copula").fit(data)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame(), "no columns"),
        (pd.DataFrame({"a": pd.Series([], dtype="float64")}), "no rows"),
        (pd.DataFrame([[1, 2]], columns=["a", "a"]), "duplicate column names"),
        (pd.DataFrame([[1, 2]]), "Column names must be strings"),
    ],
)
def test_fit_on_an_unusable_data_frame(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(dt.DataError, match=message) as caught:
        dt.synthesizer("copula").fit(frame)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, dt.DatatwinError)


def test_sample_or_save_before_fit(tmp_path: Path) -> None:
    model = dt.synthesizer("copula")
    with pytest.raises(dt.NotFittedError, match=r"not fitted yet; call fit\(data\)"):
        model.sample(3)
    with pytest.raises(ValueError, match="not fitted"):  # NotFittedError is also a ValueError
        model.sample(3)
    with pytest.raises(dt.NotFittedError):
        model.save(tmp_path / "m.dtw")
    assert not (tmp_path / "m.dtw").exists()


@pytest.mark.parametrize("n", [-1, 2.5, "3", True, None])
def test_sample_a_bad_number_of_rows(n: object) -> None:
    fitted = dt.synthesizer("copula").fit(pd.DataFrame({"a": [1.0, 2.0, 3.0]}))
    message = "needs the number of rows" if n is None else "must be an int >= 0"
    with pytest.raises(dt.ParameterError, match=message):
        fitted.sample(n)  # type: ignore[arg-type]


def test_sample_with_a_bad_seed() -> None:
    fitted = dt.synthesizer("copula").fit(pd.DataFrame({"a": [1.0, 2.0, 3.0]}))
    with pytest.raises(dt.ParameterError, match="'seed' of sample"):
        fitted.sample(3, seed=-1)


def test_unknown_synthesizer_and_parameters() -> None:
    with pytest.raises(dt.ParameterError, match="There is no synthesizer named 'nope'"):
        dt.synthesizer("nope")
    with pytest.raises(dt.ParameterError, match=r"no parameter\(s\) \['epochs'\]") as caught:
        dt.synthesizer("copula", epochs=3)
    assert isinstance(caught.value, ValueError)


def test_a_bad_parameter_value_fails_at_fit() -> None:
    model = dt.synthesizer("copula", quantiles=-3)
    with pytest.raises(dt.ParameterError) as caught:
        model.fit(pd.DataFrame({"a": [1.0, 2.0, 3.0]}))
    assert str(caught.value) == (
        "The 'quantiles' parameter of GaussianCopula must be an int in the range [10, 100000]. "
        "Got -3."
    )
    assert not model.is_fitted


def test_load_a_file_that_is_not_a_model(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text("a\n1\n")
    with pytest.raises(dt.ModelFileError, match="not a datatwin model file"):
        dt.load(path)
