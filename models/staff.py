"""Agents: the people who answer the hotline, and the communities each one serves."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from models.base import Base, enum_column
from models.estate import Community


class AgentRole(enum.StrEnum):
    """What an agent may do; each role includes the one before it."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


agent_communities = Table(
    "agent_communities",
    Base.metadata,
    Column("agent_id", ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True),
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
)


class Agent(Base):
    """A console user; answers calls on a softphone extension or a Twilio Client identity."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[AgentRole] = mapped_column(enum_column(AgentRole, 12), default=AgentRole.AGENT)
    extension: Mapped[str | None] = mapped_column(String(32), unique=True)  # PJSIP endpoint
    identity: Mapped[str | None] = mapped_column(String(64), unique=True)  # Twilio Client
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    communities: Mapped[list[Community]] = relationship(secondary=agent_communities)

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password``; the password itself is never kept."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """True when ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"Agent(id={self.id!r}, login={self.login!r}, role={self.role!r})"
