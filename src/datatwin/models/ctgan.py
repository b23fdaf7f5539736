"""``ctgan``: the conditional tabular GAN of Xu et al. (2019), in PyTorch.

Numbers are mode-normalised (:mod:`datatwin.transforms.modes`), categories one-hot, as in
:mod:`datatwin.models.tvae`. Training follows the paper and SDV's reference code:

- Conditional vector and training-by-sampling. Each row of a batch picks one discrete column
  uniformly and one of its categories with probability proportional to the log of its frequency;
  the generator gets that one-hot condition next to its noise, pays a cross-entropy penalty when
  its logits for the column miss the category, and the critic compares it with real rows drawn
  from those having the category. Only discrete columns are conditioned on, as in the paper: the
  one-hot mode of a number is a random draw from the mixture's responsibilities, not a fact about
  the row, and conditioning on it would spend batches on forcing the mixture's own bookkeeping.
- PacGAN: the critic sees ``pac`` rows at once, so ``batch_size`` must be a multiple of ``pac``.
- WGAN-GP: critic loss ``mean(D(fake)) - mean(D(real))`` plus 10 times the squared distance of
  the critic's gradient norm from 1 at random interpolations of packed real and fake rows.
- Generator: residual blocks (linear, batch norm, ReLU, output concatenated with the input),
  tanh for alphas, Gumbel-softmax (temperature 0.2) for one-hot spans. Critic: linear layers with
  LeakyReLU(0.2) and dropout 0.5. Adam (2e-4, betas 0.5 and 0.9, weight decay 1e-6).

Early stopping watches a cheap fidelity distance, lower is better: rows generated from a fixed
noise are compared with held-out real rows through mean total-variation distances between
their column distributions (categories, or numbers in ten bins at the real deciles) and between
their pairwise joint distributions. See :class:`~datatwin.models.deep.ctgan_net.FidelityScorer`.

Speed: every index (activation gathers, rows of each category, condition probabilities) is built
once per fit; conditions, real rows and Gumbel noise are drawn by tensor ops for a whole batch;
all one-hot spans are activated by the same few operations; one generator pass per step serves
the (last) critic update, detached, and the generator update, which skips the critic's weight
gradients; Adam is the fused kernel. Needs ``pip install 'datatwin[deep]'``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from datatwin.errors import ParameterError
from datatwin.models.base import (
    Synthesizer,
)
from datatwin.models.conditions import PartCondition
from datatwin.models.deep.ctgan_net import (
    SAMPLE_BATCH,
    ConditionPlan,
    FidelityScorer,
    RealRows,
    build_networks,
    generate,
)
from datatwin.models.deep.guided import (
    check_reachable,
    condition_log_chance,
    condition_probabilities,
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
from datatwin.models.params import Constraint, Interval, Options
from datatwin.transforms import Part

__all__ = ["CTGAN"]

GRADIENT_PENALTY = 10.0
WEIGHT_DECAY = 1e-6
BETAS = (0.5, 0.9)
VALID_ROWS = 5_000  # at most this many held-out rows are scored against
SMOOTHING = 0.05  # alpha noise that smooths a number condition's edge, for its gradient only


class CTGAN(Synthesizer):
    """Conditional tabular GAN.

    Parameters
    ----------
    seed: seed of the weights, the batches and the samples.
    epochs: passes over the data (at most; see ``max_minutes`` and ``patience``); an epoch is
        ``rows // batch_size`` steps (at least one), each drawing its rows by condition.
    batch_size: rows per step; a multiple of ``pac``.
    embedding_dim: size of the generator's noise.
    generator_dim, discriminator_dim: width of the generator's two residual layers and of the
        critic's two hidden layers.
    generator_lr, discriminator_lr: Adam's step sizes.
    pac: rows the critic judges together (PacGAN), against mode collapse.
    discriminator_steps: critic updates per generator update.
    log_frequency: draw training conditions by log-frequency (the paper), which shows the
        generator rare categories more often; ``False`` draws them by frequency.
    max_minutes: wall-clock budget for training; ``None`` for no limit.
    patience: stop after this many epochs without a better validation distance; ``None`` never
        stops early. The generator of the best epoch is kept.
    validation: share of rows held out for the validation distance (0 scores the training rows).
    threads: torch threads; ``None`` uses every core.
    """

    name: ClassVar[str] = "ctgan"
    _parameter_rules: ClassVar[dict[str, list[Constraint]]] = {
        "seed": [Interval(int, 0), None],
        "epochs": [Interval(int, 1)],
        "batch_size": [Interval(int, 2)],
        "embedding_dim": [Interval(int, 1)],
        "generator_dim": [Interval(int, 1)],
        "discriminator_dim": [Interval(int, 1)],
        "generator_lr": [Interval(float, 1e-8, 1.0)],
        "discriminator_lr": [Interval(float, 1e-8, 1.0)],
        "pac": [Interval(int, 1)],
        "discriminator_steps": [Interval(int, 1)],
        "log_frequency": [Options((True, False))],
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
        generator_dim: int = 256,
        discriminator_dim: int = 256,
        generator_lr: float = 2e-4,
        discriminator_lr: float = 2e-4,
        pac: int = 10,
        discriminator_steps: int = 1,
        log_frequency: bool = True,
        max_minutes: float | None = None,
        patience: int | None = None,
        validation: float = 0.1,
        threads: int | None = None,
    ) -> None:
        self.seed = seed
        self.epochs = epochs
        self.batch_size = batch_size
        self.embedding_dim = embedding_dim
        self.generator_dim = generator_dim
        self.discriminator_dim = discriminator_dim
        self.generator_lr = generator_lr
        self.discriminator_lr = discriminator_lr
        self.pac = pac
        self.discriminator_steps = discriminator_steps
        self.log_frequency = log_frequency
        self.max_minutes = max_minutes
        self.patience = patience
        self.validation = validation
        self.threads = threads

    def _check_params(self) -> None:
        if self.batch_size % self.pac:
            lower = max(self.pac, self.batch_size // self.pac * self.pac)
            raise ParameterError(
                f"The 'batch_size' parameter of CTGAN must be a multiple of 'pac' ({self.pac}). "
                f"Got {self.batch_size}; use {lower} or {lower + self.pac}, or change 'pac'."
            )

    def _networks(self, torch: Any, plan: ConditionPlan) -> tuple[Any, Any]:
        dims = (self.embedding_dim, self.generator_dim, self.discriminator_dim, self.pac)
        return build_networks(torch, len(plan.inverse), plan.width, *dims)

    @isolated
    def _fit(self, parts: list[Part], rng: np.random.Generator) -> None:
        torch = seed_torch(self.seed, self.threads)
        layout = DataLayout.fit(parts, rng)
        self.history_: dict[str, list[float]] = {"train": [], "valid": []}
        if not layout.width:  # only made-up columns (ids, personal data): nothing to learn
            self.layout_, self.counts_ = layout, np.zeros(0, np.int64)
            self.stopped_because_ = "no parts"
            return
        matrix = layout.encode(parts, rng)
        held = int(len(matrix) * self.validation) if len(matrix) >= 20 else 0
        order = rng.permutation(len(matrix))
        train = matrix[order[held:]] if held else matrix
        scored = matrix[order[: min(held or len(matrix), VALID_ROWS)]]  # held-out, else any
        plan = ConditionPlan(torch, layout)
        counts = train[:, plan.columns].sum(axis=0).round().astype(np.int64)
        plan.with_counts(torch, counts)
        real_rows = RealRows(torch, plan, train, counts)
        train_probs = torch.from_numpy(plan.probabilities(counts, log=self.log_frequency))
        data = torch.from_numpy(train)
        generator, critic = self._networks(torch, plan)
        adam = {"betas": BETAS, "weight_decay": WEIGHT_DECAY, "fused": True}
        opt_g = torch.optim.Adam(generator.parameters(), lr=self.generator_lr, **adam)
        opt_d = torch.optim.Adam(critic.parameters(), lr=self.discriminator_lr, **adam)
        batch, packs = self.batch_size, self.batch_size // self.pac
        steps = max(len(train) // batch, 1)
        scorer = FidelityScorer(layout, layout.decode(scored), rng)
        valid_seed = int(rng.integers(2**63 - 1))
        history: dict[str, list[float]] = {"train": [], "valid": [], "generator": [], "critic": []}
        best: dict[str, Any] = {}

        def fake_batch() -> tuple[Any, Any, Any, Any]:
            cond, chosen = plan.conditions(torch, train_probs, batch)
            noise = torch.randn(batch, self.embedding_dim)
            fake, logits = plan.activate(
                torch, generate(torch, generator, torch.cat([noise, cond], 1))
            )
            return fake, logits, cond, chosen

        def critic_step(fake: Any, cond: Any, chosen: Any) -> Any:
            with torch.no_grad():
                perm = torch.randperm(batch)
                real = data[real_rows.draw(torch, chosen[perm], plan.width)]
                real_in = torch.cat([real, cond[perm]], 1).view(packs, -1)
                fake_in = torch.cat([fake, cond], 1).view(packs, -1)
                share = torch.rand(packs, 1)
                mixed = share * real_in + (1 - share) * fake_in
            y_real, y_fake = critic(torch.cat([real_in, fake_in])).split(packs)
            mixed.requires_grad_(True)
            (grad,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
            penalty = GRADIENT_PENALTY * ((grad.norm(2, dim=1) - 1) ** 2).mean()
            loss = y_fake.mean() - y_real.mean()
            opt_d.zero_grad(set_to_none=True)
            (loss + penalty).backward()
            opt_d.step()
            return loss.detach()

        def train_step() -> tuple[Any, Any]:
            critic_loss = torch.zeros(())
            for _ in range(self.discriminator_steps - 1):
                with torch.no_grad():
                    fake, _, cond, chosen = fake_batch()
                critic_loss += critic_step(fake, cond, chosen)
            # one generator pass serves the last critic update (detached) and the generator's
            fake, logits, cond, chosen = fake_batch()
            critic_loss += critic_step(fake.detach(), cond, chosen)
            critic.requires_grad_(False)  # only the input's gradient is needed
            y_fake = critic(torch.cat([fake, cond], 1).view(packs, -1))
            critic.requires_grad_(True)
            loss = plan.condition_loss(torch, logits, chosen) - y_fake.mean()
            opt_g.zero_grad(set_to_none=True)
            loss.backward()
            opt_g.step()
            return loss.detach(), critic_loss / self.discriminator_steps

        def train_epoch() -> float:
            g_total, d_total = torch.zeros(()), torch.zeros(())
            for _ in range(steps):
                g_loss, d_loss = train_step()
                g_total += g_loss
                d_total += d_loss
            history["critic"].append(float(d_total) / steps)
            history["generator"].append(float(g_total) / steps)
            return history["generator"][-1]

        def validate() -> float:
            made = self._generate_matrix(torch, generator, plan, max(len(scored), 500), valid_seed)
            generator.train()
            return scorer.score(layout.decode(made))

        def keep_best() -> None:
            best["generator"] = copy.deepcopy(generator.state_dict())

        loop = EpochLoop(
            Budget(self.epochs, self.max_minutes, self.patience),
            getattr(self, "_progress", None),
            history,
        )
        loop.run(train_epoch, validate, keep_best)
        generator.load_state_dict(best["generator"])
        self.layout_, self.plan_, self.counts_ = layout, plan, counts
        self.generator_ = generator.eval()
        self.history_, self.stopped_because_ = loop.history, loop.stopped_because

    def _generate_matrix(
        self, torch: Any, generator: Any, plan: ConditionPlan, n: int, seed: int
    ) -> np.ndarray:
        """``n`` generated rows (eval mode, conditions by frequency), activated, one-hot hard."""
        source = torch.Generator().manual_seed(seed)
        generator.eval()
        out = np.zeros((n, int(plan.inverse.shape[0])), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, n, SAMPLE_BATCH):
                size = min(SAMPLE_BATCH, n - start)
                cond, _ = plan.conditions(torch, plan.sample_probs, size, source)
                noise = torch.randn(size, self.embedding_dim, generator=source)
                raw = generate(torch, generator, torch.cat([noise, cond], 1))
                made, _ = plan.activate(torch, raw, hard=True, generator=source)
                out[start : start + size] = made.numpy()
        return out

    @isolated
    def _sample(self, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        if not self.layout_.width:
            return {}
        torch = seed_torch(None, self.threads)
        seed = int(rng.integers(2**63 - 1))
        return self.layout_.decode(
            self._generate_matrix(torch, self.generator_, self.plan_, n, seed)
        )

    @isolated
    def _sample_conditioned(
        self, n: int, rng: np.random.Generator, conditions: Mapping[str, PartCondition]
    ) -> dict[str, np.ndarray] | None:
        """Generator outputs are drawn until their chances of meeting the condition (see
        :mod:`~datatwin.models.deep.guided`) add up to an effective ``n`` rows (at least
        ``2 n`` outputs), resampled by that chance, and each kept output then draws its one-hot
        spans with the conditioned ones restricted to what the condition allows. A conditioned
        category of the conditional vector's columns also sets the vector, after which most
        outputs meet it: each is then kept with its chance instead (an exact draw that keeps
        more than half of them). Otherwise the noise comes from a proposal moved towards where
        the condition holds (:mod:`~datatwin.models.deep.latent`), weighted back by its ratio
        to the prior."""
        if not self.layout_.width or any(k not in self.layout_.keys for k in conditions):
            return None
        if not conditions:  # rows for the table's rules alone: the free draw is exact
            return self._sample(n, rng)
        check_reachable(self.layout_, conditions)
        torch = seed_torch(None, self.threads)
        source = torch.Generator().manual_seed(int(rng.integers(2**63 - 1)))
        probs = condition_probabilities(self.plan_, self.layout_, conditions)
        cond_probs = self.plan_.sample_probs if probs is None else torch.from_numpy(probs)
        proposal = None
        if probs is None:  # the vector cannot set the condition: move the noise towards it
            smooth = np.full(len(self.plan_.tanh), SMOOTHING)
            last: dict[str, Any] = {}

            def log_chance(z: Any, rows: Any) -> Any:
                cond = last["cond"].index_select(0, rows)
                raw = generate(torch, self.generator_, torch.cat([z, cond], 1))
                return condition_log_chance(
                    torch, self.plan_, self.layout_, raw, conditions, smooth
                )

            proposal = SubspaceProposal(torch, self.embedding_dim, source, log_chance)

        def draw(size: int) -> tuple[Any, np.ndarray]:
            if proposal is not None:
                noise, ratio = proposal.draw(size)
                size = len(noise)
            else:
                noise = torch.randn(size, self.embedding_dim, generator=source)
            cond, _ = self.plan_.conditions(torch, cond_probs, size, source)
            raw = generate(torch, self.generator_, torch.cat([noise, cond], 1))
            weight = condition_weights(torch, self.plan_, self.layout_, raw, conditions)[1]
            if proposal is None:
                return raw, weight
            weight = weight * ratio
            last["cond"] = cond
            proposal.learn(noise, weight)
            return raw, weight

        with torch.no_grad():
            raw = importance_draw(torch, draw, n, rng, chances=proposal is None)
            made = conditioned_rows(torch, self.plan_, self.layout_, raw, conditions, source)
        return self.layout_.decode(made)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        layout, arrays = self.layout_.get_state()
        if self.layout_.width:
            arrays.update(state_to_arrays(self.generator_, "generator"))
        arrays["conditions.counts"] = self.counts_.astype(np.int64)
        state = {"layout": layout, "history": self.history_, "stopped": self.stopped_because_}
        return state, arrays

    @isolated
    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        torch = seed_torch(None)
        self.layout_ = DataLayout.from_state(state["layout"], arrays)
        self.counts_ = np.asarray(arrays["conditions.counts"], dtype=np.int64)
        self.history_ = {k: list(v) for k, v in state["history"].items()}
        self.stopped_because_ = state["stopped"]
        if not self.layout_.width:
            return
        self.plan_ = ConditionPlan(torch, self.layout_).with_counts(torch, self.counts_)
        if self.plan_.width != len(self.counts_):
            raise ValueError("condition counts do not match the layout")
        generator, _ = self._networks(torch, self.plan_)
        # batch norm's step counter is 0-d; model files store it with shape (1,)
        scalar = {k: v.reshape(()) for k, v in arrays.items() if k.endswith("batches_tracked")}
        arrays_to_state(generator, {**arrays, **scalar}, "generator")
        self.generator_ = generator.eval()
