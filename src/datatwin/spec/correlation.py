"""Correlations between columns of a table, made with a Gaussian copula.

``correlations:`` lists pairs (``[age, income, 0.4]`` or ``{columns: [age, income], r: 0.4}``)
or gives a matrix (``{columns: [a, b, c], matrix: [[1, .5, 0], ...]}``). Columns linked by any
pair form a group; a pair of the group that is not listed gets the product of the listed ones
along a path between them (so with income~age and age~score listed, income and score are linked
only through age); each group draws correlated standard normals (through the Cholesky factor of
its matrix), turns them into uniforms and feeds each column's inverse CDF. The figures are the
correlations of those latent normals, which the columns' Spearman correlations follow closely.
A matrix that is not positive definite is an error, unless ``nearest: true`` asks for the nearest
one that is.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from datatwin.spec.base import Block, ColumnSpec
from datatwin.spec.document import Seq, Where
from datatwin.spec.reader import Section, is_number

__all__ = ["CorrelatedGroup", "nearest_correlation", "parse_correlations"]

Matrix = npt.NDArray[np.float64]


class CorrelatedGroup:
    """Columns drawn together from one set of correlated normals."""

    def __init__(self, names: list[str], matrix: Matrix, where: Where) -> None:
        self.names = names
        self.matrix = matrix
        self.where = where
        self.factor = np.linalg.cholesky(matrix)

    def uniforms(self, block: Block) -> Matrix:
        rng = block.rng("#copula:" + "+".join(self.names))
        z = rng.standard_normal((block.n, len(self.names))) @ self.factor.T
        return np.asarray(special.ndtr(z), dtype=np.float64)


def nearest_correlation(matrix: Matrix, floor: float = 1e-6) -> Matrix:
    """The nearest correlation matrix with eigenvalues >= ``floor`` (Higham's alternating
    projections, a few dozen rounds)."""
    y = matrix.copy()
    correction = np.zeros_like(y)
    for _ in range(100):
        r = y - correction
        values, vectors = np.linalg.eigh((r + r.T) / 2)
        x = (vectors * np.maximum(values, floor)) @ vectors.T
        correction = x - r
        y = x.copy()
        np.fill_diagonal(y, 1.0)
        if np.linalg.eigvalsh(y).min() >= floor / 2:
            break
    return y


def _pairs(section: Section) -> list[tuple[str, str, float, Where]]:
    """Pairs from the list form."""
    items = section.data["correlations"]
    where = section.at("correlations")
    out = []
    for index, item in enumerate(items):
        at = where.at(index, items)
        if isinstance(item, list) and len(item) == 3 and is_number(item[2]):
            a, b, r = item
        elif isinstance(item, dict):
            pair = Section(item, at, f"correlation {index + 1} of {section.what}")
            pair.allow(["columns", "r"])
            names = pair.sequence("columns", min_length=2)
            if len(names) != 2:
                raise at.error(f"Correlation {index + 1} of {section.what} needs two columns.")
            a, b = names
            r = pair.number("r", low=-1.0, high=1.0)
        else:
            raise at.error(
                f"Correlation {index + 1} of {section.what} must be [column, column, r] or "
                "{columns: [a, b], r: 0.5}."
            )
        if not (isinstance(a, str) and isinstance(b, str)) or a == b:
            raise at.error(
                f"Correlation {index + 1} of {section.what} needs two different column names."
            )
        if not -1.0 <= float(r) <= 1.0:
            raise at.error(
                f"Correlation {index + 1} of {section.what} has r = {r}; it must be "
                "between -1 and 1."
            )
        out.append((a, b, float(r), at))
    return out


def _matrix(section: Section) -> tuple[list[str], Matrix, Where]:
    block = section.section("correlations", f"the correlations of {section.what}")
    block.allow(["columns", "matrix", "nearest"])
    names = block.sequence("columns", min_length=2)
    rows = block.sequence("matrix", min_length=len(names))
    if len(rows) != len(names) or any(
        not isinstance(row, list) or len(row) != len(names) for row in rows
    ):
        raise block.fail("matrix", f"{block.title()} need a {len(names)} x {len(names)} matrix.")
    matrix = np.array(rows, dtype=np.float64)
    if not np.allclose(matrix, matrix.T) or not np.allclose(np.diag(matrix), 1.0):
        raise block.fail(
            "matrix", f"{block.title()} need a symmetric matrix with 1 on the diagonal."
        )
    if np.abs(matrix).max() > 1:
        raise block.fail("matrix", f"{block.title()} have a value outside [-1, 1].")
    return names, matrix, block.at("matrix")


def parse_correlations(section: Section, columns: dict[str, ColumnSpec]) -> list[CorrelatedGroup]:
    """The table's correlated groups (empty when it has no ``correlations``)."""
    if "correlations" not in section:
        return []
    raw = section.raw("correlations")
    nearest = False
    if isinstance(raw, dict):
        names, matrix, where = _matrix(section)
        nearest = bool(raw.get("nearest", False))
        pairs = [
            (names[i], names[j], float(matrix[i, j]), where)
            for i in range(len(names))
            for j in range(i + 1, len(names))
        ]
        members = list(names)
    elif isinstance(raw, Seq | list):
        pairs = _pairs(section)
        members = list(dict.fromkeys(name for a, b, _, _ in pairs for name in (a, b)))
    else:
        raise section.fail(
            "correlations",
            f"The correlations of {section.what} must be a list "
            "of pairs or {columns: [...], matrix: [[...]]}.",
        )
    for a, b, _, at in pairs:
        for name in (a, b):
            column = columns.get(name)
            if column is None:
                raise at.error(
                    f"A correlation of {section.what} names the column {name!r}, "
                    f"which the table does not have (columns: {sorted(columns)})."
                )
            if not getattr(column, "correlatable", False):
                raise at.error(
                    f"A correlation of {section.what} names {name!r}, a {column.kind} column; "
                    "correlate numeric, duration, date-time, categorical or boolean columns."
                )
    return _groups(members, pairs, nearest, section)


