"""Benchmark: generation from a spec (issue 6) on one core.

    .venv-test/bin/python benchmarks/bench_generate.py                  # everything
    .venv-test/bin/python benchmarks/bench_generate.py --parts numeric,identity --rows 2000000

Parts:

* ``numeric``: a 10-column table (six numeric columns from five families, bounds and rounding,
  three categorical columns, one of them depending on another, one boolean): rows per second
  drawn in memory (chunks consumed as they come) and written to Parquet.
* ``identity``: a 10-field identity profile (first and last name, e-mail, phone, street, city,
  postcode, birth date, IBAN, national id; one call per block) to Parquet.
* ``bank``: ``examples/specs/bank.yaml`` with about 10 million transactions (100,000 customers;
  ``--bank-customers``) written to Parquet in a child process, whose peak memory (maximum resident
  set size) is measured; the output is then read back a row group at a time to check that every
  foreign key names an existing row. It runs twice, with different chunk sizes, and the files'
  SHA-256 must be identical.

The process pins itself to one CPU (``sched_setaffinity``) and to one thread per numeric library
before numpy is imported. Results go to ``benchmarks/results_generate.json`` (versioned JSON).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_name] = "1"
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

import numpy as np  # noqa: E402 - after the thread settings
import pandas as pd  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import datatwin  # noqa: E402
from datatwin.cli.generate import table_infos  # noqa: E402
from datatwin.io.sinks import open_sink  # noqa: E402
from datatwin.spec import Spec, iter_generate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results_generate.json"

NUMERIC = {
    "format": "datatwin-spec",
    "version": 1,
    "tables": {
        "numbers": {
            "rows": 1000,
            "columns": {
                "a": {"distribution": "normal", "mean": 0, "sd": 1},
                "b": {"distribution": "lognormal", "mu": 3, "sigma": 0.5, "round": 2},
                "c": {"distribution": "gamma", "shape": 2, "scale": 3},
                "d": {"distribution": "uniform", "low": 0, "high": 100},
                "e": {"distribution": "poisson", "lam": 4},
                "f": {
                    "distribution": "normal",
                    "mean": 50,
                    "sd": 10,
                    "min": 0,
                    "max": 100,
                    "round": 0,
                },
                "g": {"values": ["a", "b", "c", "d"], "weights": [0.4, 0.3, 0.2, 0.1]},
                "h": {"values": ["x", "y", "z"]},
                "i": {"type": "boolean", "rate": 0.3},
                "j": {"values": ["p", "q"], "depends_on": "g", "cases": {"a": {"weights": [1, 3]}}},
            },
        }
    },
}
FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "street_address",
    "city",
    "postcode",
    "birth_date",
    "iban",
    "national_id",
]
IDENTITY = {
    "format": "datatwin-spec",
    "version": 1,
    "tables": {
        "people": {
            "rows": 1000,
            "locale": "en_US",
            "columns": {name: {"type": "identity", "field": name} for name in FIELDS},
        }
    },
}


def timed_memory(spec: Any, rows: int) -> float:
    started = time.perf_counter()
    total = sum(len(chunk) for _, chunk in iter_generate(spec, rows, seed=1))
    assert total == rows
    return rows / (time.perf_counter() - started)


def timed_parquet(spec: Any, rows: int, folder: Path) -> float:
    loaded = Spec.load(spec)
    started = time.perf_counter()
    with open_sink(folder, table_infos(loaded), format="parquet") as sink:
        for name, chunk in iter_generate(loaded, rows, seed=1):
            sink.write(name, chunk)
    elapsed = time.perf_counter() - started
    assert sum(sink.rows.values()) == rows
    return rows / elapsed


def timed_parquet_lean(spec: Any, rows: int, path: Path) -> float:
    """For reference: the same chunks through pyarrow's ParquetWriter with dictionary encoding
    kept to categorical and text columns (pyarrow's default also tries it on every float column,
    which is most of the sink's writing time)."""
    import pyarrow as pa

    started = time.perf_counter()
    writer = None
    for _, chunk in iter_generate(spec, rows, seed=1):
        table = pa.Table.from_pandas(chunk, preserve_index=False)
        if writer is None:
            coded = [
                f.name
                for f in table.schema
                if pa.types.is_dictionary(f.type) or pa.types.is_string(f.type)
            ]
            writer = pq.ParquetWriter(path, table.schema, use_dictionary=coded)
        writer.write_table(table, row_group_size=1 << 17)
    assert writer is not None
    writer.close()
    return rows / (time.perf_counter() - started)


def part_table(spec: Any, rows: int, label: str) -> dict[str, Any]:
    timed_memory(spec, min(rows, 200_000))  # warm up: imports, identity lists
    with tempfile.TemporaryDirectory() as tmp:
        memory = max(timed_memory(spec, rows) for _ in range(2))
        parquet = max(timed_parquet(spec, rows, Path(tmp) / f"run{i}") for i in range(2))
        lean = max(timed_parquet_lean(spec, rows, Path(tmp) / f"lean{i}.parquet") for i in range(2))
    print(
        f"{label}: {rows:,} rows, {memory:,.0f} rows/s in memory, {parquet:,.0f} rows/s to "
        f"Parquet through the sink, {lean:,.0f} rows/s to Parquet with dictionary encoding for "
        "categorical and text columns only (best of 2)",
        flush=True,
    )
    return {
        "rows": rows,
        "rows_per_s_memory": round(memory),
        "rows_per_s_parquet": round(parquet),
        "rows_per_s_parquet_dictionary_for_categories_only": round(lean),
    }


def bank_child(out: str, customers: int, chunk_rows: int) -> None:
    """Run in a child process: the bank example to Parquet; prints rows and seconds as JSON."""
    spec = Spec.load(ROOT / "examples" / "specs" / "bank.yaml")
    started = time.perf_counter()
    chunks = iter_generate(spec, {"customers": customers}, seed=0, chunk_rows=chunk_rows)
    with open_sink(out, table_infos(spec), format="parquet") as sink:
        for name, chunk in chunks:
            sink.write(name, chunk)
    print(json.dumps({"rows": sink.rows, "seconds": time.perf_counter() - started}))


def run_bank(folder: Path, customers: int, chunk_rows: int) -> dict[str, Any]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    command = [
        sys.executable,
        __file__,
        "--bank-child",
        str(folder),
        "--bank-customers",
        str(customers),
        "--chunk-rows",
        str(chunk_rows),
    ]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = json.loads(done.stdout.strip().splitlines()[-1])
    report["peak_rss_mb"] = round(max(peak, before) / 1024, 1)  # ru_maxrss is in KiB on Linux
    report["chunk_rows"] = chunk_rows
    return report


def keys_of(path: Path, column: str) -> pd.Index:
    return pd.Index(pq.read_table(path, columns=[column]).column(column).to_numpy())


def check_keys(folder: Path) -> dict[str, int]:
    """Every foreign key names an existing row, read back one row group at a time."""
    customers = keys_of(folder / "customers.parquet", "customer_id")
    merchants = keys_of(folder / "merchants.parquet", "merchant_id")
    accounts = pq.read_table(folder / "accounts.parquet", columns=["account_id", "customer_id"])
    account_ids = pd.Index(accounts.column("account_id").to_numpy())
    bad = {
        "accounts.customer_id": int(
            (~pd.Index(accounts.column("customer_id").to_numpy()).isin(customers)).sum()
        )
    }
    bad["transactions.account_id"] = bad["transactions.merchant_id"] = 0
    checked = 0
    file = pq.ParquetFile(folder / "transactions.parquet")
    for batch in file.iter_batches(columns=["account_id", "merchant_id"], batch_size=1 << 20):
        account = pd.Index(batch.column("account_id").to_numpy(zero_copy_only=False))
        merchant = pd.Series(batch.column("merchant_id").to_numpy(zero_copy_only=False))
        bad["transactions.account_id"] += int((~account.isin(account_ids)).sum())
        bad["transactions.merchant_id"] += int((~merchant.dropna().isin(merchants)).sum())
        checked += batch.num_rows
    assert customers.is_unique
    assert account_ids.is_unique
    return {"checked_transactions": checked, **{f"orphans.{k}": v for k, v in bad.items()}}


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.parquet"))
    }


