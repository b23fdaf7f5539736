"""The synthesizer template: scikit-learn's estimator contract on a small surface.

A synthesizer keeps its keyword parameters unchanged in ``__init__``; ``fit`` checks them, learns,
and stores what it learned in attributes ending in ``_``; ``sample`` draws new rows. Subclasses
write ``_fit`` and ``_sample`` on encoded parts, and ``_get_state``/``_set_state`` for model files.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from numbers import Integral
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from datatwin.constraints.rules import Rule
from datatwin.constraints.ruleset import RuleSet, as_rules
from datatwin.errors import NotFittedError, ParameterError
from datatwin.models.conditions import (
    Condition,
    ImpossibleConditionError,
    PartCondition,
    parse_conditions,
)
from datatwin.models.params import Constraint, check_params
from datatwin.schema.columns import Schema
from datatwin.schema.detect import check_table, detect_schema
from datatwin.transforms import Part, TableCodec

__all__ = ["Synthesizer"]

SAMPLE_CHUNK = 1_000_000
MAX_REJECTION_BATCH = 1_000_000  # most rows drawn at once to find rows that meet conditions
MAX_CONDITIONED_BATCH = 100_000  # most rows asked of _sample_conditioned at once (bounds memory)
REJECTION_FACTOR = 1_000  # give up after drawing this many rows per row asked for ...
REJECTION_FLOOR = 2_000_000  # ... or this many, whichever is more
REJECTION_PROBE = 100_000  # rows drawn before the share that matches is trusted to give up early


class Synthesizer:
    """Base class of every synthesizer.

    Subclasses set ``name``, declare ``_parameter_rules`` and implement ``_fit``, ``_sample``,
    ``_get_state`` and ``_set_state``.
    """

    name: ClassVar[str] = "base"
    _parameter_rules: ClassVar[dict[str, list[Constraint]]] = {}

    seed: int | None

    # --- parameters (scikit-learn style) ------------------------------------------------------

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values() if p.kind == p.KEYWORD_ONLY]

    def get_params(self) -> dict[str, Any]:
        """The keyword parameters the synthesizer was made with."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Change parameters; they take effect at the next :meth:`fit`."""
        names = self._param_names()
        for key, value in params.items():
            if key not in names:
                raise ParameterError(
                    f"{type(self).__name__} has no parameter {key!r}; its parameters are {names}."
                )
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    # --- fitting ------------------------------------------------------------------------------

    def fit(
        self,
        data: pd.DataFrame,
        schema: Schema | Mapping[str, Any] | str | None = None,
        *,
        constraints: Iterable[Rule | Mapping[str, Any]] | None = None,
        progress: Callable[[dict[str, Any]], None] | None = None,
    ) -> Self:
        """Learn from ``data``; ``schema`` (a Schema, a dict or a JSON path) overrides detection.

        ``constraints`` (rules, or their JSON dicts) are added to the schema's: every sampled row
        keeps them all (see :mod:`datatwin.constraints`).

        ``progress``, when given, is called by models that train in epochs with a dict of
        ``epoch``, ``epochs``, ``loss``, ``valid_loss`` and ``seconds_left``.
        """
        check_params(type(self).__name__, self.get_params(), self._parameter_rules)
        self._check_params()
        df = check_table(data)
        resolved = _resolve_schema(schema, df)
        if resolved.names != list(df.columns) and set(resolved.names) == set(df.columns):
            resolved = Schema([resolved[name] for name in df.columns])  # the table's order
        rules = as_rules([*resolved.constraints, *(constraints or [])])
        self._forget()
        ruleset, model_df = RuleSet.fit(rules, resolved, df) if rules else (None, df)
        codec = TableCodec.fit(resolved if ruleset is None else ruleset.model_schema, model_df)
        parts = codec.encode(model_df)
        self._progress = progress
        try:
            self._fit(parts, np.random.default_rng(self.seed))
        finally:
            self._progress = None
        self.schema_ = resolved
        self.codec_ = codec
        self.rules_ = ruleset
        self.n_rows_ = len(df)
        return self

    def _check_params(self) -> None:
        """Rules between parameters, after each was checked alone (subclasses extend this)."""

    def _forget(self) -> None:
        """Drop everything a previous fit learned."""
        for attr in [a for a in vars(self) if a.endswith("_") and not a.startswith("__")]:
            delattr(self, attr)
        self._sample_calls = 0

    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` has run (or the model was loaded from a file)."""
        return hasattr(self, "codec_")

    def _check_fitted(self, action: str) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call fit(data) before {action}."
            )

    # --- sampling -----------------------------------------------------------------------------

    def sample(
        self,
        n: int | None = None,
        seed: int | None = None,
        *,
        conditions: Mapping[str, Any] | pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """``n`` new rows with the columns, order and dtypes of the training table.

        With ``seed`` the rows are the same on every call; without it, successive calls give new
        rows, reproducibly for a model made with a seed.

        ``conditions`` restricts the rows: ``{column: value}``, ``{column: [values]}`` or
        ``{column: (low, high)}`` (either end ``None``); every one of the ``n`` rows meets all of
        them. A DataFrame of conditions gives one row per row of it (``n`` may be left out), each
        meeting that row's non-missing cells. Models that can (argn, copula, arf) sample
        conditions exactly; the others draw rows and keep those that match.
        """
        if isinstance(conditions, pd.DataFrame):
            return self._sample_table(conditions, n, seed)
        if n is None:
            raise ParameterError("sample() needs the number of rows n (or a table of conditions).")
        self._check_sample_args(n, seed)
        if n == 0:
            return self._empty()
        frames = list(self.iter_sample(n, seed, conditions=conditions))
        return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)

    def iter_sample(
        self,
        n: int,
        seed: int | None = None,
        chunk_size: int = SAMPLE_CHUNK,
        *,
        conditions: Mapping[str, Any] | None = None,
    ) -> Iterator[pd.DataFrame]:
        """``sample(n, seed, conditions=...)`` in chunks of at most ``chunk_size`` rows."""
        self._check_sample_args(n, seed)
        self._check_rule_columns(conditions or {})
        parsed = parse_conditions(conditions, self.codec_) if conditions else []
        sequence = self._seed_sequence(seed)
        starts = range(0, int(n), chunk_size)
        for start, child in zip(starts, sequence.spawn(len(starts)), strict=True):
            size = min(chunk_size, int(n) - start)
            rng = np.random.default_rng(child)
            frame = self._draw(size, rng, parsed)
            frame.index = pd.RangeIndex(start, start + size)
            yield frame

    def _draw(self, n: int, rng: np.random.Generator, conditions: list[Condition]) -> pd.DataFrame:
        rules = getattr(self, "rules_", None)
        if not conditions and rules is None:
            return self.codec_.decode(self._sample(n, rng), n, rng)
        parts = {pc.key: pc for c in conditions for pc in c.parts()}
        frames: list[pd.DataFrame] = []
        have = drawn = kept = 0
        exact = True
        while have < n:
            need = n - have
            if exact:
                try:
                    made = self._sample_conditioned(min(need, MAX_CONDITIONED_BATCH), rng, parts)
                except ImpossibleConditionError:
                    raise ParameterError(
                        f"No row that this {type(self).__name__} can make meets "
                        f"{_describe(conditions)}; the condition lies outside what the model "
                        "learned (a range beyond the training data, a combination never seen)."
                    ) from None
                exact = made is not None
            if not exact:  # draw freely and keep the rows that match
                rate = (kept + 1) / (drawn + 1)
                size = int(min(MAX_REJECTION_BATCH, max(2 * need, 1.2 * need / rate)))
                made = self._sample(size, rng)
            assert made is not None
            size = len(next(iter(made.values()))) if made else need
            frame = self.codec_.decode(made, size, rng)
            if rules is not None:
                frame = rules.reverse(frame)
            match = np.ones(size, dtype=bool) if rules is None else rules.valid(frame, frames)
            for condition in conditions:
                column = frame[condition.column]
                written = condition.write_points(column)
                if written is not column:
                    frame[condition.column] = written
                match &= condition.matches(frame[condition.column])
            drawn, kept = drawn + size, kept + int(match.sum())
            # an exact sampler's rows all match: no copy of the frame to keep them
            frames.append(frame.iloc[:need] if match.all() else frame[match].iloc[:need])
            have += len(frames[-1])
            projected = drawn + (n - have) * drawn / max(kept, 1)  # rows still to draw
            limit = max(REJECTION_FACTOR * n, REJECTION_FLOOR)
            if have < n and (drawn > limit or (drawn >= REJECTION_PROBE and projected > limit)):
                wanted = _describe(conditions) if conditions else "the table's rules"
                if conditions and rules is not None:
                    wanted += " and the table's rules"
                raise ParameterError(
                    f"Only {kept:,} of {drawn:,} rows drawn by {type(self).__name__} met "
                    f"{wanted}; that is too rare for this model: loosen the condition or rule "
                    "(rules.describe shows which), or use a model that samples conditions "
                    "exactly (argn, copula, arf)."
                )
        frame = frames[0] if len(frames) == 1 else pd.concat(frames)
        return frame.reset_index(drop=True)

    def _check_rule_columns(self, conditions: Mapping[str, Any]) -> None:
        rules = getattr(self, "rules_", None)
        if rules is None:
            return
        for column in conditions:
            if column in self.schema_.names and column not in rules.model_schema.names:
                raise ParameterError(
                    f"Column {column!r} is modelled through one of the table's rules, so rows "
                    "cannot be sampled on a condition on it yet; condition on other columns."
                )

    def _sample_table(self, table: pd.DataFrame, n: int | None, seed: int | None) -> pd.DataFrame:
        """One row per row of ``table``, meeting that row's non-missing cells."""
        self._check_sample_args(len(table) if n is None else n, seed)
        if n is not None and n != len(table):
            raise ParameterError(
                f"sample() got n={n} and a table of {len(table)} conditions; leave n out or "
                "make them equal."
            )
        if len(table) == 0:
            return self._empty()
        names = list(table.columns)
        unknown = [name for name in names if name not in self.schema_.names]
        if unknown:
            raise ParameterError(
                f"The table of conditions has column(s) {unknown} that the model does not have; "
                f"its columns are {self.schema_.names}."
            )
        cells = [tuple(_cell(v) for v in row) for row in table.itertuples(index=False, name=None)]
        groups: dict[tuple[Any, ...], list[int]] = {}
        for i, key in enumerate(cells):
            groups.setdefault(key, []).append(i)
        sequence = self._seed_sequence(seed)
        frames, where = [], []
        for (key, rows), child in zip(groups.items(), sequence.spawn(len(groups)), strict=True):
            given = {k: v for k, v in zip(names, key, strict=True) if v is not None}
            parsed = parse_conditions(given, self.codec_)
            frames.append(self._draw(len(rows), np.random.default_rng(child), parsed))
            where.extend(rows)
        out = pd.concat(frames, ignore_index=True)
        out = out.iloc[np.argsort(np.asarray(where), kind="stable")]
        return out.reset_index(drop=True)

    def _check_sample_args(self, n: object, seed: object) -> None:
        self._check_fitted("sample()")
        if not _is_count(n):
            raise ParameterError(f"The number of rows to sample must be an int >= 0. Got {n!r}.")
        if seed is not None and not _is_count(seed):
            raise ParameterError(
                f"The 'seed' of sample() must be an int >= 0 or None. Got {seed!r}."
            )

    def _seed_sequence(self, seed: int | None) -> np.random.SeedSequence:
        if seed is not None:
            return np.random.SeedSequence(int(seed))
        calls = getattr(self, "_sample_calls", 0)
        self._sample_calls = calls + 1
        if self.seed is None:
            return np.random.SeedSequence()
        return np.random.SeedSequence(int(self.seed), spawn_key=(0xD7, calls))

    def _empty(self) -> pd.DataFrame:
        self._check_fitted("sample()")
        rng = np.random.default_rng(0)
        frame = self.codec_.decode(self._sample(0, rng), 0, rng)
        rules = getattr(self, "rules_", None)
        return frame if rules is None else rules.reverse(frame)

    # --- files --------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model to one ``.dtw`` file (JSON manifest and arrays, no pickle)."""
        from datatwin.io.modelfile import write_model

        self._check_fitted("save()")
        state, arrays = self._get_state()
        write_model(
            path,
            synthesizer=self.name,
            params=self.get_params(),
            schema=self.schema_.to_dict(),
            codec=self.codec_.get_state(),
            state={
                "n_rows": self.n_rows_,
                **({} if self.rules_ is None else {"rules": self.rules_.get_state()}),
                **state,
            },
            arrays=arrays,
        )

    def _restore(
        self,
        schema: Schema,
        codec: TableCodec,
        state: dict[str, Any],
        arrays: dict[str, np.ndarray],
    ) -> None:
        """Make a freshly built synthesizer the fitted one described by a model file."""
        self._forget()
        self._set_state(state, arrays)
        self.schema_ = schema
        self.codec_ = codec
        self.rules_ = RuleSet.from_state(state["rules"], schema) if "rules" in state else None
        self.n_rows_ = int(state["n_rows"])

    # --- what subclasses write ----------------------------------------------------------------

    def _fit(self, parts: list[Part], rng: np.random.Generator) -> None:
        raise NotImplementedError

    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        raise NotImplementedError

    def _sample_conditioned(
        self, n: int, rng: np.random.Generator, conditions: Mapping[str, PartCondition]
    ) -> dict[str, np.ndarray] | None:
        """``n`` rows of parts that meet ``conditions`` (keyed by part), or None if the model
        cannot sample conditions exactly (the base then draws freely and keeps matches).

        Raise :class:`ImpossibleConditionError` when no row the model can make meets them.
        """
        return None

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        raise NotImplementedError

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        raise NotImplementedError


def _describe(conditions: list[Condition]) -> str:
    return " and ".join(c.text for c in conditions)


def _cell(value: Any) -> Any:
    """A cell of a table of conditions: missing means no condition on that column."""
    if isinstance(value, list | tuple):
        return tuple(value)
    return None if pd.isna(value) else value


def _is_count(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, Integral) and int(value) >= 0


def _resolve_schema(schema: Schema | Mapping[str, Any] | str | None, df: pd.DataFrame) -> Schema:
    if schema is None:
        return detect_schema(df)
    if isinstance(schema, Schema):
        return schema
    if isinstance(schema, Mapping):
        return Schema.from_dict(schema)
    if isinstance(schema, str | os.PathLike):
        return Schema.from_json(schema)
    raise ParameterError(
        f"The 'schema' argument of fit() must be a Schema, a dict or a JSON file path. "
        f"Got {type(schema).__name__}."
    )
