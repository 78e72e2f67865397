"""Checking a login and password, and slowing down whoever guesses."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from agent_console.auth.exceptions import AgentInactive, LoginRefused, TooManyAttempts
from models.staff import Agent

# Checked when the login does not exist, so an unknown login takes as long as a known one.
_NO_SUCH_AGENT = generate_password_hash("no such agent")


def authenticate(session: Session, login: str, password: str) -> Agent:
    """The agent with ``login`` and ``password``, communities loaded.

    :raises LoginRefused: when the login is unknown or the password wrong.
    :raises AgentInactive: when the password is right but the agent is inactive.
    """
    agent = session.scalars(
        select(Agent)
        .options(selectinload(Agent.communities))
        .where(func.lower(Agent.login) == login.strip().lower())
    ).one_or_none()
    if agent is None:
        check_password_hash(_NO_SUCH_AGENT, password)
        raise LoginRefused(login)
    if not agent.check_password(password):
        raise LoginRefused(login)
    if not agent.active:
        raise AgentInactive(login)
    return agent


class LoginThrottle:
    """Refuses logins after repeated failures, per login and per address, in this process.

    After ``per_login`` failures for one login (or ``per_address`` from one address, more
    since a property office's agents share one NAT address) within ``window`` seconds,
    attempts are refused without checking the password until the oldest failure ages out.
    """

    def __init__(
        self,
        *,
        per_login: int = 5,
        per_address: int = 20,
        window: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limits = {"login": per_login, "address": per_address}
        self.window = window
        self.clock = clock
        self._failures: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, login: str, address: str) -> None:
        """:raises TooManyAttempts: when this login or address has failed too often lately."""
        with self._lock:
            for key in self._keys(login, address):
                if len(self._recent(key)) >= self.limits[key[0]]:
                    raise TooManyAttempts(login)

    def failed(self, login: str, address: str) -> None:
        """Count a failed attempt against the login and the address."""
        now = self.clock()
        with self._lock:
            for key in self._keys(login, address):
                self._recent(key).append(now)
            if len(self._failures) > 10_000:  # forget keys with nothing recent
                for key in [k for k in self._failures if not self._recent(k)]:
                    del self._failures[key]

    def succeeded(self, login: str) -> None:
        """Forget the login's failures; the address's stay counted."""
        with self._lock:
            self._failures.pop(("login", login.strip().lower()), None)

    def _keys(self, login: str, address: str) -> tuple[tuple[str, str], ...]:
        return ("login", login.strip().lower()), ("address", address)

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= self.clock() - self.window:
            times.popleft()
        return times