def part_bank(customers: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        first = run_bank(Path(tmp) / "a", customers, 65_536)
        print(
            f"bank: {first['rows']} in {first['seconds']:.1f} s, peak RSS "
            f"{first['peak_rss_mb']:,} MB",
            flush=True,
        )
        keys = check_keys(Path(tmp) / "a")
        print(f"bank: keys {keys}", flush=True)
        second = run_bank(Path(tmp) / "b", customers, 100_003)
        same = digests(Path(tmp) / "a") == digests(Path(tmp) / "b")
        print(
            f"bank: chunk_rows 100,003 -> {second['seconds']:.1f} s, peak RSS "
            f"{second['peak_rss_mb']:,} MB, files identical: {same}",
            flush=True,
        )
        transactions = first["rows"]["transactions"]
        return {
            "customers": customers,
            "rows": first["rows"],
            "seconds": round(first["seconds"], 1),
            "transactions_per_s": round(transactions / first["seconds"]),
            "peak_rss_mb": first["peak_rss_mb"],
            "keys": keys,
            "identical_across_chunk_sizes": same,
            "second_run": {k: second[k] for k in ("chunk_rows", "peak_rss_mb")}
            | {"seconds": round(second["seconds"], 1)},
            "sha256": digests(Path(tmp) / "a") if same else None,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--parts", default="numeric,identity,bank")
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows of the numeric table")
    parser.add_argument("--identity-rows", type=int, default=1_000_000)
    parser.add_argument("--bank-customers", type=int, default=100_000)
    parser.add_argument("--bank-child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--chunk-rows", type=int, default=65_536, help=argparse.SUPPRESS)
    parser.add_argument("--no-save", action="store_true", help="do not write the JSON results")
    args = parser.parse_args()
    if args.bank_child:
        bank_child(args.bank_child, args.bank_customers, args.chunk_rows)
        return
    parts = args.parts.split(",")
    results: dict[str, Any] = {}
    if "numeric" in parts:
        results["numeric_10_columns"] = part_table(NUMERIC, args.rows, "numeric 10 columns")
    if "identity" in parts:
        results["identity_10_fields"] = part_table(
            IDENTITY, args.identity_rows, "identity 10 fields"
        )
    if "bank" in parts:
        results["bank"] = part_bank(args.bank_customers)
    document = {
        "format": "datatwin-bench-generate",
        "version": 1,
        "date": date.today().isoformat(),
        "datatwin": datatwin.__version__,
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus_used": 1,
        "results": results,
    }
    if not args.no_save:
        RESULTS.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
