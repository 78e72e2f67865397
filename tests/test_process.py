"""A started process settles: what start-up made is kept out of the collector's reach."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run apart: frozen objects are never collected, which a test process must not suffer.
CHECK = """
import gc, runpy
settings = runpy.run_path("deploy/gunicorn.conf.py")
before = gc.get_freeze_count()
kept = [object() for _ in range(10)], {"a": [1]}
settings["post_worker_init"](None)
print(before, gc.get_freeze_count())
"""


def test_gunicorn_workers_freeze_what_they_loaded() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, check=True
    )
    before, after = (int(n) for n in out.stdout.split())
    assert before == 0
    assert after > 1000  # the interpreter's and the config's objects, not a handful
