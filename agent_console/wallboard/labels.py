"""Names shown on the wallboard and the audit log, in the page's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext

from models import Community

DEFAULT_TIMEZONE = "Asia/Shanghai"

QUEUE_LABELS = {
    "emergency": lazy_gettext("Emergency"),
    "repair": lazy_gettext("Repair"),
    "inquiry": lazy_gettext("Inquiry"),
    "complaint": lazy_gettext("Complaint"),
}
STATE_LABELS = {
    "available": lazy_gettext("Available"),
    "offered": lazy_gettext("Ringing"),
    "on_call": lazy_gettext("On a call"),
    "paused": lazy_gettext("Paused"),
    "wrap_up": lazy_gettext("Wrap-up"),
    "offline": lazy_gettext("Offline"),
}
CATEGORY_LABELS = {
    "emergency": lazy_gettext("Emergency"),
    "repair": lazy_gettext("Repair"),
    "inquiry": lazy_gettext("Inquiry"),
    "complaint": lazy_gettext("Complaint"),
    "home_service": lazy_gettext("Home service"),
}
STATUS_LABELS = {
    "open": lazy_gettext("Open"),
    "dispatched": lazy_gettext("Dispatched"),
    "on_site": lazy_gettext("On site"),
    "completed": lazy_gettext("Completed"),
    "closed": lazy_gettext("Closed"),
}


def label(labels: dict[str, object], key: str) -> str:
    """The translated name of ``key``, or ``key`` itself when it has none."""
    return str(labels.get(key, key))


def zone_of(communities: Sequence[Community]) -> ZoneInfo:
    """The time zone times are shown in: the communities' own when they share one."""
    zones = {c.timezone or DEFAULT_TIMEZONE for c in communities}
    return ZoneInfo(zones.pop() if len(zones) == 1 else DEFAULT_TIMEZONE)


def local(when: dt.datetime | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``when`` on the wall clock of ``zone``; empty for None."""
    return when.astimezone(zone).strftime(fmt) if when else ""


def duration(seconds: float | None) -> str:
    """``m:ss`` (or ``h:mm:ss``) for a wait; ``—`` when there is none."""
    if seconds is None:
        return "—"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
