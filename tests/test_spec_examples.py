"""The example specs run at small size, keep their keys and rules; the generate command."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

import datatwin as dt
from datatwin.spec import Spec
from tests.conftest import invoke, ok

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "specs"
SMALL = {
    "bank.yaml": {"customers": 60, "merchants": 40},
    "hospital.yaml": {"patients": 80},
    "webshop.yaml": {"customers": 60, "products": 30},
}


def check_keys(spec: Spec, tables: dict[str, pd.DataFrame]) -> None:
    """Every primary key is unique and every foreign key names an existing row."""
    for name, table in spec.tables.items():
        key = table.primary_key()
        if key is not None:
            assert tables[name][key].is_unique, (name, key)
        for column in table.columns.values():
            target = getattr(column, "target", None)
            if target is not None:
                values = tables[name][column.name].dropna()
                assert values.isin(tables[target[0]][target[1]]).all(), (name, column.name)


def check_rules(spec: Spec, tables: dict[str, pd.DataFrame]) -> None:
    """Every table keeps its rules, parent columns included."""
    for name, plan in spec.plans.items():
        frame = tables[name]
        parent = plan.spec.parent
        if parent is not None:
            link = plan.spec.link
            assert link is not None
            up = tables[parent.name].add_prefix("parent.")
            frame = frame.merge(up, left_on=link.name, right_on=f"parent.{link.target[1]}")
        for rule in plan.rules:
            assert rule.valid(frame).all(), (name, rule.describe())


@pytest.mark.parametrize("example", sorted(SMALL))
def test_examples_run_and_keep_keys_and_rules(example: str) -> None:
    spec = Spec.load(EXAMPLES / example)
    tables = dt.generate(spec, SMALL[example], seed=0)
    assert all(len(t) > 0 for t in tables.values())
    check_keys(spec, tables)
    check_rules(spec, tables)


def test_the_bank_labels_fraud_and_fraud_looks_different() -> None:
    tables = dt.generate(EXAMPLES / "bank.yaml", {"customers": 400, "merchants": 100}, seed=1)
    tx = tables["transactions"]
    assert 0.005 < tx["is_fraud"].mean() < 0.02
    fraud, normal = tx[tx["is_fraud"]], tx[~tx["is_fraud"]]
    assert fraud["amount"].median() > 4 * normal["amount"].median()
    night = tx["timestamp"].dt.hour < 6
    assert night[tx["is_fraud"]].mean() > 0.4 > 0.1 > night[~tx["is_fraud"]].mean()
    assert (fraud["country"] != "US").mean() > 3 * (normal["country"] != "US").mean()
    assert fraud["new_merchant"].mean() > 0.5 > 0.15 > normal["new_merchant"].mean()
    accounts = tables["accounts"].groupby("customer_id").size()
    assert accounts.max() <= 5


def test_the_hospital_discharges_after_admission_and_labs_fall_in_the_stay() -> None:
    tables = dt.generate(EXAMPLES / "hospital.yaml", {"patients": 200}, seed=2)
    stays = tables["admissions"]
    assert (stays["discharged"] >= stays["admitted"]).all()
    assert "stay" not in stays.columns  # hidden helper column
    labs = tables["lab_results"].merge(stays, on="admission_id")
    assert labs["taken"].between(labs["admitted"], labs["discharged"]).all()
    assert set(labs["unit"]) == {"mg/dL", "g/dL", "mmol/L"}


def test_the_webshop_line_total_is_quantity_times_price() -> None:
    tables = dt.generate(EXAMPLES / "webshop.yaml", {"customers": 80, "products": 40}, seed=3)
    lines = tables["order_lines"]
    want = (lines["quantity"] * lines["unit_price"] * (1 - lines["discount"])).round(2)
    assert (lines["line_total"] - want).abs().max() < 1e-9
    assert (lines.groupby("order_id").size() >= 1).all()


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_generate_command_writes_identical_files_for_any_chunk_size(tmp_path: Path) -> None:
    spec = EXAMPLES / "webshop.yaml"
    args = ["--rows", "customers=300", "--rows", "products=50", "--format", "csv", "--seed", "7"]
    result = ok("generate", spec, "-o", tmp_path / "a", *args)
    assert "order_lines:" in result.output
    assert "Wrote" in result.output
    ok("generate", spec, "-o", tmp_path / "b", *args, "--chunk-rows", "97")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert set(digest(tmp_path / "a")) == {f"{t}.csv" for t in Spec.load(spec).tables}
    back = pd.read_csv(tmp_path / "a" / "orders.csv")
    assert (
        back["customer_id"].isin(pd.read_csv(tmp_path / "a" / "customers.csv")["customer_id"]).all()
    )


def test_generate_command_writes_sqlite_with_valid_keys(tmp_path: Path) -> None:
    db = tmp_path / "bank.db"
    ok(
        "generate",
        EXAMPLES / "bank.yaml",
        "-o",
        f"sqlite:///{db}",
        "--rows",
        "customers=40",
        "--rows",
        "merchants=30",
        "--chunk-rows",
        "500",
    )
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
        orphans = con.execute(
            "SELECT COUNT(*) FROM transactions t LEFT JOIN accounts a "
            "ON t.account_id = a.account_id WHERE a.account_id IS NULL"
        ).fetchone()[0]
        assert orphans == 0
        assert con.execute("SELECT COUNT(*) FROM merchants").fetchone()[0] == 30


def test_generate_command_reports_user_errors_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "webshop.yaml").read_text().replace("lognormal", "lognorml", 1))
    result = invoke("generate", bad, "-o", tmp_path / "out")
    assert result.exit_code != 0
    assert "bad.yaml, line" in result.output
    assert "did you mean 'lognormal'?" in result.output
    result = invoke("generate", EXAMPLES / "webshop.yaml", "-o", tmp_path / "o", "--rows", "x")
    assert result.exit_code != 0
    assert "TABLE=ROWS" in result.output
    result = invoke("generate", EXAMPLES / "webshop.yaml", "-o", tmp_path / "o", "--rows", "9")
    assert result.exit_code != 0
    assert "give rows as a mapping" in result.output
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_generate_command_says_what_exists_and_to_pass_overwrite(tmp_path: Path) -> None:
    spec, out, db = EXAMPLES / "hospital.yaml", tmp_path / "out", tmp_path / "h.db"
    args = ["--rows", "patients=20", "--format", "csv"]
    ok("generate", spec, "-o", out, *args)
    before = digest(out)
    result = invoke("generate", spec, "-o", out, *args)
    assert result.exit_code == 1
    files = [repr(str(out / f"{t}.csv")) for t in ("patients", "admissions", "lab_results")]
    assert result.output == (
        f"Error: The files {files[0]}, {files[1]} and {files[2]} already exist; pass --overwrite "
        "to replace them.\n"
    )
    assert digest(out) == before
    (out / "admissions.csv").unlink()
    (out / "lab_results.csv").unlink()
    result = invoke("generate", spec, "-o", out, *args)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: The file {files[0]} already exists; pass --overwrite to replace it.\n"
    )
    ok("generate", spec, "-o", out, *args, "--overwrite")
    assert digest(out) == before
    ok("generate", spec, "-o", f"sqlite:///{db}", "--rows", "patients=20")
    result = invoke("generate", spec, "-o", f"sqlite:///{db}", "--rows", "patients=20")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: The database {str(db)!r} already has tables named 'patients', 'admissions' and "
        "'lab_results'; pass --overwrite to replace them.\n"
    )
    ok("generate", spec, "-o", f"sqlite:///{db}", "--rows", "patients=20", "--overwrite")
