"""On-call rotations (值班表) in the console: who is on call when, per community and trade.

Every agent reads the calendar of the communities they serve; supervisors and
administrators add and remove shifts and set each rotation's ladder settings (the
interval before calling someone again, the tries per person, the supervisor called
last). Every change is audited. The ladder itself runs in :mod:`models.escalation`.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext

from agent_console.layout import add_nav


def init_app(app: Flask) -> None:
    """Register this area's blueprint and its navigation entry."""
    from agent_console.oncall.http import bp

    app.register_blueprint(bp)
    add_nav(app, "oncall.index", lazy_gettext("On call"), order=25)
