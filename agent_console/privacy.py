"""Confidential resident data (业主档案): who may see a phone number, and the audit of views.

Phone numbers are shown masked (``+86 138****8000``) to agents; supervisors and
administrators may unmask one, and every unmasking is written to the audit log,
as is every view of a resident's file (who, what, when). Agents see only the
communities they serve (:func:`agent_console.auth.in_scope_or_404`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from agent_console.auth.access import has_role
from models.audit import audit
from models.phones import mask
from models.staff import Agent, AgentRole

UNMASK_ROLE = AgentRole.SUPERVISOR  # the lowest role that may see a whole number


def may_unmask(agent: Agent) -> bool:
    """Whether ``agent``'s role may see whole phone numbers."""
    return has_role(agent, UNMASK_ROLE)


def shown_number(e164: str | None) -> str:
    """A number as every page shows it at first: masked."""
    return mask(e164) if e164 else ""


def record_view(
    session: Session, agent: Agent, subject_type: str, subject_id: object, **detail: Any
) -> None:
    """Audit that ``agent`` viewed a confidential record (added to the session's transaction)."""
    audit(
        session,
        action="view",
        subject_type=subject_type,
        subject_id=subject_id,
        agent_id=agent.id,
        **detail,
    )


def record_unmask(
    session: Session, agent: Agent, subject_type: str, subject_id: object, **detail: Any
) -> None:
    """Audit that ``agent`` saw a whole phone number."""
    audit(
        session,
        action="unmask",
        subject_type=subject_type,
        subject_id=subject_id,
        agent_id=agent.id,
        **detail,
    )
