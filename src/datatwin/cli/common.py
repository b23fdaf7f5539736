"""What every ``datatwin`` command shares: the context, clean errors, common options."""

from __future__ import annotations

import functools
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from datatwin.cli.progress import Reporter
from datatwin.errors import DatatwinError, ParameterError

__all__ = [
    "Context",
    "friendly",
    "model_option",
    "param_option",
    "parse_params",
    "pass_context",
    "schema_option",
    "with_seed",
]

F = TypeVar("F", bound=Callable[..., Any])


class Context:
    """Options shared by every command."""

    def __init__(self, quiet: bool, debug: bool) -> None:
        self.debug = debug
        self.reporter = Reporter(quiet)


def friendly(command: F) -> F:
    """Turn datatwin's errors into one clean line; unexpected ones into a short bug report."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        context = click.get_current_context().find_object(Context)
        debug = context is not None and context.debug
        try:
            return command(*args, **kwargs)
        except click.ClickException:
            raise
        except DatatwinError as exc:
            if debug:
                traceback.print_exc()
            raise click.ClickException(str(exc)) from None
        except MemoryError:
            raise click.ClickException(
                "Ran out of memory; sample fewer rows at a time or use a smaller table."
            ) from None
        except KeyboardInterrupt:
            click.echo("Interrupted; nothing was written.", err=True)
            sys.exit(130)
        except OSError as exc:
            raise click.ClickException(f"{exc.strerror or exc} ({exc.filename}).") from None
        except Exception as exc:
            if debug:
                traceback.print_exc()
            raise click.ClickException(
                f"Unexpected internal error ({type(exc).__name__}: {exc}); this is a bug in "
                "datatwin, please report it with the output of --debug."
            ) from None

    return wrapper  # type: ignore[return-value]


pass_context = click.make_pass_decorator(Context)

model_option = click.option(
    "-m",
    "--model",
    "model_name",
    default=None,
    help="Synthesizer to fit (see `datatwin models`); default: the project's default.",
)
schema_option = click.option(
    "--schema",
    "schema_path",
    type=click.Path(path_type=Path),
    help="Schema JSON to use instead of detecting one (see `datatwin schema`).",
)
param_option = click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A synthesizer parameter (repeatable), e.g. -p epochs=20.",
)


def parse_params(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``("KEY=VALUE", ...)`` as a dict; values are read as JSON when they are JSON."""
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE.", param_hint="--param")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def with_seed(params: dict[str, Any], seed: int | None) -> int | None:
    """The seed from ``--seed`` or ``-p seed=...`` (removed from ``params``), given once."""
    if "seed" not in params:
        return seed
    if seed is not None and params["seed"] != seed:
        raise ParameterError(
            f"The seed is given twice, as --seed {seed} and -p seed={params['seed']}; give it once."
        )
    return params.pop("seed")
