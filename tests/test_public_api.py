"""The public surface: a curated __all__, one exception root, light imports."""

from __future__ import annotations

import subprocess
import sys

import datatwin as dt


def test_all_is_curated_and_importable() -> None:
    assert dt.__all__ == [
        "Column",
        "DataError",
        "DatatwinError",
        "MissingDependencyError",
        "ModelFileError",
        "NotFittedError",
        "ParameterError",
        "Report",
        "Schema",
        "SchemaError",
        "SpecError",
        "Synthesizer",
        "__version__",
        "available_synthesizers",
        "default_synthesizer",
        "detect_schema",
        "evaluate",
        "generate",
        "load",
        "read_table",
        "rebalance",
        "synthesizer",
        "write_table",
    ]
    for name in dt.__all__:
        assert hasattr(dt, name), name
    private = [n for n in dir(dt) if not n.startswith("_") and n not in dt.__all__]
    # sub-packages are reachable as attributes once imported, but nothing else leaks
    assert set(private) <= {
        "augment",
        "cli",
        "constraints",
        "expression",
        "data",
        "identity",
        "demo",
        "errors",
        "evaluate",
        "io",
        "models",
        "schema",
        "spec",
        "transforms",
    }


def test_exceptions_share_one_root_and_match_builtins() -> None:
    for cls in (
        dt.DataError,
        dt.SchemaError,
        dt.ParameterError,
        dt.NotFittedError,
        dt.ModelFileError,
        dt.SpecError,
    ):
        assert issubclass(cls, dt.DatatwinError)
        assert issubclass(cls, ValueError)
    assert issubclass(dt.MissingDependencyError, ImportError)


def test_import_is_light_and_has_no_side_effects() -> None:
    code = (
        "import sys, warnings, os, numpy, pandas, scipy.special;"
        "before = list(warnings.filters); cwd = set(os.listdir());"
        "import datatwin;"
        "heavy = ('torch', 'dask', 'mesa', 'sklearn', 'click', 'rich');"
        "heavy = [m for m in heavy if m in sys.modules];"
        "assert not heavy, heavy;"
        "assert warnings.filters == before;"
        "assert set(os.listdir()) == cwd"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_parameter_messages_follow_one_pattern() -> None:
    import pytest

    with pytest.raises(dt.ParameterError) as info:
        dt.synthesizer("copula", quantiles=-3).fit(__import__("pandas").DataFrame({"a": [1, 2]}))
    assert str(info.value) == (
        "The 'quantiles' parameter of GaussianCopula must be an int in the range [10, 100000]. "
        "Got -3."
    )
