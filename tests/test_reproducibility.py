"""Same data and seeds give byte-identical output, across processes and hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import hashlib, sys
sys.path.insert(0, {tests!r})
import datatwin as dt
from conftest import mixed_table
model = dt.synthesizer("copula", seed=3).fit(mixed_table(500, seed=4))
model.save({model!r})
csv = model.sample(2000, seed=9).to_csv(index=False).encode()
unseeded = model.sample(100).to_csv(index=False).encode()
print(hashlib.sha256(csv + unseeded).hexdigest())
"""


def _run(tmp_path: Path, hash_seed: str, tag: str) -> tuple[str, bytes]:
    model = tmp_path / f"{tag}.dtw"
    code = SCRIPT.format(tests=str(Path(__file__).parent), model=str(model))
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    )
    return out.stdout.strip(), model.read_bytes()


def test_output_and_model_files_are_identical_across_processes(tmp_path: Path) -> None:
    digest_a, model_a = _run(tmp_path, "1", "a")
    digest_b, model_b = _run(tmp_path, "12345", "b")
    assert len(digest_a) == 64
    assert digest_a == digest_b
    assert model_a == model_b
