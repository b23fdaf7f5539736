"""The name → synthesizer registry. Modules are imported only when their model is asked for."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

from datatwin.errors import ParameterError
from datatwin.models.base import Synthesizer

__all__ = [
    "FALLBACK_SYNTHESIZER",
    "FLAGSHIP_SYNTHESIZER",
    "available_synthesizers",
    "default_synthesizer",
    "get_synthesizer_class",
    "synthesizer",
]

# name -> "module:Class"; heavy models (torch) live in modules imported only when used.
REGISTRY: dict[str, str] = {
    "arf": "datatwin.models.arf:ARF",
    "copula": "datatwin.models.copula:GaussianCopula",
    "argn": "datatwin.models.argn:ARGN",
    "ctgan": "datatwin.models.ctgan:CTGAN",
    "tvae": "datatwin.models.tvae:TVAE",
}
# The default model, chosen by measurement (benchmarks/RESULTS.md): the flagship when its extra
# (torch) is installed, the fast copula otherwise.
FLAGSHIP_SYNTHESIZER = "argn"
FALLBACK_SYNTHESIZER = "copula"


def default_synthesizer() -> str:
    """The name ``dt.synthesizer()`` uses: ``argn`` when PyTorch is installed, else ``copula``."""
    try:
        has_torch = sys.modules.get("torch", True) is not None and bool(
            importlib.util.find_spec("torch")
        )
    except (ImportError, ValueError):  # a broken or blocked install counts as none
        has_torch = False
    return FLAGSHIP_SYNTHESIZER if has_torch else FALLBACK_SYNTHESIZER


def available_synthesizers() -> list[str]:
    """The registered synthesizer names."""
    return sorted(REGISTRY)


def get_synthesizer_class(name: str) -> type[Synthesizer]:
    """The class registered under ``name``."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise ParameterError(
            f"There is no synthesizer named {name!r}; choose one of {available_synthesizers()}."
        )
    module_name, class_name = REGISTRY[name].split(":")
    cls: type[Synthesizer] = getattr(importlib.import_module(module_name), class_name)
    return cls


def synthesizer(name: str | None = None, **params: Any) -> Synthesizer:
    """A new synthesizer: ``name`` from the registry, or the default model (see
    :func:`default_synthesizer`).

    >>> import datatwin as dt
    >>> dt.synthesizer("copula", seed=0)
    GaussianCopula(seed=0, quantiles=2000, category_order='dependence')
    """
    cls = get_synthesizer_class(default_synthesizer() if name is None else name)
    try:
        return cls(**params)
    except TypeError:
        allowed = cls._param_names()
        unknown = sorted(set(params) - set(allowed))
        raise ParameterError(
            f"The {cls.__name__} synthesizer has no parameter(s) {unknown}; its parameters are "
            f"{allowed}."
        ) from None
