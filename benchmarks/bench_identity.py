"""Benchmark: fake identity profiles with datatwin.identity, side by side with Faker and Mimesis.

The profile has ten fields: name, e-mail, phone, address, birth date, IBAN, card number, company,
job title and national id. Each tool makes the profile column by column for ``--rows`` rows
(datatwin: one vectorised call; Faker and Mimesis: their usual API, fewer rows by default since
they are slower), then the same rows go into a pandas DataFrame (``copy=False``: pandas 2 would
otherwise copy every column into one block) written to Parquet (pyarrow, default settings).
Each of ``--repeats`` runs times generation and the write; reported are rows per second from
the median generation time and from the median generation + write time, both by the wall clock
and by this process's CPU time (pyarrow is held to one thread, so CPU time is one core's time
even when the machine is shared).

    benchmarks/.venv/bin/python benchmarks/bench_identity.py                 # 1,000,000 rows
    benchmarks/.venv/bin/python benchmarks/bench_identity.py --rows 100000 --repeats 3

Writes benchmarks/results_identity.json (or ``--out``). Faker and Mimesis are measured when they
can be imported (benchmarks/requirements.txt installs them); datatwin never depends on them.
Mimesis has no IBAN or national-id provider: its profile uses a bank name and its generic
``identifier`` instead, both cheaper to make.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

HERE = Path(__file__).resolve().parent
PROFILE = (
    "name",
    "email",
    "phone",
    "address",
    "birth_date",
    "iban",
    "card_number",
    "company",
    "job_title",
    "national_id",
)
Columns = dict[str, Any]
Maker = Callable[[int, int], Columns]  # (rows, seed) -> columns


def datatwin_maker(locale: str) -> Maker:
    from datatwin.identity import identities

    def make(n: int, seed: int) -> Columns:
        return identities(PROFILE, n, np.random.default_rng(seed), locale=locale)

    return make


def faker_maker() -> Maker:
    from faker import Faker

    fake = Faker("en_US")

    def make(n: int, seed: int) -> Columns:
        fake.seed_instance(seed)
        r = range(n)
        return {
            "name": [fake.name() for _ in r],
            "email": [fake.email() for _ in r],
            "phone": [fake.phone_number() for _ in r],
            "address": [fake.address().replace("\n", ", ") for _ in r],
            "birth_date": [fake.date_of_birth(minimum_age=18, maximum_age=85) for _ in r],
            "iban": [fake.iban() for _ in r],
            "card_number": [fake.credit_card_number() for _ in r],
            "company": [fake.company() for _ in r],
            "job_title": [fake.job() for _ in r],
            "national_id": [fake.ssn() for _ in r],
        }

    return make


def mimesis_maker() -> Maker:
    from mimesis import Fieldset, Locale

    fields = {
        "name": "full_name",
        "email": "email",
        "phone": "phone_number",
        "address": "address",
        "birth_date": "date",
        "iban": "finance.bank",  # no IBAN provider
        "card_number": "credit_card_number",
        "company": "company",
        "job_title": "occupation",
        "national_id": "person.identifier",  # no national-id provider
    }

    def make(n: int, seed: int) -> Columns:
        fieldset = Fieldset(Locale.EN, i=n, seed=seed)
        return {column: fieldset(name) for column, name in fields.items()}

    return make


def measure(make: Maker, n: int, repeats: int, folder: Path) -> dict[str, Any]:
    """Median seconds (wall and CPU) of generation and of the Parquet write, over repeats."""
    make(min(n, 1000), 0)  # warm up: imports, cached data
    gen_wall, gen_cpu, all_wall, all_cpu = [], [], [], []
    for repeat in range(repeats):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        columns = make(n, repeat)
        g_wall, g_cpu = time.perf_counter() - wall, time.process_time() - cpu
        path = folder / f"rows{repeat}.parquet"
        pd.DataFrame(columns, copy=False).to_parquet(path, engine="pyarrow")
        w_wall, w_cpu = time.perf_counter() - wall, time.process_time() - cpu
        path.unlink()
        del columns
        gen_wall.append(g_wall)
        gen_cpu.append(g_cpu)
        all_wall.append(w_wall)
        all_cpu.append(w_cpu)
        print(
            f"    run {repeat + 1}: generate {g_wall:.2f} s, with Parquet {w_wall:.2f} s",
            flush=True,
        )
    med = statistics.median
    return {
        "rows": n,
        "repeats": repeats,
        "generate_s": med(gen_wall),
        "generate_cpu_s": med(gen_cpu),
        "with_parquet_s": med(all_wall),
        "with_parquet_cpu_s": med(all_cpu),
        "generate_rows_per_s": n / med(gen_wall),
        "generate_cpu_rows_per_s": n / med(gen_cpu),
        "with_parquet_rows_per_s": n / med(all_wall),
        "with_parquet_cpu_rows_per_s": n / med(all_cpu),
    }


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows for datatwin")
    parser.add_argument("--faker-rows", type=int, default=20_000, help="rows for Faker")
    parser.add_argument("--mimesis-rows", type=int, default=200_000, help="rows for Mimesis")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--locale", default="en_US", help="datatwin's locale (peers: en_US)")
    parser.add_argument("--out", type=Path, default=HERE / "results_identity.json")
    args = parser.parse_args(argv)
    pa.set_cpu_count(1)  # one core: pyarrow's Parquet writer uses no extra threads
    pa.set_io_thread_count(1)

    tools: list[tuple[str, str, Callable[[], Maker], int]] = [
        ("datatwin", "datatwin", lambda: datatwin_maker(args.locale), args.rows)
    ]
    if importlib.util.find_spec("faker"):
        tools.append(("faker", "Faker", faker_maker, args.faker_rows))
    if importlib.util.find_spec("mimesis"):
        tools.append(("mimesis", "mimesis", mimesis_maker, args.mimesis_rows))

    results = []
    with tempfile.TemporaryDirectory(prefix="bench_identity_") as tmp:
        for tool, package, factory, n in tools:
            print(f"{tool}: {n:,} rows x {args.repeats}", flush=True)
            row = {
                "tool": tool,
                "version": package_version(package),
                **measure(factory(), n, args.repeats, Path(tmp)),
            }
            results.append(row)

    print()
    header = (
        f"{'tool':<10} {'rows':>10} {'generate rows/s':>16} {'(cpu)':>10} "
        f"{'+ Parquet rows/s':>17} {'(cpu)':>10}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['tool']:<10} {r['rows']:>10,} {r['generate_rows_per_s']:>16,.0f} "
            f"{r['generate_cpu_rows_per_s']:>10,.0f} {r['with_parquet_rows_per_s']:>17,.0f} "
            f"{r['with_parquet_cpu_rows_per_s']:>10,.0f}"
        )
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    document = {
        "benchmark": "identity",
        "command": " ".join(shlex.quote(a) for a in [sys.executable, *sys.argv]),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": list(PROFILE),
        "locale": args.locale,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_after": load,
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
        },
        "notes": (
            "Rows per second from median times over the repeats; 'cpu' from this process's CPU "
            "time with pyarrow held to one thread. Faker and Mimesis run fewer rows (per-row "
            "Python). Their e-mails are not built from the row's name; Mimesis has no IBAN or "
            "national id (a bank name and its 'identifier' stand in)."
        ),
        "results": results,
    }
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
