"""``datatwin spec``: draft a generation spec from a real table, for a person to edit.

The command is registered on the ``datatwin`` group by :mod:`datatwin.cli.main`.
"""

from __future__ import annotations

import re
from pathlib import Path

import click

from datatwin.cli.common import Context, friendly, pass_context

__all__ = ["spec"]

HEADER = """\
# Drafted by `datatwin spec` from {source}: edit it before use.
# Categories held by fewer than {min_count} rows are merged into "Other"; ids and personal data
# are made up; bounds are rounded outward. Make tables with:
#   datatwin generate {output} -o OUT/ --rows {table}=1000
"""


def table_name(path: Path) -> str:
    """A spec table name from a file name: ``my-data.csv`` -> ``my_data``."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", path.stem)[:63] or "table"
    return name if not name[0].isdigit() else f"_{name[:62]}"


@click.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    default=None,
    help="Save the spec to this YAML (or .json) file; default: print it.",
)
@click.option("--table", "name", default=None, help="The table's name (default: from DATA's name).")
@click.option(
    "--min-count",
    type=click.IntRange(min=1),
    default=10,
    show_default=True,
    help="Categories held by fewer rows are merged into 'Other' and never written.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=None,
    help="Read only the first N rows of DATA.",
)
@pass_context
@friendly
def spec(
    ctx: Context,
    data: Path,
    output: Path | None,
    name: str | None,
    min_count: int,
    max_rows: int | None,
) -> None:
    """Draft a generation spec from the real table DATA: fitted distributions, categories with
    weights (rare ones merged), correlations; no real row, id or personal value is copied.

    \b
    datatwin spec customers.csv -o customers.yaml
    datatwin generate customers.yaml -o out/ --rows customers=10000
    """
    import json

    from datatwin.io.atomic import atomic_write_text, check_writable
    from datatwin.io.tables import read_table
    from datatwin.spec.from_data import spec_from_table

    if output is not None:
        check_writable(output)
    table = name or table_name(data)
    with ctx.reporter.step(f"Reading {data}"):
        df = read_table(data)
    if max_rows is not None:
        df = df.iloc[:max_rows]
    with ctx.reporter.step(f"Fitting {len(df.columns)} columns of {len(df):,} rows"):
        drafted = spec_from_table(df, table, min_count=min_count)
    if output is not None and output.suffix.lower() == ".json":
        text = json.dumps(drafted.to_dict(), indent=2, ensure_ascii=False) + "\n"
    else:
        shown = output if output is not None else "spec.yaml"
        header = HEADER.format(source=data.name, min_count=min_count, output=shown, table=table)
        text = header + drafted.to_yaml()
    if output is None:
        click.echo(text, nl=False)
    else:
        atomic_write_text(output, text)
        ctx.reporter.info(
            f"Spec of table {table!r} ({len(df.columns)} columns) written to {output}"
        )
