"""Where the agent's desk comes in: the ``desk`` blueprint under ``/console/desk``.

- ``GET  /``: the desk page (presence, the screen-pop, the wrap-up, recent calls).
- ``GET  /events``: the agent's Server-Sent Events stream (:mod:`.stream`).
- ``GET  /state``: the same state as JSON, once.
- ``POST /presence``: ``state`` (available | paused | offline), ``reason``, ``reason_text``.
- ``GET  /calls/<id>/card``: the screen-pop card (HTML); ``?resident=&unit=`` to choose.
- ``POST /calls/<id>/answer`` | ``/decline``: the call offered to this agent.
- ``POST /calls/<id>/hang-up``: the agent ends the call they are on (then wrap-up).
- ``POST /calls/<id>/wrap-up``: ``code``, ``notes``, ``then``, ``reason``, ``reason_text``.
- ``POST /calls/<id>/unmask``: the caller's whole number (supervisors and up; audited).
- ``GET  /residents?q=``: unknown callers: residents by address or name (JSON).
- ``POST /calls/<id>/attach``: ``resident_id``, ``unit_id``.
- ``POST /calls/<id>/residents``: a new resident: ``name``, ``unit_id``, ``role``.

Agents see the calls offered to or answered by them; supervisors and admins any
call of their communities. Anything else is a 404, as for an id that does not exist.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console.auth import (
    community_scope,
    current_agent,
    login_required,
    role_required,
    writer,
)
from agent_console.privacy import record_unmask, shown_number
from hotline.config import Config
from ivr.dispatch.notify import announce
from models import Call, utcnow
from models.staff import Agent, AgentRole

from . import card as cards
from . import search as finder
from . import services
from .exceptions import CallerGone, DeskError, Refused
from .stream import HEARTBEAT_S, RECHECK_S, agent_stream

bp = Blueprint("desk", __name__, url_prefix="/console/desk")
SIMULATED_CALLS = "hotline.simulator.calls"  # set by the simulator's blueprint
RECENT = 10


def _config() -> Config:
    config: Config = current_app.config["HOTLINE"]
    return config


def _agent() -> Agent:
    agent = current_agent()
    if agent is None:  # login_required ran first
        abort(401)
    return agent


def _form() -> dict[str, str]:
    body = request.get_json(silent=True)
    data = body if isinstance(body, dict) else request.form
    return {str(k): str(v) for k, v in data.items() if v is not None}


def _number(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _announce(agent_id: int, what: str, **payload: Any) -> None:
    announce(current_app.extensions.get("hotline.bus"), agent_id, what, **payload)


def _state(session: Session, agent_id: int) -> dict[str, Any]:
    return services.snapshot(
        session,
        agent_id,
        now=utcnow(),
        wrap_up_for=_config().wrap_up_for,
        simulated=current_app.extensions.get(SIMULATED_CALLS),
    )


@bp.errorhandler(DeskError)
def refused(exc: DeskError) -> tuple[Response, int]:
    return jsonify(error=str(exc)), exc.status


@bp.get("/")
@login_required
def index() -> str:
    agent = _agent()
    with writer() as session:
        state = _state(session, agent.id)
        recent = session.scalars(
            select(Call)
            .where(Call.agent_id == agent.id)
            .order_by(Call.answered_at.desc(), Call.id.desc())
            .limit(RECENT)
        ).all()
    return render_template(
        "desk/index.html",
        state=state,
        recent=recent,
        codes=services.WRAP_UP_CODES,
        reasons=services.PAUSE_REASONS,
        shown=shown_number,
        server_now=utcnow().isoformat(timespec="seconds"),  # countdowns despite a wrong clock
    )


@bp.get("/state")
@login_required
def state() -> Response:
    with writer() as session:
        return jsonify(_state(session, _agent().id))


@bp.get("/events")
@login_required
def events() -> Response:
    """The agent's stream: their state now, then again whenever it changes."""
    agent_id = _agent().id
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    readers = app.extensions["hotline.auth.readers"]
    config: Config = app.config["HOTLINE"]

    def read_state() -> dict[str, Any]:
        with readers() as session:
            return services.snapshot(
                session,
                agent_id,
                now=utcnow(),
                wrap_up_for=config.wrap_up_for,
                simulated=app.extensions.get(SIMULATED_CALLS),
            )

    body = agent_stream(
        bus=app.extensions["hotline.bus"],
        agent_id=agent_id,
        read_state=read_state,
        recheck=float(app.config.get("DESK_RECHECK_S", RECHECK_S)),
        heartbeat=float(app.config.get("DESK_HEARTBEAT_S", HEARTBEAT_S)),
    )
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(body, mimetype="text/event-stream", headers=headers)


@bp.post("/presence")
@login_required
def presence() -> tuple[Response, int]:
    agent, form = _agent(), _form()
    reason = services.pause_reason(form.get("reason", ""), form.get("reason_text", ""))
    with writer() as session:
        row = services.change_presence(
            session,
            agent,
            form.get("state", ""),
            reason,
            now=utcnow(),
            wrap_up_for=_config().wrap_up_for,
        )
        session.commit()
        _announce(agent.id, "presence", state=row.state.value, reason=row.reason)
        return jsonify(_state(session, agent.id)), 200


