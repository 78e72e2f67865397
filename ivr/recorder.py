"""The call record: a Call row and its CallEvents.

A caller must not wait on the database, and a crash must not lose a call. So:

- the Call row is inserted when the call starts (one transaction: the call has
  an id for the channel and the console from its first second);
- each later operation is appended to this process's journal
  (:mod:`ivr.journal`) as it happens (a process crash leaves it on disk), and
  held in memory;
- when the call closes, everything held is written in one transaction and the
  journal told so.

When the database cannot be written, the call's operations move to a file of
their own in the spool directory and :func:`replay_spool` writes it when the
database is back. Calls a process was in the middle of when it died are spooled
by :func:`recover_journals` at start-up (and by ``hotline agi --workers`` when a
worker dies). The caller hears nothing of any of it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, bindparam, case, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hotline.config import Config
from ivr.journal import JOURNAL, Journal, pending_calls
from models import Call, CallEvent, Direction, utcnow
from models.db import Prepared, write_transaction, writers_lock

log = logging.getLogger(__name__)

SessionMaker = Callable[[], Session]


class CallRecorder:
    """One call's record: written at start and at close, journalled in between."""

    def __init__(
        self, *, sessions: SessionMaker, spool_dir: Path, provider: str, provider_call_id: str
    ) -> None:
        self._sessions = sessions
        self._spool_dir = spool_dir
        self.provider = provider
        self.provider_call_id = provider_call_id
        self.call_id: int | None = None
        self._pending: list[dict[str, Any]] = []
        # Time first, so that the spool replays a call's files in the order they were made.
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        self.key = f"{stamp}-{provider}-{_safe(provider_call_id)}-{uuid.uuid4().hex[:8]}"
        self._journal = Journal.of(spool_dir)
        self._spool_file: Path | None = None  # once the database failed this call
        self._ids_only = {"provider": provider, "provider_call_id": provider_call_id}

    @property
    def spooled(self) -> bool:
        """The call's record lives in the spool until replayed."""
        return self._spool_file is not None

    def start(self, *, write_now: bool = True, **fields: Any) -> int | None:
        """Create the Call row; its id, or None while the database is out (or not yet written).

        ``write_now=False`` holds it for the next flush, for an adapter that writes
        once per request anyway (a webhook): one transaction instead of two.
        """
        fields.setdefault("direction", Direction.INBOUND.value)
        fields.setdefault("started_at", utcnow().isoformat())
        op = {"op": "start", **fields}
        if not write_now:
            self._hold(op)
            return None
        self._pending.append(op)  # journalled only if it can't be written
        self._flush()
        return self.call_id

    def update(self, **fields: Any) -> None:
        """Change the Call row's fields (resident, unit, queue, flow state …)."""
        self._hold({"op": "update", **fields})

    def event(self, kind: str, data: dict[str, Any] | None = None) -> None:
        """Add a CallEvent."""
        self._hold({"op": "event", "kind": kind, "data": data or {}, "at": _now()})

    def close(self, disposition: str, step: str | None = None) -> None:
        """End the call with its disposition (and the step it ended in); write it all."""
        self._hold({"op": "close", "disposition": disposition, "step": step, "at": _now()})
        self._flush()

    def flush(self) -> None:
        """Write what is held now (e.g. before a long wait in a queue)."""
        self._flush()

    def _hold(self, op: dict[str, Any]) -> None:
        if self._spool_file is not None:
            _append(self._spool_file, self._ids(op))
        else:
            self._journal.append(self.key, self._ids(op))
        self._pending.append(op)

    def _ids(self, op: dict[str, Any]) -> dict[str, Any]:
        return {**self._ids_only, **op}

    def _flush(self) -> None:
        if self._spool_file is not None or not self._pending:
            return
        try:
            self.call_id = self._store()
        except SQLAlchemyError as exc:
            log.error(
                "call %s: database unavailable, spooling its record: %s",
                self.provider_call_id,
                str(exc).splitlines()[0],
            )
            self._spool()
            return
        self._pending.clear()
        self._journal.written(self.key)

    def _store(self) -> int | None:
        """Write what is held in one transaction; the call's id."""
        engine = _engine_of(self._sessions)
        if engine is not None and (self.call_id is not None or self._pending[0]["op"] == "start"):
            # The common case, without a Session: its set-up costs more than the writes.
            with write_transaction(engine) as conn:
                return _write(conn, self._ids_only, self.call_id, self._pending)
        with self._sessions() as session, writers_lock(session.get_bind().engine):
            call_id = _write(session.connection(), self._ids_only, self.call_id, self._pending)
            if call_id is None:  # started while the database was out: find or make it
                call: Call | None = None
                for op in self._pending:
                    call = _apply(session, self.provider, self.provider_call_id, op, call)
                session.flush()
                call_id = call.id if call else None
            session.commit()
            return call_id

    def _spool(self) -> None:
        """From now on this call's record lives in the spool until replayed.

        Everything not yet written is in memory, in order: it goes to the spool
        file, and later operations follow it there.
        """
        self._spool_dir.mkdir(parents=True, exist_ok=True)
        target = self._spool_dir / f"{self.key}.jsonl"
        _append_all(target, [self._ids(op) for op in self._pending])
        self._journal.written(self.key)
        self._spool_file = target


