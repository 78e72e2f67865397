"""`hotline agi` as Asterisk meets it: a real process listening for FastAGI."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Call, CallEvent, ResidentRole
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


def _children(pid: int) -> set[int]:
    """The worker processes (multiprocessing also starts a resource tracker: not one)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found |= {int(c) for c in task.read_text().split()}
    return {c for c in found if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()}


def _workers(pid: int, count: int, other_than: frozenset[int] = frozenset()) -> set[int]:
    """``count`` worker processes of ``hotline agi``, none of them ``other_than``."""
    timeout = 60
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _children(pid) - other_than
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"expected {count} workers, have {_children(pid)}")


def _estate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        c = factories.community(s, opens_at=dt.time(0, 0), closes_at=dt.time(0, 0))
        factories.hotline_number(s, c, "+862160000001")
        u = factories.unit(s, c, "3", "1502")
        factories.resident(
            s, "王建国", units=[(u, ResidentRole.OWNER)], phones=[("+8613800138000", True)]
        )
        s.commit()
    engine.dispose()


def _in_progress(port: int, uniqueid: str) -> socket.socket:
    """A call that has reached the main menu (GET DATA), left waiting for the caller."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    env = environment(port=port, callerid="13800138000", uniqueid=uniqueid)
    sock.sendall(("".join(f"{k}: {v}\n" for k, v in env) + "\n").encode())
    reader = sock.makefile("rb")
    while not (line := reader.readline()).startswith(b"GET DATA"):
        assert line, "the server closed the call before the menu"
        sock.sendall(
            b"200 result=0 endpos=16000\n" if line.startswith(b"STREAM") else b"200 result=1\n"
        )
    return sock


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_given_workers_when_one_is_killed_mid_call_then_it_is_replaced_and_the_call_recorded(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'hotline.db'}"
    _estate(url)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    env |= {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_DATABASE_URL": url}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hotline.cli", "agi", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_listening(port, proc)
        first = _workers(proc.pid, 2)
        for n in range(6):  # several calls: whichever worker takes each, all are served
            t = call(port, CallScript(keys=["2"]), environment(port=port, uniqueid=f"1.{n}"))
            assert t.variables["HOTLINE_QUEUE"] == "repair"
        waiting = _in_progress(port, "9.1")
        for pid in first:
            os.kill(pid, signal.SIGKILL)
        waiting.close()
        second = _workers(proc.pid, 2, other_than=frozenset(first))  # both replaced
        _wait_listening(port, proc)
        t = call(port, CallScript(keys=["4"]), environment(port=port, uniqueid="9.2"))
        assert t.variables["HOTLINE_QUEUE"] == "complaint"
        engine = make_engine(url)

        def interrupted() -> bool:  # spooled by the parent, written by its replayer (10 s)
            with Session(engine) as s:
                c = s.scalars(select(Call).where(Call.provider_call_id == "9.1")).one()
                return c.disposition == "interrupted"

        _wait_for(interrupted, 40, "the killed worker's call to be recorded")
        with Session(engine) as s:
            c = s.scalars(select(Call).where(Call.provider_call_id == "9.1")).one()
            kinds = s.scalars(select(CallEvent.kind).where(CallEvent.call_id == c.id)).all()
            served = s.scalars(select(Call.disposition).where(Call.provider_call_id != "9.1"))
            assert set(served) == {"queued"}
        engine.dispose()
        assert (c.disposition_step, c.caller_number) == ("process_stopped", "13800138000")
        assert kinds  # what the call had journalled before the kill
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "2 worker processes" in out
    assert "exited with -9; starting another" in out
    for pid in second:
        assert (
            not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
        )
