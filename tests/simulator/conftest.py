"""The web app with the simulator, an estate to call, and the page's own requests.

The estate is tests/twilio's: 阳光花园 (hotline +862160000001, open all day),
王建国 (+8613800138000) owning 3栋2单元1502.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from hotline.config import Config
from models import ResidentRole
from tests import factories

HOTLINE = "+862160000001"
KNOWN = "+8613800138000"  # 王建国's mobile
TOKEN = "0f7c8d6e5a4b3c2d1e0f9a8b7c6d5e4f"  # a configured Twilio account's auth token
ACCOUNT = "AC3b6f0a2c7d9e4f1a8b5c2d9e6f3a0b7c"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives the simulator page in Chromium")


def build_estate(engine: Engine) -> dict[str, int]:
    """阳光花园 with 王建国 and a second resident, open all day."""
    with Session(engine) as s:
        c = factories.community(
            s, on_call_number="+8613700000000", opens_at=dt.time(0, 0), closes_at=dt.time(0, 0)
        )
        factories.hotline_number(s, c, HOTLINE)
        u = factories.unit(s, c, "3", "1502", entrance="2")
        r = factories.resident(s, "王建国", units=[(u, ResidentRole.OWNER)], phones=[(KNOWN, True)])
        other = factories.unit(s, c, "3", "0801", entrance="1")
        factories.resident(
            s, "李秀英", units=[(other, ResidentRole.TENANT)], phones=[("+8613912345678", True)]
        )
        s.commit()
        return {"community": c.id, "unit": u.id, "resident": r.id, "phone": r.phones[0].id}


@pytest.fixture
def estate(engine: Engine) -> dict[str, int]:
    return build_estate(engine)


@pytest.fixture
def app(make_app: Any, config: Config) -> Flask:
    """No Twilio account configured: the embedded defaults."""
    return make_app(config)


@pytest.fixture
def twilio_app(make_app: Any, config: Config) -> Flask:
    """A Twilio account configured."""
    return make_app(
        dataclasses.replace(config, twilio_auth_token=TOKEN, twilio_account_sid=ACCOUNT)
    )


@dataclasses.dataclass
class Page:
    """What the simulator's page sends, as its JavaScript sends it."""

    client: FlaskClient
    token: str = ""

    def _headers(self) -> dict[str, str]:
        return {"X-Hotline-Twilio-Token": self.token} if self.token else {}

    def place(self, **body: Any) -> TestResponse:
        return self.client.post("/simulator/calls", json=body, headers=self._headers())

    def send(self, sid: str, url: str, params: dict[str, str] | None = None, **more: Any):
        body = {"sid": sid, "url": url, "params": params or {}, **more}
        return self.client.post("/simulator/send", json=body, headers=self._headers())

    def get(self, url: str) -> TestResponse:
        return self.client.get(url, headers=self._headers())


@pytest.fixture
def page(app: Flask) -> Page:
    return Page(app.test_client())
