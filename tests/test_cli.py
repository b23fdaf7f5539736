"""The command line, end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import datatwin as dt
from datatwin.cli.main import cli
from tests.conftest import mixed_table


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "real.csv"
    mixed_table(200, seed=3).to_csv(path, index=False)
    return path


def test_schema_to_stdout_and_file(data: Path, tmp_path: Path) -> None:
    code, out, _ = run("schema", str(data))
    assert code == 0
    document = json.loads(out)
    assert document["format"] == "datatwin-schema"
    assert [c["name"] for c in document["columns"]][:3] == ["id", "age", "income"]
    target = tmp_path / "schema.json"
    code, out, err = run("schema", str(data), "-o", str(target))
    assert code == 0
    assert out == ""
    assert json.loads(target.read_text()) == document
    assert "schema.json" in err


@pytest.mark.parametrize("source", [".csv", ".parquet", ".jsonl"])
@pytest.mark.parametrize("target", [".csv", ".parquet", ".jsonl"])
def test_fit_and_sample_in_every_format(tmp_path: Path, source: str, target: str) -> None:
    real = mixed_table(120, seed=5)
    data = tmp_path / f"real{source}"
    dt.write_table(real, data)
    model, out = tmp_path / "m.dtw", tmp_path / f"out{target}"
    assert run("fit", str(data), "-o", str(model), "--seed", "1")[0] == 0
    assert run("sample", str(model), "-n", "50", "-o", str(out), "--seed", "2")[0] == 0
    synthetic = dt.read_table(out)
    assert list(synthetic.columns) == list(real.columns)
    assert len(synthetic) == 50


def test_sampling_with_a_seed_is_byte_identical(data: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.dtw"
    run("fit", str(data), "-o", str(model), "--seed", "0")
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    run("sample", str(model), "-n", "500", "-o", str(first), "--seed", "7")
    run("sample", str(model), "-n", "500", "-o", str(second), "--seed", "7")
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text().splitlines()[0] == data.read_text().splitlines()[0]


def test_quiet_prints_nothing_on_success(data: Path, tmp_path: Path) -> None:
    code, out, err = run("-q", "fit", str(data), "-o", str(tmp_path / "m.dtw"))
    assert (code, out, err) == (0, "", "")


def test_edited_schema_and_parameters_are_honoured(data: Path, tmp_path: Path) -> None:
    schema = dt.detect_schema(pd.read_csv(data))
    schema["age"].max = 40
    schema_path = tmp_path / "schema.json"
    schema.to_json(schema_path)
    model, out = tmp_path / "m.dtw", tmp_path / "o.csv"
    code, _, err = run(
        "fit", str(data), "-o", str(model), "--schema", str(schema_path), "-p", "quantiles=100"
    )
    assert code == 0, err
    assert dt.load(model).get_params()["quantiles"] == 100
    run("sample", str(model), "-n", "300", "-o", str(out))
    assert pd.read_csv(out)["age"].max() <= 40


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-p", "bogus=1"), "no parameter(s) ['bogus']"),
        (("-p", "quantiles=-3"), "'quantiles' parameter of GaussianCopula"),
        (("-p", "noequals"), "KEY=VALUE"),
        (("--model", "nope"), "no synthesizer named 'nope'"),
    ],
)
def test_bad_fit_options(data: Path, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    code, _, err = run("fit", str(data), "-o", str(tmp_path / "m.dtw"), *args)
    assert code != 0
    assert message in err
    assert "Traceback" not in err


def test_demo_writes_its_files(tmp_path: Path) -> None:
    code, out, _ = run("demo", "--out", str(tmp_path / "demo"), "-n", "500")
    assert code == 0
    for name in (
        "real.csv",
        "holdout.csv",
        "schema.json",
        "model.dtw",
        "synthetic.csv",
        "report.html",
        "report.json",
    ):
        assert (tmp_path / "demo" / name).exists()
    assert len(pd.read_csv(tmp_path / "demo" / "synthetic.csv")) == 500
    assert "Fidelity:" in out
    assert "privacy.dcr_share" in out


def test_models_and_version() -> None:
    code, out, _ = run("models")
    assert code == 0
    assert "copula  (default)" in out
    code, out, _ = run("--version")
    assert dt.__version__ in out


def test_a_real_process_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "datatwin"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "datatwin.cli.main"]
    done = subprocess.run(
        [*command, "fit", str(tmp_path / "missing.csv"), "-o", str(tmp_path / "m.dtw")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"Error: File '{tmp_path / 'missing.csv'}' does not exist; check the path."
    ]
