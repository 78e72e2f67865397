"""What the reports call queues, outcomes, kinds of request, statuses: the console's own
names (wallboard and work-order pages), in the reader's language; English on the CLI."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from agent_console.wallboard.labels import QUEUE_LABELS
from agent_console.work_orders.labels import CATEGORIES, COMPLAINT_TYPES, SEVERITIES, STATUSES
from models.work_order_catalogue import find
from models.work_orders import Category

OUTCOMES = {
    "answered": _l("Answered"),
    "abandoned": _l("Abandoned"),
    "callback_requested": _l("Callback requested"),
    "queued": _l("Never finished"),
    "message_left": _l("Message left"),
    "sent_to_on_call": _l("Sent to on-call"),
    "self_served": _l("Self-served"),
    "incident_linked": _l("Heard an incident's notice"),
    "abandoned_in_ivr": _l("Hung up in the menus"),
    "unknown": _l("Unknown"),
}


def _named(labels: dict[str, object], key: str) -> str:
    return str(labels.get(key, key)) if key else "—"


def queue(key: str) -> str:
    return _named(QUEUE_LABELS, key)


def outcome(key: str) -> str:
    return _named(OUTCOMES, key)


def category(key: str) -> str:
    return _named(CATEGORIES, key)  # type: ignore[arg-type]  # StrEnum keys: equal to str


def status(key: str) -> str:
    return _named(STATUSES, key)  # type: ignore[arg-type]


def severity(key: str) -> str:
    return _named(SEVERITIES, key)  # type: ignore[arg-type]


def complaint_type(key: str) -> str:
    return _named(COMPLAINT_TYPES, key)  # type: ignore[arg-type]


def subcategory(kind: str, code: str) -> str:
    """The catalogue's name of sub-category ``code`` of ``kind`` (the code when unknown)."""
    try:
        entry = find(Category(kind), code)
    except ValueError:
        entry = None
    if entry is None:
        return code or "—"
    language = str(get_locale() or "en") if has_request_context() else "en"
    return entry.label(language)
