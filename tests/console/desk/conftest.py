"""The desk's tests: the console's estate (tests/console/conftest.py) with homes, residents
and calls in 阳光花园 (SH01) and 翠湖苑 (SH02), and helpers to offer calls to agents.

- 3栋2单元1502 in SH01: 王建国 (owner, +8613800138000, senior care, arrears ¥120.50)
  and 王小明 (family); 李秀英 (tenant) at 3栋1单元0801 shares 王建国's home landline.
- 5栋0101 in SH02: 陈静 (+8613900000002).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hotline.config import Config
from models import Agent, Call, CallEvent, Direction, PresenceState, ResidentRole, utcnow
from models.presence import set_presence
from tests import factories
from tests.console.conftest import log_in

WANG = "+8613800138000"
LANDLINE = "+862150001234"
CHEN = "+8613900000002"


@pytest.fixture
def config(config: Config) -> Config:  # type: ignore[override]
    """No wrap-up time, so that a wrapped-up agent is available at once (tests set one)."""
    return dataclasses.replace(config, wrap_up_seconds="0")


@pytest.fixture
def homes(engine: Engine, estate: dict[str, int]) -> dict[str, int]:
    with Session(engine) as s:
        from models import Community

        sh01, sh02 = s.get_one(Community, estate["SH01"]), s.get_one(Community, estate["SH02"])
        flat = factories.unit(s, sh01, "3", "1502", entrance="2")
        other = factories.unit(s, sh01, "3", "0801", entrance="1")
        wang = factories.resident(
            s, "王建国", units=[(flat, ResidentRole.OWNER)],
            phones=[(WANG, True), (LANDLINE, False)], senior_care=True, arrears_cents=12050,
        )  # fmt: skip
        son = factories.resident(s, "王小明", units=[(flat, ResidentRole.FAMILY)])
        li = factories.resident(
            s, "李秀英", units=[(other, ResidentRole.TENANT)], phones=[(LANDLINE, True)]
        )
        far = factories.unit(s, sh02, "5", "0101")
        chen = factories.resident(
            s, "陈静", units=[(far, ResidentRole.OWNER)], phones=[(CHEN, True)]
        )
        s.commit()
        return {
            "flat": flat.id, "other": other.id, "far": far.id, "wang": wang.id, "son": son.id,
            "li": li.id, "chen": chen.id,
        }  # fmt: skip


def agent_id(engine: Engine, login: str) -> int:
    with Session(engine) as s:
        return s.scalars(select(Agent.id).where(Agent.login == login)).one()


@pytest.fixture
def make_call(engine: Engine, estate: dict[str, int]) -> Callable[..., int]:
    """A call to a community's hotline from ``caller``; its id."""

    def make(caller: str | None, community: str | None = "SH01", **kw: Any) -> int:
        with Session(engine) as s:
            call = Call(
                provider=kw.pop("provider", "twilio"),
                provider_call_id=kw.pop("sid", f"CA{utcnow().timestamp():.6f}".replace(".", "")),
                direction=Direction.INBOUND,
                caller_number=caller or "anonymous",
                caller_e164=caller,
                community_id=estate[community] if community else None,
                queue=kw.pop("queue", "repair"),
                priority=20,
                disposition="queued",
                **kw,
            )
            s.add(call)
            s.flush()
            s.add(CallEvent(call_id=call.id, kind="ivr.step", data={
                "step": "main_menu", "event": {"event": "digits", "digits": "2"},
                "next": "closed"}))  # fmt: skip
            s.add(CallEvent(call_id=call.id, kind="ivr.step", data={
                "step": "main_menu", "event": {"event": "speech", "text": "厨房漏水"},
                "next": "closed"}))  # fmt: skip
            s.commit()
            return call.id

    return make


def put(engine: Engine, login: str, state: PresenceState, call_id: int | None = None,
        *, since: dt.datetime | None = None, reason: str | None = None) -> None:  # fmt: skip
    """Set ``login``'s presence (and the call they are offered or on)."""
    with Session(engine) as s:
        agent = s.scalars(select(Agent).where(Agent.login == login)).one()
        presence = set_presence(s, agent, state, reason, now=since or utcnow())
        presence.call_id = call_id
        s.commit()


def answered(engine: Engine, login: str, call_id: int, *, wrapped: bool = False) -> None:
    """``login`` answered ``call_id`` (and wrapped it up, if ``wrapped``)."""
    with Session(engine) as s:
        call = s.get_one(Call, call_id)
        call.agent_id = s.scalars(select(Agent.id).where(Agent.login == login)).one()
        call.answered_at = utcnow()
        if wrapped:
            call.wrap_up_code, call.wrapped_up_at = "resolved", utcnow()
        s.commit()


def logged_in(client: FlaskClient, login: str) -> FlaskClient:
    response = log_in(client, login)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def token(client: FlaskClient) -> dict[str, str]:
    """The CSRF header fetch() sends, read from the desk page."""
    import re

    page = client.get("/console/desk/").get_data(as_text=True)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert found, page
    return {"X-CSRFToken": found.group(1)}
