"""Draw one block of a table: every column in order, then the rules, re-drawing offending rows.

A row that breaks a rule is drawn again whole (every column that is not a key or set by the
parent), which samples the rows the rules allow from the spec's distributions. Attempt ``k`` of a
row draws from streams keyed by ``(seed, table, column, block, k)``, so re-draws are as
reproducible as first draws. After :data:`MAX_ATTEMPTS` attempts the rule is taken to be
impossible in practice and a :class:`~datatwin.errors.SpecError` names it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from datatwin.spec.base import Block
from datatwin.spec.relations import TablePlan
from datatwin.spec.rules import failing

__all__ = ["MAX_ATTEMPTS", "draw_block", "put", "take"]

MAX_ATTEMPTS = 100


def take(values: Any, index: npt.NDArray[np.intp]) -> Any:
    """The rows ``index`` of a column (numpy or pandas array)."""
    return values[index]


def put(values: Any, index: npt.NDArray[np.intp], new: Any) -> Any:
    """A copy of ``values`` with rows ``index`` replaced by ``new``."""
    if isinstance(values, pd.Categorical):
        codes = values.codes.copy()
        codes[index] = new.codes
        return pd.Categorical.from_codes(codes, dtype=values.dtype)
    out = values.copy()
    out[index] = new
    return out


def draw_block(
    plan: TablePlan,
    seed: int,
    block_index: int,
    rows: npt.NDArray[np.int64],
    given: dict[str, Any],
    sizes: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The values of every column of the table for ``rows`` (one block), rules kept.

    ``given`` holds the parent's values (``parent.x``) for each row; ``sizes`` the rows of the
    tables that foreign keys refer to.
    """
    block = Block(seed, plan.spec.name, block_index, rows, dict(given), sizes=sizes)
    for step in plan.steps:
        block.values.update(step.run(block))
    if plan.rules and block.n:
        _keep_rules(plan, block, given)
    return block.values


def _keep_rules(plan: TablePlan, block: Block, given: dict[str, Any]) -> None:
    names: set[str] = set()
    for spec_rule in plan.rules:
        names |= set(spec_rule.rule.columns())
    ok, worst = failing(plan.rules, block.frame(names))
    bad = np.flatnonzero(~ok)
    drawn = [name for step in plan.steps for name in step.names]
    attempt = 0
    while len(bad) and attempt < MAX_ATTEMPTS:
        attempt += 1
        sub = Block(
            block.seed,
            block.table,
            block.block,
            block.rows[bad],
            {k: take(v, bad) for k, v in given.items()},
            attempt,
            block.sizes,
        )
        for step in plan.steps:
            sub.values.update(step.run(sub))
        sub_ok, worst = failing(plan.rules, sub.frame(names))
        accepted = bad[sub_ok]
        if len(accepted):
            for name in drawn:
                block.values[name] = put(block.values[name], accepted, sub.values[name][sub_ok])
        bad = bad[~sub_ok]
    if len(bad):
        assert worst is not None
        raise worst.where.error(
            f"{len(bad):,} of {block.n:,} rows of table {plan.spec.name!r} still break the "
            f"constraint '{worst.describe()}' after {MAX_ATTEMPTS} new draws each, so it is "
            "(nearly) impossible with these columns' distributions; loosen the rule or change "
            "the distributions."
        )
