"""Torch plumbing: the optional import, threads and seeds, weights as plain arrays."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

import numpy as np

from datatwin.errors import MissingDependencyError

__all__ = [
    "arrays_to_state",
    "denormals_flushed",
    "isolated",
    "require_torch",
    "seed_torch",
    "state_to_arrays",
]


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


Method = TypeVar("Method", bound=Callable[..., Any])


def isolated(method: Method) -> Method:
    """A model method that leaves torch's process-wide state as it found it: the thread count
    (which :func:`seed_torch` sets), and, for a model with a ``seed``, the global random state
    (which a seeded fit reseeds, and which the caller's own torch code may rely on). An
    unseeded model draws from the global state as it is, and advances it, as any torch code
    does: restoring it would make two unseeded fits alike."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        torch = require_torch()
        threads = torch.get_num_threads()
        try:
            if getattr(self, "seed", None) is None:
                return method(self, *args, **kwargs)
            with torch.random.fork_rng(devices=[]):
                return method(self, *args, **kwargs)
        finally:
            torch.set_num_threads(threads)

    return cast(Method, wrapper)


def seed_torch(seed: int | None, threads: int | None = None) -> Any:
    """Torch on ``threads`` threads (default: all cores), reproducible on this machine if seeded."""
    torch = require_torch()
    torch.set_num_threads(threads or os.cpu_count() or 1)
    if seed is not None:
        torch.manual_seed(seed)
    return torch


@contextlib.contextmanager
def denormals_flushed(torch: Any) -> Iterator[None]:
    """Denormal floats read and written as zero inside the block; the caller's setting after.

    Weights that only weight decay moves (from an input column that is always zero, into a ReLU
    unit that never fires) and their Adam moments shrink into denormal floats, which x86 CPUs
    multiply 10-100x slower than normal ones. On Adult (one thread), tvae's epochs went from
    0.65 s at epoch 60 to 1.45 s at epoch 140 as they accumulated; flushed, they stayed near 0.6 s.
    A denormal float32 is below 1.2e-38: flushing it changes no result that matters.
    """
    before = _flushing(torch)
    supported = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if supported:
            torch.set_flush_denormal(before)


def _flushing(torch: Any) -> bool:
    """Whether denormals are flushed now: a denormal float32 times one comes back as zero."""
    return bool((torch.tensor([1e-40], dtype=torch.float32) * 1.0).item() == 0.0)


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
