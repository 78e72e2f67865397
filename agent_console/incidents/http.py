"""The incident pages: the list, the declare form, an incident with its calls, closing it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from agent_console.auth import (
    community_scope,
    has_role,
    in_scope_or_404,
    login_required,
    signed_in,
    writer,
)
from agent_console.auth.access import readers
from agent_console.incidents import labels, services
from agent_console.incidents.exceptions import FormRejected
from agent_console.privacy import shown_number
from agent_console.work_orders.services import local_text
from audio.build import PromptBuilder
from audio.exceptions import AudioError
from audio.incidents import build_incident_message, remove_incident_message
from hotline.config import Config
from models.base import utcnow
from models.incidents import Incident, IncidentStatus
from models.staff import AgentRole

log = logging.getLogger(__name__)
bp = Blueprint("incidents", __name__, url_prefix="/console/incidents")
RECORDINGS = "incidents"  # under the data directory: each incident's uploaded recording
MAX_RECORDING_BYTES = 10 * 1024 * 1024


def _config() -> Config:
    config: Config = current_app.config["HOTLINE"]
    return config


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {"incident_labels": labels, "local_text": local_text, "shown_number": shown_number}


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The incidents of my communities: open ones first."""
    with readers() as session:
        rows = services.listing(session, community_scope())
        return render_template("incidents/index.html", rows=rows)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> ResponseReturnValue:
    """The declare form; declaring makes the status message's recordings at once."""
    if request.method == "GET":
        with readers() as session:
            return _form(session, {})
    with writer() as session:
        try:
            wanted = services.read_form(session, request.form, community_scope())
            incident = services.declare(session, wanted, signed_in(), now=utcnow())
            master = _keep_recording(incident)
        except FormRejected as rejected:
            session.rollback()
            return _form(session, rejected.errors), 400
        session.commit()
        _make_audio(incident, master)
        flash(_("Incident declared: affected callers now hear its status before the menu."))
        return redirect(url_for(".show", incident_id=incident.id), 303)


def _form(session: Session, errors: dict[str, str]) -> str:
    scope = community_scope()
    from agent_console.surveys.campaigns import buildings

    return render_template(
        "incidents/new.html",
        communities=services.communities(session, scope),
        buildings=buildings(session, scope),
        values=request.form,
        errors={field: labels.PROBLEMS.get(code, code) for field, code in errors.items()},
    )


def _keep_recording(incident: Incident) -> Path | None:
    """The uploaded recording kept under the data directory, or None when none was sent."""
    upload = request.files.get("recording")
    if upload is None or not upload.filename:
        return None
    data = upload.read(MAX_RECORDING_BYTES + 1)
    if not data or len(data) > MAX_RECORDING_BYTES:
        raise FormRejected({"recording": "bad_recording"})
    suffix = Path(upload.filename).suffix.lower()[:8] or ".wav"
    if not suffix[1:].isalnum():
        suffix = ".wav"
    path = _config().data_dir / RECORDINGS / str(incident.id) / f"master{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    incident.recording = str(path.relative_to(_config().data_dir))
    return path


def _make_audio(incident: Incident, master: Path | None) -> None:
    """The status message as Asterisk plays it; a failure is told, never fatal."""
    try:
        build_incident_message(
            PromptBuilder.from_config(_config()), incident.id, message=incident.message,
            message_en=incident.message_en, master=master,
        )  # fmt: skip
    except AudioError as exc:
        log.error("incident %s: status message not recorded: %s", incident.id, exc)
        flash(_("The status message could not be recorded for Asterisk (%(error)s); "
                "Twilio callers still hear it.", error=str(exc)))  # fmt: skip


@bp.get("/<int:incident_id>")
@login_required
def show(incident_id: int) -> ResponseReturnValue:
    """An incident: where, what callers hear, the calls linked to it; closing it."""
    with readers() as session:
        incident = in_scope_or_404(session.get(Incident, incident_id))
        return render_template(
            "incidents/show.html",
            incident=incident,
            households=services.households(session, incident),
            calls=services.linked_calls(session, incident),
            may_notify=has_role(signed_in(), AgentRole.SUPERVISOR),
            timezone=incident_timezone(session, incident),
        )


def incident_timezone(session: Session, incident: Incident) -> str:
    from models.estate import Community

    return session.get_one(Community, incident.community_id).timezone


@bp.post("/<int:incident_id>/close")
@login_required
def close(incident_id: int) -> ResponseReturnValue:
    """Close an incident; a supervisor may start a notice to the affected households."""
    notify = request.form.get("notice", "") if request.form.get("notify") == "1" else ""
    if notify and not has_role(signed_in(), AgentRole.SUPERVISOR):
        notify = ""  # notice campaigns are a supervisor's to start
    with writer() as session:
        incident = in_scope_or_404(session.get(Incident, incident_id, with_for_update=True))
        if incident.status is not IncidentStatus.OPEN:
            flash(_("This incident is already closed."))
            return redirect(url_for(".show", incident_id=incident_id), 303)
        campaign, skipped = services.close(
            session, incident, signed_in(), now=utcnow(), notify=notify
        )
        session.commit()
    builder = PromptBuilder.from_config(_config())
    remove_incident_message(builder, incident_id)
    if campaign is not None:
        _record_notice(builder, notify)
        flash(_("Incident closed; the notice campaign is calling the affected households "
                "(%(n)d left out: do not call, or no phone on file).", n=skipped))  # fmt: skip
        return redirect(url_for("surveys.campaign", campaign_id=campaign.id), 303)
    flash(_("Incident closed."))
    return redirect(url_for(".show", incident_id=incident_id), 303)


def _record_notice(builder: PromptBuilder, words: str) -> None:
    """The notice's words as a recording, as a campaign started by hand gets them."""
    try:
        builder.build_messages([words.strip()])
    except AudioError as exc:
        log.error("incident notice not recorded for Asterisk: %s", exc)
        flash(_("The status message could not be recorded for Asterisk (%(error)s); "
                "Twilio callers still hear it.", error=str(exc)))  # fmt: skip
