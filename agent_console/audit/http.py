"""The audit log viewer: newest first, filtered, paged; supervisors and administrators.

Looking at the audit log is not itself audited: the page shows who looked at or
changed what, never a resident's file or a whole phone number (numbers in an
entry's details are shown masked), it is open only to the roles whose job is to
read it, and an entry per page view would bury the entries it exists to show.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import lazy_gettext
from sqlalchemy import select

from agent_console.audit import services
from agent_console.audit.services import Filters
from agent_console.auth import community_scope, current_agent, role_required
from agent_console.auth.access import readers
from agent_console.privacy import shown_number
from agent_console.wallboard import labels
from models import Community
from models.staff import AgentRole

ACTION_LABELS = {
    "view": lazy_gettext("viewed"),
    "unmask": lazy_gettext("unmasked a number"),
    "create": lazy_gettext("created"),
    "update": lazy_gettext("changed"),
    "import": lazy_gettext("imported"),
}

bp = Blueprint("audit", __name__, url_prefix="/console/audit")


def _scope() -> frozenset[int] | None:
    """The viewer's communities; None for an administrator, who sees every entry."""
    agent = current_agent()
    return None if agent is not None and agent.role is AgentRole.ADMIN else community_scope()


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _filters() -> Filters:
    args = request.args
    agent = args.get("agent", "")
    page = args.get("page", "")
    return Filters(
        agent_id=int(agent) if agent.isdigit() else None,
        action=args.get("action", "").strip()[:40],
        subject_type=args.get("subject_type", "").strip()[:40],
        subject_id=args.get("subject_id", "").strip()[:40],
        date_from=_date(args.get("from", "")),
        date_to=_date(args.get("to", "")),
        page=int(page) if page.isdigit() else 1,
    )


@bp.get("/")
@role_required(AgentRole.SUPERVISOR)
def index() -> str:
    """The audit log, newest first."""
    filters, scope = _filters(), _scope()
    with readers() as session:
        communities = list(
            session.scalars(select(Community).where(Community.id.in_(community_scope())))
        )
        zone = labels.zone_of(communities)
        page = services.entries(session, filters, scope, zone)
        agents, actions, types = services.choices(session, scope)
        rows = [_row(log, agent, zone) for log, agent in page.rows]
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "audit/log.html",
        rows=rows,
        page=page,
        filters=filters,
        agents=agents,
        actions=actions,
        types=types,
        query=query,
        timezone=str(zone),
        action_labels=ACTION_LABELS,
    )


def _row(log: Any, agent: Any, zone: Any) -> dict[str, Any]:
    return {
        "id": log.id,
        "when": labels.local(log.at, zone, "%Y-%m-%d %H:%M:%S"),
        "who": f"{agent.name} ({agent.login})" if agent else "—",
        "action": log.action,
        "subject": f"{log.subject_type} {log.subject_id or ''}".strip(),
        "href": _link(log.subject_type, log.subject_id),
        "detail": [(str(k), _shown(v)) for k, v in sorted((log.detail or {}).items())],
    }


def _link(subject_type: str, subject_id: str | None) -> str | None:
    """The console page of an entry's subject, where there is one (work orders)."""
    exists = "work_orders.show" in current_app.view_functions
    if exists and subject_type in ("work_order", "order") and (subject_id or "").isdigit():
        return url_for("work_orders.show", order_id=int(subject_id or 0))
    return None


def _shown(value: object) -> str:
    """A detail's value, with anything that looks like a phone number masked."""
    text = value if isinstance(value, str) else str(value)
    digits = sum(ch.isdigit() for ch in text)
    if text.startswith("+") and 8 <= digits <= 15 and set(text[1:]) <= set("0123456789 -"):
        return shown_number(text.replace(" ", "").replace("-", ""))
    return text
