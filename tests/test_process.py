"""A started process settles: what start-up made is kept out of the collector's reach, and
the web app's SQLite WAL is checkpointed by a thread of the worker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Run apart: frozen objects are never collected, and the checkpoint thread lives as long
# as the process, which a test process must not suffer.
CHECK = """
import gc, runpy, sys, types
from sqlalchemy import text
from models.db import make_engine
settings = runpy.run_path("deploy/gunicorn.conf.py")
engine = make_engine("sqlite:///" + sys.argv[1])
with engine.connect() as conn:  # a connection made before: it must not checkpoint either
    conn.execute(text("SELECT 1"))
before = gc.get_freeze_count()
kept = [object() for _ in range(10)], {"a": [1]}
app = types.SimpleNamespace(extensions={"hotline.engine": engine})
settings["post_worker_init"](types.SimpleNamespace(wsgi=app))
with engine.connect() as conn:
    every = conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar()
print(before, gc.get_freeze_count(), every)
"""


def test_gunicorn_workers_freeze_what_they_loaded_and_checkpoint_apart(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path / "w.db")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    before, after, every = (int(n) for n in out.stdout.split())
    assert before == 0
    assert after > 1000  # the interpreter's and the config's objects, not a handful
    assert every == 0  # no commit checkpoints: the worker's thread does


MAPPED = """
import sys
from pathlib import Path
from agent_console import create_app
from hotline.config import Config
from models import Base
create_app({"TESTING": True}, config=Config(data_dir=Path(sys.argv[1])))
print(all(mapper.configured for mapper in Base.registry.mappers))
"""


def test_the_app_works_out_its_model_mappings_before_the_first_request(tmp_path: Path) -> None:
    """Not the first webhook: configuring the mappers takes a tenth of a second or more."""
    out = subprocess.run(
        [sys.executable, "-c", MAPPED, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split()[-1] == "True"
