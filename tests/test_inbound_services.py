"""What adapters ask of the database for an inbound call; spoken values; the spool."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr import calls, flow
from ivr.recorder import CallRecorder, replay_spool
from models import Call, CallEvent, Category, Direction, ResidentRole, Status, create_work_order
from models.db import make_engine, session_factory
from tests import factories

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@pytest.fixture
def two_estates(session: Session) -> dict[str, object]:
    sh01 = factories.community(session, code="SH01", on_call_number="+8613700000000")
    sh02 = factories.community(session, code="SH02", name="翠湖苑", name_en="Jade Lake")
    factories.hotline_number(session, sh01, "+862160000001")
    factories.hotline_number(session, sh02, "+862160000002")
    a = factories.unit(session, sh01, "3", "1502", entrance="2")
    b = factories.unit(session, sh02, "7", "0301")
    owner = factories.resident(
        session,
        "王建国",
        units=[(a, ResidentRole.OWNER), (b, ResidentRole.OWNER)],
        phones=[("+8613800138000", True)],
        senior_care=True,
    )
    session.commit()
    return {"sh01": sh01, "sh02": sh02, "a": a, "b": b, "owner": owner}


@pytest.mark.parametrize(
    ("dialled", "code"),
    [("02160000001", "SH01"), ("+86 21 6000 0002", "SH02"), ("unknown", "SH01"), ("", "SH01")],
)
def test_dialled_number_selects_the_community_or_the_first_one(
    session: Session, two_estates: dict[str, object], dialled: str, code: str
) -> None:
    assert calls.find_community(session, dialled, "CN").code == code


def test_context_holds_only_the_units_of_the_dialled_community(
    session: Session, two_estates: dict[str, object]
) -> None:
    ctx = calls.build_context(
        session,
        call_id="c1",
        caller="138 0013 8000",
        community=two_estates["sh02"],
        region="CN",
        now=NOW,
    )
    assert ctx.known and ctx.community.code == "SH02"
    assert [u.address for u in ctx.units()] == ["7栋0301"]
    assert ctx.residents[0].senior_care
    assert ctx.now == "2026-11-23T10:00:00+08:00"
    assert ctx.on_call_number is None
    assert flow.CallContext.from_json(ctx.to_json()) == ctx


def test_context_lists_open_work_orders_with_overdue_flag(
    session: Session, two_estates: dict[str, object]
) -> None:
    sh01, unit = two_estates["sh01"], two_estates["a"]
    old = create_work_order(
        session,
        community=sh01,
        category=Category.REPAIR,
        unit_id=unit.id,
        now=NOW - dt.timedelta(hours=30),
    )
    new = create_work_order(
        session,
        community=sh01,
        category=Category.REPAIR,
        unit_id=unit.id,
        now=NOW - dt.timedelta(hours=1),
    )
    done = create_work_order(
        session,
        community=sh01,
        category=Category.REPAIR,
        unit_id=unit.id,
        now=NOW - dt.timedelta(hours=2),
    )
    done.status = Status.COMPLETED
    session.commit()
    ctx = calls.build_context(
        session, call_id="c2", caller="13800138000", community=sh01, region="CN", now=NOW
    )
    assert [(w.number, w.overdue) for w in ctx.work_orders] == [
        (new.number, False),
        (old.number, True),
    ]
    assert flow.policy.priority(ctx, "repair") == 20 + 10 + 10  # senior care, overdue


def test_unknown_caller_context_is_unknown(
    session: Session, two_estates: dict[str, object]
) -> None:
    ctx = calls.build_context(
        session,
        call_id="c3",
        caller="anonymous",
        community=two_estates["sh01"],
        region="CN",
        now=NOW,
    )
    assert not ctx.known and ctx.residents == [] and ctx.work_orders == []


@pytest.mark.parametrize(
    ("building", "room", "found"),
    [
        ("3", "1502", "3栋2单元1502"),
        ("03", "1502", "3栋2单元1502"),
        ("3", "21502", "3栋2单元1502"),
        ("3", "9999", None),
        ("8", "1502", None),
    ],
)
def test_unit_typed_on_keypad_is_looked_up_in_the_community(
    session: Session,
    two_estates: dict[str, object],
    building: str,
    room: str,
    found: str | None,
) -> None:
    result = calls.answer_lookup(
        session, flow.Lookup("unit", {"building": building, "room": room}), "SH01"
    )
    assert result.kind == "unit"
    assert result.data.get("address") == found
    assert (result.data["unit_id"] is None) == (found is None)


def test_room_in_two_entrances_needs_the_entrance_digit(session: Session) -> None:
    c = factories.community(session)
    factories.unit(session, c, "5", "0101", entrance="1")
    two = factories.unit(session, c, "5", "0101", entrance="2")
    session.commit()
    ask = lambda room: calls.answer_lookup(  # noqa: E731
        session, flow.Lookup("unit", {"building": "5", "room": room}), "SH01"
    ).data["unit_id"]
    assert ask("0101") is None
    assert ask("20101") == two.id


def test_spooled_record_is_replayed_once_and_in_order(engine: Engine, tmp_path: Path) -> None:
    down = session_factory(
        make_engine("postgresql://nobody@127.0.0.1:1/x", connect_args={"connect_timeout": 1})
    )
    spool = tmp_path / "spool"
    rec = CallRecorder(sessions=down, spool_dir=spool, provider="asterisk", provider_call_id="1.1")
    rec.start(caller_number="13800138000", caller_e164="+8613800138000")
    rec.event("ivr.step", {"step": "main_menu"})
    rec.update(queue="repair", priority=20)
    rec.close("queued", "main_menu")
    assert rec.spooled and rec.call_id is None
    sessions = session_factory(engine)
    assert replay_spool(sessions, spool) == 1
    assert replay_spool(sessions, spool) == 0
    with Session(engine) as s:
        call = s.scalars(select(Call)).one()
        kinds = s.scalars(select(CallEvent.kind).where(CallEvent.call_id == call.id)).all()
    assert (call.queue, call.priority, call.disposition) == ("repair", 20, "queued")
    assert kinds == ["ivr.step"]


def test_record_started_in_database_then_spooled_is_completed_by_replay(
    engine: Engine, tmp_path: Path
) -> None:
    sessions = session_factory(engine)
    rec = CallRecorder(
        sessions=sessions, spool_dir=tmp_path, provider="twilio", provider_call_id="CA1"
    )
    call_id = rec.start(caller_number="+8613800138000")
    assert call_id is not None
    rec._sessions = session_factory(
        make_engine("postgresql://nobody@127.0.0.1:1/x", connect_args={"connect_timeout": 1})
    )
    rec.close("abandoned", "main_menu")
    assert replay_spool(sessions, tmp_path) == 1
    with Session(engine) as s:
        call = s.get(Call, call_id)
        assert (call.disposition, call.disposition_step) == ("abandoned", "main_menu")


_CRASHING_CALL = """
import os, sys
from pathlib import Path
from ivr.recorder import CallRecorder
from models.db import make_engine, session_factory
rec = CallRecorder(sessions=session_factory(make_engine(sys.argv[1])), spool_dir=Path(sys.argv[2]),
                   provider="asterisk", provider_call_id="crash.1")
