"""``datatwin rebalance``: add synthetic rows of the rare classes of a label column.

The command is registered on the ``datatwin`` group by :mod:`datatwin.cli.main`.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from datatwin.cli.common import (
    Context,
    friendly,
    model_option,
    param_option,
    parse_params,
    pass_context,
    schema_option,
    with_seed,
)

__all__ = ["parse_counts", "rebalance"]


def parse_counts(pairs: tuple[str, ...]) -> dict[str, int]:
    """``("Yes=5000", ...)`` as ``{"Yes": 5000}``; the last ``=`` splits (a class may hold one)."""
    counts: dict[str, int] = {}
    for pair in pairs:
        key, sep, value = pair.rpartition("=")
        try:
            number = int(value)
        except ValueError:
            sep = ""
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not CLASS=ROWS.", param_hint="--count")
        counts[key] = number
    return counts


@click.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option("-t", "--target", required=True, help="The label column to rebalance.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Output table (.csv, .parquet or .jsonl): the real rows, then the new ones.",
)
@click.option(
    "--ratio",
    type=float,
    default=None,
    help="Least size of every class relative to the largest, in (0, 1] (default 1: balanced).",
)
@click.option(
    "--count",
    "count_pairs",
    multiple=True,
    metavar="CLASS=ROWS",
    help="Total rows wanted for a class (repeatable), e.g. --count Yes=3000.",
)
@model_option
@click.option(
    "--mark", default=None, metavar="COLUMN", help="Add a column, True on the synthetic rows."
)
@schema_option
@click.option(
    "--seed", type=click.IntRange(min=0), default=None, help="Seed for a reproducible result."
)
@param_option
@pass_context
@friendly
def rebalance(
    ctx: Context,
    data: Path,
    target: str,
    output: Path,
    ratio: float | None,
    count_pairs: tuple[str, ...],
    model_name: str | None,
    mark: str | None,
    schema_path: Path | None,
    seed: int | None,
    params: tuple[str, ...],
) -> None:
    """Add synthetic rows of the rare classes of TARGET in DATA and write all rows to OUTPUT.

    One model is fitted on the whole table, then each rare class is sampled on the condition
    TARGET = class. The real rows come first, unchanged. Without --ratio or --count every class
    is made as large as the largest.
    """
    from datatwin.augment.rebalance import rebalance as add_rows
    from datatwin.errors import ParameterError
    from datatwin.io.atomic import check_writable
    from datatwin.io.tables import read_table, table_format, write_table
    from datatwin.models.registry import default_synthesizer
    from datatwin.schema.columns import Schema

    reporter = ctx.reporter
    counts = parse_counts(count_pairs) if count_pairs else None
    table_format(output)  # fail on a bad output path before a long fit
    check_writable(output)
    if ratio is not None and counts is not None:
        raise ParameterError("Give either --ratio or --count, not both.")
    extra = parse_params(params)
    seed = with_seed(extra, seed)
    schema_obj = Schema.from_json(schema_path) if schema_path is not None else None
    with reporter.step(f"Reading {data}"):
        df = read_table(data)
    name = model_name or default_synthesizer()
    started = time.perf_counter()
    with reporter.training(f"Fitting {name} on {len(df):,} rows and sampling") as progress:
        out = add_rows(
            df,
            target,
            ratio=ratio,
            counts=counts,
            model=name,
            mark=mark,
            seed=seed,
            schema=schema_obj,
            progress=progress,
            **extra,
        )
    elapsed = time.perf_counter() - started
    write_table(out, output)
    before = df[target].value_counts()
    after = out[target].value_counts()
    changes = ", ".join(
        f"{cls} {before[cls]:,} -> {after[cls]:,}" for cls in before.index if before[cls] > 0
    )
    reporter.info(
        f"{target}: {changes}; wrote {len(out):,} rows ({len(out) - len(df):,} new) to {output} "
        f"in {elapsed:.1f} s"
    )
