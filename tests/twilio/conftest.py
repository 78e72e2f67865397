"""The web app with its Twilio webhooks, an estate to call, and Twilio to call it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from hotline.config import Config
from models import Call, CallEvent, Community, ResidentRole
from tests import factories
from tests.twilio.peer import ACCOUNT, HOTLINE, TOKEN, Twilio


def twilio_config(config: Config, **changes: Any) -> Config:
    """``config`` with the test account's credentials and ``changes``."""
    account = {"twilio_auth_token": TOKEN, "twilio_account_sid": ACCOUNT}
    return dataclasses.replace(config, **(account | changes))


@pytest.fixture
def app(make_app: Any, config: Config) -> Flask:
    return make_app(twilio_config(config))


@pytest.fixture
def twilio(app: Flask, spool: Path) -> Iterator[Twilio]:
    yield Twilio(app, app.test_client())
    # Every webhook leaves its record written: no journal of a call in progress remains.
    assert not list((spool / "journal").glob("*/*.jsonl"))


@pytest.fixture
def spool(config: Config) -> Path:
    return config.data_dir / "spool" / "calls"


@pytest.fixture
def estate(engine: Engine) -> dict[str, int]:
    """阳光花园, open all day: 王建国 (KNOWN) owns 3栋2单元1502; on-call +8613700000000."""
    with Session(engine) as s:
        c = factories.community(
            s, on_call_number="+8613700000000", opens_at=dt.time(0, 0), closes_at=dt.time(0, 0)
        )
        factories.hotline_number(s, c, HOTLINE)
        u = factories.unit(s, c, "3", "1502", entrance="2")
        factories.unit(s, c, "3", "0801", entrance="1")
        r = factories.resident(
            s, "王建国", units=[(u, ResidentRole.OWNER)], phones=[("+8613800138000", True)]
        )
        s.commit()
        return {"community": c.id, "unit": u.id, "resident": r.id}


def close_the_centre(engine: Engine) -> None:
    """After hours: no weekday is a working day."""
    with Session(engine) as s:
        for community in s.scalars(select(Community)):
            community.business_days = ""
        s.commit()


def call_row(engine: Engine, sid: str) -> Call:
    with Session(engine) as s:
        return s.scalars(select(Call).where(Call.provider_call_id == sid)).one()


def events(engine: Engine, sid: str) -> list[CallEvent]:
    with Session(engine) as s:
        call = s.scalars(select(Call).where(Call.provider_call_id == sid)).one()
        return list(
            s.scalars(select(CallEvent).where(CallEvent.call_id == call.id).order_by(CallEvent.id))
        )


def kinds(engine: Engine, sid: str) -> list[str]:
    return [event.kind for event in events(engine, sid)]