def _groups(
    members: list[str],
    pairs: list[tuple[str, str, float, Where]],
    nearest: bool,
    section: Section,
) -> list[CorrelatedGroup]:
    parent = {name: name for name in members}

    def root(name: str) -> str:
        while parent[name] != name:
            name = parent[name]
        return name

    for a, b, _, _ in pairs:
        parent[root(a)] = root(b)
    groups: dict[str, list[str]] = {}
    for name in members:
        groups.setdefault(root(name), []).append(name)
    out = []
    for names in groups.values():
        index = {name: i for i, name in enumerate(names)}
        matrix = np.eye(len(names))
        where = section.at("correlations")
        seen: dict[tuple[int, int], float] = {}
        for a, b, r, at in pairs:
            if a not in index:
                continue
            i, j = sorted((index[a], index[b]))
            if (i, j) in seen and seen[(i, j)] != r:
                raise at.error(
                    f"The correlation of {a!r} and {b!r} in {section.what} is given "
                    "twice with different values; keep one."
                )
            seen[(i, j)] = r
            matrix[i, j] = matrix[j, i] = r
            where = at
        _complete(matrix, seen)
        smallest = float(np.linalg.eigvalsh(matrix).min())
        if smallest <= 1e-10:
            if not nearest:
                raise where.error(
                    f"The correlations of {names} in {section.what} cannot hold together (the "
                    f"matrix is not positive definite: smallest eigenvalue {smallest:.3g}); "
                    "weaken some of them, or write them as {columns: [...], matrix: [[...]], "
                    "nearest: true} to use the nearest valid matrix."
                )
            matrix = nearest_correlation(matrix)
        out.append(CorrelatedGroup(names, matrix, where))
    return out


def _complete(matrix: Matrix, given: dict[tuple[int, int], float]) -> None:
    """Fill the pairs not given with the product of the given correlations along a path between
    them (for pairs given as a tree, the completion where columns are linked only through the
    given pairs); pairs of a matrix are all given."""
    size = len(matrix)
    links: dict[int, list[int]] = {i: [] for i in range(size)}
    for i, j in given:
        links[i].append(j)
        links[j].append(i)
    for start in range(size):
        value = {start: 1.0}
        queue = [start]
        while queue:
            node = queue.pop(0)
            for nxt in sorted(links[node]):
                if nxt not in value:
                    value[nxt] = value[node] * matrix[node, nxt]
                    queue.append(nxt)
        for other, r in value.items():
            if other != start and (min(start, other), max(start, other)) not in given:
                matrix[start, other] = matrix[other, start] = r


def correlated_values(
    group: CorrelatedGroup, block: Block, columns: dict[str, Any]
) -> dict[str, Any]:
    """Each column of the group drawn from its share of the group's uniforms."""
    u = group.uniforms(block)
    out: dict[str, Any] = {}
    for k, name in enumerate(group.names):
        column = columns[name]
        out[name] = column.finish(block, column.from_uniform(block, u[:, k]))
        block.values[name] = out[name]
    return out
