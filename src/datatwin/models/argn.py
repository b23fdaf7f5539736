"""``argn``: a per-column autoregressive network, in the spirit of MOSTLY AI's TabularARGN.

Each part becomes one token per row (:mod:`datatwin.models.deep.tokens`: categories as codes,
numbers as common values and bins of equal counts, missing as a token of its own). The network
(:mod:`datatwin.models.deep.argn_net`) learns ``p(column i | columns before i)`` for every column
at once: a softmax head per column over the embeddings of the columns before it. Training
minimises the cross-entropy summed over columns with Adam, dropout and weight decay, and stops when
the loss on held-out rows stops improving, keeping the best weights; that early stop is what keeps
the model from memorising rows. Sampling draws the columns in order, all rows at once. Needs
``pip install 'datatwin[deep]'``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from datatwin.errors import ParameterError
from datatwin.models.base import Synthesizer
from datatwin.models.conditions import ImpossibleConditionError, PartCondition, resample
from datatwin.models.deep.argn_net import build_network, nll, sample_tokens
from datatwin.models.deep.tokens import Tokenizer
from datatwin.models.deep.torchutil import (
    arrays_to_state,
    isolated,
    seed_torch,
    state_to_arrays,
)
from datatwin.models.deep.training import Budget, EpochLoop
from datatwin.models.params import Constraint, Interval, Names, Options
from datatwin.transforms import Part

__all__ = ["ARGN"]

MIN_ROWS = 5  # least rows behind a bin, a common value or a quantile grid cell
QUANTILES = 1024  # most cells of a numeric part's quantile function
BLOCK = 65_536  # rows validated at a time
SAMPLE_BLOCK = 16_384  # rows sampled at a time (small blocks stay in the CPU's caches)


class ARGN(Synthesizer):
    """Per-column autoregressive network.

    Parameters
    ----------
    seed: seed of the tokens, the weights, the batches and the samples.
    epochs: passes over the data (at most; see ``max_minutes`` and ``patience``).
    batch_size: rows per gradient step.
    embedding_dim: size of each column's token embedding.
    hidden_dim: width of each column's hidden layer.
    learning_rate: Adam's step size.
    dropout: share of embedding and hidden units dropped while training.
    weight_decay: AdamW's decoupled weight decay.
    bins: most tokens of a numeric column (its common values and bins of equal counts).
    bin_rows: rows per bin on average at least: a table of ``rows`` rows gets at most
        ``rows // bin_rows`` bins per number, so that small tables are not cut finer than their
        rows can teach.
    temperature: softens (> 1) or sharpens (< 1) every column's distribution when sampling.
    max_minutes: wall-clock budget for training; ``None`` for no limit.
    patience: stop after this many epochs without a better validation loss; ``None`` never stops
        early.
    validation: share of rows held out to watch for overfitting (0 uses the training rows).
    threads: torch threads; ``None`` uses every core.
    first_columns: columns modelled first, in this order (the rest follow in table order).
        Sampling on conditions on the first columns is exact and costs no more than sampling
        freely; put the columns you will condition on (a label to rebalance) here.
    keep_range: numbers span their real minimum to maximum (which the schema holds anyway),
        through thin tails beyond the 5th smallest and largest values, as likely as the real
        rows there; False stops them at those values, so that no single extreme value shows.
    """

    name: ClassVar[str] = "argn"
    _parameter_rules: ClassVar[dict[str, list[Constraint]]] = {
        "seed": [Interval(int, 0), None],
        "epochs": [Interval(int, 1)],
        "batch_size": [Interval(int, 1)],
        "embedding_dim": [Interval(int, 1)],
        "hidden_dim": [Interval(int, 1)],
        "learning_rate": [Interval(float, 1e-8, 1.0)],
        "dropout": [Interval(float, 0.0, 0.9)],
        "weight_decay": [Interval(float, 0.0)],
        "bins": [Interval(int, 2, 10_000)],
        "temperature": [Interval(float, 0.01, 100.0)],
        "max_minutes": [Interval(float, 0.0), None],
        "patience": [Interval(int, 1), None],
        "validation": [Interval(float, 0.0, 0.5)],
        "threads": [Interval(int, 1), None],
        "bin_rows": [Interval(int, 1)],
        "first_columns": [Names(), None],
        "keep_range": [Options((True, False))],
    }

    def __init__(
        self,
        *,
        seed: int | None = None,
        epochs: int = 100,
        batch_size: int = 1024,
        embedding_dim: int = 16,
        hidden_dim: int = 128,
        learning_rate: float = 1e-3,
        dropout: float = 0.1,
        weight_decay: float = 1e-4,
        bins: int = 100,
        temperature: float = 1.0,
        max_minutes: float | None = None,
        patience: int | None = 5,
        validation: float = 0.1,
        threads: int | None = None,
        bin_rows: int = 50,
        first_columns: list[str] | tuple[str, ...] | None = None,
        keep_range: bool = True,
    ) -> None:
        self.seed = seed
        self.epochs = epochs
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.learning_rate = learning_rate
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.bins = bins
        self.temperature = temperature
        self.max_minutes = max_minutes
        self.patience = patience
        self.validation = validation
        self.threads = threads
        self.bin_rows = bin_rows
        self.first_columns = first_columns
        self.keep_range = keep_range

    @isolated
    def _fit(self, parts: list[Part], rng: np.random.Generator) -> None:
        names = list(dict.fromkeys(p.column for p in parts))
        unknown = [c for c in self.first_columns or () if c not in names]
        if unknown:
            raise ParameterError(
                f"The 'first_columns' parameter of ARGN names {unknown}, which the table does "
                f"not have; its columns are {names}."
            )
        first = list(dict.fromkeys(self.first_columns or ()))
        parts = sorted(
            parts, key=lambda p: first.index(p.column) if p.column in first else len(first)
        )
        torch = seed_torch(self.seed, self.threads)
        rows = len(parts[0].data) if parts else 0
        bins = max(2, min(self.bins, rows // self.bin_rows))  # small tables: fewer, fuller bins
        self.tokenizer_ = Tokenizer.fit(parts, bins, MIN_ROWS, QUANTILES, self.keep_range)
        tokens = torch.from_numpy(self.tokenizer_.encode(parts, rng))
        net = build_network(
            torch,
            self.tokenizer_.vocab,
            self.embedding_dim,
            self.hidden_dim,
            tokens,
            self.tokenizer_.positions(),  # bins of a number start out ordered
        )
        order = torch.from_numpy(rng.permutation(len(tokens)))
        held = int(len(tokens) * self.validation) if len(tokens) >= 20 else 0
        valid = tokens[order[:held]] if held else tokens
        train = tokens[order[held:]]
        optimizer = torch.optim.AdamW(
            net.parameters(), lr=self.learning_rate, weight_decay=self.weight_decay
        )
        best: dict[str, Any] = {}

        def train_epoch() -> float:
            net.train()
            total = 0.0
            for batch in torch.randperm(len(train)).split(self.batch_size):
                optimizer.zero_grad()
                loss = nll(torch, net, train[batch], self.dropout)
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
            return total / max(len(train), 1)

        def validate() -> float:
            net.eval()
            with torch.no_grad():
                total = sum(nll(torch, net, b).item() * len(b) for b in valid.split(BLOCK))
            return total / max(len(valid), 1)

        def keep_best() -> None:
            best["weights"] = copy.deepcopy(net.state_dict())

        if parts and len(train):
            loop = EpochLoop(
                Budget(self.epochs, self.max_minutes, self.patience),
                getattr(self, "_progress", None),
            )
            loop.run(train_epoch, validate, keep_best)
            net.load_state_dict(best["weights"])
            self.history_, self.stopped_because_ = loop.history, loop.stopped_because
        else:  # nothing to learn: no parts, or no rows
            self.history_, self.stopped_because_ = {"train": [], "valid": []}, "nothing to learn"
        self.network_ = net.eval()

    @isolated
    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        if not self.tokenizer_.columns:
            return {}
        tokens, _ = self._tokens(n, rng, None)
        return self.tokenizer_.decode(tokens, rng)

    def _tokens(
        self,
        n: int,
        rng: np.random.Generator,
        weights: dict[int, np.ndarray] | None,
        prefix: np.ndarray | None = None,
        stop: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """``n`` rows of tokens (see :func:`sample_tokens`), in blocks."""
        torch = seed_torch(None, self.threads)
        generator = torch.Generator().manual_seed(int(rng.integers(2**63 - 1)))
        given = (
            None
            if weights is None
            else {i: torch.from_numpy(w).float() for i, w in weights.items()}
        )
        blocks, logs = [], []
        with torch.no_grad():
            for start in range(0, n, SAMPLE_BLOCK):
                size = min(SAMPLE_BLOCK, n - start)
                head = None if prefix is None else torch.from_numpy(prefix[start : start + size])
                tokens, log_weight = sample_tokens(
                    torch, self.network_, size, generator, self.temperature, given, head, stop
                )
                blocks.append(tokens.numpy())
                logs.append(log_weight.numpy())
        width = len(self.tokenizer_.columns)
        if not blocks:
            return np.zeros((0, width), dtype=np.int64), np.zeros(0)
        return np.concatenate(blocks), np.concatenate(logs)

    @isolated
    def _sample_conditioned(
        self, n: int, rng: np.random.Generator, conditions: Mapping[str, PartCondition]
    ) -> dict[str, np.ndarray]:
        """Conditioned columns are drawn from their allowed tokens only. A condition on the
        first column alone is then exact. Otherwise twice the rows are drawn up to the last
        conditioned column, resampled by the probability each had of meeting the conditions
        given its earlier columns, and the kept rows' later columns are then drawn afresh: the
        extra cost is that of the columns up to the last conditioned one (put columns you
        condition on first with ``first_columns``)."""
        weights = self.tokenizer_.weights(conditions)
        if not weights:
            return self._sample(n, rng)
        if any(not w.any() for w in weights.values()):
            raise ImpossibleConditionError(next(iter(conditions)))
        if list(weights) == [0]:
            tokens, _ = self._tokens(n, rng, weights)
            return self.tokenizer_.decode(tokens, rng, conditions)
        last = max(weights) + 1  # the columns the weights depend on
        heads, log_weight = self._tokens(2 * n, rng, weights, stop=last)
        finite = np.isfinite(log_weight)
        if not finite.any():
            raise ImpossibleConditionError(next(iter(conditions)))
        weight = np.where(finite, np.exp(log_weight - log_weight[finite].max()), 0.0)
        prefix = np.ascontiguousarray(heads[resample(weight, n, rng), :last])
        tokens, _ = self._tokens(n, rng, None, prefix=prefix)
        return self.tokenizer_.decode(tokens, rng, conditions)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        tokens, arrays = self.tokenizer_.get_state()
        arrays.update(state_to_arrays(self.network_, "network"))
        state = {"tokens": tokens, "history": self.history_, "stopped": self.stopped_because_}
        return state, arrays

    @isolated
    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        torch = seed_torch(None)
        self.tokenizer_ = Tokenizer.from_state(state["tokens"], arrays)
        net = build_network(torch, self.tokenizer_.vocab, self.embedding_dim, self.hidden_dim)
        arrays_to_state(net, arrays, "network")
        self.network_ = net.eval()
        self.history_ = {k: list(v) for k, v in state["history"].items()}
        self.stopped_because_ = state["stopped"]
