"""Importance resampling, with tvae's latent proposal, and the exact draw by chance."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from datatwin.models.deep.guided import importance_draw
from datatwin.models.deep.latent import DEFENSIVE, SubspaceProposal

torch = pytest.importorskip("torch")

DIM = 10
DIRECTION = np.array([3.0, -4.0, 0, 0, 0, 0, 0, 0, 0, 0]) / 5.0  # a unit vector


def chance(z: Any) -> Any:
    """A smooth chance that depends on the draw along DIRECTION only: about 2.5% under N(0, I)."""
    return torch.sigmoid(6.0 * (z.double() @ torch.from_numpy(DIRECTION) - 2.2))


def run(seed: int, n: int = 4000) -> tuple[np.ndarray, int, SubspaceProposal]:
    """Resampled draws of N(0, I) weighted by ``chance``, and how many candidates that took."""
    source = torch.Generator().manual_seed(seed)
    proposal = SubspaceProposal(torch, DIM, source, lambda z, rows: torch.log(chance(z)))
    drawn = []

    def draw(size: int) -> tuple[Any, np.ndarray]:
        z, ratio = proposal.draw(size)
        assert (ratio > 0).all()
        assert (ratio <= 1 / DEFENSIVE + 1e-9).all()
        weight = chance(z).numpy() * ratio
        proposal.learn(z, weight)
        drawn.append(len(weight))
        return z, weight

    rng = np.random.default_rng(seed)
    kept = importance_draw(torch, draw, n, rng, batch=50_000, limit=10**7, probe=10**5)
    return kept.double().numpy(), sum(drawn), proposal


def expected_projection() -> tuple[float, float]:
    """Mean and standard deviation of z . DIRECTION under the target, by quadrature."""
    grid = np.linspace(-8, 8, 40_001)
    density = np.exp(-(grid**2) / 2) / (1 + np.exp(-6.0 * (grid - 2.2)))
    mean = float((grid * density).sum() / density.sum())
    return mean, float(np.sqrt(((grid - mean) ** 2 * density).sum() / density.sum()))


def test_resampled_draws_follow_the_conditional_distribution() -> None:
    kept, drawn, _ = run(seed=0)
    assert len(kept) == 4000
    mean, sd = expected_projection()
    along = kept @ DIRECTION
    assert along.mean() == pytest.approx(mean, abs=0.05)
    assert along.std() == pytest.approx(sd, abs=0.05)
    across = kept - np.outer(along, DIRECTION)  # the other directions keep the prior
    assert np.abs(across[:, 2:].mean(axis=0)).max() < 0.1
    assert across[:, 2:].std(axis=0) == pytest.approx(np.ones(DIM - 2), abs=0.1)
    assert drawn <= 2.5 * 4000  # rejection would need about 40 draws per kept row


def test_the_proposal_moves_only_along_the_direction_the_chance_depends_on() -> None:
    _, _, proposal = run(seed=1)
    assert proposal.basis is not None
    assert proposal.basis.shape[1] <= 3
    top = proposal.basis[:, 0]
    assert abs(float(top @ DIRECTION)) > 0.99


def test_a_spike_mode_meets_an_interval_with_every_alpha_or_none() -> None:
    from datatwin.models.deep.guided import interval_chances
    from datatwin.transforms.modes import ModeNormalizer

    normalizer = ModeNormalizer(np.array([0.9, 0.1]), np.array([0.0, 10.0]), np.array([0.0, 2.0]))
    centre = np.array([-0.9, 0.0, 0.95])
    at = torch.from_numpy(centre)
    holds = interval_chances(torch, normalizer, np.array([[-1.0, 0.0]]), at, 0.3).numpy()
    assert np.all(holds[:, 0] == 1.0)  # the spike at 0 lies in [-1, 0]
    misses = interval_chances(torch, normalizer, np.array([[0.5, 20.0]]), at, 0.3).numpy()
    assert np.all(misses[:, 0] == 0.0)
    assert np.all(misses[:, 1] > 0.0)


def test_interval_chances_and_truncated_alphas_match_drawing_the_noise() -> None:
    from datatwin.models.deep.guided import _truncated_alphas, interval_chances
    from datatwin.transforms.modes import ModeNormalizer

    normalizer = ModeNormalizer(np.array([0.5, 0.5]), np.array([0.0, 10.0]), np.array([1.0, 2.0]))
    intervals = np.array([[-np.inf, -3.9], [1.5, 5.0], [9.0, np.inf]])  # ends beyond the clip
    centre = np.array([-0.9, 0.2, 0.5, 0.95, -0.3])
    scale = 0.3
    chances = interval_chances(torch, normalizer, intervals, torch.from_numpy(centre), scale)
    chances = chances.numpy()
    rng = np.random.default_rng(0)
    alpha = centre[:, None] + scale * rng.standard_normal((len(centre), 200_000))
    for mode in (0, 1):
        values = normalizer.decode(alpha, np.full(alpha.shape, mode))
        inside = np.zeros(values.shape, dtype=bool)
        for low, high in intervals:
            inside |= (values >= low) & (values <= high)
        np.testing.assert_allclose(chances[:, mode], inside.mean(axis=1), atol=0.005)
        modes = np.full(len(centre), mode)
        draws = np.stack(
            [
                _truncated_alphas(normalizer, intervals, centre, scale, modes, rng.random((5, 2)))
                for _ in range(4000)
            ],
            axis=1,
        )
        drawn_values = normalizer.decode(draws, np.full(draws.shape, mode))
        ok = np.zeros(drawn_values.shape, dtype=bool)
        for low, high in intervals:
            ok |= (drawn_values >= low) & (drawn_values <= high)
        reachable = chances[:, mode] > 0
        assert ok[reachable].all()
        for row in np.flatnonzero(chances[:, mode] > 0.01):  # the same conditional distribution
            reference = np.clip(alpha[row][inside[row]], -1, 1)
            drawn = np.clip(draws[row], -1, 1)
            error = np.sqrt(reference.var() / len(reference) + drawn.var() / len(drawn))
            assert drawn.mean() == pytest.approx(reference.mean(), abs=4 * error + 1e-9)


def tilted(seed: int, n: int, shift: float) -> tuple[np.ndarray, int]:
    """importance_draw with chances: N(0, 1) draws z, each meeting a condition with chance
    Phi(z + shift); the kept draws and how many candidates that took."""
    from scipy import special

    source = torch.Generator().manual_seed(seed)
    drawn = []

    def draw(size: int) -> tuple[Any, np.ndarray]:
        z = torch.randn(size, 1, generator=source, dtype=torch.float64)
        drawn.append(size)
        return z, special.ndtr(z[:, 0].numpy() + shift)

    kept = importance_draw(torch, draw, n, np.random.default_rng(seed), chances=True)
    return kept[:, 0].numpy(), sum(drawn)


def test_chances_above_one_half_are_kept_by_chance_without_repeats() -> None:
    kept, drawn = tilted(0, 20_000, 1.0)
    assert len(kept) == 20_000
    assert len(np.unique(kept)) == len(kept)  # an exact draw: no candidate kept twice
    assert drawn < 2 * 20_000  # the mean chance is Phi(1 / sqrt 2) = 0.76: about 1.3 per row
    grid = np.linspace(-9, 9, 20_001)
    density = np.exp(-(grid**2) / 2) * special_ndtr(grid + 1.0)
    expected = float((grid * density).sum() / density.sum())  # mean of z given it was kept
    assert kept.mean() == pytest.approx(expected, abs=0.03)


def test_low_chances_are_still_resampled() -> None:
    kept, drawn = tilted(1, 4000, -1.5)  # mean chance Phi(-1.5 / sqrt 2) = 0.14
    assert len(kept) == 4000
    assert drawn >= 2 * 4000
    grid = np.linspace(-9, 9, 20_001)
    density = np.exp(-(grid**2) / 2) * special_ndtr(grid - 1.5)
    expected = float((grid * density).sum() / density.sum())
    assert kept.mean() == pytest.approx(expected, abs=0.06)


def special_ndtr(x: np.ndarray) -> np.ndarray:
    from scipy import special

    return np.asarray(special.ndtr(x))


def test_the_differentiable_log_chance_is_the_weights_log() -> None:
    import datatwin as dt
    from datatwin.models.conditions import parse_conditions
    from datatwin.models.deep.guided import condition_log_chance, condition_weights
    from tests.conftest import mixed_table

    model = dt.synthesizer("tvae", seed=0, epochs=1, batch_size=50, threads=1)
    model.fit(mixed_table(120))
    parsed = parse_conditions({"group": ["mid", "senior"], "age": (30, 50)}, model.codec_)
    parts = {p.key: p for c in parsed for p in c.parts()}
    noise = model.sigma_[model.plan_.tanh].numpy().astype(np.float64)
    raw = 2 * torch.randn(300, model.layout_.width, generator=torch.Generator().manual_seed(0))
    _, weight = condition_weights(torch, model.plan_, model.layout_, raw, parts, None, noise)
    log_chance = condition_log_chance(torch, model.plan_, model.layout_, raw, parts, noise)
    assert np.exp(log_chance.double().numpy()) == pytest.approx(weight, rel=1e-4, abs=1e-12)
    raw.requires_grad_(True)
    (grad,) = torch.autograd.grad(
        condition_log_chance(torch, model.plan_, model.layout_, raw, parts, noise).sum(), raw
    )
    assert torch.isfinite(grad).all()
    assert grad.abs().sum() > 0
