"""datatwin: synthetic data that keeps the statistical structure of real tables.

>>> import datatwin as dt
>>> import pandas as pd
>>> real = pd.DataFrame({"age": [23, 35, 41, 52, 67] * 20, "smoker": ["no", "yes"] * 50})
>>> model = dt.synthesizer("copula", seed=0).fit(real)
>>> model.sample(3).columns.tolist()
['age', 'smoker']
"""

import typing as _typing

from datatwin._version import __version__
from datatwin.augment import rebalance
from datatwin.errors import (
    DataError,
    DatatwinError,
    MissingDependencyError,
    ModelFileError,
    NotFittedError,
    ParameterError,
    SchemaError,
    SpecError,
)
from datatwin.evaluate import Report, evaluate
from datatwin.io import read_table, write_table
from datatwin.io.load import load
from datatwin.models import (
    Synthesizer,
    available_synthesizers,
    default_synthesizer,
    synthesizer,
)
from datatwin.schema import Column, Schema, detect_schema

if _typing.TYPE_CHECKING:
    import os
    from collections.abc import Mapping

    import pandas as pd

    from datatwin.spec import Spec

__all__ = [
    "Column",
    "DataError",
    "DatatwinError",
    "MissingDependencyError",
    "ModelFileError",
    "NotFittedError",
    "ParameterError",
    "Report",
    "Schema",
    "SchemaError",
    "SpecError",
    "Synthesizer",
    "__version__",
    "available_synthesizers",
    "default_synthesizer",
    "detect_schema",
    "evaluate",
    "generate",
    "load",
    "read_table",
    "rebalance",
    "synthesizer",
    "write_table",
]


def generate(
    spec: "Spec | str | os.PathLike[str] | Mapping[str, _typing.Any]",
    rows: "int | Mapping[str, int] | None" = None,
    seed: int = 0,
) -> "dict[str, pd.DataFrame]":
    """Tables made from scratch by a spec (YAML or JSON file or text, dict, or ``Spec``).

    ``rows`` overrides the row counts of the tables that have their own (``{"customers": 500}``,
    or a number when only one table has); the same spec, rows and seed give the same tables.
    See :mod:`datatwin.spec` (``iter_generate`` streams large tables in chunks).
    """
    from datatwin.spec.engine import generate as generate_tables

    return generate_tables(spec, rows, seed)
