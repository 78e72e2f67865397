"""`hotline agi` as Asterisk meets it: a real process listening for FastAGI."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy.orm import Session

from models import ResidentRole
from models.db import make_engine, upgrade
from tests import factories
from tests.agi.peer import CallScript, call, environment


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"hotline agi exited {proc.returncode}: {proc.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("hotline agi did not listen in time")


def test_hotline_agi_serves_a_call_and_stops_on_interrupt(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        c = factories.community(
            s,
            opens_at=__import__("datetime").time(0, 0),
            closes_at=__import__("datetime").time(0, 0),
        )
        factories.hotline_number(s, c, "+862160000001")
        u = factories.unit(s, c, "3", "1502")
        factories.resident(
            s, "王建国", units=[(u, ResidentRole.OWNER)], phones=[("+8613800138000", True)]
        )
        s.commit()
    engine.dispose()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env |= {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "agi", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_listening(port, proc)
        t = call(port, CallScript(keys=["4"]), environment(port=port, callerid="13800138000"))
        assert t.variables["HOTLINE_QUEUE"] == "complaint"
        assert t.variables["HOTLINE_RESIDENT_ID"] == "1"
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    assert f"FastAGI on 127.0.0.1:{port}" in out


def test_hotline_agi_on_a_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env |= {"HOTLINE_DATA_DIR": str(tmp_path)}
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "hotline.cli",
                "--database-url",
                url,
                "agi",
                "--port",
                str(port),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        busy.close()
    assert done.returncode == 2
    assert f"cannot listen for FastAGI on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
