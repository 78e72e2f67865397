"""The call record: a Call row and its CallEvents.

A caller must not wait on the database, and a crash must not lose a call. So:

- the Call row is inserted when the call starts (one transaction: the call has
  an id for the channel and the console from its first second);
- each later operation is appended to the call's journal file as it happens
  (a process crash leaves it on disk), and held in memory;
- when the call closes, everything held is written in one transaction and the
  journal deleted.

When the database cannot be written, the journal moves to the spool directory
and :func:`replay_spool` writes it when the database is back. Journals left by a
process that died mid-call are spooled by :func:`recover_journals` at start-up.
The caller hears nothing of any of it.
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

from sqlalchemy import Table, insert, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hotline.config import Config
from models import Call, CallEvent, Direction, utcnow
from models.db import write_lock

log = logging.getLogger(__name__)

SessionMaker = Callable[[], Session]
JOURNAL = "journal"  # under the spool directory: calls in progress


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
        name = f"{stamp}-{provider}-{_safe(provider_call_id)}-{uuid.uuid4().hex[:8]}.jsonl"
        self._journal = spool_dir / JOURNAL / str(os.getpid()) / name
        self.spooled = False
        self._journal_ready = False

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
        self._journal_append(op)
        self._pending.append(op)

    def _journal_append(self, op: dict[str, Any]) -> None:
        if not self._journal_ready:
            self._journal.parent.mkdir(parents=True, exist_ok=True)
            self._journal_ready = True
        _append(self._journal, self._ids(op))

    def _ids(self, op: dict[str, Any]) -> dict[str, Any]:
        return {"provider": self.provider, "provider_call_id": self.provider_call_id, **op}

    def _flush(self) -> None:
        if self.spooled or not self._pending:
            return
        try:
            with self._sessions() as session, write_lock(session.get_bind().engine):
                call_id = _write(session, self._ids({}), self.call_id, self._pending)
                if call_id is None:  # started while the database was out: find or make it
                    call: Call | None = None
                    for op in self._pending:
                        call = _apply(session, self.provider, self.provider_call_id, op, call)
                    session.flush()
                    call_id = call.id if call else None
                session.commit()
                self.call_id = call_id
        except SQLAlchemyError as exc:
            log.error(
                "call %s: database unavailable, spooling its record: %s",
                self.provider_call_id,
                str(exc).splitlines()[0],
            )
            self._spool()
            return
        self._pending.clear()
        self._journal.unlink(missing_ok=True)

    def _spool(self) -> None:
        """From now on this call's record lives in the spool until replayed.

        Everything not yet written is in memory, in order: it goes to the spool
        file, and later operations follow it there.
        """
        self._spool_dir.mkdir(parents=True, exist_ok=True)
        target = self._spool_dir / self._journal.name
        for op in self._pending:
            _append(target, self._ids(op))
        self._journal.unlink(missing_ok=True)
        self._journal = target
        self.spooled = True


def _now() -> str:
    return utcnow().isoformat()


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in text)[:60]


def _append(path: Path, op: dict[str, Any]) -> None:
    """One operation as one line. Written through to the OS at once, so a crash of
    this process loses none (``fsync`` would also survive a power cut, at a cost
    per operation a caller would hear)."""
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(op, ensure_ascii=False, default=str) + "\n")


def _write(
    session: Session, ids: dict[str, str], call_id: int | None, ops: list[dict[str, Any]]
) -> int | None:
    """Write a live call's operations with plain INSERT/UPDATE statements.

    The ORM's unit of work costs more than the statements themselves, and this
    runs twice per call while Asterisk waits. None when the call has no row yet
    and the operations do not start it (the caller then uses :func:`_apply`).
    """
    calls, events = cast(Table, Call.__table__), cast(Table, CallEvent.__table__)
    fields: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    close: dict[str, Any] | None = None
    start: dict[str, Any] | None = None
    for op in ops:
        if op["op"] in ("start", "update"):
            fields.update({k: v for k, v in op.items() if k in _CALL_FIELDS})
            start = op if op["op"] == "start" else start
        elif op["op"] == "event":
            rows.append({"kind": op["kind"], "data": op.get("data") or {}, "at": _when(op["at"])})
        elif op["op"] == "close":
            close = op
    if "direction" in fields:
        fields["direction"] = Direction(fields["direction"])
    if call_id is None:
        if start is None:
            return None
        call_id = session.execute(
            insert(calls)
            .values(**ids, started_at=_when(start["started_at"]), **fields)
            .returning(calls.c.id)
        ).scalar_one()
    elif fields:
        session.execute(update(calls).where(calls.c.id == call_id).values(**fields))
    if rows:
        session.execute(insert(events), [{"call_id": call_id, **row} for row in rows])
    if close is not None:
        session.execute(
            update(calls)
            .where(calls.c.id == call_id, calls.c.disposition.is_(None))
            .values(
                disposition=close["disposition"],
                disposition_step=close.get("step"),
                ended_at=_when(close["at"]),
            )
        )
    return call_id


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
    """Spool the journals of calls whose process died mid-call; how many were found.

    Journals live in a folder per process id; a folder whose process is gone is
    moved to the spool, to be written by :func:`replay_spool`.
    """
    moved = 0
    for folder in (spool_dir / JOURNAL).glob("*"):
        if not folder.name.isdigit() or _alive(int(folder.name)):
            continue
        for path in folder.glob("*.jsonl"):
            _close_interrupted(path)
            os.replace(path, spool_dir / path.name)
            moved += 1
        folder.rmdir()
    return moved


def _close_interrupted(path: Path) -> None:
    """End the journal with the call's fate: our process stopped during it.

    The dialplan queued the caller (AGISTATUS fallback); a call already closed
    keeps its own disposition (closing twice changes nothing).
    """
    lines = [line for line in path.read_text("utf-8").splitlines() if line.strip()]
    if not lines:
        return
    last = json.loads(lines[-1])
    ids = {"provider": last["provider"], "provider_call_id": last["provider_call_id"]}
    _append(
        path,
        {
            **ids,
            "op": "close",
            "disposition": "interrupted",
            "step": "process_stopped",
            "at": _now(),
        },
    )


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
