"""The call record: a Call row and its CallEvents, written as the call goes.

When the database cannot be written, the rest of the call's record goes to a
spool file instead (one JSON line per operation, flushed to disk at once), and
:func:`replay_spool` writes it to the database when it is back. The caller hears
nothing of it: a database outage never ends a call.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from models import Call, CallEvent, Direction, utcnow

log = logging.getLogger(__name__)

SessionMaker = Callable[[], Session]


class CallRecorder:
    """Writes one call's record to the database, or to the spool while it cannot."""

    def __init__(
        self, *, sessions: SessionMaker, spool_dir: Path, provider: str, provider_call_id: str
    ) -> None:
        self._sessions = sessions
        self._spool_dir = spool_dir
        self.provider = provider
        self.provider_call_id = provider_call_id
        self.call_id: int | None = None
        self._spool: Path | None = None

    @property
    def spooling(self) -> bool:
        return self._spool is not None

    def start(self, **fields: Any) -> int | None:
        """Create the Call row; its id, or None while the database is out."""
        fields.setdefault("direction", Direction.INBOUND.value)
        fields.setdefault("started_at", utcnow().isoformat())
        self._write({"op": "start", **fields})
        return self.call_id

    def update(self, **fields: Any) -> None:
        """Change the Call row's fields (resident, unit, queue, flow state …)."""
        self._write({"op": "update", **fields})

    def event(self, kind: str, data: dict[str, Any] | None = None) -> None:
        """Add a CallEvent."""
        self._write({"op": "event", "kind": kind, "data": data or {}, "at": utcnow().isoformat()})

    def close(self, disposition: str, step: str | None = None) -> None:
        """End the call with its disposition and, when abandoned, the step it ended in."""
        self._write(
            {"op": "close", "disposition": disposition, "step": step, "at": utcnow().isoformat()}
        )

    def _write(self, op: dict[str, Any]) -> None:
        if self._spool is None:
            try:
                with self._sessions() as session:
                    call = _apply(session, self.provider, self.provider_call_id, op)
                    session.commit()
                    self.call_id = call.id
                return
            except SQLAlchemyError as exc:
                log.error(
                    "call %s: database unavailable, spooling the record: %s",
                    self.provider_call_id,
                    str(exc).splitlines()[0],
                )
                name = f"{self.provider}-{_safe(self.provider_call_id)}-{uuid.uuid4().hex[:8]}"
                self._spool = self._spool_dir / f"{name}.jsonl"
                self._spool_dir.mkdir(parents=True, exist_ok=True)
        ids = {"provider": self.provider, "provider_call_id": self.provider_call_id}
        _append(self._spool, {**ids, **op})


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in text)[:60]


def _append(path: Path, op: dict[str, Any]) -> None:
    """One operation as one line, on disk before we go on."""
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(op, ensure_ascii=False, default=str) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


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


def _apply(session: Session, provider: str, provider_call_id: str, op: dict[str, Any]) -> Call:
    """Apply one recorded operation to the call (created on first sight)."""
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
            call.started_at = _when(op["started_at"])
    elif kind == "event":
        session.flush()
        session.add(
            CallEvent(
                call_id=call.id, kind=op["kind"], data=op.get("data") or {}, at=_when(op["at"])
            )
        )
    elif kind == "close":
        call.disposition = op["disposition"]
        call.disposition_step = op.get("step")
        call.ended_at = _when(op["at"])
    session.flush()
    return call


def _when(text: str) -> Any:
    import datetime as dt

    return dt.datetime.fromisoformat(text)


_replay_lock = threading.Lock()


def replay_spool(sessions: SessionMaker, spool_dir: Path) -> int:
    """Write spooled call records to the database; the number of files written.

    Each file goes in one transaction and is deleted after it commits; a file that
    cannot be written yet stays for the next try.
    """
    if not spool_dir.is_dir():
        return 0
    written = 0
    with _replay_lock:
        for path in sorted(spool_dir.glob("*.jsonl")):
            ops = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
            try:
                with sessions() as session:
                    for op in ops:
                        _apply(session, op.pop("provider"), op.pop("provider_call_id"), op)
                    session.commit()
            except SQLAlchemyError as exc:
                log.warning("spool %s: database still unavailable: %s", path.name, exc)
                break
            path.unlink()
            written += 1
    return written
