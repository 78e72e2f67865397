"""The call record of one Twilio webhook: held in memory, written in one transaction.

A webhook lasts milliseconds and writes once, when its answer leaves. So, unlike
:class:`ivr.recorder.CallRecorder` (which journals every operation of a call that
lasts minutes on one FastAGI connection), :class:`WebhookRecord` keeps the
operations in memory and writes them with prepared Core statements: the Call row
(inserted, or updated with the call's close folded in) and its CallEvents, one
transaction. When that fails, the operations go to the spool in
:class:`~ivr.recorder.CallRecorder`'s format, and :func:`ivr.recorder.replay_spool`
writes them when the database is back; later operations of the webhook follow.

A worker that dies in the middle of a webhook loses that webhook's operations
(Twilio gets no answer either); everything earlier is in the database already.

On SQLite, the gunicorn workers queue for the one writer on a lock file
(:func:`models.db.writers_lock`): SQLite's own busy handler makes a waiting
writer sleep for 1, 2, 5, 10 … ms between tries, so two processes writing 200
times a second would wait for each other's sleeps rather than each other's writes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Table, bindparam, case, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from models import Call, CallEvent, Direction, utcnow
from models.db import Prepared, write_transaction

log = logging.getLogger(__name__)


class CallExists(Exception):
    """The call's row was there already: Twilio sent the webhook that starts it again."""


CALLS = cast(Table, Call.__table__)
EVENTS = cast(Table, CallEvent.__table__)
# What an operation may change on the Call row (as ivr.recorder).
CALL_FIELDS = frozenset(
    {
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
)

# Built once; on SQLite run on the driver's cursor (models.db.Prepared). The Call row's
# other columns come from each execution's parameters.
_INSERT_CALL = Prepared(insert(CALLS).returning(CALLS.c.id))
_INSERT_EVENTS = Prepared(insert(EVENTS))
_FIND_CALL = Prepared(
    select(CALLS.c.id).where(
        CALLS.c.provider == bindparam("provider"),
        CALLS.c.provider_call_id == bindparam("provider_call_id"),
    )
)
_UPDATE = update(CALLS).where(CALLS.c.id == bindparam("call_pk"))
_UPDATE_CALL = Prepared(_UPDATE)
_STILL_OPEN = CALLS.c.disposition.is_(None)
# A disposition already given stays (a status callback may have closed the call first).
_UPDATE_AND_CLOSE = Prepared(
    _UPDATE.values(
        disposition=case(
            (_STILL_OPEN, bindparam("close_disposition", type_=CALLS.c.disposition.type)),
            else_=CALLS.c.disposition,
        ),
        disposition_step=case(
            (_STILL_OPEN, bindparam("close_step", type_=CALLS.c.disposition_step.type)),
            else_=CALLS.c.disposition_step,
        ),
        ended_at=case(
            (_STILL_OPEN, bindparam("close_at", type_=CALLS.c.ended_at.type)),
            else_=CALLS.c.ended_at,
        ),
    )
)


class WebhookRecord:
    """One webhook's share of a call's record: a Call row's changes and new CallEvents.

    :param engine: the engine to write with (a callable: found only when first needed).
    :param defer_close: hold a :meth:`close` for the next :meth:`flush` rather than
        writing it at once (a flow webhook, which flushes before answering anyway).
    :param new_call: the webhook starts the call without reading first (``/voice``): a
        row already there for the call raises :class:`CallExists` rather than being merged.
    """

    def __init__(
        self,
        *,
        engine: Callable[[], Engine],
        spool_dir: Path,
        provider: str,
        provider_call_id: str,
        defer_close: bool = False,
        new_call: bool = False,
    ) -> None:
        self._engine = engine
        self._spool_dir = spool_dir
        self.provider = provider
        self.provider_call_id = provider_call_id
        self.defer_close = defer_close
        self.new_call = new_call
        self.call_id: int | None = None  # the Call row, once known (found or written)
        self.spooled = False
        self._pending: list[dict[str, Any]] = []
        self._spool_file: Path | None = None
        # The connection the webhook reads with, while it holds one: written on too
        # (models.db.write_transaction).
        self.held: Connection | None = None

    def start(self, *, write_now: bool = True, **fields: Any) -> int | None:
        """A new Call row with ``fields``; written now unless ``write_now`` is false."""
        fields.setdefault("direction", Direction.INBOUND.value)
        fields.setdefault("started_at", utcnow().isoformat())
        self._hold({"op": "start", **fields})
        if write_now:
            self.flush()
        return self.call_id

    def update(self, **fields: Any) -> None:
        """Change the Call row's fields (resident, unit, queue, flow state …)."""
        self._hold({"op": "update", **fields})

    def event(self, kind: str, data: dict[str, Any] | None = None) -> None:
        """Add a CallEvent."""
        self._hold({"op": "event", "kind": kind, "data": data or {}, "at": _now()})

    def close(self, disposition: str, step: str | None = None) -> None:
        """End the call with its disposition, unless it has one already."""
        self._hold({"op": "close", "disposition": disposition, "step": step, "at": _now()})
        if not self.defer_close:
            self.flush()

    def flush(self) -> None:
        """Write what is held, in one transaction; spool it if the database is out."""
        if self.spooled or not self._pending:
            return
        try:
            with write_transaction(self._engine(), self.held) as conn:
                call_id = write(conn, self._ids(), self.call_id, self._pending)
        except IntegrityError as exc:
            if self.new_call and self.call_id is None:
                self.new_call = False  # once: what fails again is spooled
                raise CallExists(self.provider_call_id) from exc
            self._failed(exc)
            return
        except SQLAlchemyError as exc:
            self._failed(exc)
            return
        self.call_id = call_id
        self._pending.clear()

    def _failed(self, exc: SQLAlchemyError) -> None:
        log.error(
            "call %s: not written, spooling its record: %s",
            self.provider_call_id,
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
        )
        self._spool()

    def discard(self) -> None:
        """Forget what is held and not yet written (a webhook whose answer is not sent)."""
        self._pending.clear()

    def _ids(self) -> dict[str, str]:
        return {"provider": self.provider, "provider_call_id": self.provider_call_id}

    def _hold(self, op: dict[str, Any]) -> None:
        if self.spooled:
            self._append(op)
        else:
            self._pending.append(op)

    def _spool(self) -> None:
        """From now on this webhook's operations go to a spool file, in order."""
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")  # replayed in the order made
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in self.provider_call_id)
        name = f"{stamp}-{self.provider}-{safe[:60]}-{uuid.uuid4().hex[:8]}.jsonl"
        self._spool_dir.mkdir(parents=True, exist_ok=True)
        self._spool_file = self._spool_dir / name
        self.spooled = True
        for op in self._pending:
            self._append(op)
        self._pending.clear()

    def _append(self, op: dict[str, Any]) -> None:
        assert self._spool_file is not None
        line = json.dumps({**self._ids(), **op}, ensure_ascii=False, default=str)
        with self._spool_file.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")


