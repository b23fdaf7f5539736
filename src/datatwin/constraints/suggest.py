"""Suggest constraints that hold on every row of a real table, for a person to accept or drop.

Each suggestion is a constraint in the schema's constraint format plus a ``"why"`` sentence with
the evidence. Columns of kind id, pii, constant and empty are left out. A rule over several columns
holds when it holds on every row where all of them have values, and is only suggested when at least
:data:`MIN_ROWS` rows have them all (fewer is too little evidence, whatever the share of the table).

Rules that add nothing to what a model keeps anyway (each column's range) are left out: ranges
themselves, inequalities that values drawn independently from the two columns would (almost) never
break, combinations no sparser than chance would leave them, formulas whose operand is 0 or the same
on nearly every row, and inequalities implied by others (``a <= b <= c`` drops ``a <= c``).
Pair and triple rules are screened on a few random rows, then checked on every row.
"""

from __future__ import annotations

import itertools
import keyword
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from datatwin.errors import DataError
from datatwin.schema.columns import Schema
from datatwin.schema.detect import check_table, detect_schema

__all__ = ["suggest_constraints"]

MIN_ROWS = 20  # rows with values in every column of a rule, for the rule to count as evidence
MAX_NUMERIC = 40  # numeric (and boolean) columns looked at for pair and triple rules
MAX_LEVELS = 100  # fixed combinations: columns with at most this many values ...
MAX_TRIPLE_LEVELS = 20  # ... in triples, and for whole-number columns, at most this many ...
MAX_TRIPLE_COLUMNS = 24  # ... and the first this many of those are tried in triples
SPARSE = 0.5  # fixed combinations: at most this share of the combinations chance would leave
MIN_BREAK_SHARE = 0.001  # inequalities: independent draws would break it on this share of rows
MIN_BREAK_ROWS = 5.0  # ... and on this many rows
REL_TOL = 1e-9  # formulas: relative tolerance (exact when all three hold whole numbers)
SAMPLE_ROWS = (32, 512)  # rows of the two screening passes
MAX_CLIQUES = 2000  # one-hot: candidate groups looked at
TRUE_WORDS = ("true", "yes", "y", "t", "1")
Rule = dict[str, Any]


@dataclass
class _Codes:
    name: str
    codes: np.ndarray  # 0 .. levels - 1, and ``levels`` where missing
    levels: int
    numeric: bool


class _Table:
    """The columns that rules can be about, as arrays; missing values are NaN or masked out."""

    def __init__(self, df: pd.DataFrame, schema: Schema) -> None:
        columns = [c for c in schema if c.name in df.columns]
        self.n = len(df)
        self.order = np.random.default_rng(0).permutation(self.n)  # random rows for screening
        numeric = [(c, _numbers(df[c.name])) for c in columns if c.kind == "numeric"]
        numeric = [(c, v) for c, v in numeric if (s := _spread(v))[0] < s[1]]  # not constant
        self.numeric = numeric
        self.names = [c.name for c, _ in numeric[:MAX_NUMERIC]]
        self.X = np.column_stack([v for _, v in numeric[:MAX_NUMERIC]] or [np.zeros(self.n)])
        finite = [v[np.isfinite(v)] for _, v in numeric[:MAX_NUMERIC]]
        exact = [bool(np.all(v == np.round(v)) and np.all(abs(v) < 2**53)) for v in finite]
        self.integer = np.array(exact, dtype=bool)
        self.decimals = [99 if c.decimals is None else c.decimals for c, _ in numeric]
        parsed = [(c.name, _stamps(df[c.name], c.format)) for c in columns if c.kind == "datetime"]
        stamps = [(name, s) for name, s in parsed if s is not None]
        self.dt_names = [name for name, _ in stamps]
        self.D = np.column_stack([s[0] for _, s in stamps] or [np.zeros(self.n, np.int64)])
        self.DM = np.column_stack([s[1] for _, s in stamps] or [np.zeros(self.n, bool)])
        flags = [(c.name, _truth(df[c.name])) for c in columns if c.kind == "boolean"]
        self.bool_names = [name for name, _ in flags[:MAX_NUMERIC]]
        self.B = np.column_stack([f for _, f in flags[:MAX_NUMERIC]] or [np.zeros(self.n)])
        self.discrete: list[_Codes] = []
        for c in columns:
            whole = c.kind == "numeric" and bool(c.integer)  # number codes, like education_num
            if c.kind in ("categorical", "boolean") or whole:
                codes, uniques = pd.factorize(df[c.name])
                if 2 <= len(uniques) <= (MAX_TRIPLE_LEVELS if whole else MAX_LEVELS):
                    codes = np.where(codes < 0, len(uniques), codes).astype(np.intp)
                    self.discrete.append(_Codes(c.name, codes, len(uniques), whole))
        self.unique = [
            c.name
            for c in columns
            if c.kind == "categorical" or (c.kind == "numeric" and c.integer)
        ]


