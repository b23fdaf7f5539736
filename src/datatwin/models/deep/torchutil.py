"""Torch plumbing: the optional import, threads and seeds, weights as plain arrays."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from datatwin.errors import MissingDependencyError

__all__ = ["arrays_to_state", "require_torch", "seed_torch", "state_to_arrays"]


def require_torch() -> Any:
    """The torch module, or a clear error saying how to install it."""
    try:
        import torch
    except ImportError:
        raise MissingDependencyError(
            "This model needs PyTorch, which is not installed; install it with "
            "pip install 'datatwin[deep]'."
        ) from None
    return torch


def seed_torch(seed: int | None, threads: int | None = None) -> Any:
    """Torch on ``threads`` threads (default: all cores), reproducible on this machine if seeded."""
    torch = require_torch()
    torch.set_num_threads(threads or os.cpu_count() or 1)
    if seed is not None:
        torch.manual_seed(seed)
    return torch


def state_to_arrays(module: Any, prefix: str) -> dict[str, np.ndarray]:
    """A module's weights as float32 numpy arrays named ``prefix.<parameter>``."""
    return {
        f"{prefix}.{name}": tensor.detach().cpu().numpy().astype(np.float32)
        for name, tensor in module.state_dict().items()
    }


def arrays_to_state(module: Any, arrays: dict[str, np.ndarray], prefix: str) -> None:
    """Load weights saved by :func:`state_to_arrays` into ``module`` (shapes must match)."""
    torch = require_torch()
    expected = module.state_dict()
    state = {}
    for name, tensor in expected.items():
        key = f"{prefix}.{name}"
        if key not in arrays or tuple(arrays[key].shape) != tuple(tensor.shape):
            raise ValueError(f"weights {key} are missing or have the wrong shape")
        state[name] = torch.from_numpy(np.ascontiguousarray(arrays[key])).to(tensor.dtype)
    module.load_state_dict(state)