rec.start(caller_number="13800138000")
rec.event("ivr.step", {"step": "main_menu"})
rec.update(queue="repair", priority=20)
os._exit(9)  # killed mid-call: no close, no flush
"""


def test_given_process_killed_mid_call_then_its_journal_is_recovered_and_written(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from ivr.recorder import recover_journals

    spool = tmp_path / "spool"
    done = subprocess.run(
        [sys.executable, "-c", _CRASHING_CALL, db_url, str(spool)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 9, done.stderr
    with Session(engine) as s:  # the call exists from its first second
        assert s.scalars(select(Call)).one().disposition is None
    assert recover_journals(spool) == 1
    assert replay_spool(session_factory(engine), spool) == 1
    with Session(engine) as s:
        call = s.scalars(select(Call)).one()
        kinds = s.scalars(select(CallEvent.kind).where(CallEvent.call_id == call.id)).all()
    assert (call.queue, call.disposition, call.disposition_step) == (
        "repair",
        "interrupted",
        "process_stopped",
    )
    assert kinds == ["ivr.step"]


def test_journals_of_live_processes_are_left_alone(tmp_path: Path) -> None:
    import os

    from ivr.recorder import JOURNAL, recover_journals

    mine = tmp_path / JOURNAL / str(os.getpid())
    mine.mkdir(parents=True)
    (mine / "asterisk-live.jsonl").write_text('{"provider": "asterisk"}\n')
    assert recover_journals(tmp_path) == 0
    assert (mine / "asterisk-live.jsonl").exists()


def test_prepared_statements_convert_values_as_core_does(engine: Engine) -> None:
    """models.db.Prepared: the driver's cursor on SQLite, Core elsewhere; the same values."""
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from models.db import Prepared

    calls_t, events_t = Call.__table__, CallEvent.__table__
    started = dt.datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    new_call = Prepared(insert(calls_t).returning(calls_t.c.id))
    with engine.begin() as conn:
        ((call_id,),) = new_call.execute(
            conn,
            {
                "provider": "asterisk",
                "provider_call_id": "p.1",
                "direction": Direction.INBOUND,
                "started_at": started,
            },
        )
        Prepared(insert(events_t)).executemany(
            conn,
            [{"call_id": call_id, "kind": "ivr.step", "data": {"步": [1, True]}, "at": started}],
        )
    with Session(engine) as s:
        call = s.get(Call, call_id)
        event = s.scalars(select(CallEvent)).one()
        assert (call.started_at, call.priority, call.dialled_number) == (started, 0, "")
        assert call.started_at.tzinfo is not None and call.direction is Direction.INBOUND
        assert (event.data, event.at, event.note) == ({"步": [1, True]}, started, "")
    read = Prepared(
        select(calls_t.c.started_at, calls_t.c.direction).where(calls_t.c.id == call_id)
    )
    with engine.connect() as conn:
        assert read.execute(conn) == [tuple(conn.execute(read.statement).one())]
        with pytest.raises(IntegrityError):  # a driver error comes out as SQLAlchemy's
            new_call.execute(
                conn,
                {"provider": "asterisk", "provider_call_id": "p.1", "direction": "inbound"},
            )


