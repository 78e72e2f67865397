"""What the incident pages call each scope, status and form problem."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from models.incidents import IncidentScope, IncidentStatus

SCOPES = {
    IncidentScope.COMMUNITY: _l("The whole community"),
    IncidentScope.BUILDINGS: _l("Some buildings"),
    IncidentScope.UNITS: _l("Some units"),
}
STATUSES = {IncidentStatus.OPEN: _l("Ongoing"), IncidentStatus.CLOSED: _l("Closed")}
PROBLEMS = {
    "required": _l("Required."),
    "unknown": _l("Not one of the choices."),
    "too_long": _l("Too long."),
    "too_many": _l("Too many units: declare it for their buildings instead."),
    "not_found": _l("Some of these units are not in the community."),
    "bad_recording": _l("The recording could not be read."),
}
