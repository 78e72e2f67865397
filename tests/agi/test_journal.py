"""The journal of calls in progress: one file per process, read back after a crash."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.journal import JOURNAL, Journal, pending_calls
from ivr.recorder import CallRecorder, recover_journals, replay_spool
from models import Call, CallEvent
from models.db import session_factory


def _lines(folder: Path) -> list[dict]:
    return [
        json.loads(line)
        for path in sorted(folder.glob("*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_given_calls_written_then_nothing_is_pending(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    journal.append("a", {"op": "event", "kind": "ivr.step"})
    journal.append("b", {"op": "event", "kind": "ivr.step"})
    journal.written("a")
    journal.append("a", {"op": "update", "queue": "repair"})
    journal.close()
    pending = pending_calls(tmp_path / "j")
    assert pending == {
        "a": [{"op": "update", "queue": "repair"}],
        "b": [{"op": "event", "kind": "ivr.step"}],
    }


def test_a_call_with_nothing_journalled_writes_no_marker(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j")
    journal.append("a", {"op": "event"})
    journal.written("a")
    journal.written("a")  # twice, and for a call never journalled: nothing more
    journal.written("never")
    journal.close()
    assert [line["op"] for line in _lines(tmp_path / "j")] == ["event", "written"]


def test_segments_no_call_needs_are_deleted_and_the_rest_kept(tmp_path: Path) -> None:
    folder = tmp_path / "j"
    journal = Journal(folder, segment_bytes=200)
    journal.append("slow", {"op": "event", "data": "x" * 200})  # segment 1, still needed
    for n in range(6):
        journal.append(f"quick{n}", {"op": "event", "data": "y" * 200})  # a segment each
        journal.written(f"quick{n}")
    names = sorted(p.name for p in folder.glob("*.jsonl"))
    assert names[0] == "segment-000001.jsonl"  # kept for "slow"
    assert len(names) <= 3  # the quick calls' segments went as soon as rotated out
    journal.written("slow")
    journal.append("next", {"op": "event", "data": "z" * 200})
    assert "segment-000001.jsonl" not in {p.name for p in folder.glob("*.jsonl")}
    journal.close()
    assert list(pending_calls(folder)) == ["next"]


def test_a_torn_last_line_and_the_older_one_file_per_call_layout_are_read(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "j"
    folder.mkdir()
    (folder / "20261123T100000000000-asterisk-1.5-abcd.jsonl").write_text(
        '{"provider": "asterisk", "provider_call_id": "1.5", "op": "event", "kind": "k"}\n'
    )
    (folder / "segment-000001.jsonl").write_text(
        '{"call": "c", "op": "event", "kind": "k"}\n{"call": "c", "op": "upd'
    )
    pending = pending_calls(folder)
    assert pending["20261123T100000000000-asterisk-1.5-abcd"][0]["provider_call_id"] == "1.5"
    assert pending["c"] == [{"op": "event", "kind": "k"}]


_TWO_CALLS_THEN_KILLED = """
import os, sys
from pathlib import Path
from ivr.recorder import CallRecorder
from models.db import make_engine, session_factory
sessions = session_factory(make_engine(sys.argv[1]))
done = CallRecorder(sessions=sessions, spool_dir=Path(sys.argv[2]), provider="asterisk",
                    provider_call_id="done.1")
done.start(caller_number="13800138000")
done.event("ivr.step", {"step": "main_menu"})
done.update(queue="inquiry", priority=10)
done.close("queued", "main_menu")
live = CallRecorder(sessions=sessions, spool_dir=Path(sys.argv[2]), provider="asterisk",
                    provider_call_id="live.1")
live.start(caller_number="13900139000")
live.event("ivr.step", {"step": "main_menu"})
live.event("ivr.menu", {"choice": "2"})
live.update(queue="repair", priority=20)
os._exit(9)  # killed mid-call: no close, no flush
"""


def test_given_a_killed_process_then_only_its_unfinished_call_is_recovered(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    done = subprocess.run(
        [sys.executable, "-c", _TWO_CALLS_THEN_KILLED, db_url, str(spool)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 9, done.stderr
    (folder,) = (spool / JOURNAL).iterdir()
    assert [p.name for p in folder.iterdir()] == ["segment-000001.jsonl"]
    assert recover_journals(spool) == 1
    assert not folder.exists()
    assert replay_spool(session_factory(engine), spool) == 1
    with Session(engine) as s:
        calls = {c.provider_call_id: c for c in s.scalars(select(Call))}
        live_events = s.scalars(
            select(CallEvent.kind)
            .where(CallEvent.call_id == calls["live.1"].id)
            .order_by(CallEvent.id)
        ).all()
        done_events = s.scalars(
            select(CallEvent.kind).where(CallEvent.call_id == calls["done.1"].id)
        ).all()
    assert (calls["done.1"].queue, calls["done.1"].disposition) == ("inquiry", "queued")
    assert done_events == ["ivr.step"]  # written once, not again by the recovery
    live = calls["live.1"]
    assert (live.queue, live.priority, live.disposition, live.disposition_step) == (
        "repair",
        20,
        "interrupted",
        "process_stopped",
    )
    assert live_events == ["ivr.step", "ivr.menu"]


def test_a_close_never_overrides_an_earlier_disposition_but_fields_are_written(
    engine: Engine, tmp_path: Path
) -> None:
    sessions = session_factory(engine)
    rec = CallRecorder(
        sessions=sessions, spool_dir=tmp_path, provider="asterisk", provider_call_id="1.9"
    )
    call_id = rec.start(caller_number="13800138000")
    with Session(engine) as s:
        s.get(Call, call_id).disposition = "answered"
        s.commit()
    rec.update(queue="repair", priority=20)
    rec.close("queued", "main_menu")
    with Session(engine) as s:
        call = s.get(Call, call_id)
        assert (call.queue, call.priority, call.disposition, call.ended_at) == (
            "repair",
            20,
            "answered",
            None,
        )
    assert pending_calls(tmp_path / JOURNAL / str(__import__("os").getpid())) == {}
