"""gunicorn's settings for the web app behind a production WSGI server.

    gunicorn -c deploy/gunicorn.conf.py --workers 2 'agent_console:create_app()'

The app reads its configuration from the environment (HOTLINE_*), as ``hotline
serve`` does. Sync workers suit the Twilio webhooks; the agents' desks hold an
event stream each, which needs a threaded server (``hotline serve``, or
``--worker-class gthread``). ``bench/twilio_bench.py`` serves both its apps with
this file.
"""

from __future__ import annotations

from typing import Any


def post_worker_init(worker: Any) -> None:
    """The worker has loaded the app: it serves until the worker ends (hotline.process.serving:
    the WAL checkpointed by a thread, the collector kept off what start-up made)."""
    from hotline.process import serving

    serving(getattr(worker, "wsgi", None))
