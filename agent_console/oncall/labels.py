"""What the on-call pages call each trade, role, status and problem."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from models.oncall import EscalationStatus

TRADES = {
    "plumbing": _l("Plumbing"),
    "electrical": _l("Electrical"),
    "lifts": _l("Lifts"),
    "security": _l("Security"),
}
ROLES = {
    "first": _l("On call"),
    "backup": _l("Backup"),
    "supervisor": _l("Supervisor"),
}
STATUSES = {
    EscalationStatus.CALLING: _l("Calling the on-call ladder"),
    EscalationStatus.ACCEPTED: _l("Accepted"),
    EscalationStatus.EXHAUSTED: _l("Nobody accepted"),
    EscalationStatus.CANCELLED: _l("Cancelled"),
}
PROBLEMS = {
    "required": _l("Required."),
    "unknown": _l("Choose one of the list."),
    "order": _l("The end must come after the start."),
    "too_long": _l("A shift lasts at most 7 days."),
    "twice": _l("Each person appears once in the ladder."),
    "number": _l("A whole number in the allowed range."),
    "phone": _l("A phone number in international form, e.g. +8613800138000."),
}
OUTCOMES = {
    "placed": _l("Ringing"),
    "completed": _l("Accepted"),
    "declined": _l("Declined"),
    "no_answer": _l("No answer"),
    "busy": _l("Busy"),
    "machine": _l("Voicemail"),
    "failed": _l("Failed"),
    "partial": _l("Hung up"),
    "opted_out": _l("Hung up"),
}
