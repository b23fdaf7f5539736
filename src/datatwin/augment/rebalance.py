"""Rebalancing a label column: the real rows as they are, plus synthetic rows of the rare classes.

:func:`rebalance` fits one synthesizer on the whole table, then samples each rare class on the
condition ``{target: class}``, so the new rows are whole rows that the model finds likely for that
class (not interpolations between neighbours, as SMOTE makes). The models that sample conditions
exactly (argn, copula, arf) make exactly the rows asked for; ``argn`` built by name models the
target first, which makes that exact and as fast as sampling freely.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Mapping
from numbers import Integral, Real
from typing import Any

import numpy as np
import pandas as pd

from datatwin.errors import DataError, ParameterError
from datatwin.models.base import Synthesizer
from datatwin.models.registry import default_synthesizer, synthesizer
from datatwin.schema.columns import Schema
from datatwin.schema.detect import check_table

__all__ = ["MAX_CLASSES", "rebalance"]

MAX_CLASSES = 50  # a numeric target with more distinct values is not a label


def rebalance(
    data: pd.DataFrame,
    target: str,
    *,
    ratio: float | None = None,
    counts: Mapping[Any, int] | None = None,
    model: str | Synthesizer | None = None,
    mark: str | None = None,
    seed: int | None = None,
    schema: Schema | Mapping[str, Any] | str | None = None,
    progress: Callable[[dict[str, Any]], None] | None = None,
    **model_params: Any,
) -> pd.DataFrame:
    """``data`` with synthetic rows of its rare classes appended.

    Parameters
    ----------
    data: the real table; it is not modified.
    target: the label column whose classes are rebalanced.
    ratio: the least size of every class relative to the largest one, in (0, 1]: with 0.5 each
        class gets at least half as many rows as the largest (rounded up); classes already that
        large are left as they are. The default, when neither ``ratio`` nor ``counts`` is given,
        is 1.0: every class as large as the largest.
    counts: ``{class: rows}``, the total number of rows wanted for each class named (at least
        the rows it has; rebalancing only adds). Classes not named are left as they are. Keys
        may also be written as text (``"1"`` for the class ``1``), as on the command line.
    model: a synthesizer name (default: :func:`datatwin.default_synthesizer`), made with
        ``seed`` and ``model_params``; ``argn`` made by name models ``target`` first
        (``first_columns``), so that conditioning on it is exact. Or an unfitted
        :class:`Synthesizer` that you built; it is fitted here.
    mark: name of a boolean column to add, True on synthetic rows and False on real ones.
    seed: makes the model made by name and the new rows reproducible (a built synthesizer fits
        with its own seed).
    schema: passed to ``fit`` instead of detecting one.
    progress: passed to ``fit`` (see :meth:`Synthesizer.fit`).
    model_params: parameters of the synthesizer made by name.

    Returns
    -------
    The real rows first, exactly as given (values, dtypes, index), then the synthetic rows, with
    the input's columns and dtypes (and ``mark`` last). The new rows are numbered on from the real
    rows' largest integer index (from ``len(data)`` for an index that is not integers), so a table
    with the default index gets a default index. Rows whose target is missing are kept and
    learned from, but they are not a class: they are never counted nor generated. Key columns
    (kind ``id``) get keys on the new rows that no real row has.

    >>> import pandas as pd
    >>> from datatwin.augment import rebalance
    >>> real = pd.DataFrame({"x": range(40), "y": ["a"] * 30 + ["b"] * 10})
    >>> out = rebalance(real, "y", ratio=0.5, model="copula", seed=0)
    >>> out["y"].value_counts().to_dict()
    {'a': 30, 'b': 15}
    """
    df = check_table(data)
    if not isinstance(target, str) or target not in df.columns:
        raise ParameterError(
            f"The target {target!r} is not a column of the table; its columns are "
            f"{list(df.columns)}."
        )
    if mark is not None and (not isinstance(mark, str) or not mark or mark in df.columns):
        raise ParameterError(
            f"The mark column {mark!r} must be a new column name (a non-empty string that is not "
            "already a column); choose another name."
        )
    have = _class_counts(df[target], target)
    wanted = _plan(have, target, ratio, counts)
    adding = {cls: wanted[cls] - n for cls, n in have.items() if wanted[cls] > n}
    if not adding:
        synthetic = df.iloc[:0]
    else:
        fitted = _model(model, target, seed, model_params).fit(df, schema=schema, progress=progress)
        seeds = _class_seeds(seed, len(have))
        frames = [
            fitted.sample(k, seed=seeds[i], conditions={target: cls})
            for i, (cls, k) in enumerate((c, adding.get(c, 0)) for c in have)
            if k > 0
        ]
        synthetic = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        synthetic = _like(synthetic[list(df.columns)].copy(), df)
        _fresh_keys(synthetic, df, [c.name for c in fitted.schema_ if c.kind == "id"])
    start = len(df)
    if pd.api.types.is_integer_dtype(df.index.dtype) and len(df):
        start = int(df.index.max()) + 1
    synthetic = synthetic.set_axis(pd.RangeIndex(start, start + len(synthetic)))
    out = pd.concat([df, synthetic]) if len(synthetic) else df.copy()
    if mark is not None:
        out[mark] = np.arange(len(out)) >= len(df)
    return out


def _class_counts(column: pd.Series, target: str) -> dict[Any, int]:
    """Rows per class in order of first appearance; missing values are no class."""
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        distinct = int(column.nunique(dropna=True))
        if distinct > MAX_CLASSES:
            raise DataError(
                f"Column {target!r} is numeric with {distinct:,} distinct values, but rebalance "
                f"works on a label column; choose a column of classes (at most {MAX_CLASSES})."
            )
    present = column.dropna()
    counts = present.value_counts(sort=False)
    order = pd.unique(present.to_numpy())
    have = {_plain(cls): int(counts[cls]) for cls in order if counts[cls] > 0}
    if len(have) < 2:
        found = f"only the class {next(iter(have))!r}" if have else "no values"
        raise DataError(
            f"Column {target!r} has {found}; rebalance needs a target with at least two classes."
        )
    return have


def _plan(
    have: dict[Any, int],
    target: str,
    ratio: object,
    counts: object,
) -> dict[Any, int]:
    """The number of rows wanted for each class (``ratio`` and ``counts`` as the user gave them)."""
    if ratio is not None and counts is not None:
        raise ParameterError("Give either 'ratio' or 'counts' to rebalance, not both.")
    if counts is None:
        if ratio is None:
            ratio = 1.0
        if isinstance(ratio, bool) or not isinstance(ratio, Real) or not 0 < float(ratio) <= 1:
            raise ParameterError(
                f"The 'ratio' of rebalance must be a number in (0, 1], the least size of each "
                f"class relative to the largest. Got {ratio!r}."
            )
        largest = max(have.values())
        least = math.ceil(round(float(ratio) * largest, 9))
        return {cls: max(n, least) for cls, n in have.items()}
    if not isinstance(counts, Mapping) or not counts:
        raise ParameterError(
            "The 'counts' of rebalance must be a non-empty dict of class -> total rows wanted. "
            f"Got {counts!r}."
        )
    wanted = dict(have)
    for key, total in counts.items():
        cls = _find_class(key, have, target)
        if isinstance(total, bool) or not isinstance(total, Integral):
            raise ParameterError(
                f"The count for class {cls!r} must be a whole number of rows. Got {total!r}."
            )
        if int(total) < have[cls]:
            raise ParameterError(
                f"The count for class {cls!r} asks for {int(total):,} rows but it already has "
                f"{have[cls]:,}; give a total at least that large (rebalance only adds rows)."
            )
        wanted[cls] = int(total)
    return wanted


def _find_class(key: Any, have: dict[Any, int], target: str) -> Any:
    """The class ``key`` names: itself, or the one class written the same as text."""
    key = _plain(key)
    try:
        if key in have:
            return key
    except TypeError:  # unhashable
        pass
    for fold in (str, lambda v: str(v).lower()):
        same = [cls for cls in have if fold(cls) == fold(key)]
        if len(same) == 1:
            return same[0]
    raise ParameterError(
        f"The counts name class {key!r}, which column {target!r} does not have; its classes are "
        f"{list(have)[:20]}."
    )


def _model(
    model: str | Synthesizer | None, target: str, seed: int | None, params: dict[str, Any]
) -> Synthesizer:
    """The unfitted synthesizer to use."""
    if isinstance(model, Synthesizer):
        if params:
            raise ParameterError(
                f"rebalance got model parameters {sorted(params)} together with a built "
                f"{type(model).__name__}; set them on the synthesizer, or give a model name."
            )
        if model.is_fitted:
            raise ParameterError(
                f"The {type(model).__name__} given to rebalance is already fitted; give an "
                "unfitted one (or a model name), since rebalance fits it on the whole table."
            )
        return model
    if model is not None and not isinstance(model, str):
        raise ParameterError(
            f"The 'model' of rebalance must be a synthesizer name or an unfitted Synthesizer. "
            f"Got {type(model).__name__}."
        )
    if "seed" in params:
        raise ParameterError("Give the seed to rebalance as 'seed=' only, not among the model's.")
    name = default_synthesizer() if model is None else model
    if name == "argn":  # the target first: conditioning on it is exact and costs nothing
        given = list(params.get("first_columns") or ())
        params = {**params, "first_columns": [target, *(c for c in given if c != target)]}
    return synthesizer(name, seed=seed, **params)


def _class_seeds(seed: int | None, n: int) -> list[int | None]:
    """One sampling seed per class (None: fresh rows on every call)."""
    if seed is None:
        return [None] * n
    children = np.random.SeedSequence(int(seed)).spawn(n)
    return [int(c.generate_state(1, np.uint32)[0]) for c in children]


def _like(synthetic: pd.DataFrame, real: pd.DataFrame) -> pd.DataFrame:
    """``synthetic`` with the dtypes of ``real`` wherever they differ and can be matched."""
    for name, dtype in real.dtypes.items():
        if synthetic[name].dtype != dtype:
            with contextlib.suppress(TypeError, ValueError):
                synthetic[name] = synthetic[name].astype(dtype)
    return synthetic


def _fresh_keys(synthetic: pd.DataFrame, real: pd.DataFrame, keys: list[str]) -> None:
    """Give the synthetic rows keys that no real row and no other synthetic row has.

    The model makes keys per call (whole numbers count up from the real minimum), so keys of
    rows sampled class by class would repeat each other and the real ones.
    """
    for name in keys:
        new, old = synthetic[name], real[name]
        present = new.notna().to_numpy()
        if not present.any():
            continue
        if pd.api.types.is_numeric_dtype(new.dtype) and pd.api.types.is_numeric_dtype(old.dtype):
            start = int(old.max()) + 1 if old.notna().any() else 0
            values = new.copy()
            values[present] = np.arange(start, start + int(present.sum()))
            synthetic[name] = values
            continue
        taken = set(old.dropna().astype(str))
        out = new.astype(object).to_numpy(copy=True)
        for i in np.flatnonzero(present):
            value, suffix = str(out[i]), 0
            while value in taken:
                suffix += 1
                value = f"{out[i]}-{suffix}"
            taken.add(value)
            out[i] = value
        synthetic[name] = pd.Series(out, index=new.index).astype(new.dtype)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds."""
    return value.item() if isinstance(value, np.generic) else value
