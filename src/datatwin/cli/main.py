"""The ``datatwin`` command line: schema, fit, sample and demo.

Every user error ends with one sentence on stderr and a non-zero exit status; tracebacks are shown
only with ``--debug``.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

import click

from datatwin._version import __version__
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
from datatwin.cli.generate import generate
from datatwin.cli.rebalance import rebalance
from datatwin.cli.spec_command import spec

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="datatwin")
@click.option(
    "-q", "--quiet", is_flag=True, help="Print nothing but errors (and requested output)."
)
@click.option("--debug", is_flag=True, hidden=True, help="Show tracebacks.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, debug: bool) -> None:
    """datatwin: learn a table, sample a synthetic twin.

    \b
    Tables are read and written by extension: .csv, .parquet, .jsonl.
    Start with:  datatwin demo
    """
    ctx.obj = Context(quiet, debug)


cli.add_command(rebalance)
cli.add_command(generate)
cli.add_command(spec)


@cli.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), help="Save the schema to this JSON file."
)
@click.option(
    "--suggest-constraints",
    "suggest",
    is_flag=True,
    help="Add rules that hold on every row of DATA (inequalities, formulas, fixed combinations, "
    "one-hot groups, signs, unique columns) to the schema's constraints, each with a 'why'; "
    "delete the ones that are not real rules before fitting with the schema.",
)
@pass_context
@friendly
def schema(ctx: Context, data: Path, output: Path | None, suggest: bool) -> None:
    """Print the schema detected from DATA as JSON."""
    from datatwin.io.atomic import check_writable
    from datatwin.io.tables import read_table
    from datatwin.schema.detect import detect_schema

    if output is not None:
        check_writable(output)
    with ctx.reporter.step(f"Reading {data}"):
        df = read_table(data)
    detected = detect_schema(df)
    if suggest:
        from rich.markup import escape

        from datatwin.constraints.suggest import suggest_constraints

        with ctx.reporter.step("Looking for rules that hold on every row"):
            detected.constraints = suggest_constraints(df, detected)
        for rule in detected.constraints:
            ctx.reporter.info(escape(f"  {_describe_rule(rule)}: {rule['why']}"))
        ctx.reporter.info(
            f"{len(detected.constraints)} suggested constraint(s) in the schema's 'constraints'; "
            "they hold in this data, which does not make them rules: keep only the real ones."
        )
    text = detected.to_json(output)
    if output is None:
        click.echo(text, nl=False)
    else:
        ctx.reporter.info(f"Schema of {len(detected)} columns written to {output}")


def _describe_rule(rule: dict[str, Any]) -> str:
    fields = ", ".join(f"{k}={v!r}" for k, v in rule.items() if k not in ("type", "why"))
    return f"{rule['type']}({fields})"


@cli.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Where to save the fitted model (.dtw).",
)
@model_option
@schema_option
@click.option(
    "--seed", type=click.IntRange(min=0), default=None, help="Seed for a reproducible fit."
)
@param_option
@click.option(
    "--epochs",
    type=click.IntRange(min=1),
    default=None,
    help="Training epochs, for models that train in epochs.",
)
@click.option(
    "--max-minutes",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Wall-clock budget for training, for models that train in epochs.",
)
@pass_context
@friendly
def fit(
    ctx: Context,
    data: Path,
    output: Path,
    model_name: str | None,
    schema_path: Path | None,
    seed: int | None,
    params: tuple[str, ...],
    epochs: int | None,
    max_minutes: float | None,
) -> None:
    """Fit a synthesizer on DATA and save it to a model file."""
    from datatwin.io.atomic import check_writable
    from datatwin.io.tables import read_table
    from datatwin.models.registry import synthesizer
    from datatwin.schema.columns import Schema

    check_writable(output)  # fail on a bad output path before a long fit
    extra = parse_params(params)
    seed = with_seed(extra, seed)
    if epochs is not None:
        extra["epochs"] = epochs
    if max_minutes is not None:
        extra["max_minutes"] = max_minutes
    model = synthesizer(model_name, seed=seed, **extra)
    schema_obj = Schema.from_json(schema_path) if schema_path is not None else None
    with ctx.reporter.step(f"Reading {data}"):
        df = read_table(data)
    started = time.perf_counter()
    with ctx.reporter.training(f"Fitting {model.name} on {len(df):,} rows") as progress:
        model.fit(df, schema=schema_obj, progress=progress)
    elapsed = time.perf_counter() - started
    model.save(output)
    ctx.reporter.info(f"Fitted {model.name} in {elapsed:.1f} s; model saved to {output}")


@cli.command()
@click.argument("model_path", metavar="MODEL", type=click.Path(path_type=Path))
@click.option("-n", "--rows", type=click.IntRange(min=0), required=True, help="Number of rows.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    required=True,
    help="Output table (.csv, .parquet or .jsonl).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Seed: the same seed gives the same rows, byte for byte.",
)
@click.option(
    "--where",
    "where",
    multiple=True,
    metavar="COND",
    help="Every row meets COND: 'age>=30', 'income=>50K' (equals '>50K'), 'age=30..40', "
    "'sex=Male|Female', 'sex!=Male'. Repeat for several.",
)
@pass_context
@friendly
def sample(
    ctx: Context,
    model_path: Path,
    rows: int,
    output: Path,
    seed: int | None,
    where: tuple[str, ...],
) -> None:
    """Sample ROWS new rows from MODEL and write them to OUTPUT.

    With --where, every row meets every condition. The operator is the first of = != < <= > >=
    in COND, so 'income=>50K' asks for income equal to '>50K'.
    """
    from datatwin.io.load import load
    from datatwin.io.tables import table_format, write_table, write_table_chunks
    from datatwin.models.conditions import parse_where

    table_format(output)  # fail on a bad extension before any work
    conditions = parse_where(where) if where else None
    model = load(model_path)
    started = time.perf_counter()
    if rows == 0:
        write_table(model.sample(0, seed=seed, conditions=conditions), output)
    else:
        with ctx.reporter.bar("Sampling", rows) as advance:
            chunks = model.iter_sample(rows, seed=seed, conditions=conditions)
            write_table_chunks(chunks, output, on_chunk=advance)
    elapsed = time.perf_counter() - started
    ctx.reporter.info(f"Wrote {rows:,} rows to {output} in {elapsed:.1f} s")


def _parse_bars(pairs: tuple[str, ...], option: str) -> dict[str, float]:
    bars = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        try:
            bars[key] = float(value)
        except ValueError:
            sep = ""
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=NUMBER.", param_hint=option)
    return bars


@cli.command()
@click.argument("real_path", metavar="REAL", type=click.Path(path_type=Path))
@click.argument("synthetic_path", metavar="SYNTH", type=click.Path(path_type=Path))
@click.option(
    "--holdout",
    type=click.Path(path_type=Path),
    help="Real rows the model never saw: enables utility and privacy distances.",
)
@click.option("--target", help="Column that utility predicts (needs --holdout).")
@click.option("--schema", "schema_path", type=click.Path(path_type=Path), help="Schema JSON.")
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write the JSON report.")
@click.option("--html", "html_path", type=click.Path(path_type=Path), help="Write the HTML report.")
@click.option(
    "--fail-under",
    "fail_under",
    multiple=True,
    metavar="KEY=VALUE",
    help="Exit 1 when a score is below VALUE (e.g. fidelity.column_shapes=0.9).",
)
@click.option(
    "--fail-over",
    "fail_over",
    multiple=True,
    metavar="KEY=VALUE",
    help="Exit 1 when a score is above VALUE (e.g. detection.auc=0.8).",
)
@pass_context
@friendly
def evaluate(
    ctx: Context,
    real_path: Path,
    synthetic_path: Path,
    holdout: Path | None,
    target: str | None,
    schema_path: Path | None,
    json_path: Path | None,
    html_path: Path | None,
    fail_under: tuple[str, ...],
    fail_over: tuple[str, ...],
) -> None:
    """Score the synthetic table SYNTH against the REAL one it was trained on."""
    from datatwin.evaluate.report import evaluate as run_evaluation
    from datatwin.io.tables import read_table
    from datatwin.schema.columns import Schema

    under, over = _parse_bars(fail_under, "--fail-under"), _parse_bars(fail_over, "--fail-over")
    schema_obj = Schema.from_json(schema_path) if schema_path is not None else None
    with ctx.reporter.step("Reading the tables"):
        real, synthetic = read_table(real_path), read_table(synthetic_path)
        held = read_table(holdout) if holdout is not None else None
    with ctx.reporter.step("Evaluating"):
        report = run_evaluation(real, synthetic, holdout=held, target=target, schema=schema_obj)
    for area, info in report.verdicts.items():
        click.echo(f"{area:<10} {info['verdict']}")
    for key, value in report.summary():
        click.echo(f"  {key:<34} {value}")
    for warning in report.warnings:
        ctx.reporter.info(f"warning: {warning}")
    if json_path is not None:
        report.to_json(json_path)
    if html_path is not None:
        report.to_html(html_path)
    failures = [
        f"{k} = {_value(report, k):.4f} is below {v}"
        for k, v in under.items()
        if _value(report, k) < v
    ]
    failures += [
        f"{k} = {_value(report, k):.4f} is above {v}"
        for k, v in over.items()
        if _value(report, k) > v
    ]
    if failures:
        raise click.ClickException("; ".join(failures) + ".")


def _value(report: Any, key: str) -> float:
    value = report.score(key)
    if not isinstance(value, int | float):
        raise click.ClickException(f"The score {key!r} was not measured; it cannot gate a run.")
    return float(value)


@cli.command()
def models() -> None:
    """List the registered synthesizers."""
    from datatwin.models.registry import available_synthesizers, default_synthesizer

    default = default_synthesizer()
    for name in available_synthesizers():
        click.echo(f"{name}{'  (default)' if name == default else ''}")


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("datatwin-demo"),
    show_default=True,
    help="Folder for the demo's files.",
)
@click.option(
    "-n",
    "--rows",
    type=click.IntRange(min=1),
    default=None,
    help="Synthetic rows to make (default: as many as the real table).",
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@pass_context
@friendly
def demo(ctx: Context, out: Path, rows: int | None, seed: int) -> None:
    """Run the whole path on a bundled real table (UCI Adult census sample)."""
    from datatwin.demo import run_demo

    with ctx.reporter.step("Fitting, sampling and scoring on the bundled Adult census sample"):
        result = run_demo(out, rows=rows, seed=seed)
    report = result.report
    click.echo(
        f"Real table:      {result.rows_in:,} training rows of the bundled UCI Adult "
        f"sample (another {report.sample_sizes['privacy']['holdout']:,} held out)"
    )
    click.echo(f"Fit:             {result.fit_seconds:.2f} s")
    click.echo(f"Sample:          {result.rows_out:,} rows in {result.sample_seconds:.2f} s")
    for area, info in report.verdicts.items():
        click.echo(f"{area.title() + ':':<16} {info['verdict']}")
    for key in (
        "fidelity.column_shapes",
        "fidelity.column_pairs",
        "detection.auc",
        "utility.tstr",
        "utility.trtr",
        "privacy.dcr_share",
        "privacy.exact_copies",
    ):
        click.echo(f"  {key:<28} {report.score(key):.3f}")
    click.echo("Files written:")
    for label, path in result.files.items():
        click.echo(f"  {label:<10} {path}")
    click.echo(f"Open {result.files['report']} in a browser for the full report.")
    click.echo(f"Next: {_program()} sample {result.files['model']} -n 1000 -o more.csv")


def _program() -> str:
    """How the user can call this program again: its name if it is on PATH, else its path."""
    invoked = Path(sys.argv[0])
    found = shutil.which(invoked.name)
    if found and invoked.exists() and Path(found).resolve() == invoked.resolve():
        return invoked.name
    return str(invoked) if invoked.name == "datatwin" else "datatwin"


def main() -> None:
    """Entry point of the ``datatwin`` console script."""
    cli(prog_name="datatwin")


if __name__ == "__main__":  # pragma: no cover
    main()
