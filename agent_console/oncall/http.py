"""The on-call calendar: read by every agent, edited by supervisors and administrators."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from agent_console.auth import (
    community_scope,
    has_role,
    in_scope_or_404,
    login_required,
    role_required,
    signed_in,
    writer,
)
from agent_console.auth.access import check_scope, readers
from agent_console.oncall import labels, services, stream
from agent_console.surveys.exceptions import FormRejected
from agent_console.surveys.services import communities
from models.base import utcnow
from models.estate import Community
from models.oncall import TRADES, OnCallRotation, OnCallShift
from models.staff import AgentRole

bp = Blueprint("oncall", __name__, url_prefix="/console/oncall")
SUPERVISOR = AgentRole.SUPERVISOR


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"oncall_labels": labels}


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The calendar of one community the agent serves (the first, unless one is chosen)."""
    with readers() as session:
        return _page(session, {}, "")


def _page(session: Session, errors: dict[str, str], failed: str) -> str:
    places = communities(session, community_scope())
    if not places:
        abort(404)
    chosen = request.values.get("community", "")
    community = next((c for c in places if str(c.id) == chosen), places[0])
    return render_template(
        "oncall/index.html",
        community=community,
        communities=places,
        rotas=services.calendar(session, community, utcnow()),
        technicians=services.technicians(session, community.id),
        editor=has_role(signed_in(), SUPERVISOR),
        errors={field: labels.PROBLEMS.get(code, code) for field, code in errors.items()},
        failed=failed,
        values=request.form if errors else {},
        max_ladder=services.MAX_LADDER,
    )


def _place(session: Session, community_id: int, trade: str) -> Community:
    if trade not in TRADES:
        abort(404)
    check_scope(community_id)
    return session.get_one(Community, community_id)


def _back(community_id: int, trade: str) -> ResponseReturnValue:
    return redirect(url_for(".index", community=community_id, _anchor=f"trade-{trade}"), 303)


@bp.post("/<int:community_id>/<trade>/settings")
@role_required(SUPERVISOR)
def settings(community_id: int, trade: str) -> ResponseReturnValue:
    """A trade's ladder settings: interval, tries per person, the supervisor called last."""
    with writer() as session:
        community = _place(session, community_id, trade)
        region = current_app.config["HOTLINE"].default_region
        try:
            services.save_settings(
                session, community, trade, request.form, signed_in(), region=region
            )
        except FormRejected as rejected:
            session.rollback()
            with readers() as reading:
                return _page(reading, rejected.errors, f"settings-{trade}"), 400
        session.commit()
    flash(_("On-call settings saved."))
    return _back(community_id, trade)


@bp.post("/<int:community_id>/<trade>/shifts")
@role_required(SUPERVISOR)
def add_shift(community_id: int, trade: str) -> ResponseReturnValue:
    """Add a shift to a trade's calendar: when, and the ladder in order."""
    with writer() as session:
        community = _place(session, community_id, trade)
        people = request.form.getlist("person")
        try:
            services.add_shift(
                session, community, trade, request.form, people, signed_in(), now=utcnow()
            )
        except FormRejected as rejected:
            session.rollback()
            with readers() as reading:
                return _page(reading, rejected.errors, f"shift-{trade}"), 400
        session.commit()
    flash(_("Shift added."))
    return _back(community_id, trade)


@bp.post("/shifts/<int:shift_id>/delete")
@role_required(SUPERVISOR)
def remove_shift(shift_id: int) -> ResponseReturnValue:
    """Take a shift off the calendar."""
    with writer() as session:
        shift = session.get(OnCallShift, shift_id, with_for_update=True)
        rotation = session.get(OnCallRotation, shift.rotation_id) if shift else None
        in_scope_or_404(rotation)
        assert shift is not None and rotation is not None
        services.remove_shift(session, shift, signed_in())
        session.commit()
        place, trade = rotation.community_id, rotation.trade
    flash(_("Shift removed."))
    return _back(place, trade)


@bp.get("/events")
@login_required
def events() -> Response:
    """Escalations of my communities as they move (``oncall.started/accepted/exhausted``)."""
    bus = current_app.extensions["hotline.bus"]
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    body = stream.escalations(bus, community_scope())
    return Response(body, mimetype="text/event-stream", headers=headers)
