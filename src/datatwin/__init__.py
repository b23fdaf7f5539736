"""datatwin: synthetic data that keeps the statistical structure of real tables.

>>> import datatwin as dt
>>> import pandas as pd
>>> real = pd.DataFrame({"age": [23, 35, 41, 52, 67] * 20, "smoker": ["no", "yes"] * 50})
>>> model = dt.synthesizer("copula", seed=0).fit(real)
>>> model.sample(3).columns.tolist()
['age', 'smoker']
"""

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
    "Synthesizer",
    "__version__",
    "available_synthesizers",
    "default_synthesizer",
    "detect_schema",
    "evaluate",
    "load",
    "read_table",
    "rebalance",
    "synthesizer",
    "write_table",
]