def suggest_constraints(
    df: pd.DataFrame, schema: Schema | None = None, *, max_suggestions: int = 50
) -> list[Rule]:
    """Constraints that hold on every row of ``df``, most useful first, each with a ``"why"``.

    In order: formulas, one-hot groups, fixed combinations, inequalities, signs (``positive`` and
    ``negative``), unique columns; cut at ``max_suggestions``. Tables of fewer than
    :data:`MIN_ROWS` rows give none.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"net": [10.0 + i * 7 % 23 for i in range(40)]})
    >>> df["tax"] = [i * 3 % 11 / 2 for i in range(40)]
    >>> df["total"] = df.net + df.tax
    >>> suggest_constraints(df)[0]
    {'type': 'formula', 'column': 'total', 'expression': 'net + tax', 'why': 'holds on all 40 rows'}
    """
    if isinstance(df, pd.DataFrame) and len(df) < MIN_ROWS:
        return []
    check_table(df)
    if schema is None:
        schema = detect_schema(df)
    elif not isinstance(schema, Schema):
        raise DataError(f"Expected a datatwin Schema; got {type(schema).__name__}.")
    if max_suggestions < 1:
        return []
    table = _Table(df, schema)
    with np.errstate(all="ignore"):
        one_hot = _one_hot(table)
        equal, ordered = _orderings(table, table.names, table.X, ~np.isnan(table.X))
        ordered += _orderings(table, table.dt_names, table.D, table.DM)[1]
        found = (
            equal
            + _formulas(table)
            + one_hot
            + _fixed_combinations(table, {frozenset(r["columns"]) for r in one_hot})
            + [rule for _, rule in sorted(ordered, key=lambda o: -o[0])]
            + _signs(table)
            + _unique(df, table)
        )
    return found[:max_suggestions]


# --- formulas -----------------------------------------------------------------------------------


def _formulas(table: _Table) -> list[Rule]:
    """``c = a + b`` and ``c = a * b`` (or ``c = a / b``) on every row with all three values."""
    keep = [i for i, name in enumerate(table.names) if "`" not in name]
    combos = [
        (a, b, c) for a, b in itertools.combinations(keep, 2) for c in keep if c not in (a, b)
    ]
    found: list[tuple[int, Rule]] = []
    seen: set[frozenset[int]] = set()
    for plus in (True, False):
        cand = np.array(combos, dtype=np.intp).reshape(-1, 3)
        for size in SAMPLE_ROWS:
            ok, valid = _holds(table, table.X[table.order[:size]], cand, plus)
            cand = cand[ok & (valid >= min(3, size, table.n))] if size > 32 else cand[ok]
        for start in range(0, len(cand), 64):
            chunk = cand[start : start + 64]
            ok, valid = _holds(table, table.X, chunk, plus, full=True)
            for (a, b, c), good, count in zip(chunk.tolist(), ok, valid.tolist(), strict=True):
                if good and frozenset((a, b, c)) not in seen:
                    seen.add(frozenset((a, b, c)))
                    found.append((-count, _formula(table, a, b, c, plus, count)))
    return [rule for _, rule in sorted(found, key=lambda f: f[0])]


