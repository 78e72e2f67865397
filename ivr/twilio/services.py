"""The inbound hotline flow run one Twilio webhook at a time: what each webhook does.

The flow decides; this adapter only translates and remembers (:mod:`.turn`).

Fail-safe, as on Asterisk: whatever goes wrong in our code (an exception, the
database out), Twilio still gets a 200 with TwiML that puts the caller in a
queue — the caller's choice if known, emergency staying emergency, otherwise
inquiry — and the call record is kept (spooled by WebhookRecord if need be).
Without that, Twilio would play its "application error" message and hang up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from audio.build import WebPrompts
from ivr import calls
from ivr.flow.context import LANGUAGES, ZH
from ivr.twilio import endings, twiml
from ivr.twilio.record import WebhookRecord
from ivr.twilio.settings import TwilioSettings
from ivr.twilio.turn import PROVIDER, Turn
from ivr.twilio.webhook import Form, count, usable_sid
from models import utcnow
from models.db import in_driver_transaction, process_id, reading

log = logging.getLogger(__name__)

FLOW_WEBHOOKS = frozenset({"voice", "step"})
IDLE = 4  # reading connections kept between webhooks (one per thread that serves them)


@dataclasses.dataclass
class TwilioCalls:
    """Runs the inbound flow for the webhooks of :mod:`ivr.twilio.http`.

    ``readers`` are sessions for reading only (no transaction, no write lock),
    for what is read while the caller waits; ``sessions`` by default.
    """

    sessions: Callable[[], Session]
    settings: TwilioSettings
    readers: Callable[[], Session] | None = None
    clock: Callable[[], dt.datetime] = utcnow
    communities: calls.CommunityDirectory = dataclasses.field(
        default_factory=calls.CommunityDirectory
    )
    _reader: Engine | None = dataclasses.field(default=None, init=False, repr=False)
    _writer: Engine | None = dataclasses.field(default=None, init=False, repr=False)
    _idle: list[tuple[int, Connection]] = dataclasses.field(
        default_factory=list, init=False, repr=False
    )
    prompts: WebPrompts | None = dataclasses.field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.settings.prompts_dir is not None:
            self.prompts = WebPrompts(self.settings.prompts_dir)

    def read(self) -> Session:
        return (self.readers or self.sessions)()

    def reader(self) -> Engine:
        """The engine ``readers`` read with, without transactions (no write lock on SQLite)."""
        if self._reader is None:
            with self.read() as session:
                bound = session.get_bind().engine
            self._reader = reading(bound)
            # Disposing of the engine closes the connections kept here too. Readers are
            # usually the writers' engine with options: its events are the engine's.
            for engine in {bound, self.writer()}:
                event.listen(engine, "engine_disposed", lambda _: self.close_idle())
        return self._reader

    def borrow(self) -> Connection:
        """A reading connection (:meth:`reader`) for one webhook; :meth:`give_back` after.

        The one a webhook gave back last, if any: the pool's checkout and checkin
        (events, reset, bookkeeping) cost more than the lookups of a webhook.
        """
        while self._idle:
            try:
                pid, conn = self._idle.pop()
            except IndexError:  # another thread took the last one
                break
            if pid == process_id():
                return conn
            conn.invalidate()  # made before a fork: the parent's, never used here
        return self.reader().connect()

    def give_back(self, conn: Connection) -> None:
        """A connection :meth:`borrow` gave: kept for the next webhook if it is as it was
        lent (no transaction open, not invalidated), else closed."""
        if conn.closed:
            return
        try:
            if not conn.invalidated:
                if conn.in_transaction():  # SQLAlchemy's own, for reads: no BEGIN was sent
                    conn.rollback()
                idle = not in_driver_transaction(conn.connection.driver_connection)
                if idle and len(self._idle) < IDLE:
                    self._idle.append((process_id(), conn))
                    return
        except SQLAlchemyError:
            log.warning("a reading connection could not be reset; closed", exc_info=True)
        conn.close()

    def close_idle(self) -> None:
        """Close the reading connections kept between webhooks (and their driver
        connections: the pool they came from may be disposed of already)."""
        while self._idle:
            try:
                _, conn = self._idle.pop()
            except IndexError:
                break
            conn.detach()
            conn.close()

    def writer(self) -> Engine:
        """The engine ``sessions`` write with: a webhook's record is written on it directly."""
        if self._writer is None:
            with self.sessions() as session:
                self._writer = session.get_bind().engine
        return self._writer

    def incoming(self, form: Form, links: twiml.Links) -> str:
        """``/voice``: a new call. Twilio may send it twice; the second gets the same answer."""
        return self._turn(form, links, "voice").guarded(lambda turn: turn.incoming(form))

    def step(self, form: Form, query: Form, links: twiml.Links) -> str:
        """``/step``: the caller answered a gather or a recording (or stayed silent)."""
        return self._turn(form, links, "step").guarded(lambda turn: turn.step(form, query))

    def dial_result(self, form: Form, query: Form, links: twiml.Links) -> str:
        """``/dial-result``: the on-call engineer's phone was answered, or not."""
        turn = self._turn(form, links, "dial-result")
        return turn.guarded(lambda turn: endings.dial_result(turn, form, query))

    def queue_result(self, form: Form, query: Form, links: twiml.Links) -> str:
        """``/queue-result``: the caller left the queue (answered, hung up, or Twilio's error)."""
        turn = self._turn(form, links, "queue-result")
        return turn.guarded(lambda turn: endings.queue_result(turn, form, query))

    def waiting(self, form: Form, query: Form) -> str:
        """``/wait``: what a caller in the queue hears, over and over (no database)."""
        language = query.get("lang", "") if query.get("lang", "") in LANGUAGES else ZH
        music = self.settings.hold_music_url
        try:
            position = count(form.get("QueuePosition"))
            minutes = twiml.expected_minutes(
                count(form.get("AvgQueueTime")), count(form.get("QueueTime"))
            )
            return twiml.waiting(
                language, position=position, expected_minutes=minutes, hold_music_url=music
            )
        except Exception:
            log.exception("wait music for queue %r failed; playing music only", query.get("queue"))
            return twiml.waiting(ZH, position=0, expected_minutes=0, hold_music_url=music)

    def status(self, form: Form) -> None:
        """``/status``: the call's status changed; a final status ends it."""
        self._callback(form, "status", lambda turn: endings.status(turn, form))

    def recording(self, form: Form, query: Form) -> int | None:
        """``/recording``: a recording is ready; its URL goes on a CallEvent. The call's id."""
        return self._callback(form, "recording", lambda turn: endings.recording(turn, form, query))

    def _callback(self, form: Form, webhook: str, run: Callable[[Turn], None]) -> int | None:
        """A callback whose answer Twilio ignores: record what can be, log what fails.

        The call's id once recorded, else None."""
        turn = self._turn(form, twiml.Links(), webhook)
        if not usable_sid(turn.sid):
            log.warning("%s callback with an unusable CallSid %r ignored", webhook, turn.sid[:80])
            return None
        try:
            run(turn)
            return turn.recorder.call_id
        except Exception:
            log.exception("call %s: %s callback failed", turn.sid, webhook)
            try:
                turn.finish()
            except Exception:
                log.exception("call %s: %s callback not recorded", turn.sid, webhook)
        finally:
            turn.end()
        return None

    def _turn(self, form: Form, links: twiml.Links, webhook: str) -> Turn:
        sid = form.get("CallSid", "")
        recorder = WebhookRecord(
            engine=self.writer,
            spool_dir=self.settings.spool_dir,
            provider=PROVIDER,
            provider_call_id=sid,
            defer_close=webhook in FLOW_WEBHOOKS,  # they write once, with the new state
            new_call=webhook == "voice",
        )
        return Turn(calls=self, sid=sid, links=links, recorder=recorder, webhook=webhook)