def test_a_write_transaction_runs_on_the_connection_held_for_reading(engine: Engine) -> None:
    """models.db.write_transaction: on SQLite, on the connection a webhook reads with (one
    checkout, its page cache kept); elsewhere on its own. Committed, or rolled back whole."""
    from sqlalchemy import func, insert
    from sqlalchemy.exc import IntegrityError

    from models.db import Prepared, reading, write_transaction

    calls_t = Call.__table__
    new_call = Prepared(insert(calls_t))
    sids = Prepared(select(calls_t.c.provider_call_id).order_by(calls_t.c.id))
    started = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)

    def row(sid: str) -> dict[str, object]:
        return {"provider": "twilio", "provider_call_id": sid, "started_at": started}

    def written() -> int:
        with Session(engine) as s:  # another connection: only what was committed
            return s.scalar(select(func.count()).select_from(calls_t)) or 0

    with reading(engine).connect() as held:
        with write_transaction(engine, held) as conn:
            assert (conn is held) is (engine.dialect.name == "sqlite")
            new_call.execute(conn, row("CA1") | {"direction": Direction.INBOUND})
        assert written() == 1
        with pytest.raises(RuntimeError), write_transaction(engine, held) as conn:
            new_call.execute(conn, row("CA2") | {"direction": Direction.INBOUND})
            raise RuntimeError("the webhook failed after its first write")
        with pytest.raises(IntegrityError), write_transaction(engine, held) as conn:
            new_call.execute(conn, row("CA3") | {"direction": Direction.INBOUND})
            new_call.execute(conn, row("CA1") | {"direction": Direction.INBOUND})  # twice
        assert written() == 1  # neither CA2 nor CA3
        assert sids.execute(held) == [("CA1",)]  # the held connection reads on, no transaction
        if engine.dialect.name == "sqlite":
            assert not held.connection.driver_connection.in_transaction  # type: ignore[union-attr]
    with write_transaction(engine) as conn:  # none held: a connection of its own
        new_call.execute(conn, row("CA4") | {"direction": Direction.INBOUND})
    assert written() == 2


