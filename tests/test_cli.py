"""The command line, end to end: through click's CliRunner and through a real process."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

import datatwin as dt
from datatwin.cli.main import cli
from datatwin.schema.columns import KINDS
from tests.conftest import invoke, mixed_table, ok

FORMATS = [".csv", ".parquet", ".jsonl"]


def one_error_line(result: Result) -> str:
    """The single "Error: ..." line of a failed command (exit status 1, nothing else on stderr)."""
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: "), lines[0]
    assert "Unexpected internal error" not in lines[0]
    return lines[0]


def command() -> list[str]:
    """How a user runs datatwin: the console script next to this Python, else ``python -m``."""
    script = Path(sys.executable).parent / "datatwin"
    return [str(script)] if script.exists() else [sys.executable, "-m", "datatwin.cli.main"]


def run_process(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command(), *(str(a) for a in args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=120,
    )


@pytest.fixture
def real() -> pd.DataFrame:
    return mixed_table(200, seed=3)


@pytest.fixture
def data(tmp_path: Path, real: pd.DataFrame) -> Path:
    path = tmp_path / "real.csv"
    real.to_csv(path, index=False)
    return path


@pytest.fixture
def model(data: Path, tmp_path: Path) -> Path:
    path = tmp_path / "model.dtw"
    ok("-q", "fit", data, "-o", path, "--seed", "0")
    return path


# --- schema ---------------------------------------------------------------------------------------


def test_schema_prints_the_detected_schema_as_json(data: Path, real: pd.DataFrame) -> None:
    result = ok("schema", data)
    document = json.loads(result.stdout)
    assert document["format"] == "datatwin-schema"
    assert document["version"] == 2
    assert [c["name"] for c in document["columns"]] == list(real.columns)
    for column in document["columns"]:
        assert column["kind"] in KINDS
        assert isinstance(column["dtype"], str)
    kinds = {c["name"]: c["kind"] for c in document["columns"]}
    assert kinds["age"] == "numeric"
    assert kinds["group"] == "categorical"
    assert result.stderr == ""


def test_schema_to_a_file(data: Path, tmp_path: Path) -> None:
    printed = json.loads(ok("schema", data).stdout)
    target = tmp_path / "schema.json"
    result = ok("schema", data, "-o", target)
    assert result.stdout == ""
    assert "schema.json" in result.stderr
    assert json.loads(target.read_text(encoding="utf-8")) == printed
    assert dt.Schema.from_json(target).names == [c["name"] for c in printed["columns"]]


def test_schema_suggests_constraints_a_fit_then_keeps(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    net = rng.uniform(10, 100, 300).round(2)
    table = pd.DataFrame(
        {
            "net": net,
            "tax": (net * 0.25).round(2),
            "start": rng.integers(0, 50, 300),
            "colour": rng.choice(["red", "blue"], 300),
        }
    )
    table["total"] = table.net + table.tax
    table["end"] = table.start + rng.integers(1, 30, 300)
    data = tmp_path / "real.csv"
    table.to_csv(data, index=False)
    target = tmp_path / "schema.json"
    result = ok("schema", data, "--suggest-constraints", "-o", target)
    rules = json.loads(target.read_text(encoding="utf-8"))["constraints"]
    kinds = {(r["type"], r.get("low"), r.get("high"), r.get("column")) for r in rules}
    assert ("inequality", "start", "end", None) in kinds
    assert any(r["type"] == "formula" and r["column"] in ("net", "tax", "total") for r in rules)
    assert all(r["why"] for r in rules)
    assert "suggested constraint(s)" in result.stderr
    model = tmp_path / "model.dtw"
    ok("-q", "fit", data, "--schema", target, "--model", "copula", "-o", model)
    out = tmp_path / "out.csv"
    ok("-q", "sample", model, "-n", "300", "-o", out)
    synthetic = pd.read_csv(out)
    assert (synthetic.start < synthetic.end).all()
    assert np.allclose(synthetic.total, synthetic.net + synthetic.tax)


# --- fit and sample -------------------------------------------------------------------------------


@pytest.mark.parametrize("source", FORMATS)
@pytest.mark.parametrize("target", FORMATS)
def test_fit_and_sample_in_every_format(tmp_path: Path, source: str, target: str) -> None:
    real = mixed_table(120, seed=5)
    data = tmp_path / f"real{source}"
    dt.write_table(real, data)
    model, out = tmp_path / "m.dtw", tmp_path / f"out{target}"
    fitted = ok("fit", data, "-o", model, "--seed", "1")
    assert fitted.stdout == ""
    assert "m.dtw" in fitted.stderr
    sampled = ok("sample", model, "-n", "50", "-o", out, "--seed", "2")
    assert sampled.stdout == ""
    assert "50 rows" in sampled.stderr
    synthetic = dt.read_table(out)
    assert list(synthetic.columns) == list(real.columns)
    assert len(synthetic) == 50
    assert set(synthetic["group"].dropna()) <= {"junior", "mid", "senior"}
    assert (synthetic["country"] == "NO").all()
    assert synthetic["nothing"].isna().all()


@pytest.mark.parametrize("target", FORMATS)
def test_sampling_with_a_seed_is_byte_identical(model: Path, tmp_path: Path, target: str) -> None:
    first, second, other = (tmp_path / f"{name}{target}" for name in ("a", "b", "c"))
    ok("sample", model, "-n", "300", "-o", first, "--seed", "7")
    ok("sample", model, "-n", "300", "-o", second, "--seed", "7")
    ok("sample", model, "-n", "300", "-o", other, "--seed", "8")
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_sample_where_gives_only_matching_rows(data: Path, tmp_path: Path) -> None:
    path, out = tmp_path / "copula.dtw", tmp_path / "out.csv"
    ok("-q", "fit", data, "-o", path, "--seed", "0", "--model", "copula")
    ok(
        "sample",
        path,
        "-n",
        "150",
        "-o",
        out,
        "--where",
        "age>=30",
        "--where",
        "age<45",
        "--where",
        "group=mid|senior",
        "--where",
        "member=true",
    )
    rows = pd.read_csv(out)
    assert len(rows) == 150
    assert rows["age"].between(30, 44).all()
    assert rows["group"].isin(["mid", "senior"]).all()
    assert rows["member"].all()


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("age", "no column and operator"),
        ("group=retired", "never saw"),
        ("age=50..40", "holds no value"),
        ("height>3", "does not have"),
    ],
)
def test_sample_where_errors_are_one_line(
    model: Path, tmp_path: Path, where: str, message: str
) -> None:
    result = invoke("sample", model, "-n", "5", "-o", tmp_path / "x.csv", "--where", where)
    assert message in one_error_line(result)
    assert not (tmp_path / "x.csv").exists()


def test_fitting_with_a_seed_gives_the_same_model_file(data: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.dtw", tmp_path / "b.dtw"
    ok("fit", data, "-o", first, "--seed", "3")
    ok("fit", data, "-o", second, "--seed", "3")
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("target", FORMATS)
def test_output_has_the_input_columns_in_order(tmp_path: Path, target: str) -> None:
    rng = np.random.default_rng(0)
    real = pd.DataFrame(
        {
            "zeta": rng.normal(size=150).round(3),
            "alpha": rng.choice(["p", "q", "r"], 150),
            "Mid Name": rng.integers(0, 1000, 150),
            "beta": rng.random(150) < 0.5,
        }
    )
    data, model, out = tmp_path / "d.csv", tmp_path / "m.dtw", tmp_path / f"o{target}"
    real.to_csv(data, index=False)
    ok("fit", data, "-o", model)
    ok("sample", model, "-n", "40", "-o", out)
    assert list(dt.read_table(out).columns) == ["zeta", "alpha", "Mid Name", "beta"]
    if target == ".csv":
        assert out.read_text().splitlines()[0] == data.read_text().splitlines()[0]


@pytest.mark.parametrize("flag", ["-q", "--quiet"])
def test_quiet_prints_nothing_on_success(data: Path, tmp_path: Path, flag: str) -> None:
    model = tmp_path / "m.dtw"
    for args in (
        ("fit", data, "-o", model),
        ("sample", model, "-n", "100", "-o", tmp_path / "o.csv"),
        ("schema", data, "-o", tmp_path / "s.json"),
    ):
        result = ok(flag, *args)
        assert (result.stdout, result.stderr) == ("", "")
    assert len(pd.read_csv(tmp_path / "o.csv")) == 100
    assert (tmp_path / "s.json").exists()


def test_quiet_still_reports_errors(tmp_path: Path) -> None:
    line = one_error_line(invoke("-q", "fit", tmp_path / "gone.csv", "-o", tmp_path / "m.dtw"))
    assert "gone.csv" in line
    assert "does not exist" in line


# --- the fit options ------------------------------------------------------------------------------


def test_an_edited_schema_is_honoured(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    values = np.arange(15) * 1000
    real = pd.DataFrame({"amount": rng.choice(values, 300), "other": rng.normal(size=300)})
    data = tmp_path / "d.csv"
    real.to_csv(data, index=False)
    document = json.loads(ok("schema", data).stdout)
    (amount,) = (c for c in document["columns"] if c["name"] == "amount")
    assert amount["kind"] == "numeric"  # as detected: a numeric model makes new amounts up
    for field in ("integer", "min", "max", "decimals"):
        amount.pop(field, None)
    amount["kind"] = "categorical"
    schema = tmp_path / "schema.json"
    schema.write_text(json.dumps(document), encoding="utf-8")

    plain, edited = tmp_path / "plain.dtw", tmp_path / "edited.dtw"
    ok("fit", data, "-o", plain, "--seed", "0", "--model", "copula")  # copula invents amounts
    ok("fit", data, "-o", edited, "--seed", "0", "--model", "copula", "--schema", schema)
    assert dt.load(edited).schema_["amount"].kind == "categorical"
    for path, out in ((plain, tmp_path / "p.csv"), (edited, tmp_path / "e.csv")):
        ok("sample", path, "-n", "500", "-o", out, "--seed", "1")
    assert not set(pd.read_csv(tmp_path / "p.csv")["amount"]) <= set(values)
    assert set(pd.read_csv(tmp_path / "e.csv")["amount"]) <= set(values)


def test_edited_bounds_are_honoured(data: Path, tmp_path: Path) -> None:
    schema = dt.detect_schema(pd.read_csv(data))
    schema["age"].max = 40
    schema_path = tmp_path / "schema.json"
    schema.to_json(schema_path)
    model, out = tmp_path / "m.dtw", tmp_path / "o.csv"
    ok("fit", data, "-o", model, "--schema", schema_path)
    ok("sample", model, "-n", "300", "-o", out)
    assert pd.read_csv(out)["age"].max() <= 40


def test_a_parameter_is_passed_to_the_model(data: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.dtw"
    ok(
        "fit",
        data,
        "-o",
        model,
        "-m",
        "copula",
        "-p",
        "quantiles=100",
        "-p",
        "category_order=frequency",
    )
    params = dt.load(model).get_params()
    assert params["quantiles"] == 100
    assert params["category_order"] == "frequency"
    ok("sample", model, "-n", "20", "-o", tmp_path / "o.csv")
    assert len(pd.read_csv(tmp_path / "o.csv")) == 20


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-p", "bogus=1"), "no parameter(s) ['bogus']"),
        (("-m", "copula", "-p", "quantiles=-3"), "The 'quantiles' parameter of GaussianCopula"),
        (("-m", "copula", "-p", "quantiles=abc"), "Got 'abc'"),
        (("--model", "nope"), "There is no synthesizer named 'nope'"),
    ],
)
def test_bad_fit_options_fail_cleanly(
    data: Path, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    line = one_error_line(invoke("fit", data, "-o", tmp_path / "m.dtw", *args))
    assert message in line
    assert not (tmp_path / "m.dtw").exists()


def test_a_parameter_that_is_not_key_value_is_a_usage_error(data: Path, tmp_path: Path) -> None:
    result = invoke("fit", data, "-o", tmp_path / "m.dtw", "-p", "noequals")
    assert result.exit_code == 2
    assert "'noequals' is not KEY=VALUE" in result.stderr


def test_seed_given_as_a_parameter(data: Path, tmp_path: Path) -> None:
    """``-p seed=1`` works like ``--seed 1`` or is one clean sentence; never a bug report."""
    model = tmp_path / "m.dtw"
    result = invoke("fit", data, "-o", model, "-p", "seed=1")
    if result.exit_code == 0:
        assert dt.load(model).get_params()["seed"] == 1
    else:
        assert "seed" in one_error_line(result)


# --- demo, models, version, help ------------------------------------------------------------------


def test_demo_writes_its_files_and_prints_a_summary(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = ok("demo", "--out", folder, "-n", "500", "--seed", "1")
    for name in ("real.csv", "schema.json", "model.dtw", "synthetic.csv"):
        assert (folder / name).is_file(), name
    real = pd.read_csv(folder / "real.csv")
    synthetic = pd.read_csv(folder / "synthetic.csv")
    assert len(synthetic) == 500
    assert list(synthetic.columns) == list(real.columns)
    assert dt.Schema.from_json(folder / "schema.json").names == list(real.columns)
    assert len(dt.load(folder / "model.dtw").sample(5, seed=0)) == 5
    for words in ("Real table:", "Fidelity:", "privacy.dcr_share", "Files written:", "synthetic"):
        assert words in result.stdout


def test_models_lists_every_model_and_marks_the_default() -> None:
    lines = ok("models").stdout.splitlines()
    assert [line.split()[0] for line in lines] == dt.available_synthesizers()
    assert [line for line in lines if line.endswith("(default)")] == [
        f"{dt.default_synthesizer()}  (default)"
    ]


def test_the_default_is_the_flagship_with_torch_and_the_copula_without() -> None:
    with_torch = "argn" if importlib.util.find_spec("torch") else "copula"
    assert dt.synthesizer(seed=0).name == dt.default_synthesizer() == with_torch
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import datatwin as dt\n"
        "print(dt.default_synthesizer(), dt.synthesizer(seed=0).name)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["copula", "copula"]


def test_version() -> None:
    assert ok("--version").stdout.strip() == f"datatwin, version {dt.__version__}"


def test_help_hides_debug_and_debug_shows_the_traceback(tmp_path: Path) -> None:
    assert "--debug" not in ok("--help").stdout
    not_a_model = tmp_path / "table.csv"
    not_a_model.write_text("a\n1\n")
    result = CliRunner().invoke(
        cli, ["--debug", "sample", str(not_a_model), "-n", "1", "-o", str(tmp_path / "o.csv")]
    )
    assert result.exit_code == 1
    assert "Traceback" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")


# --- a real process -------------------------------------------------------------------------------


def test_a_real_process_fits_and_samples(data: Path, tmp_path: Path) -> None:
    model, out = tmp_path / "m.dtw", tmp_path / "o.jsonl"
    fitted = run_process("fit", data, "-o", model, "--seed", "0")
    assert fitted.returncode == 0, fitted.stderr
    sampled = run_process("-q", "sample", model, "-n", "30", "-o", out, "--seed", "0")
    assert (sampled.returncode, sampled.stdout, sampled.stderr) == (0, "", "")
    assert len(dt.read_table(out)) == 30


def test_a_real_process_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "missing.csv"
    done = run_process("fit", missing, "-o", tmp_path / "m.dtw")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"Error: File '{missing}' does not exist; check the path."
    ]


def test_python_dash_m_rejects_a_damaged_model_in_one_line(model: Path, tmp_path: Path) -> None:
    blob = bytearray(model.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    model.write_bytes(bytes(blob))
    args = ["sample", str(model), "-n", "5", "-o", str(tmp_path / "o.csv")]
    done = subprocess.run(
        [sys.executable, "-m", "datatwin.cli.main", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: Model file ")
    assert "altered" in lines[0]
    assert not (tmp_path / "o.csv").exists()
