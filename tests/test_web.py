"""The web app's health endpoint and front page, and `hotline serve` as a real process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from agent_console import create_app
from hotline.config import Config, load_config
from tests import factories
from tests.agi.peer import CallScript, call, environment


@pytest.fixture
def app(make_app: Callable[[Config], Flask], config: Config) -> Flask:
    return make_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_healthz_is_ok_on_a_migrated_database(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "bus": "ok"}


def test_healthz_is_503_on_a_database_without_schema(tmp_path: Path) -> None:
    config = load_config(env={"HOTLINE_DATA_DIR": str(tmp_path)})
    response = create_app({"TESTING": True}, config=config).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "down"


def test_healthz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    config = load_config(
        env={
            "HOTLINE_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "HOTLINE_DATA_DIR": str(tmp_path),
        }
    )
    response = create_app({"TESTING": True}, config=config).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "down", "database": "unreachable"}


def test_front_page_lists_communities(app: Flask, client: FlaskClient) -> None:
    with app.extensions["hotline.sessions"]() as session:
        c = factories.community(session)
        factories.hotline_number(session, c, "+862160000001")
        session.commit()
    page = client.get("/").get_data(as_text=True)
    assert "阳光花园" in page and "+862160000001" in page and "08:30–18:00" in page


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_hotline_serve_on_embedded_defaults_creates_demo_and_answers_health(
    tmp_path: Path,
) -> None:
    port, agi_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env |= {
        "HOTLINE_DATA_DIR": str(tmp_path),
        "HOTLINE_WEB_PORT": str(port),
        "HOTLINE_AGI_PORT": str(agi_port),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = _wait_for(f"http://127.0.0.1:{port}/healthz", proc, timeout=120)
        assert '"status":"ok"' in body.replace(" ", "")
        front = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read().decode()
        assert "阳光花园" in front and "/simulator/" in front
        phone = urllib.request.urlopen(f"http://127.0.0.1:{port}/simulator/", timeout=10)
        assert phone.status == 200
        assert (tmp_path / "hotline.db").exists()
        # the same process answers FastAGI: a demo resident's call reaches a queue
        t = call(agi_port, CallScript(keys=["3"]), environment(port=agi_port))
        assert t.variables["HOTLINE_QUEUE"] == "inquiry"
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _wait_for(url: str, proc: subprocess.Popen[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"hotline serve exited {proc.returncode}:\n{out}")
        try:
            return urllib.request.urlopen(url, timeout=2).read().decode()
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_healthz_reports_bus_and_a_disconnected_ami_as_degraded(
    app: Flask, client: FlaskClient
) -> None:
    from hotline.bus import InProcessBus
    from ivr.ami.listener import AMIListener
    from ivr.ami.settings import parse_ami_url

    bus = InProcessBus()
    app.extensions["hotline.bus"] = bus
    app.extensions["hotline.ami"] = AMIListener(
        settings=parse_ami_url("ami://hotline:secret@127.0.0.1:1"),
        event_names=["Hangup"],
        on_event=lambda event: None,
    )
    body = client.get("/healthz")
    assert body.status_code == 200
    data = body.get_json()
    assert (data["status"], data["database"], data["bus"]) == ("degraded", "ok", "ok")
    assert data["ami"]["connected"] is False
    assert "secret" not in body.get_data(as_text=True)
    bus.close()
