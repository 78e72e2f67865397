"""What a long-running process does once it has started."""

from __future__ import annotations

import gc
from typing import Any


def settle() -> None:
    """Start-up is over: what exists now (modules, the app, its engine) lives as long as
    the process.

    ``gc.freeze()`` puts those objects out of the cyclic collector's reach, so the
    collections that each request's allocations trigger walk only what requests
    made since, not the whole app: about 8% of a Twilio webhook's instructions
    (bench/README.md). Call it once, after start-up: frozen objects are never
    collected, so not where apps are built again and again (tests).
    """
    gc.collect()
    gc.freeze()


def serving(app: Any) -> None:
    """The web app (``agent_console.create_app``) serves from this process until it ends.

    On SQLite its WAL is then checkpointed by a thread of the process
    (:func:`models.db.checkpoint_in_background`), not by the webhook whose commit
    happens to cross the threshold, which would hold every other writer behind a
    disk sync; then the process settles (:func:`settle`). Not for apps built and
    dropped (tests): the thread lives as long as the process. ``app`` may be
    another WSGI app (no engine of ours): it only settles.
    """
    from models.db import checkpoint_in_background

    extensions = getattr(app, "extensions", None) or {}
    engine = extensions.get("hotline.engine")
    if engine is not None:
        checkpoint_in_background(engine)
    settle()