def _now() -> str:
    return utcnow().isoformat()


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in text)[:60]


def _append(path: Path, op: dict[str, Any]) -> None:
    """One operation as one line of a spool file, written through to the OS at once."""
    _append_all(path, [op])


def _append_all(path: Path, ops: list[dict[str, Any]]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.writelines(json.dumps(op, ensure_ascii=False, default=str) + "\n" for op in ops)


def _engine_of(sessions: SessionMaker) -> Engine | None:
    """The engine a ``sessionmaker`` binds its sessions to (None for another factory)."""
    bind = getattr(sessions, "kw", {}).get("bind")
    return bind if isinstance(bind, Engine) else None


# Built once: a live call's writes, compiled once and run on the driver's cursor
# (models.db.Prepared), cost a fraction of the ORM's unit of work.
_CALLS = cast(Table, Call.__table__)
_EVENTS = cast(Table, CallEvent.__table__)
_INSERT_CALL = Prepared(insert(_CALLS).returning(_CALLS.c.id))
_INSERT_EVENTS = Prepared(insert(_EVENTS))
_UPDATE = update(_CALLS).where(_CALLS.c.id == bindparam("call_id_"))
_UPDATE_CALL = Prepared(_UPDATE)


def _closing(column: str) -> Any:
    """SET ``column`` to the close's value unless the call is closed already."""
    still_open = _CALLS.c.disposition.is_(None)
    value = bindparam(f"close_{column}", type_=_CALLS.c[column].type)
    return case((still_open, value), else_=_CALLS.c[column])


# The fields and the close in one statement: a close never overrides an earlier one.
_UPDATE_AND_CLOSE = Prepared(
    _UPDATE.values(
        disposition=_closing("disposition"),
        disposition_step=_closing("disposition_step"),
        ended_at=_closing("ended_at"),
    )
)


def _write(
    conn: Connection, ids: dict[str, str], call_id: int | None, ops: list[dict[str, Any]]
) -> int | None:
    """Write a live call's operations: at most one INSERT or UPDATE of the call, and its events.

    None when the call has no row yet and the operations do not start it (the
    caller then uses :func:`_apply`).
    """
    fields, rows, start, close = _gather(ops)
    ended = (
        {
            "disposition": close["disposition"],
            "disposition_step": close.get("step"),
            "ended_at": _when(close["at"]),
        }
        if close is not None
        else {}
    )
    if call_id is None:
        if start is None:
            return None
        params = {**ids, **fields, "started_at": _when(start["started_at"]), **ended}
        ((call_id,),) = _INSERT_CALL.execute(conn, params)
    elif ended:
        closing = {f"close_{name}": value for name, value in ended.items()}
        _UPDATE_AND_CLOSE.execute(conn, {"call_id_": call_id, **fields, **closing})
    elif fields:
        _UPDATE_CALL.execute(conn, {"call_id_": call_id, **fields})
    _INSERT_EVENTS.executemany(conn, [{"call_id": call_id, **row} for row in rows])
    return call_id


def _gather(
    ops: list[dict[str, Any]],
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None, dict[str, Any] | None]:
    """The Call fields set, the events added, the start and the close among ``ops``."""
    fields: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    start = close = None
    for op in ops:
        kind = op["op"]
        if kind in ("start", "update"):
            fields.update({k: v for k, v in op.items() if k in _CALL_FIELDS})
            start = op if kind == "start" else start
        elif kind == "event":
            rows.append({"kind": op["kind"], "data": op.get("data") or {}, "at": _when(op["at"])})
        elif kind == "close" and close is None:
            close = op
    if "direction" in fields:
        fields["direction"] = Direction(fields["direction"])
    return fields, rows, start, close


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


_CALL_FIELDS = {
    "direction",
    "caller_number",
    "caller_e164",
    "dialled_number",
    "community_id",
    "resident_id",
    "unit_id",
    "queue",
    "priority",
    "flow_state",
}


def _apply(
    session: Session,
    provider: str,
    provider_call_id: str,
    op: dict[str, Any],
    call: Call | None = None,
) -> Call:
    """Apply one recorded operation to the call (created on first sight)."""
    if call is None:
        call = session.scalars(
            select(Call).where(Call.provider == provider, Call.provider_call_id == provider_call_id)
        ).one_or_none()
    if call is None:
        call = Call(
            provider=provider,
            provider_call_id=provider_call_id,
            direction=Direction(op.get("direction", "inbound")),
        )
        session.add(call)
    kind = op["op"]
    if kind in ("start", "update"):
        for name in _CALL_FIELDS & op.keys():
            value = op[name]
            setattr(call, name, Direction(value) if name == "direction" else value)
        if kind == "start" and "started_at" in op:
            call.started_at = dt.datetime.fromisoformat(op["started_at"])
    elif kind == "event":
        if call.id is None:
            session.flush()
        session.add(
            CallEvent(
                call_id=call.id,
                kind=op["kind"],
                data=op.get("data") or {},
                at=dt.datetime.fromisoformat(op["at"]),
            )
        )
    elif kind == "close" and call.disposition is None:
        call.disposition = op["disposition"]
        call.disposition_step = op.get("step")
        call.ended_at = dt.datetime.fromisoformat(op["at"])
    return call


def spool_dir(config: Config) -> Path:
    """Where call records wait while the database is out (every adapter, one place)."""
    return config.data_dir / "spool" / "calls"


_replay_lock = threading.Lock()


def replay_spool(sessions: SessionMaker, spool_dir: Path) -> int:
    """Write spooled call records to the database; the number of files written.

    Each file goes in one transaction and is deleted after it commits; a file that
    cannot be written yet stays for the next try. Calls still in progress keep
    their journals elsewhere and are not touched.
    """
    if not spool_dir.is_dir():
        return 0
    written = 0
    with _replay_lock:
        for path in sorted(spool_dir.glob("*.jsonl")):
            lines = path.read_text("utf-8").splitlines()
            ops = [json.loads(line) for line in lines if line.strip()]
            try:
                with sessions() as session:
                    calls: dict[tuple[str, str], Call] = {}
                    for op in ops:
                        key = (op.pop("provider"), op.pop("provider_call_id"))
                        calls[key] = _apply(session, *key, op, calls.get(key))
                        session.flush()
                    session.commit()
            except SQLAlchemyError as exc:
                log.warning("spool %s: database still unavailable: %s", path.name, exc)
                break
            path.unlink()
            written += 1
    return written


def recover_journals(spool_dir: Path) -> int:
    """Spool the calls that a process which died mid-call had not stored; how many.

    Journals live in a folder per process id; for a folder whose process is gone,
    each call with operations not yet stored gets a spool file, ended as
    interrupted, to be written by :func:`replay_spool`; then the folder goes.
    """
    moved = 0
    for folder in sorted((spool_dir / JOURNAL).glob("*")):
        if not folder.name.isdigit() or _alive(int(folder.name)):
            continue
        for key, ops in pending_calls(folder).items():
            _append_all(spool_dir / f"{key}.jsonl", [*ops, _interrupted(ops[-1])])
            moved += 1
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    return moved


def _interrupted(last: dict[str, Any]) -> dict[str, Any]:
    """The call's fate: our process stopped during it.

    The dialplan queued the caller (AGISTATUS fallback); a call already closed
    keeps its own disposition (closing twice changes nothing).
    """
    return {
        "provider": last["provider"],
        "provider_call_id": last["provider_call_id"],
        "op": "close",
        "disposition": "interrupted",
        "step": "process_stopped",
        "at": _now(),
    }


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True
