"""The audit log: who viewed or changed what, and when. Rows are only ever added."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow


class AuditLog(Base):
    """One view or change of confidential data (resident files, unmasked numbers)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))  # view | unmask | create | update | import
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)

    def __repr__(self) -> str:
        return f"AuditLog(id={self.id!r}, action={self.action!r}, subject={self.subject_type!r})"


def audit(
    session: Session,
    *,
    action: str,
    subject_type: str,
    subject_id: object = None,
    agent_id: int | None = None,
    **detail: Any,
) -> AuditLog:
    """Add an audit row to the session's transaction: it commits or rolls back with the work."""
    row = AuditLog(
        agent_id=agent_id,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        detail=detail,
    )
    session.add(row)
    return row
