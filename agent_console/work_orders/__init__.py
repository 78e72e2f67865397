"""The console's work orders (派工单): list, my follow-ups, the form, the detail and its actions.

Endpoints other areas link to: ``work_orders.new`` (``call``, ``unit``, ``resident``
pre-fill the form from a call), ``work_orders.show`` (``order_id``) and
``work_orders.show_json`` (the same order as JSON). Changes are published on the
event bus as ``work_order.created`` and ``work_order.changed``.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext

from agent_console.layout import add_nav


def init_app(app: Flask) -> None:
    """Register this area's blueprint and its two navigation entries."""
    from agent_console.work_orders.http import bp

    app.register_blueprint(bp)
    add_nav(app, "work_orders.index", lazy_gettext("Work orders"), order=20)
    add_nav(app, "work_orders.mine", lazy_gettext("My follow-ups"), order=21)
