"""Synthesizers: the base template, the registry and the models."""

from datatwin.models.base import Synthesizer
from datatwin.models.registry import available_synthesizers, synthesizer

__all__ = ["Synthesizer", "available_synthesizers", "synthesizer"]
