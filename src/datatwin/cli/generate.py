"""``datatwin generate``: make the tables of a spec from scratch and write them out.

The command is registered on the ``datatwin`` group by :mod:`datatwin.cli.main`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from datatwin.cli.common import Context, friendly, pass_context

__all__ = ["generate", "parse_rows", "table_infos"]


def parse_rows(pairs: tuple[str, ...]) -> int | dict[str, int] | None:
    """``("customers=500", ...)`` as ``{"customers": 500}``; a lone ``("500",)`` as 500."""
    if not pairs:
        return None
    if len(pairs) == 1 and pairs[0].strip().isdigit():
        return int(pairs[0])
    out: dict[str, int] = {}
    for pair in pairs:
        table, sep, value = pair.rpartition("=")
        if not sep or not table or not value.strip().isdigit():
            raise click.BadParameter(f"{pair!r} is not TABLE=ROWS.", param_hint="--rows")
        out[table.strip()] = int(value)
    return out


def table_infos(spec: Any) -> list[Any]:
    """What the output needs to know of each table: its primary key (its first id column) and
    its foreign keys (those that refer to another table's primary key, which a database can
    declare)."""
    from datatwin.io.sinks import ForeignKey, TableInfo
    from datatwin.spec.ids import ForeignKeyColumn

    primary = {name: table.primary_key() for name, table in spec.tables.items()}
    primary = {
        name: key if key in spec.tables[name].visible else None for name, key in primary.items()
    }
    infos = []
    for name, table in spec.tables.items():
        keys = tuple(
            ForeignKey(column.name, column.target[0], column.target[1])
            for column in table.columns.values()
            if isinstance(column, ForeignKeyColumn)
            and column.name in table.visible
            and primary[column.target[0]] == column.target[1]
        )
        infos.append(TableInfo(name, primary[name], keys))
    return infos


@click.command()
@click.argument("spec_path", metavar="SPEC", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    required=True,
    help="A folder (one file per table) or a database URL: sqlite:///test.db, postgresql://...",
)
@click.option(
    "--rows",
    "row_pairs",
    multiple=True,
    metavar="TABLE=N",
    help="Rows of a table that has its own count (repeatable); N alone for a single such table.",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "csv", "jsonl"]),
    default=None,
    help="File format in a folder (default: parquet).",
)
@click.option(
    "--chunk-rows",
    type=click.IntRange(min=1),
    default=None,
    help="Rows per chunk written (memory use; the output is the same for any value).",
)
@click.option("--overwrite", is_flag=True, help="Replace existing files or tables.")
@pass_context
@friendly
def generate(
    ctx: Context,
    spec_path: Path,
    output: str,
    row_pairs: tuple[str, ...],
    seed: int,
    fmt: str | None,
    chunk_rows: int | None,
    overwrite: bool,
) -> None:
    """Make the tables described by the spec SPEC (YAML or JSON) and write them to OUTPUT.

    \b
    datatwin generate bank.yaml -o out/ --rows customers=10000 --format csv
    datatwin generate bank.yaml -o sqlite:///bank.db --seed 7
    """
    from datatwin.io.sinks import OutputExistsError, open_sink
    from datatwin.spec import DEFAULT_CHUNK_ROWS, Spec, iter_generate

    rows = parse_rows(row_pairs)
    spec = Spec.load(spec_path)
    chunks = iter_generate(spec, rows, seed, chunk_rows=chunk_rows or DEFAULT_CHUNK_ROWS)
    started = time.perf_counter()
    try:
        with (
            ctx.reporter.step(f"Generating {', '.join(spec.tables)}"),
            open_sink(output, table_infos(spec), format=fmt, overwrite=overwrite) as sink,
        ):
            for table, chunk in chunks:
                sink.write(table, chunk)
    except OutputExistsError as exc:  # the API's advice says overwrite=True
        raise click.ClickException(exc.advice("--overwrite")) from None
    elapsed = time.perf_counter() - started
    for name in spec.tables:
        ctx.reporter.info(f"{name}: {sink.rows[name]:,} rows")
    total = sum(sink.rows.values())
    ctx.reporter.info(
        f"Wrote {total:,} rows in {len(spec.tables)} table{'s' if len(spec.tables) != 1 else ''} "
        f"to {output} in {elapsed:.1f} s"
    )
