"""What the neural models share: the optional torch import, budgets, progress, weights in files."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import datatwin as dt
from datatwin.io.modelfile import read_model
from datatwin.transforms.modes import ModeNormalizer
from tests.conftest import mixed_table

pytest.importorskip("torch")
TINY = {"batch_size": 64, "embedding_dim": 8, "hidden_dim": 16, "threads": 1}


def test_progress_reports_every_epoch() -> None:
    seen: list[dict[str, float]] = []
    dt.synthesizer("tvae", seed=0, epochs=3, **TINY).fit(mixed_table(200), progress=seen.append)
    assert [p["epoch"] for p in seen] == [1, 2, 3]
    assert all(p["epochs"] == 3 and np.isfinite(p["loss"]) for p in seen)
    assert seen[-1]["seconds_left"] == 0


def test_budgets_stop_training() -> None:
    early = dt.synthesizer("tvae", seed=0, epochs=200, patience=1, learning_rate=0.5, **TINY)
    early.fit(mixed_table(200))
    assert early.stopped_because_ == "early stopping"
    assert len(early.history_["valid"]) < 200
    timed = dt.synthesizer("tvae", seed=0, epochs=100_000, max_minutes=0.02, **TINY)
    timed.fit(mixed_table(200))
    assert timed.stopped_because_ == "time budget"


def test_weights_and_history_live_in_the_model_file(tmp_path: Path) -> None:
    model = dt.synthesizer("tvae", seed=0, epochs=2, **TINY).fit(mixed_table(150))
    model.save(tmp_path / "m.dtw")
    manifest, arrays = read_model(tmp_path / "m.dtw")
    assert manifest["state"]["history"]["train"] == model.history_["train"]
    assert any(name.startswith("decoder.") for name in arrays)
    assert all(a.dtype != object for a in arrays.values())
    assert b"torch.save" not in (tmp_path / "m.dtw").read_bytes()


@pytest.mark.parametrize("name", ["tvae", "ctgan", "argn"])
def test_models_leave_torch_as_they_found_it(name: str, tmp_path: Path) -> None:
    import torch

    threads = torch.get_num_threads()
    torch.manual_seed(123)
    expected = torch.rand(3)  # what the caller's next draws are without the model in between
    torch.manual_seed(123)
    sizes = {"batch_size": 20, "threads": 1}
    model = dt.synthesizer(name, seed=7, epochs=1, **sizes).fit(mixed_table(60))
    model.sample(20, seed=1, conditions={"group": "senior"})
    model.save(tmp_path / "m.dtw")
    dt.load(tmp_path / "m.dtw").sample(5, seed=2)
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads
    again = dt.synthesizer(name, seed=7, epochs=1, **sizes).fit(mixed_table(60))
    pd.testing.assert_frame_equal(again.sample(20, seed=1), model.sample(20, seed=1))


def test_unseeded_fits_differ() -> None:
    first = dt.synthesizer("tvae", epochs=1, **TINY).fit(mixed_table(60))
    second = dt.synthesizer("tvae", epochs=1, **TINY).fit(mixed_table(60))
    assert not first.sample(20, seed=1).equals(second.sample(20, seed=1))


def test_without_torch_the_error_says_how_to_install_it() -> None:
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import pandas as pd, datatwin as dt\n"
        "try:\n"
        "    dt.synthesizer('tvae', epochs=1).fit(pd.DataFrame({'a': [1.0, 2.0, 3.0]}))\n"
        "except dt.MissingDependencyError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'datatwin[deep]'" in out.stdout


def test_mode_normalizer_finds_the_modes_and_round_trips() -> None:
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(-10, 1, 3000), rng.normal(10, 0.5, 1000)])
    normalizer = ModeNormalizer.fit(values, rng)
    # every component sits on one of the two modes, and each mode has components
    assert np.all(np.minimum(abs(normalizer.means + 10), abs(normalizer.means - 10)) < 3)
    assert normalizer.weights[normalizer.means < 0].sum() == pytest.approx(0.75, abs=0.02)
    alpha, mode = normalizer.encode(values, rng)
    assert np.all(np.abs(alpha) < 1)
    inner = np.abs(alpha) < 0.99
    assert np.allclose(normalizer.decode(alpha, mode)[inner], values[inner])


def test_a_value_most_rows_hold_becomes_an_exact_spike() -> None:
    # Adult's capital_loss: 95% zeros. Every starting quantile of the rows is 0, so the
    # components must start at distinct values or they never separate.
    rng = np.random.default_rng(0)
    amounts = np.round(rng.lognormal(7.5, 0.4, 500))
    values = rng.permutation(np.concatenate([np.zeros(9500), amounts]))
    normalizer = ModeNormalizer.fit(values, rng)
    assert list(normalizer.means[normalizer.stds == 0]) == [0.0]
    # components under MIN_WEIGHT are dropped and the rest renormalised: at least the real 95%
    assert 0.95 <= normalizer.weights[normalizer.stds == 0].sum() < 0.97
    alpha, mode = normalizer.encode(values, rng)
    decoded = normalizer.decode(alpha, mode)
    assert np.array_equal(decoded == 0, values == 0)  # exact zeros, and only for the zeros
    spike = int(np.flatnonzero(normalizer.stds == 0)[0])
    anywhere = np.linspace(-1, 1, 9)  # a spike decodes to its value whatever the alpha
    assert np.all(normalizer.decode(anywhere, np.full(9, spike)) == 0.0)
    assert np.all(alpha[mode == spike] == 0.0)


def test_denormals_are_flushed_while_training_and_the_setting_is_restored() -> None:
    import platform

    import torch

    from datatwin.models.deep.torchutil import _flushing, denormals_flushed

    assert not _flushing(torch)
    with denormals_flushed(torch):
        inside = _flushing(torch)
    assert not _flushing(torch)
    if platform.machine().lower() in ("x86_64", "amd64"):  # DAZ/FTZ exist on x86
        assert inside
    dt.synthesizer("tvae", epochs=1, seed=0, **TINY).fit(mixed_table(50))
    assert not _flushing(torch)


def test_bad_parameters_are_named() -> None:
    message = "The 'epochs' parameter of TVAE must be an int >= 1. Got -3."
    with pytest.raises(dt.ParameterError, match=re.escape(message)):
        dt.synthesizer("tvae", epochs=-3).fit(pd.DataFrame({"a": [1.0, 2.0]}))
