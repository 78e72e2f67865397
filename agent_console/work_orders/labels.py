"""What the work-order pages call each status, kind, tier and problem, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from models.work_orders import Category, ComplaintType, Location, Severity, Status

CATEGORIES = {
    Category.EMERGENCY: _l("Emergency"),
    Category.REPAIR: _l("Repair"),
    Category.INQUIRY: _l("Inquiry"),
    Category.COMPLAINT: _l("Complaint"),
    Category.HOME_SERVICE: _l("Home service"),
}
STATUSES = {
    Status.OPEN: _l("Open"),
    Status.DISPATCHED: _l("Dispatched"),
    Status.ON_SITE: _l("On site"),
    Status.COMPLETED: _l("Completed"),
    Status.CLOSED: _l("Closed"),
}
LOCATIONS = {Location.IN_UNIT: _l("In the unit"), Location.COMMON_AREA: _l("Common area")}
SEVERITIES = {
    Severity.MAJOR: _l("Major"),
    Severity.IMPORTANT: _l("Important"),
    Severity.MINOR: _l("Minor"),
}
COMPLAINT_TYPES = {
    ComplaintType.VALID: _l("Valid complaint"),
    ComplaintType.HELP_SEEKING: _l("Help-seeking"),
    ComplaintType.QUESTIONING: _l("Questioning"),
    ComplaintType.VENTING: _l("Venting"),
}
DEADLINES = {
    "dispatch": _l("Dispatch due"),
    "resolve": _l("Resolution due"),
    "answer": _l("Clear answer due"),  # a major complaint's: 重大投诉 2 天内明确答复
}
ON_SITE_DUE = _l("On site due")  # an emergency's resolution deadline: staff on site
ACTIONS = {
    "dispatch": _l("Dispatch"),
    "on_site": _l("Staff on site"),
    "complete": _l("Mark completed"),
    "close": _l("Close"),
    "reopen": _l("Reopen (rework)"),
}
# (field, code) of the domain's problems → message; a code alone when any field may have it.
PROBLEMS = {
    "required": _l("Required."),
    "unknown": _l("Choose one of the list."),
    "too_long": _l("Too long."),
    "complaints_only": _l("Only for complaints."),
    "not_found": _l("No such unit in this community."),
    "invalid": _l("Not a valid value."),
    ("appointment", "incomplete"): _l("Give both the start and the end of the window."),
    ("appointment", "order"): _l("The window must end after it starts."),
    ("unit", "required"): _l("Give the unit, or choose a common area."),
    ("location_detail", "required"): _l("Say where in the common area."),
    ("technician", "inactive"): _l("This technician no longer works here."),
    ("technician", "not_in_team"): _l("This technician is not in that team."),
    ("team", "required"): _l("Choose a team or a technician."),
}


def deadline(kind: str, category: Category) -> object:
    """What the running deadline ``kind`` of an order of ``category`` is called."""
    if kind == "resolve" and category is Category.EMERGENCY:
        return ON_SITE_DUE
    return DEADLINES[kind]


def problem(field: str, code: str) -> object:
    """The message for the domain's ``(field, code)`` problem."""
    return PROBLEMS.get((field, code)) or PROBLEMS.get(code) or code
