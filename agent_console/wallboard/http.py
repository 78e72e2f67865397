"""The wallboard: one page for a wall screen, and the figures it refreshes itself from.

Supervisors and administrators only (an agent gets 403): the board shows every
agent's state and the centre's figures, which are a supervisor's to watch. The
page polls ``data.json`` every few seconds (a poll survives proxies, restarts and
sleeping screens alike), and at once when ``events`` says the event bus reported
a change.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from agent_console.auth import check_scope, community_scope, role_required
from agent_console.auth.access import readers
from agent_console.auth.i18n import current_language
from agent_console.oncall import labels as oncall_labels
from agent_console.wallboard import labels, services, stream
from agent_console.wallboard.services import Figures, Today
from models import Community, utcnow
from models.oncall import EscalationStatus
from models.staff import AgentRole

CLOCK = "hotline.wallboard.clock"  # app.extensions key: the clock the figures are taken at
CACHE = "hotline.wallboard.cache"  # app.extensions key: the figures last computed, per scope
REFRESH_SECONDS = 3
# Several wall screens (and tabs) poll the same figures: each set is computed at most once
# in this time, per scope and language, by this process.
CACHE_SECONDS = 2.0

bp = Blueprint("wallboard", __name__, url_prefix="/console/wallboard")


def _now() -> dt.datetime:
    clock: Callable[[], dt.datetime] = current_app.extensions.get(CLOCK, utcnow)
    return clock()


def _chosen_scope() -> tuple[list[int], int | None]:
    """The communities asked for: ``?community=<id>`` (404 outside the scope), else all."""
    chosen = request.args.get("community", "")
    if chosen:
        community_id = int(chosen) if chosen.isdigit() else -1
        check_scope(community_id)
        return [community_id], community_id
    return sorted(community_scope()), None


def _board(fresh: bool = False) -> tuple[dict[str, Any], int | None]:
    """The figures of the scope asked for, as JSON: computed, or from the last few seconds
    unless ``fresh`` (the page was told of a change)."""
    ids, chosen = _chosen_scope()
    cache: dict[tuple[object, ...], tuple[float, dict[str, Any]]]
    cache = current_app.extensions.setdefault(CACHE, {})
    key = (tuple(ids), current_language())
    found = cache.get(key)
    if not fresh and found is not None and time.monotonic() - found[0] < CACHE_SECONDS:
        return found[1], chosen
    with readers() as session:
        data = as_json(services.figures(session, ids, _now()))
    cache[key] = (time.monotonic(), data)
    return data, chosen


@bp.get("/")
@role_required(AgentRole.SUPERVISOR)
def index() -> str:
    """The board, drawn with the figures of now and refreshed by ``wallboard.js``."""
    data, chosen = _board()
    with readers() as session:
        choices = session.scalars(
            select(Community).where(Community.id.in_(community_scope())).order_by(Community.code)
        )
        english = current_language() == "en"
        options = [(c.id, c.code, (english and c.name_en) or c.name) for c in choices]
    return render_template(
        "wallboard/board.html",
        data=data,
        chosen=chosen,
        options=options,
        refresh_seconds=REFRESH_SECONDS,
        target=services.SERVICE_LEVEL_SECONDS,
    )


@bp.get("/events")
@role_required(AgentRole.SUPERVISOR)
def events() -> Response:
    """A nudge whenever the event bus reports a change (:mod:`.stream`): refresh now."""
    bus = current_app.extensions["hotline.bus"]
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return Response(stream.changes(bus), mimetype="text/event-stream", headers=headers)


@bp.get("/data.json")
@role_required(AgentRole.SUPERVISOR)
def data() -> Response:
    """The figures as JSON (``?fresh=1``: not those of the last seconds); never cached."""
    data, _ = _board(fresh=request.args.get("fresh") == "1")
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


def as_json(board: Figures) -> dict[str, Any]:
    """The figures with names in the page's language and times on the board's clock."""
    zone = labels.zone_of(board.communities)
    now = board.now
    return {
        "now": now.isoformat(),
        "updated": labels.local(now, zone, "%H:%M:%S"),
        "timezone": str(zone),
        "communities": [{"id": c.id, "code": c.code, "name": c.name} for c in board.communities],
        "queues": [
            {
                "queue": q.queue,
                "label": labels.label(labels.QUEUE_LABELS, q.queue),
                "waiting": q.waiting,
                "longest_wait": q.longest_wait,
                "longest_wait_text": labels.duration(q.longest_wait),
                "callbacks_pending": q.callbacks_pending,
                "today": _today(board.today_by_queue.get(q.queue, Today())),
            }
            for q in board.queues
        ],
        "callbacks_pending": sum(q.callbacks_pending for q in board.queues),
        "agent_counts": [
            {"state": s.value, "label": labels.label(labels.STATE_LABELS, s.value), "count": n}
            for s, n in board.agent_counts.items()
        ],
        "agents": [_agent(a, now, zone) for a in board.agents if a.state.value != "offline"],
        "today": _today(board.today),
        "overdue_count": board.overdue_count,
        "overdue": [
            {
                "id": o.id,
                "number": o.number,
                "category": labels.label(labels.CATEGORY_LABELS, o.category),
                "status": labels.label(labels.STATUS_LABELS, o.status),
                "due_at": labels.local(o.due_at, zone),
                "overdue_text": labels.duration((now - o.due_at).total_seconds()),
            }
            for o in board.overdue
        ],
        "escalations": [
            {
                "work_order_id": e.work_order_id,
                "number": e.number,
                "trade": str(oncall_labels.TRADES.get(e.trade, e.trade)),
                "status": e.status,
                "status_text": str(oncall_labels.STATUSES[EscalationStatus(e.status)]),
                "person": e.person,
                "started": labels.local(e.started_at, zone, "%H:%M:%S"),
                "accepted": labels.local(e.accepted_at, zone, "%H:%M:%S") if e.accepted_at else "",
            }
            for e in board.escalations
        ],
    }


def _today(tally: Today) -> dict[str, Any]:
    level = tally.service_level
    return {
        "offered": tally.offered,
        "answered": tally.answered,
        "answered_in_target": tally.answered_in_target,
        "abandoned": tally.abandoned,
        "abandoned_after_target": tally.abandoned_after,
        "callbacks_requested": tally.callbacks_requested,
        "waiting": tally.waiting,
        "service_level": level,
        "service_level_text": "—" if level is None else f"{level * 100:.0f}%",
    }


def _agent(agent: services.AgentNow, now: dt.datetime, zone: Any) -> dict[str, Any]:
    seconds = (now - agent.since).total_seconds() if agent.since else None
    return {
        "name": agent.name,
        "state": agent.state.value,
        "label": labels.label(labels.STATE_LABELS, agent.state.value),
        "since": labels.local(agent.since, zone, "%H:%M"),
        "for_text": labels.duration(max(0.0, seconds) if seconds is not None else None),
        "reason": agent.reason or "",
    }