def _call_or_404(session: Session, agent: Agent, call_id: int) -> Call:
    """The call, if this agent may see it: see the module's docstring."""
    call = session.get(Call, call_id)
    if call is None:
        abort(404)
    presence = services.presence_of(session, agent.id)
    offered = presence.call_id if presence else None
    mine = cards.involved(session, agent, call, offered)
    if call.community_id is None:
        if not mine:
            abort(404)
    elif call.community_id not in community_scope():
        abort(404)
    if agent.role is AgentRole.AGENT and not mine:
        abort(404)
    return call


@bp.get("/calls/<int:call_id>/card")
@login_required
def card(call_id: int) -> str:
    """The screen-pop card; each resident file shown is audited."""
    agent = _agent()
    with writer() as session:
        call = _call_or_404(session, agent, call_id)
        shown = cards.build(
            session,
            agent,
            call,
            scope=community_scope(),
            now=utcnow(),
            resident_id=_number(request.args.get("resident")),
            unit_id=_number(request.args.get("unit")),
            region=_config().default_region,
        )
        html = render_template("desk/card.html", **shown)
        session.commit()
    return html


@bp.post("/calls/<int:call_id>/answer")
@login_required
def answer(call_id: int) -> Response:
    agent = _agent()
    with writer() as session:
        try:
            services.answer(
                session,
                agent,
                call_id,
                now=utcnow(),
                simulated=current_app.extensions.get(SIMULATED_CALLS),
            )
        except CallerGone:
            session.commit()  # the caller hung up: the agent is free all the same
            _announce(agent.id, "released", call_id=call_id)
            raise
        session.commit()
        _announce(agent.id, "connected", call_id=call_id)
        return jsonify(_state(session, agent.id))


@bp.post("/calls/<int:call_id>/decline")
@login_required
def decline(call_id: int) -> Response:
    agent = _agent()
    with writer() as session:
        services.decline(session, agent, call_id, now=utcnow())
        session.commit()
        _announce(agent.id, "released", call_id=call_id)
        return jsonify(_state(session, agent.id))


@bp.post("/calls/<int:call_id>/hang-up")
@login_required
def hang_up(call_id: int) -> Response:
    agent = _agent()
    with writer() as session:
        services.hang_up(
            session,
            agent,
            call_id,
            now=utcnow(),
            simulated=current_app.extensions.get(SIMULATED_CALLS),
        )
        session.commit()
        _announce(agent.id, "presence", call_id=call_id)
        return jsonify(_state(session, agent.id))


@bp.post("/calls/<int:call_id>/wrap-up")
@login_required
def wrap_up(call_id: int) -> Response:
    agent, form = _agent(), _form()
    then = form.get("then", "available")
    reason = services.pause_reason(form.get("reason", ""), form.get("reason_text", ""))
    with writer() as session:
        _call_or_404(session, agent, call_id)
        services.wrap_up(
            session,
            agent,
            call_id,
            code=form.get("code", ""),
            notes=form.get("notes", ""),
            then=then,
            reason=reason,
            now=utcnow(),
            wrap_up_for=_config().wrap_up_for,
        )
        session.commit()
        _announce(agent.id, "presence", call_id=call_id)
        return jsonify(_state(session, agent.id))


@bp.post("/calls/<int:call_id>/unmask")
@role_required(AgentRole.SUPERVISOR)
def unmask(call_id: int) -> Response:
    agent = _agent()
    with writer() as session:
        call = _call_or_404(session, agent, call_id)
        if not call.caller_e164:
            abort(404)
        record_unmask(session, agent, "call", call.id, number="caller")
        session.commit()
        return jsonify(number=call.caller_e164)


@bp.get("/residents")
@login_required
def residents() -> Response:
    with writer() as session:
        found = finder.search(session, request.args.get("q", ""), community_scope())
    return jsonify(found=[f.__dict__ for f in found])


@bp.post("/calls/<int:call_id>/attach")
@login_required
def attach(call_id: int) -> Response:
    agent, form = _agent(), _form()
    unit_id = _number(form.get("unit_id"))
    if unit_id is None:
        raise Refused(_("Choose a unit."))
    with writer() as session:
        call = _call_or_404(session, agent, call_id)
        finder.attach(
            session,
            agent,
            call,
            resident_id=_number(form.get("resident_id")),
            unit_id=unit_id,
            scope=community_scope(),
            now=utcnow(),
        )
        session.commit()
    return jsonify(call_id=call_id, resident_id=call.resident_id, unit_id=call.unit_id)


@bp.post("/calls/<int:call_id>/residents")
@login_required
def new_resident(call_id: int) -> tuple[Response, int]:
    agent, form = _agent(), _form()
    unit_id = _number(form.get("unit_id"))
    if unit_id is None:
        raise Refused(_("Choose a unit."))
    with writer() as session:
        call = _call_or_404(session, agent, call_id)
        resident = finder.create_resident(
            session,
            agent,
            call,
            name=form.get("name", ""),
            unit_id=unit_id,
            role=form.get("role", "occupant"),
            scope=community_scope(),
            now=utcnow(),
        )
        session.commit()
        return jsonify(call_id=call_id, resident_id=resident.id, unit_id=unit_id), 201
