"""Generate data from scratch: a declarative spec of tables, distributions, keys and rules.

>>> import datatwin as dt
>>> spec = '''
... format: datatwin-spec
... version: 1
... tables:
...   people:
...     rows: 3
...     columns:
...       id: {type: id, kind: sequential}
...       age: {distribution: normal, mean: 40, sd: 10, min: 18, max: 90, round: 0}
... '''
>>> dt.generate(spec, seed=1)["people"].columns.tolist()
['id', 'age']

See :mod:`datatwin.spec.document` for the file format and :func:`iter_generate` for streaming.
"""

from __future__ import annotations

from datatwin.errors import SpecError
from datatwin.spec.distributions import FAMILIES
from datatwin.spec.document import SPEC_FORMAT, SPEC_VERSION, upgrade_spec
from datatwin.spec.engine import DEFAULT_CHUNK_ROWS, generate, generate_rows, iter_generate
from datatwin.spec.from_data import spec_from_table
from datatwin.spec.randomness import BLOCK_ROWS
from datatwin.spec.specification import Spec
from datatwin.spec.tables import COLUMN_TYPES

__all__ = [
    "BLOCK_ROWS",
    "COLUMN_TYPES",
    "DEFAULT_CHUNK_ROWS",
    "FAMILIES",
    "SPEC_FORMAT",
    "SPEC_VERSION",
    "Spec",
    "SpecError",
    "generate",
    "generate_rows",
    "iter_generate",
    "spec_from_table",
    "upgrade_spec",
]
