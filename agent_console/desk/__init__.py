"""The console's desk (坐席工作台): presence, the live screen-pop, answering, the wrap-up.

| module          | what it holds                                                        |
| --------------- | -------------------------------------------------------------------- |
| `http.py`       | where the page's requests come in: the ``desk`` blueprint             |
| `services.py`   | presence rules, answer / decline, the wrap-up, the agent's state       |
| `card.py`       | the screen-pop card's contents, audited                               |
| `search.py`     | unknown callers: search by address or name, attach, add a resident    |
| `stream.py`     | the Server-Sent Events stream of one agent                            |
| `exceptions.py` | what the desk refuses                                                 |
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext

from agent_console.layout import add_nav


def init_app(app: Flask) -> None:
    """Register the desk's blueprint and its navigation entry."""
    from agent_console.desk.http import bp

    app.register_blueprint(bp)
    add_nav(app, "desk.index", lazy_gettext("Desk"), order=10)