def test_writers_of_two_processes_queue_on_the_lock_file_even_after_a_fork(
    tmp_path: Path,
) -> None:
    """models.db.writers_lock: a process forked while this one writes (gunicorn's workers
    are) opens the lock file and makes its thread lock anew, and waits for the write."""
    import multiprocessing

    from models.db import writers_lock

    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    fork = multiprocessing.get_context("fork")
    taken = fork.Event()

    def write_in_child() -> None:
        with writers_lock(engine):  # the engine as forked: its locks are this process's own
            taken.set()

    child = fork.Process(target=write_in_child)
    try:
        with writers_lock(engine):
            child.start()
            assert not taken.wait(0.5)  # queued behind this process's write
        assert taken.wait(20)
        child.join(20)
        assert child.exitcode == 0
        with writers_lock(engine):  # and this process's own lock was given back
            pass
    finally:
        if child.is_alive():
            child.kill()
        engine.dispose()


def test_wal_is_checkpointed_by_a_thread_not_by_commits(tmp_path: Path) -> None:
    import time

    from sqlalchemy import text

    from models.db import checkpoint_in_background

    engine = make_engine(f"sqlite:///{tmp_path / 'ck.db'}")
    checkpoint_in_background(engine, interval=0.2)
    with engine.begin() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)"))
    for _ in range(300):  # some 1,200 pages: past the point where a commit would checkpoint
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t (b) VALUES (:b)"), {"b": b"x" * 16000})
    database = tmp_path / "ck.db"
    deadline = time.monotonic() + 10
    while database.stat().st_size < 300 * 16000 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert database.stat().st_size >= 300 * 16000  # the pages reached the database file
    engine.dispose()


def test_under_steady_writes_the_background_checkpoint_starts_the_wal_over(
    tmp_path: Path,
) -> None:
    """Writers that never pause: the WAL still starts over (its header's checkpoint
    sequence number moves on) rather than growing with every write."""
    import struct
    import threading
    import time

    from sqlalchemy import text

    from models.db import checkpoint_in_background, write_transaction

    database = tmp_path / "busy.db"
    engine = make_engine(f"sqlite:///{database}")
    checkpoint_in_background(engine, interval=0.1, restart_frames=50)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)"))
    wal = database.with_name("busy.db-wal")

    def restarts() -> int:
        with wal.open("rb") as header:
            return int(struct.unpack(">12xI", header.read(16))[0])  # checkpoint sequence

    first, writes, until = restarts(), [0, 0], time.monotonic() + 2.0

    def write(k: int) -> None:
        while time.monotonic() < until:
            with write_transaction(engine) as conn:
                conn.execute(text("INSERT INTO t (b) VALUES (:b)"), {"b": b"x" * 6000})
            writes[k] += 1

    writers = [threading.Thread(target=write, args=(k,)) for k in range(2)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    assert restarts() >= first + 2, f"the WAL never started over in {sum(writes)} writes"
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == sum(writes)
    engine.dispose()
