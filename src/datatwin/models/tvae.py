"""``tvae``: the tabular variational autoencoder of Xu et al. (2019), in PyTorch.

Numbers are mode-normalised (:mod:`datatwin.transforms.modes`), categories one-hot. The encoder
maps a row to a Gaussian posterior; the decoder maps a latent draw back to alphas (with a learned
noise scale per alpha) and category logits. Training minimises the reconstruction loss, weighted
by ``loss_factor``, plus the KL divergence to the prior. Needs ``pip install 'datatwin[deep]'``.

Sampling draws each category (and each number's mixture mode) from the decoder's softmax, which
is the distribution the reconstruction loss trained, where SDV's TVAE takes the most likely one:
on Adult after 10 epochs that lifts SDMetrics' quality from about 0.70 to 0.88 (see
benchmarks/RESULTS.md), and it lets conditional sampling draw each conditioned category inside
the condition and resample latent draws by their chance of meeting it, instead of rejecting rows
(:mod:`datatwin.models.deep.guided`); the latent draws come from a proposal moved towards where
the condition holds (:mod:`datatwin.models.deep.latent`).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from datatwin.models.base import (
    Synthesizer,
)
from datatwin.models.conditions import PartCondition
from datatwin.models.deep.ctgan_net import SAMPLE_BATCH, ConditionPlan
from datatwin.models.deep.guided import (
    check_reachable,
    condition_log_chance,
    condition_weights,
    conditioned_rows,
    importance_draw,
)
from datatwin.models.deep.latent import SubspaceProposal
from datatwin.models.deep.layout import DataLayout
from datatwin.models.deep.torchutil import (
    arrays_to_state,
    isolated,
    seed_torch,
    state_to_arrays,
)
from datatwin.models.deep.training import Budget, EpochLoop
from datatwin.models.params import Constraint, Interval
from datatwin.transforms import Part

__all__ = ["TVAE"]


def _networks(torch: Any, width: int, embedding: int, hidden: int) -> tuple[Any, Any, Any]:
    nn = torch.nn
    encoder = nn.Sequential(
        nn.Linear(width, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, 2 * embedding),
    )
    decoder = nn.Sequential(
        nn.Linear(embedding, hidden),
        nn.ReLU(),
        nn.Linear(hidden, hidden),
        nn.ReLU(),
        nn.Linear(hidden, width),
    )
    sigma = nn.Parameter(torch.ones(width) * 0.1)
    return encoder, decoder, sigma


class TVAE(Synthesizer):
    """Tabular VAE.

    Parameters
    ----------
    seed: seed of the weights, the batches and the samples.
    epochs: passes over the data (at most; see ``max_minutes`` and ``patience``).
    batch_size: rows per gradient step.
    embedding_dim, hidden_dim: sizes of the latent space and of the hidden layers.
    learning_rate: Adam's step size.
    loss_factor: weight of reconstruction against the KL term.
    max_minutes: wall-clock budget for training; ``None`` for no limit.
    patience: stop after this many epochs without a better validation loss; ``None`` never stops
        early.
    validation: share of rows held out to watch for overfitting (0: the training loss decides).
    threads: torch threads; ``None`` uses every core. Small networks on a busy machine can run
        faster on one (see benchmarks/RESULTS.md).
    """

    name: ClassVar[str] = "tvae"
    _parameter_rules: ClassVar[dict[str, list[Constraint]]] = {
        "seed": [Interval(int, 0), None],
        "epochs": [Interval(int, 1)],
        "batch_size": [Interval(int, 2)],
        "embedding_dim": [Interval(int, 1)],
        "hidden_dim": [Interval(int, 1)],
        "learning_rate": [Interval(float, 1e-8, 1.0)],
        "loss_factor": [Interval(float, 0.0)],
        "max_minutes": [Interval(float, 0.0), None],
        "patience": [Interval(int, 1), None],
        "validation": [Interval(float, 0.0, 0.5)],
        "threads": [Interval(int, 1), None],
    }

    def __init__(
        self,
        *,
        seed: int | None = None,
        epochs: int = 300,
        batch_size: int = 500,
        embedding_dim: int = 128,
        hidden_dim: int = 128,
        learning_rate: float = 1e-3,
        loss_factor: float = 2.0,
        max_minutes: float | None = None,
        patience: int | None = None,
        validation: float = 0.1,
        threads: int | None = None,
    ) -> None:
        self.seed = seed
        self.epochs = epochs
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.learning_rate = learning_rate
        self.loss_factor = loss_factor
        self.max_minutes = max_minutes
        self.patience = patience
        self.validation = validation
        self.threads = threads

    def _loss(self, torch: Any, x: Any, encoder: Any, decoder: Any, sigma: Any) -> Any:
        """Reconstruction (Gaussian for alphas, cross-entropy per one-hot span, by segment
        operations over all spans at once) times ``loss_factor``, plus the KL term, per row."""
        plan = self.plan_
        mu, logvar = encoder(x).chunk(2, dim=1)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        out = decoder(z)
        s = sigma[plan.tanh]
        alphas = torch.tanh(out.index_select(1, plan.tanh))
        recon = ((x.index_select(1, plan.tanh) - alphas) ** 2 / 2 / s**2).sum()
        recon = recon + torch.log(s).sum() * x.shape[0]
        logits = out.index_select(1, plan.soft)
        shifted = logits - plan._span_max(torch, logits)
        log_norm = plan._span_sum(torch.exp(shifted)).log()  # rows x spans
        recon = recon + log_norm.sum() - (x.index_select(1, plan.soft) * shifted).sum()
        kld = -0.5 * torch.sum(1 + logvar - mu**2 - logvar.exp())
        return (self.loss_factor * recon + kld) / x.shape[0]

    @isolated
    def _fit(self, parts: list[Part], rng: np.random.Generator) -> None:
        torch = seed_torch(self.seed, self.threads)
        self.layout_ = DataLayout.fit(parts, rng)
        data = torch.from_numpy(self.layout_.encode(parts, rng))
        self.plan_ = ConditionPlan(torch, self.layout_)
        order = torch.from_numpy(rng.permutation(len(data)))
        held = int(len(data) * self.validation) if len(data) >= 20 else 0
        if held:
            valid, train = data[order[:held]], data[order[held:]]
        else:
            train = data
        encoder, decoder, sigma = _networks(
            torch, self.layout_.width, self.embedding_dim, self.hidden_dim
        )
        params = [*encoder.parameters(), *decoder.parameters(), sigma]
        optimizer = torch.optim.Adam(params, lr=self.learning_rate, weight_decay=1e-5, fused=True)
        best: dict[str, Any] = {}
        last = {"train": float("inf")}

        def train_epoch() -> float:
            losses = []
            for batch in torch.randperm(len(train)).split(self.batch_size):
                optimizer.zero_grad()
                loss = self._loss(torch, train[batch], encoder, decoder, sigma)
                loss.backward()
                optimizer.step()
                sigma.data.clamp_(0.01, 1.0)
                losses.append(loss.detach())
            last["train"] = float(torch.stack(losses).mean())
            return last["train"]

        def validate() -> float:
            if not held:  # nothing held out: the epoch's training loss, not a second pass
                return last["train"]
            with torch.no_grad():
                return float(self._loss(torch, valid, encoder, decoder, sigma))

        def keep_best() -> None:
            best["encoder"] = copy.deepcopy(encoder.state_dict())
            best["decoder"] = copy.deepcopy(decoder.state_dict())
            best["sigma"] = sigma.detach().clone()

        loop = EpochLoop(
            Budget(self.epochs, self.max_minutes, self.patience), getattr(self, "_progress", None)
        )
        loop.run(train_epoch, validate, keep_best)
        encoder.load_state_dict(best["encoder"])
        decoder.load_state_dict(best["decoder"])
        self.decoder_, self.sigma_ = decoder.eval(), best["sigma"]
        self.history_, self.stopped_because_ = loop.history, loop.stopped_because

    def _decode_latent(self, torch: Any, z: Any, source: Any) -> tuple[Any, Any]:
        """Raw decoder output for latent draws ``z``, and its alphas with their noise."""
        raw = self.decoder_(z)
        tanh = self.plan_.tanh
        noise = torch.randn(len(z), len(tanh), generator=source) * self.sigma_[tanh]
        return raw, torch.tanh(raw.index_select(1, tanh)) + noise

    @isolated
    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Latent draws through the decoder; each one-hot span draws its entry from its softmax
        (the decoder's distribution over categories and modes), alphas get their noise."""
        torch = seed_torch(None, self.threads)
        source = torch.Generator().manual_seed(int(rng.integers(2**63 - 1)))
        out = np.zeros((n, self.layout_.width), dtype=np.float32)
        if not self.layout_.width:
            return self.layout_.decode(out)
        with torch.no_grad():
            for start in range(0, n, SAMPLE_BATCH):
                z = torch.randn(min(SAMPLE_BATCH, n - start), self.embedding_dim, generator=source)
                raw, alphas = self._decode_latent(torch, z, source)
                made, _ = self.plan_.activate(torch, raw, hard=True, generator=source)
                made[:, self.plan_.tanh] = alphas
                out[start : start + len(made)] = made.numpy()
        return self.layout_.decode(out)

    @isolated
    def _sample_conditioned(
        self, n: int, rng: np.random.Generator, conditions: Mapping[str, PartCondition]
    ) -> dict[str, np.ndarray] | None:
        """Latent draws weighted by their chance of meeting the conditions, resampled, and each
        kept draw's conditioned spans drawn among the allowed entries (see
        :mod:`~datatwin.models.deep.guided`)."""
        if not self.layout_.width or any(k not in self.layout_.keys for k in conditions):
            return None
        if not conditions:  # rows for the table's rules alone: the free draw is exact
            return self._sample(n, rng)
        check_reachable(self.layout_, conditions)
        torch = seed_torch(None, self.threads)
        source = torch.Generator().manual_seed(int(rng.integers(2**63 - 1)))
        alpha_columns = len(self.plan_.tanh)
        noise = self.sigma_[self.plan_.tanh].numpy().astype(np.float64)

        def log_chance(z: Any, rows: Any) -> Any:
            raw = self.decoder_(z)
            return condition_log_chance(torch, self.plan_, self.layout_, raw, conditions, noise)

        proposal = SubspaceProposal(torch, self.embedding_dim, source, log_chance)

        def draw(size: int) -> tuple[Any, np.ndarray]:
            z, ratio = proposal.draw(size)
            raw, alphas = self._decode_latent(torch, z, source)
            _, chance = condition_weights(
                torch, self.plan_, self.layout_, raw, conditions, alphas, noise
            )
            proposal.learn(z, chance * ratio)
            return torch.cat([raw, alphas], dim=1), chance * ratio

        with torch.no_grad():
            kept = importance_draw(torch, draw, n, rng)
            width = kept.shape[1] - alpha_columns
            made = conditioned_rows(
                torch,
                self.plan_,
                self.layout_,
                kept[:, :width],
                conditions,
                source,
                kept[:, width:],
                noise,
            )
        return self.layout_.decode(made)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        layout, arrays = self.layout_.get_state()
        arrays.update(state_to_arrays(self.decoder_, "decoder"))
        arrays["sigma"] = self.sigma_.numpy().astype(np.float32)
        state = {"layout": layout, "history": self.history_, "stopped": self.stopped_because_}
        return state, arrays

    @isolated
    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        torch = seed_torch(None)
        self.layout_ = DataLayout.from_state(state["layout"], arrays)
        _, decoder, _ = _networks(torch, self.layout_.width, self.embedding_dim, self.hidden_dim)
        arrays_to_state(decoder, arrays, "decoder")
        self.decoder_ = decoder.eval()
        self.sigma_ = torch.from_numpy(np.ascontiguousarray(arrays["sigma"]))
        self.plan_ = ConditionPlan(torch, self.layout_)
        self.history_ = {k: list(v) for k, v in state["history"].items()}
        self.stopped_because_ = state["stopped"]
