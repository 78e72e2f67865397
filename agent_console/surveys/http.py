"""The follow-up task, survey and campaign pages."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
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
from agent_console.auth.access import readers
from agent_console.privacy import may_unmask, record_unmask
from agent_console.surveys import campaigns as campaign_service
from agent_console.surveys import labels, services
from agent_console.surveys.exceptions import FormRejected
from agent_console.work_orders.services import local_text, remaining_text
from audio.build import PromptBuilder
from audio.exceptions import AudioError
from models.base import utcnow
from models.outbound import Campaign, FollowUpTask, JobPurpose, OutboundJob
from models.staff import AgentRole
from models.work_orders import Team, Technician

bp = Blueprint("surveys", __name__, url_prefix="/console")
SUPERVISOR = AgentRole.SUPERVISOR


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "survey_labels": labels,
        "local_text": local_text,
        "remaining_text": remaining_text,
        "split_outcome": services.split_outcome,
        "server_now": utcnow().isoformat(timespec="seconds"),
    }


def _problems(errors: dict[str, str]) -> dict[str, object]:
    return {field: labels.PROBLEMS.get(code, code) for field, code in errors.items()}


@bp.get("/tasks/")
@login_required
def tasks() -> ResponseReturnValue:
    """Open follow-up tasks of my communities, the most overdue first."""
    with readers() as session:
        return _tasks_page(session, {}, None)


def _tasks_page(session: Session, errors: dict[str, str], task_id: int | None) -> str:
    me = signed_in()
    return render_template(
        "surveys/tasks.html",
        rows=services.open_tasks(session, community_scope(), utcnow()),
        supervisor=has_role(me, SUPERVISOR),
        me=me,
        errors=_problems(errors),
        failed_task=task_id,
        values=request.form if errors else {},
    )


def _task(session: Session, task_id: int) -> FollowUpTask:
    """The task (in scope, else 404), and 403 for a supervisor's task and an agent."""
    task = in_scope_or_404(session.get(FollowUpTask, task_id, with_for_update=True))
    if task.kind in services.SUPERVISOR_KINDS and not has_role(signed_in(), SUPERVISOR):
        abort(403)
    return task


@bp.post("/tasks/<int:task_id>/take")
@login_required
def take(task_id: int) -> ResponseReturnValue:
    """Take a manual callback: it is mine to call."""
    with writer() as session:
        task = _task(session, task_id)
        if not services.take(session, task, signed_in()):
            session.rollback()
            flash(_("Someone else has taken this task, or it is done."))
            return redirect(url_for(".tasks"), 303)
        session.commit()
        flash(_("Task taken."))
    return redirect(url_for(".tasks", _anchor=f"task-{task_id}"), 303)


@bp.post("/tasks/<int:task_id>/number")
@login_required
def number(task_id: int) -> ResponseReturnValue:
    """The whole number to call for a task: for the agent who took the manual callback, or a
    supervisor; audited (the lists show it masked)."""
    me = signed_in()
    with writer() as session:
        task = _task(session, task_id)
        job = session.get(OutboundJob, task.job_id) if task.job_id else None
        if job is None:
            abort(404)
        if task.assigned_agent_id != me.id and not may_unmask(me):
            abort(403)
        record_unmask(session, me, "follow_up_task", task.id, job_id=job.id)
        session.commit()
        return jsonify(number=job.number)


@bp.post("/tasks/<int:task_id>/outcome")
@login_required
def outcome(task_id: int) -> ResponseReturnValue:
    """Record what the call found: the task is done."""
    with writer() as session:
        task = _task(session, task_id)
        if task.status.value != "open":
            session.rollback()
            flash(_("This task is already done."))
            return redirect(url_for(".tasks"), 303)
        try:
            services.record_outcome(session, task, signed_in(), request.form, now=utcnow())
        except FormRejected as rejected:
            session.rollback()
            with readers() as reading:
                return _tasks_page(reading, rejected.errors, task_id), 400
        session.commit()
    flash(_("Task done: the outcome is recorded."))
    return redirect(url_for(".tasks"), 303)


@bp.get("/surveys/")
@login_required
def index() -> ResponseReturnValue:
    """Survey and campaign jobs: pending and manual ones by default, with filters."""
    scope = community_scope()
    filters = services.JobFilters.from_args(request.args, scope)
    with readers() as session:
        found, more = services.list_jobs(session, scope, filters)
        return render_template(
            "surveys/index.html",
            rows=found,
            more=more,
            filters=filters,
            communities=services.communities(session, scope),
            page_args={k: v for k, v in request.args.items() if k != "page"},
        )


