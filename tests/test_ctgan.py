"""The ``ctgan`` model: conditions, real rows by condition, Gumbel outputs, PacGAN, files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
from click.testing import CliRunner

import datatwin as dt
from datatwin.cli.main import cli
from datatwin.io.modelfile import read_model
from datatwin.models.deep.layout import DataLayout
from datatwin.transforms import Part
from tests.conftest import mixed_table

torch = pytest.importorskip("torch")
from datatwin.models.deep.ctgan_net import ConditionPlan, FidelityScorer, RealRows  # noqa: E402

TINY = {"embedding_dim": 8, "generator_dim": 16, "discriminator_dim": 16, "threads": 1}


def parts(n: int = 1000, seed: int = 0) -> list[Part]:
    """A number, a three-level category (80/15/5 %) and a two-level one (50/50 %)."""
    rng = np.random.default_rng(seed)
    big = np.repeat(np.array([0, 1, 2], np.int32), [n * 80 // 100, n * 15 // 100, n * 5 // 100])
    return [
        Part("0", "x", "continuous", 0, rng.normal(size=n)),
        Part("1", "big", "discrete", 3, rng.permutation(big)),
        Part("2", "coin", "discrete", 2, (np.arange(n) % 2).astype(np.int32)),
    ]


@pytest.fixture
def layout_and_matrix() -> tuple[DataLayout, np.ndarray]:
    rng = np.random.default_rng(0)
    layout = DataLayout.fit(parts(), rng)
    return layout, layout.encode(parts(), rng)


def test_conditions_use_log_frequency_for_training_and_frequency_for_sampling(
    layout_and_matrix: tuple[DataLayout, np.ndarray],
) -> None:
    layout, matrix = layout_and_matrix
    plan = ConditionPlan(torch, layout)
    assert plan.n_columns == 2  # the two categories, not the number's modes
    counts = matrix[:, plan.columns].sum(axis=0).astype(np.int64)
    assert counts.tolist() == [800, 150, 50, 500, 500]
    plan.with_counts(torch, counts)
    logs = np.log1p([800, 150, 50])
    expected = np.concatenate([logs / logs.sum(), [0.5, 0.5]]) / 2
    assert np.allclose(plan.probabilities(counts, log=True), expected)
    assert np.allclose(plan.sample_probs.numpy(), [0.4, 0.075, 0.025, 0.25, 0.25])
    torch.manual_seed(0)
    for probs in (torch.from_numpy(expected), plan.sample_probs):
        vectors, chosen = plan.conditions(torch, probs, 200_000)
        assert vectors.shape == (200_000, 5)
        assert (vectors.sum(dim=1) == 1).all()
        assert (vectors.argmax(dim=1) == chosen).all()
        seen = np.bincount(chosen.numpy(), minlength=5) / 200_000
        assert np.allclose(seen, probs.numpy(), atol=0.005)


def test_real_rows_are_drawn_among_those_with_the_condition(
    layout_and_matrix: tuple[DataLayout, np.ndarray],
) -> None:
    layout, matrix = layout_and_matrix
    plan = ConditionPlan(torch, layout)
    counts = matrix[:, plan.columns].sum(axis=0).astype(np.int64)
    rows = RealRows(torch, plan, matrix, counts)
    torch.manual_seed(1)
    chosen = torch.randint(0, 5, (20_000,))
    drawn = rows.draw(torch, chosen, plan.width).numpy()
    assert (matrix[drawn, plan.columns[chosen.numpy()]] == 1).all()
    rare = drawn[chosen.numpy() == 2]  # the 50 rows of the rarest category, each drawn
    assert len(np.unique(rare)) == 50


def test_gumbel_outputs_are_one_hot_samples_of_the_softmax(
    layout_and_matrix: tuple[DataLayout, np.ndarray],
) -> None:
    layout, _ = layout_and_matrix
    plan = ConditionPlan(torch, layout)
    span = next(s for s in layout.spans if s.key == "1")
    n = 40_000
    raw = torch.randn(n, layout.width)
    raw[:, span.start : span.start + 3] = torch.log(torch.tensor([0.6, 0.3, 0.1]))
    source = torch.Generator().manual_seed(0)
    hard, _ = plan.activate(torch, raw, hard=True, generator=source)
    soft, _ = plan.activate(torch, raw, generator=source)
    tanh = [s.start for s in layout.spans if s.activation == "tanh"]
    for out in (hard, soft):
        assert torch.allclose(out[:, tanh], torch.tanh(raw[:, tanh]))
    for s in (s for s in layout.spans if s.activation == "softmax"):
        block = slice(s.start, s.start + s.width)
        assert torch.allclose(soft[:, block].sum(dim=1), torch.ones(n), atol=1e-5)
        assert ((hard[:, block] == 0) | (hard[:, block] == 1)).all()
        assert (hard[:, block].sum(dim=1) == 1).all()
    decoded = layout.decode(hard.numpy())
    assert np.allclose(np.bincount(decoded["1"], minlength=3) / n, [0.6, 0.3, 0.1], atol=0.01)


def test_the_condition_penalty_is_the_cross_entropy_of_the_conditioned_span(
    layout_and_matrix: tuple[DataLayout, np.ndarray],
) -> None:
    layout, _ = layout_and_matrix
    plan = ConditionPlan(torch, layout)
    raw = torch.randn(5, layout.width, generator=torch.Generator().manual_seed(1))
    raw.requires_grad_(True)
    _, logits = plan.activate(torch, raw)
    chosen = torch.tensor([0, 1, 2, 3, 4])  # every category of both conditioned columns
    loss = plan.condition_loss(torch, logits, chosen)
    starts = [int(plan.columns[0])] * 3 + [int(plan.columns[3])] * 2
    widths, targets = [3, 3, 3, 2, 2], [0, 1, 2, 0, 1]
    expected = torch.stack(
        [
            torch.nn.functional.cross_entropy(raw[i, s : s + w], torch.tensor(t))
            for i, (s, w, t) in enumerate(zip(starts, widths, targets, strict=True))
        ]
    ).mean()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    (grad,) = torch.autograd.grad(loss, raw)
    (wanted,) = torch.autograd.grad(expected, raw)
    assert torch.allclose(grad, wanted, atol=1e-6)


def test_the_validation_distance_separates_good_from_bad_rows() -> None:
    table = mixed_table(2000, seed=0)[["age", "income", "group", "member"]]
    rng = np.random.default_rng(0)
    codec_parts = dt.synthesizer("copula", seed=0).fit(table).codec_.encode(table)
    layout = DataLayout.fit(codec_parts, rng)
    matrix = layout.encode(codec_parts, rng)
    scorer = FidelityScorer(layout, layout.decode(matrix[:1000]), rng)
    assert scorer.score(layout.decode(matrix[:1000])) == 0.0
    same_source = scorer.score(layout.decode(matrix[1000:]))
    shuffled = matrix[1000:].copy()
    for s in layout.spans:  # each column keeps its marginal, but pairs lose their dependence
        shuffled[:, s.start : s.start + s.width] = rng.permutation(
            shuffled[:, s.start : s.start + s.width]
        )
    broken = scorer.score(layout.decode(shuffled))
    uniform = layout.decode(matrix[1000:])
    uniform["2"] = rng.integers(0, 3, 1000).astype(np.int32)  # 'group' made uniform
    assert same_source < 0.1
    assert broken > same_source + 0.05
    assert scorer.score(uniform) > same_source + 0.02


def test_batch_size_must_be_a_multiple_of_pac() -> None:
    message = (
        "The 'batch_size' parameter of CTGAN must be a multiple of 'pac' (10). "
        "Got 64; use 60 or 70, or change 'pac'."
    )
    with pytest.raises(dt.ParameterError, match=re.escape(message)):
        dt.synthesizer("ctgan", batch_size=64).fit(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(dt.ParameterError, match="The 'pac' parameter of CTGAN must be an int"):
        dt.synthesizer("ctgan", pac=0).fit(pd.DataFrame({"a": [1.0, 2.0]}))


def test_training_records_finite_losses_and_keeps_them_in_the_file(tmp_path: Path) -> None:
    seen: list[dict[str, float]] = []
    model = dt.synthesizer("ctgan", seed=0, epochs=3, batch_size=50, **TINY)
    model.fit(mixed_table(300), progress=seen.append)
    history = model.history_
    assert set(history) == {"train", "valid", "generator", "critic"}
    assert all(len(v) == 3 and np.isfinite(v).all() for v in history.values())
    assert history["train"] == history["generator"]
    assert [p["epoch"] for p in seen] == [1, 2, 3]
    model.save(tmp_path / "m.dtw")
    manifest, arrays = read_model(tmp_path / "m.dtw")
    assert manifest["state"]["history"] == history
    assert any(name.startswith("generator.blocks.") for name in arrays)
    assert not any(name.startswith("critic") for name in arrays)  # sampling needs no critic
    assert arrays["conditions.counts"].sum() == 270 * model.plan_.n_columns
    loaded = dt.load(tmp_path / "m.dtw")
    assert loaded.history_ == history
    pdt.assert_frame_equal(loaded.sample(500, seed=3), model.sample(500, seed=3))


def test_early_stopping_watches_the_validation_distance() -> None:
    model = dt.synthesizer("ctgan", seed=0, epochs=200, patience=2, batch_size=50, **TINY)
    model.fit(mixed_table(300))
    valid = model.history_["valid"]
    assert model.stopped_because_ == "early stopping"
    assert len(valid) < 200
    assert min(valid) < min(valid[-2:])  # the best epoch came before the last two


def test_tables_without_categories_or_without_parts() -> None:
    numbers = pd.DataFrame({"x": np.linspace(0, 1, 60), "y": np.linspace(5, 2, 60) ** 2})
    model = dt.synthesizer("ctgan", seed=0, epochs=2, batch_size=20, **TINY).fit(numbers)
    assert model.plan_.width == 0
    out = model.sample(50, seed=0)
    assert out["x"].between(0, 1).all()
    ids = pd.DataFrame({"id": np.arange(30)})
    assert dt.synthesizer("ctgan", seed=0, epochs=1, **TINY).fit(ids).sample(4)["id"].is_unique


def test_command_line_fit_and_sample(tmp_path: Path) -> None:
    data, model, out = tmp_path / "real.csv", tmp_path / "m.dtw", tmp_path / "out.csv"
    mixed_table(200, seed=3).to_csv(data, index=False)
    runner = CliRunner()
    args = ["fit", str(data), "-o", str(model), "--model", "ctgan", "--epochs", "2"]
    fitted = runner.invoke(cli, [*args, "-p", "threads=1", "-p", "generator_dim=64"])
    assert fitted.exit_code == 0, fitted.output
    loaded = dt.load(model)
    assert loaded.name == "ctgan"
    assert len(loaded.history_["valid"]) == 2
    assert loaded.get_params()["generator_dim"] == 64
    sampled = runner.invoke(cli, ["-q", "sample", str(model), "-n", "40", "-o", str(out)])
    assert sampled.exit_code == 0, sampled.output
    assert len(pd.read_csv(out)) == 40
    bad = runner.invoke(cli, [*args, "-p", "pac=7"])
    assert bad.exit_code == 1
    assert "must be a multiple of 'pac' (7)" in bad.stderr


def test_the_module_imports_without_torch() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import pandas as pd, datatwin as dt\n"
        "try:\n"
        "    dt.synthesizer('ctgan', epochs=1).fit(pd.DataFrame({'a': [1.0, 2.0, 3.0]}))\n"
        "except dt.MissingDependencyError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'datatwin[deep]'" in out.stdout
