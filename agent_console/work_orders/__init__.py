"""The console's work orders area (being built: see issue 5)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register this area's blueprint and navigation (none yet)."""