def write(
    conn: Connection, ids: dict[str, str], call_id: int | None, ops: list[dict[str, Any]]
) -> int:
    """Apply ``ops`` to the call's row (inserted if need be) in the open transaction: its id.

    Without a row id and without a ``start``, the row is looked up by the call's
    provider id, and made if there is none (as :func:`ivr.recorder.replay_spool` would).
    """
    fields: dict[str, Any] = {}
    events: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    close: dict[str, Any] | None = None
    for op in ops:
        kind = op["op"]
        if kind in ("start", "update"):
            fields.update((k, v) for k, v in op.items() if k in CALL_FIELDS)
            start = op if kind == "start" else start
        elif kind == "event":
            events.append({"kind": op["kind"], "data": op.get("data") or {}, "at": _when(op["at"])})
        elif kind == "close":
            close = close or op  # the first close decides, as in the database
    if "direction" in fields:
        fields["direction"] = Direction(fields["direction"])
    if call_id is None and start is None:
        found = _FIND_CALL.execute(conn, ids)
        call_id = found[0][0] if found else None
        if call_id is None:
            start = {"started_at": utcnow().isoformat()}
            fields.setdefault("direction", Direction.INBOUND)
    if call_id is None:
        assert start is not None
        row = {**ids, **fields, "started_at": _when(start["started_at"])}
        if close is not None:
            row |= _closing(close, "disposition", "disposition_step", "ended_at")
        ((call_id,),) = _INSERT_CALL.execute(conn, row)
    elif close is not None:
        closing = _closing(close, "close_disposition", "close_step", "close_at")
        _UPDATE_AND_CLOSE.execute(conn, {"call_pk": call_id, **fields, **closing})
    elif fields:
        _UPDATE_CALL.execute(conn, {"call_pk": call_id, **fields})
    _INSERT_EVENTS.executemany(conn, [{"call_id": call_id, **event} for event in events])
    return int(call_id)


def _closing(close: dict[str, Any], disposition: str, step: str, at: str) -> dict[str, Any]:
    return {disposition: close["disposition"], step: close.get("step"), at: _when(close["at"])}


def _now() -> str:
    return utcnow().isoformat()


def _when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
