"""``datatwin.load``: a fitted synthesizer from its model file."""

from __future__ import annotations

import os

from datatwin.errors import DatatwinError, ModelFileError
from datatwin.io.modelfile import read_model
from datatwin.models.base import Synthesizer
from datatwin.models.registry import get_synthesizer_class
from datatwin.schema.columns import Schema
from datatwin.transforms import TableCodec

__all__ = ["load"]


def load(path: str | os.PathLike[str]) -> Synthesizer:
    """The fitted synthesizer saved at ``path`` by :meth:`Synthesizer.save`."""
    manifest, arrays = read_model(path)
    name = str(path)
    try:
        cls = get_synthesizer_class(manifest["synthesizer"])
        model = cls(**manifest["params"])
        schema = Schema.from_dict(manifest["schema"])
        rules = manifest["state"].get("rules")
        model_schema = schema if rules is None else Schema.from_dict(rules["model_schema"])
        codec = TableCodec.from_state(model_schema, manifest["codec"])
        model._restore(schema, codec, manifest["state"], arrays)
    except DatatwinError as exc:
        raise ModelFileError(f"Model file {name!r} cannot be used: {exc}") from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError):
        raise ModelFileError(
            f"Model file {name!r} is damaged or inconsistent; fit and save the model again."
        ) from None
    return model
