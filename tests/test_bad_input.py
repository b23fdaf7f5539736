"""Bad input: each case works as a user would expect, or ends with one clear sentence."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import datatwin as dt
from datatwin.cli.main import cli


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stderr


def fails_cleanly(args: tuple[str, ...], message: str) -> None:
    code, err = run(*args)
    assert code != 0
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line]
    assert lines[-1].startswith("Error: ")
    assert message in lines[-1], lines[-1]


FILES: dict[str, Callable[[Path], None]] = {
    "empty.csv": lambda p: p.write_bytes(b""),
    "header.csv": lambda p: p.write_text("a,b\n"),
    "binary.csv": lambda p: p.write_bytes(bytes(range(256)) * 20),
    "latin1.csv": lambda p: p.write_bytes("name,x\nJos\xe9,1\n".encode("latin-1")),
    "ragged.csv": lambda p: p.write_text("a,b\n1,2\n3,4,5\n"),
    "duplicate.csv": lambda p: p.write_text("a,a\n1,2\n"),
    "table.xlsx": lambda p: p.write_text("a\n1\n"),
    "broken.parquet": lambda p: p.write_text("not parquet"),
    "broken.jsonl": lambda p: p.write_text('{"a": 1}\n{"a": \n'),
}
MESSAGES = {
    "empty.csv": "is empty",
    "header.csv": "has no rows",
    "binary.csv": "not UTF-8",
    "latin1.csv": "not UTF-8",
    "ragged.csv": "more fields than its header",
    "duplicate.csv": "duplicate column names ['a']",
    "table.xlsx": "Cannot tell the format",
    "broken.parquet": "not a Parquet file",
    "broken.jsonl": "cannot be read as jsonl",
}


@pytest.mark.parametrize("name", sorted(FILES))
@pytest.mark.parametrize("command", ["schema", "fit"])
def test_unusable_files(tmp_path: Path, name: str, command: str) -> None:
    path = tmp_path / name
    FILES[name](path)
    args = (command, str(path)) + (("-o", str(tmp_path / "m.dtw")) if command == "fit" else ())
    fails_cleanly(args, MESSAGES[name])


def test_missing_paths_and_folders(tmp_path: Path) -> None:
    fails_cleanly(("schema", str(tmp_path / "nope.csv")), "does not exist")
    folder = tmp_path / "dir.csv"
    folder.mkdir()
    fails_cleanly(("schema", str(folder)), "is a folder")


def _fit_sample(frame: pd.DataFrame, tmp_path: Path, n: int = 200) -> pd.DataFrame:
    data, model, out = tmp_path / "d.csv", tmp_path / "m.dtw", tmp_path / "o.csv"
    frame.to_csv(data, index=False)
    code, err = run("fit", str(data), "-o", str(model), "--seed", "0")
    assert code == 0, err
    code, err = run("sample", str(model), "-n", str(n), "-o", str(out), "--seed", "1")
    assert code == 0, err
    return dt.read_table(out)


def test_awkward_columns_work(tmp_path: Path) -> None:
    n = 300
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "all_null": [None] * n,
            "constant": ["same"] * n,
            "mixed": ["a", "1", "2.5", "b", "x y"] * (n // 5),
            "名前": ["Ünïcödé", "日本語", "emoji 🎉", "plain"] * (n // 4),
            "with_inf": np.where(rng.random(n) < 0.1, np.inf, rng.normal(size=n).round(3)),
        }
    )
    out = _fit_sample(frame, tmp_path, 500)
    assert list(out.columns) == list(frame.columns)
    assert out["all_null"].isna().all()
    assert (out["constant"] == "same").all()
    assert set(out["mixed"].astype(str)) <= {"a", "1", "2.5", "b", "x y"}
    assert set(out["名前"]) <= {"Ünïcödé", "日本語", "emoji 🎉", "plain"}
    assert np.isinf(out["with_inf"]).mean() == pytest.approx(0.1, abs=0.06)


def test_twenty_thousand_unique_keys_are_made_up(tmp_path: Path) -> None:
    keys = [str(uuid.UUID(int=int(i) * 7919 + 1, version=4)) for i in range(20_000)]
    frame = pd.DataFrame({"key": keys, "value": np.arange(20_000) % 7})
    out = _fit_sample(frame, tmp_path, 20_000)
    assert out["key"].is_unique
    assert not set(out["key"]) & set(keys)
    assert out["key"].str.len().eq(36).all()


def test_single_row_table(tmp_path: Path) -> None:
    out = _fit_sample(pd.DataFrame({"a": [3], "b": ["x"], "c": [1.25]}), tmp_path, 4)
    assert out.to_dict("list") == {"a": [3] * 4, "b": ["x"] * 4, "c": [1.25] * 4}


def test_bad_sample_requests(tmp_path: Path) -> None:
    data, model = tmp_path / "d.csv", tmp_path / "m.dtw"
    pd.DataFrame({"a": [1, 2, 3]}).to_csv(data, index=False)
    run("fit", str(data), "-o", str(model))
    code, err = run("sample", str(model), "-n", "-5", "-o", str(tmp_path / "o.csv"))
    assert code == 2
    assert "-5 is not in the range x>=0" in err
    fails_cleanly(("sample", str(model), "-n", "5", "-o", str(tmp_path / "o.txt")), "format")
    fails_cleanly(
        ("sample", str(model), "-n", "5", "-o", str(tmp_path / "no" / "o.csv")), "does not exist"
    )
    fails_cleanly(("sample", str(data), "-n", "5", "-o", str(tmp_path / "o.csv")), "not a datatwin")
    blob = model.read_bytes()
    model.write_bytes(blob[: len(blob) // 2])
    fails_cleanly(("sample", str(model), "-n", "5", "-o", str(tmp_path / "o.csv")), "truncated")


def test_a_failed_sample_leaves_an_existing_output_alone(tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    out.write_text("precious\n")
    bad_model = tmp_path / "m.dtw"
    bad_model.write_bytes(b"DATATWIN" + b"\x00" * 40)
    fails_cleanly(("sample", str(bad_model), "-n", "5", "-o", str(out)), "damaged")
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.dtw", "o.csv"]


@pytest.mark.parametrize(
    ("schema_text", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": "x", "version": 1, "columns": []}', "not a datatwin schema"),
        (
            '{"format": "datatwin-schema", "version": 1, "columns": '
            '[{"name": "zzz", "kind": "numeric", "dtype": "int64"}]}',
            "does not match the table",
        ),
        (
            '{"format": "datatwin-schema", "version": 1, "columns": '
            '[{"name": "a", "kind": "weird", "dtype": "int64"}]}',
            "kind 'weird'",
        ),
    ],
)
def test_bad_schema_files(tmp_path: Path, schema_text: str, message: str) -> None:
    data, schema = tmp_path / "d.csv", tmp_path / "s.json"
    pd.DataFrame({"a": [1, 2, 3]}).to_csv(data, index=False)
    schema.write_text(schema_text)
    fails_cleanly(
        ("fit", str(data), "-o", str(tmp_path / "m.dtw"), "--schema", str(schema)), message
    )


def test_python_api_errors() -> None:
    model = dt.synthesizer("copula")
    with pytest.raises(dt.DataError, match="pandas DataFrame"):
        model.fit([[1, 2]])  # type: ignore[arg-type]
    with pytest.raises(dt.NotFittedError):
        model.sample(3)
    fitted = dt.synthesizer("copula").fit(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(dt.ParameterError, match="int >= 0"):
        fitted.sample(-1)
    with pytest.raises(dt.ParameterError, match="int >= 0"):
        fitted.sample(2.5)  # type: ignore[arg-type]
    with pytest.raises(dt.ParameterError, match="no synthesizer named"):
        dt.synthesizer("nope")
    with pytest.raises(dt.ParameterError, match=r"no parameter\(s\) \['epochs'\]"):
        dt.synthesizer("copula", epochs=3)