def _holds(
    table: _Table, X: np.ndarray, cand: np.ndarray, plus: bool, *, full: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """For candidates ``a, b, c`` (rows of ``cand``): whether it holds, and on how many rows.

    With ``full`` the formula must also say something: hold on :data:`MIN_ROWS` rows of finite
    values where neither operand is 0, and neither operand be the same on every row.
    """
    a, b, c = cand[:, 0], cand[:, 1], cand[:, 2]
    xa, xb, xc = X[:, a], X[:, b], X[:, c]
    valid = ~(np.isnan(xa) | np.isnan(xb) | np.isnan(xc))
    value = xa + xb if plus else xa * xb
    scale = abs(xa) + abs(xb) + abs(xc) if plus else np.maximum(abs(value), abs(xc))
    exact = table.integer[a] & table.integer[b] & table.integer[c]
    close = (value == xc) | (abs(value - xc) <= np.where(exact, 0.0, REL_TOL * scale))
    ok = ~(valid & ~close).any(axis=0)
    count = valid.sum(axis=0)
    if full:
        said = np.isfinite(value) & np.isfinite(xc) & (xa != 0) & (xb != 0)
        ok &= (count >= MIN_ROWS) & ((valid & said).sum(axis=0) >= MIN_ROWS)
        for x in (xa, xb):
            ok &= np.where(valid, x, np.inf).min(axis=0) < np.where(valid, x, -np.inf).max(axis=0)
    return ok, count


def _formula(table: _Table, a: int, b: int, c: int, plus: bool, count: int) -> Rule:
    names, dec, X = table.names, table.decimals, table.X
    target, expression = names[c], f"{_ref(names[a])} {'+' if plus else '*'} {_ref(names[b])}"
    finer, other = (a, b) if dec[a] >= dec[b] else (b, a)
    if not plus and dec[finer] > dec[c]:  # c = a * b, a finer-grained: written a = c / b if it is
        ratio, value = X[:, c] / X[:, other], X[:, finer]
        close = (ratio == value) | (abs(ratio - value) <= REL_TOL * abs(value))
        if np.all(close | np.isnan(value) | np.isnan(X[:, c]) | np.isnan(X[:, other])):
            target, expression = names[finer], f"{_ref(names[c])} / {_ref(names[other])}"
    why = f"holds on all {count:,} rows{_where(count, table.n, 'all three')}"
    return {"type": "formula", "column": target, "expression": expression, "why": why}


# --- one-hot groups and fixed combinations ------------------------------------------------------


def _one_hot(table: _Table) -> list[Rule]:
    """Groups of boolean columns of which exactly one is true on every row."""
    true, present = table.B == 1, ~np.isnan(table.B)
    sample = true[table.order[: SAMPLE_ROWS[-1]]]
    exclusive = ~(sample[:, :, None] & sample[:, None, :]).any(axis=0)
    for i, j in zip(*np.nonzero(exclusive), strict=True):
        exclusive[i, j] = i != j and not (true[:, i] & true[:, j]).any()
    found: list[Rule] = []
    for group in _cliques(exclusive) if len(table.bool_names) > 1 else []:
        rows = present[:, group].all(axis=1)
        hits, count = true[rows][:, group], int(rows.sum())
        if count >= MIN_ROWS and np.all(hits.sum(axis=1) == 1) and np.all(hits.any(axis=0)):
            why = f"exactly one of the {len(group)} is true on all {count:,} rows"
            columns = [table.bool_names[i] for i in group]
            found.append(
                {"type": "one_hot", "columns": columns, "why": why + _where(count, table.n)}
            )
    return sorted(found, key=lambda r: -len(r["columns"]))


def _cliques(adjacent: np.ndarray) -> list[list[int]]:
    """Maximal cliques (of two or more) of a graph, by Bron-Kerbosch with a pivot; capped."""
    neighbours = [set(np.flatnonzero(row).tolist()) - {i} for i, row in enumerate(adjacent)]
    out: list[list[int]] = []
    stack: list[tuple[set[int], set[int], set[int]]] = [(set(), set(range(len(adjacent))), set())]
    while stack and len(out) < MAX_CLIQUES:
        r, p, x = stack.pop()
        if not p and not x and len(r) >= 2:
            out.append(sorted(r))
        pivot = max(p | x, key=lambda v: len(neighbours[v] & p), default=0)
        for v in sorted(p - neighbours[pivot]):
            stack.append((r | {v}, p & neighbours[v], x & neighbours[v]))
            p, x = p - {v}, x | {v}
    return out


def _fixed_combinations(table: _Table, skip: set[frozenset[str]]) -> list[Rule]:
    """Pairs, then triples not made of suggested pairs, whose combinations are sparse."""
    found: list[tuple[tuple[bool, float], Rule]] = []
    small = [d for d in table.discrete if d.levels <= MAX_TRIPLE_LEVELS][:MAX_TRIPLE_COLUMNS]
    groups = itertools.chain(
        itertools.combinations(table.discrete, 2), itertools.combinations(small, 3)
    )
    for group in groups:
        names = [g.name for g in group]
        if all(g.numeric for g in group) or any(
            frozenset(p) in skip for p in itertools.combinations(names, 2)
        ):
            continue
        result = _sparsity(table, group)
        if result is not None:
            found.append(result)
            skip = skip | {frozenset(names)}
    return [rule for _, rule in sorted(found, key=lambda f: f[0])]


def _sparsity(table: _Table, group: tuple[_Codes, ...]) -> tuple[tuple[bool, float], Rule] | None:
    """A suggestion when far fewer combinations occur than chance would leave.

    Chance is judged for each column ``t`` in turn: how many combinations would occur if ``t`` were
    drawn at random on each row, given the others' values. The sparsest picture is the one told
    about, a column that the others determine first.
    """
    shape = tuple(g.levels for g in group)
    key = group[0].codes
    for g in group[1:]:
        key = key * (g.levels + 1) + g.codes
    widths = [g.levels + 1 for g in group]
    counts = np.bincount(key, minlength=int(np.prod(widths))).reshape(widths)
    counts = counts[tuple(slice(0, n) for n in shape)].astype(np.float64)  # rows with all values
    count, axes = int(counts.sum()), range(len(shape))
    levels = [np.count_nonzero(counts.sum(axis=tuple(j for j in axes if j != i))) for i in axes]
    occurring = int(np.count_nonzero(counts))
    if count < MIN_ROWS or min(levels) < 2 or occurring > SPARSE * np.prod(levels):
        return None
    options = []
    for t in axes:
        cube = np.moveaxis(counts, t, -1)
        expected = _chance(cube)
        determined = occurring == np.count_nonzero(cube.sum(axis=-1))
        options.append((not determined, occurring / expected, t, expected))
    undetermined, ratio, t, expected = min(options)
    if ratio > SPARSE:
        return None
    names = [g.name for g in group]
    evidence = f"{occurring:,} of {int(np.prod(levels)):,} combinations occur in {count:,} rows"
    if len(names) == 2 and not any(o[0] for o in options):
        why = f"{names[0]!r} and {names[1]!r} determine each other ({evidence})"
    elif not undetermined:
        others = " and ".join(repr(n) for i, n in enumerate(names) if i != t)
        why = f"{others} {'together determine' if len(names) == 3 else 'determines'}"
        why = f"{why} {names[t]!r} ({evidence})"
    else:
        why = f"only {evidence}; about {expected:,.0f} would if they were unrelated"
    return (undetermined, ratio), {"type": "fixed_combinations", "columns": names, "why": why}


def _chance(cube: np.ndarray) -> float:
    """How many cells of ``cube`` would be filled if its last column were drawn at random per row.

    For a pair, from the last column's overall frequencies; for a triple, from its frequencies
    given either one of the other two (the smaller answer), so that a triple counts as sparse only
    for what the pairs in it do not already say.
    """
    given = cube.sum(axis=-1)
    if cube.ndim == 2:
        share = cube.sum(axis=0) / given.sum()
        return float((1 - (1 - share[None, :]) ** given[:, None]).sum())
    answers = []
    for axis in (0, 1):
        joint = np.expand_dims(cube.sum(axis=1 - axis), 1 - axis)
        share = joint / np.maximum(joint.sum(axis=-1, keepdims=True), 1)
        answers.append(float((1 - (1 - share) ** given[..., None]).sum()))
    return min(answers)


# --- inequalities, signs, unique columns --------------------------------------------------------


def _orderings(
    table: _Table, names: list[str], X: np.ndarray, M: np.ndarray
) -> tuple[list[Rule], list[tuple[float, Rule]]]:
    """Equal columns (as formulas) and ``low <= high`` rules, each with its break share.

    ``X`` holds numbers (NaN where missing) or int64 nanoseconds, ``M`` where values are present.
    The break share is how often ``low > high`` would be if the two were drawn independently.
    """
    S, SM = X[table.order[: SAMPLE_ROWS[-1]]], M[table.order[: SAMPLE_ROWS[-1]]]
    broken = ((S[:, :, None] > S[:, None, :]) & SM[:, :, None] & SM[:, None, :]).any(axis=0)
    holds: dict[tuple[int, int], bool] = {}
    support: dict[tuple[int, int], int] = {}
    for i, j in zip(*(a.tolist() for a in np.nonzero(~broken)), strict=True):
        both = M[:, i] & M[:, j]
        if i != j and both.sum() >= MIN_ROWS and not ((X[:, i] > X[:, j]) & both).any():
            support[(i, j)] = support[(j, i)] = int(both.sum())
            holds[(i, j)] = not ((X[:, i] >= X[:, j]) & both).any()
    equal: list[Rule] = []
    for i, j in [(i, j) for i, j in holds if i < j and (j, i) in holds]:
        del holds[(i, j)], holds[(j, i)]
        if names is table.names:
            why = f"equal on all {support[(i, j)]:,} rows{_where(support[(i, j)], table.n)}"
            equal.append({"type": "formula", "column": names[j], "expression": _ref(names[i])})
            equal[-1]["why"] = why
    ordered: list[tuple[float, Rule]] = []
    for (i, j), strict in _reduce(holds, M).items():
        both, count = M[:, i] & M[:, j], support[(i, j)]
        rows = table.order[both[table.order]][:4096]
        high = np.sort(X[rows, j])
        share = (
            np.searchsorted(high, X[rows, i], "right" if strict else "left").sum() / len(rows) ** 2
        )
        if share < MIN_BREAK_SHARE or share * count < MIN_BREAK_ROWS:
            continue
        span = [f"{_show(X[both, c].min(), X)}..{_show(X[both, c].max(), X)}" for c in (i, j)]
        why = (
            f"holds on all {count:,} rows{_where(count, table.n)} ({names[i]!r} {span[0]}, "
            f"{names[j]!r} {span[1]}); unrelated values would break it on {share:.1%} of rows"
        )
        rule = {"type": "inequality", "low": names[i], "high": names[j], "strict": strict}
        ordered.append((float(share), {**rule, "why": why}))
    return equal, ordered


def _reduce(edges: dict[tuple[int, int], bool], M: np.ndarray) -> dict[tuple[int, int], bool]:
    """Drop ``u <= w`` where a chain ``u <= v <= ... <= w`` implies it on the rows it is about."""
    after: dict[int, list[int]] = {}
    for u, w in edges:
        after.setdefault(u, []).append(w)
    full = np.asarray(M.all(axis=0), dtype=bool)
    kept: dict[tuple[int, int], bool] = {}
    for (u, w), strict in edges.items():
        both = M[:, u] & M[:, w]
        stack = [(u, False)]
        seen: set[tuple[int, bool]] = set()
        implied = False
        while stack and not implied:
            v, chain_strict = stack.pop()
            for x in after.get(v, []):
                link = chain_strict or edges[(v, x)]
                if x == w and v != u:
                    implied = link or not strict
                elif x != w and (x, link) not in seen and (full[x] or not (both & ~M[:, x]).any()):
                    seen.add((x, link))
                    stack.append((x, link))
        if not implied:
            kept[(u, w)] = strict
    return kept


def _signs(table: _Table) -> list[Rule]:
    """``positive`` or ``negative`` for numeric columns that never cross zero."""
    found: list[Rule] = []
    for column, values in table.numeric:
        count = int(np.count_nonzero(~np.isnan(values)))
        low, high = _spread(values)
        if count < MIN_ROWS or low < 0 < high:
            continue
        if low >= 0:
            kind, strict, edge = "positive", low > 0, f"{'above' if low > 0 else 'at least'} 0"
            edge += f" (smallest {_show(low)})"
        else:
            kind, strict, edge = "negative", high < 0, f"{'below' if high < 0 else 'at most'} 0"
            edge += f" (largest {_show(high)})"
        why = f"all {count:,} values are {edge}"
        found.append({"type": kind, "column": column.name, "strict": strict, "why": why})
    return found


def _unique(df: pd.DataFrame, table: _Table) -> list[Rule]:
    """Whole-number and category columns whose values all differ.

    Fractions are left out: measured values (prices, weights) nearly always all differ by chance.
    """
    found: list[Rule] = []
    for name in table.unique:
        values = df[name].dropna()
        if len(values) >= MIN_ROWS and values.nunique() == len(values):
            why = f"all {len(values):,} values differ"
            found.append({"type": "unique", "columns": [name], "why": why})
    return found


# --- helpers ------------------------------------------------------------------------------------


def _numbers(series: pd.Series) -> np.ndarray:
    try:
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _spread(values: np.ndarray) -> tuple[float, float]:
    """The smallest and largest value, NaN aside (``inf, -inf`` when there is none)."""
    present = values[~np.isnan(values)]
    return (float(present.min()), float(present.max())) if len(present) else (np.inf, -np.inf)


def _truth(series: pd.Series) -> np.ndarray:
    """A boolean column as 1.0 / 0.0 / NaN."""
    missing = series.isna().to_numpy(dtype=bool)
    if pd.api.types.is_bool_dtype(series.dtype) or pd.api.types.is_numeric_dtype(series.dtype):
        flags = _numbers(series) != 0
    else:
        words = series.astype("string").str.strip().str.lower()
        flags = words.isin(TRUE_WORDS).to_numpy(dtype=bool)
    return np.where(missing, np.nan, flags.astype(np.float64))


def _stamps(series: pd.Series, fmt: str | None) -> tuple[np.ndarray, np.ndarray] | None:
    """A datetime column as int64 nanoseconds since 1970 (UTC), and where it has values."""
    try:
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            parsed = series
        else:
            parsed = pd.to_datetime(series, format=fmt or "mixed", errors="coerce")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(None)
        values = parsed.to_numpy(dtype="datetime64[ns]")
    except (ValueError, TypeError, OverflowError, AttributeError):  # mixed time zones, ...
        return None
    return values.view(np.int64), ~np.isnat(values)


def _where(count: int, n: int, which: str = "both") -> str:
    return "" if count == n else f" where {which} have values"


def _ref(name: str) -> str:
    """A column name as written in an expression: bare when it is an identifier, else quoted."""
    return name if name.isidentifier() and not keyword.iskeyword(name) else f"`{name}`"


def _show(value: Any, like: np.ndarray | None = None) -> str:
    """A number for a ``why`` sentence (a time when ``like`` holds int64 nanoseconds)."""
    if like is not None and like.dtype.kind == "i":
        return str(pd.Timestamp(int(value)))
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value)}"
    return f"{value:.6g}"