@bp.get("/surveys/technicians/<int:technician_id>")
@login_required
def technician(technician_id: int) -> ResponseReturnValue:
    """A technician's survey answers and averages."""
    with readers() as session:
        found = session.get(Technician, technician_id)
        person = in_scope_or_404(found, lambda t: session.get_one(Team, t.team_id).community_id)
        return render_template(
            "surveys/technician.html",
            technician=person,
            team=session.get_one(Team, person.team_id),
            **services.technician_surveys(session, person),
        )


@bp.get("/campaigns/")
@role_required(SUPERVISOR)
def campaigns() -> ResponseReturnValue:
    """The campaigns of my communities, newest first."""
    with readers() as session:
        scope = community_scope()
        return render_template(
            "surveys/campaigns.html",
            rows=campaign_service.listing(session, scope),
            codes=_codes(session, scope),
        )


def _codes(session: Session, scope: frozenset[int]) -> dict[int, str]:
    return {c.id: c.code for c in services.communities(session, scope)}


@bp.route("/campaigns/new", methods=["GET", "POST"])
@role_required(SUPERVISOR)
def new_campaign() -> ResponseReturnValue:
    """The new-campaign form: what to say, to whom; creates a draft with its jobs."""
    if request.method == "GET":
        with readers() as session:
            return _campaign_form(session, {})
    with writer() as session:
        try:
            wanted = campaign_service.read_form(session, request.form, community_scope())
            campaign, skipped = campaign_service.create(session, wanted, signed_in(), now=utcnow())
        except FormRejected as rejected:
            session.rollback()
            return _campaign_form(session, rejected.errors), 400
        session.commit()
        flash(_("Campaign created as a draft; %(n)d households left out (do not call, "
                "or no phone on file). Start it when ready.", n=skipped))  # fmt: skip
        return redirect(url_for(".campaign", campaign_id=campaign.id), 303)


def _campaign_form(session: Session, errors: dict[str, str]) -> str:
    scope = community_scope()
    return render_template(
        "surveys/campaign_new.html",
        communities=services.communities(session, scope),
        buildings=campaign_service.buildings(session, scope),
        codes=_codes(session, scope),
        values=request.form,
        errors=_problems(errors),
        purposes=campaign_service.CAMPAIGN_PURPOSES,
    )


@bp.get("/campaigns/<int:campaign_id>")
@role_required(SUPERVISOR)
def campaign(campaign_id: int) -> ResponseReturnValue:
    """A campaign's progress, updated live by surveys.js from progress.json."""
    with readers() as session:
        found = in_scope_or_404(session.get(Campaign, campaign_id))
        return render_template(
            "surveys/campaign.html",
            campaign=found,
            figures=campaign_service.progress(session, found),
            status_names={s.value: str(n) for s, n in labels.CAMPAIGN_STATUSES.items()},
            moves=[
                a for a, (allowed, _) in campaign_service.MOVES.items() if found.status in allowed
            ],  # fmt: skip
        )


@bp.get("/campaigns/<int:campaign_id>/progress.json")
@role_required(SUPERVISOR)
def progress(campaign_id: int) -> ResponseReturnValue:
    """A campaign's figures now, for the live progress page."""
    with readers() as session:
        found = in_scope_or_404(session.get(Campaign, campaign_id))
        return jsonify(campaign_service.progress(session, found))


@bp.post("/campaigns/<int:campaign_id>/<action>")
@role_required(SUPERVISOR)
def campaign_act(campaign_id: int, action: str) -> ResponseReturnValue:
    """Start, pause or cancel a campaign."""
    if action not in campaign_service.MOVES:
        abort(404)
    with writer() as session:
        found = in_scope_or_404(session.get(Campaign, campaign_id, with_for_update=True))
        if not campaign_service.move(session, found, action, signed_in(), utcnow()):
            session.rollback()
            flash(_("Not done: the campaign is %(status)s now.",
                    status=labels.CAMPAIGN_STATUSES[found.status]))  # fmt: skip
            return redirect(url_for(".campaign", campaign_id=campaign_id), 303)
        session.commit()
        flash(_("Campaign: %(status)s.", status=labels.CAMPAIGN_STATUSES[found.status]))
        message = found.message if found.purpose is JobPurpose.NOTICE else ""
    if action == "start" and message.strip():
        _record_message(message)
    return redirect(url_for(".campaign", campaign_id=campaign_id), 303)


def _record_message(text: str) -> None:
    """A notice's words made into a recording as it starts: Asterisk plays files, not text
    (Twilio and the simulator speak the words themselves)."""
    try:
        PromptBuilder.from_config(current_app.config["HOTLINE"]).build_messages([text])
    except AudioError as exc:
        current_app.logger.warning("notice message not built: %s", exc)
        flash(_("The message could not be made into a recording for Asterisk (%(error)s): "
                "run hotline prompts build.", error=str(exc)))  # fmt: skip
