"""Reports: the morning review (每日回顾), the monthly analysis (月度统计分析) and the
definition of every figure, in the console and from ``hotline report``.

Layout: :mod:`.periods` (each community's calendar), :mod:`.calls`, :mod:`.orders` and
:mod:`.satisfaction` (the figures, each one SQL query grouped in the database),
:mod:`.daily` and :mod:`.monthly` (the reports as tables), :mod:`.charts` (inline SVG),
:mod:`.export` (CSV, XLSX), :mod:`.definitions` (the words), :mod:`.http` (the pages),
:mod:`.commands` (the CLI).
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext


def init_app(app: Flask) -> None:
    """Register the report pages and their navigation entry."""
    from agent_console.layout import add_nav
    from agent_console.reports.http import bp

    app.register_blueprint(bp)
    add_nav(app, "reports.daily_page", lazy_gettext("Reports"), order=70)
