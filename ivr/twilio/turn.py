"""One webhook of one call: the flow run one step, the record kept, the state stored.

A flow webhook loads the call's flow state, turns the request into the flow's
event, ``flow.handle``\\ s it (answering lookups at once), keeps the record,
stores the new state and answers with TwiML. The call record and the new state
go through :class:`~ivr.twilio.record.WebhookRecord`, written in one transaction
before the answer leaves: if they could not be written, the state travels in the
TwiML's URLs instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from ivr import calls, flow
from ivr.flow.context import ZH
from ivr.flow.policy import BASE_PRIORITY, INQUIRY
from ivr.twilio import twiml
from ivr.twilio.exceptions import CallStateLost, MalformedWebhook
from ivr.twilio.record import CALLS, CallExists, WebhookRecord
from ivr.twilio.store import StoredCall, pack, unpack
from ivr.twilio.webhook import Form, count, flow_event, usable_sid
from models import HotlineNumber
from models.db import Prepared
from models.lookup import cached_e164
from models.phones import caller_e164

if TYPE_CHECKING:
    from ivr.twilio.services import TwilioCalls

log = logging.getLogger(__name__)

PROVIDER = "twilio"
MAX_LOOKUPS_PER_WEBHOOK = 5
# Built once; on SQLite run on the driver's cursor (models.db.Prepared).
_HOTLINE = Prepared(select(HotlineNumber.id).where(HotlineNumber.e164 == bindparam("e164")))
_STORED = Prepared(
    select(CALLS.c.id, CALLS.c.flow_state).where(
        CALLS.c.provider == PROVIDER, CALLS.c.provider_call_id == bindparam("sid")
    )
)


def inquiry() -> flow.Route:
    """Where a call goes when nothing is known about it."""
    return flow.Route(queue=INQUIRY, priority=BASE_PRIORITY[INQUIRY])


@dataclasses.dataclass
class Turn:
    """One webhook of one call: its record, and the flow state as found and as left."""

    calls: TwilioCalls
    sid: str
    links: twiml.Links
    recorder: WebhookRecord
    webhook: str
    stored: StoredCall | None = None
    state: flow.State | None = None
    row_exists: bool = False
    db_out: bool = False
    enqueued: str | None = None  # the queue this webhook put the caller in
    fallback: flow.Route | None = None  # where the fail-safe sends the caller, if known now
    _reader: Connection | None = dataclasses.field(default=None, repr=False)

    def guarded(self, run: Callable[[Turn], str]) -> str:
        """Run the webhook; on any failure of ours, queue the caller all the same."""
        try:
            if not usable_sid(self.sid):
                raise MalformedWebhook(f"unusable CallSid {self.sid[:80]!r}")
            return run(self)
        except Exception:
            log.exception(
                "call %s: %s webhook failed; queueing by the fail-safe", self.sid, self.webhook
            )
            return self.fail_safe()
        finally:
            self.end()

    @contextlib.contextmanager
    def reading(self) -> Iterator[Connection]:
        """The webhook's connection to read with (no transaction): opened at its first
        read, kept to its end; its record is written on it too."""
        if self._reader is None:
            self._reader = self.recorder.held = self.calls.borrow()
        try:
            yield self._reader
        except BaseException:
            self.end()  # a failed connection is not kept
            raise

    def end(self) -> None:
        """Give back what the webhook read with."""
        if self._reader is not None:
            reader, self._reader = self._reader, None
            self.recorder.held = None
            self.calls.give_back(reader)

    def finish(self) -> None:
        """Write what the record still holds (a callback's events)."""
        if usable_sid(self.sid):
            self.recorder.flush()

    # The webhooks that run the flow.

    def incoming(self, form: Form) -> str:
        """A new call: who is calling, the flow's first step.

        Not read first: a call Twilio announces again is found when its row is written
        (:meth:`_reply`), and gets the answer it had.
        """
        caller, dialled = form.get("From", ""), form.get("To", "")
        now = self.calls.clock()
        ctx, community_id = self._context(caller, dialled, form.get("ForwardedFrom", ""), now)
        self.recorder.start(
            write_now=False,  # written with the flow state when the answer leaves
            caller_number=caller[:40],
            caller_e164=cached_e164(caller, self.calls.settings.region),  # parsed by the lookup
            dialled_number=dialled[:40],
            community_id=community_id,
            started_at=now.isoformat(),
        )
        shown = self.perform(flow.start(ctx))
        self.recorder.event(
            "twilio.incoming",
            {
                "forwarded_from": form.get("ForwardedFrom", ""),
                "caller_name": form.get("CallerName", ""),
                "from_country": form.get("FromCountry", ""),
            },
        )
        return self._reply(shown)

    def step(self, form: Form, query: Form) -> str:
        """The caller answered a gather or a recording, or stayed silent."""
        self.load()
        carried = unpack(query["s"]) if query.get("s") else None
        if carried is not None:
            self.state, self.db_out = carried, True
            seq = count(query.get("seq"))
        elif self.stored is not None:
            self.state, seq = self.stored.state, self.stored.seq
            if query.get("seq") != str(seq) or isinstance(self.state, flow.Closed):
                return self._replay(query.get("seq", ""))
        else:
            raise CallStateLost(f"no flow state for call {self.sid}")
        event = flow_event(form, on=query.get("on", ""), empty=bool(query.get("empty")))
        if isinstance(event, flow.Speech) and form.get("Confidence"):
            self.recorder.event("twilio.speech", {"confidence": form.get("Confidence")})
        return self._reply(self.perform(flow.handle(self.state, event)), seq=seq)

    # The pieces.

    def load(self) -> None:
        """Read the call's stored flow state; nothing if the database is out."""
        try:
            with self.reading() as conn:
                rows = _STORED.execute(conn, {"sid": self.sid})
        except SQLAlchemyError as exc:
            log.error("call %s: database unavailable, state not read: %s", self.sid, first(exc))
            self.db_out = True
            return
        if rows:
            ((call_id, flow_state),) = rows  # (provider, provider_call_id) is unique
            self.row_exists = True
            self.recorder.call_id = call_id  # its writes then go straight to the row
            self.stored = stored_call(flow_state, self.sid)

    def _known_call(self) -> str | None:
        """``/voice`` found the call's row there: the answer it had if it had one, else
        this one written into the row (a status callback came first). None: written."""
        self.load()
        if self.stored is not None:
            self.recorder.discard()
            return self._replay("")
        self.recorder.flush()  # to the row load() found; spooled if it fails again
        return None

    def _replay(self, seq: str) -> str:
        """A webhook Twilio sent again (or one for a step gone by): the answer it had."""
        assert self.stored is not None
        if not self.stored.twiml:
            raise CallStateLost(f"call {self.sid}: no answer kept to repeat")
        self.recorder.event("twilio.retried", {"webhook": self.webhook, "seq": seq})
        self.recorder.flush()
        return self.stored.twiml

    def _context(
        self, caller: str, dialled: str, forwarded: str, now: dt.datetime
    ) -> tuple[flow.CallContext, int | None]:
        """Who is calling which community; an unknown caller if the database is out."""
        region = self.calls.settings.region
        if self.db_out:  # each try may cost a connect timeout; Twilio waits 15 s in all
            return calls.unknown_context(self.sid, now), None
        try:
            with self.reading() as conn:
                meant = _dialled(conn, dialled, forwarded, region)
                community = self.calls.communities.find(conn, meant, region)
                ctx = calls.build_context(
                    conn,
                    call_id=self.sid,
                    caller=caller,
                    community=community,
                    region=region,
                    now=now,
                )
                return ctx, community.id if community else None
        except SQLAlchemyError as exc:
            log.error("call %s: database unavailable, caller unknown: %s", self.sid, first(exc))
            self.db_out = True
            return calls.unknown_context(self.sid, now), None

    def perform(self, step: flow.Step) -> list[flow.Action]:
        """Keep the record of a step, answering its lookups at once; what Twilio must do."""
        shown: list[flow.Action] = []
        for _ in range(MAX_LOOKUPS_PER_WEBHOOK + 1):
            self.state = step.state
            asked: flow.Lookup | None = None
            for action in step.actions:
                match action:
                    case flow.LogEvent(kind=kind, data=data):
                        self.recorder.event(kind, data)
                    case flow.Close(disposition=disposition, step=name):
                        self.recorder.close(disposition, name)
                    case flow.Lookup():
                        asked = action
                    case flow.Route():
                        self.keep_route(action)
                        shown.append(action)
                    case flow.Transfer():
                        # The queue that takes the call if the on-call phone is not answered.
                        self.keep_route(flow.fallback_route(step.state), enqueued=False)
                        shown.append(action)
                    case _:
                        shown.append(action)
            if asked is None or isinstance(step.state, flow.Closed):
                return shown
            step = flow.handle(step.state, self._answer(asked))
        raise RuntimeError(f"call {self.sid}: too many lookups in one step")

    def _answer(self, lookup: flow.Lookup) -> flow.LookupResult:
        code = str(lookup.params.get("community", ""))
        if self.db_out:
            return flow.LookupResult(kind=lookup.kind, data={})
        try:
            with self.reading() as conn:
                return calls.answer_lookup(conn, lookup, code)
        except SQLAlchemyError as exc:
            log.error("lookup %s failed, database unavailable: %s", lookup.kind, first(exc))
            self.db_out = True
            return flow.LookupResult(kind=lookup.kind, data={})

    def keep_route(self, route: flow.Route, *, enqueued: bool = True) -> None:
        """The queue and priority on the Call row, for agent dispatch."""
        self.recorder.update(
            queue=route.queue,
            priority=route.priority,
            resident_id=route.resident_id,
            unit_id=route.unit_id,
        )
        if enqueued:
            self.enqueued = route.queue

    def _reply(self, shown: list[flow.Action], seq: int = 0) -> str:
        """The TwiML for the step, with the new state stored (or carried in its URLs)."""
        if self.state is None or not twiml.waits(shown):
            raise RuntimeError(f"call {self.sid}: the flow left Twilio nothing to do")
        seq += 1
        xml = self._render(shown, seq)
        previous = self.stored or StoredCall(state=self.state)
        kept = dataclasses.replace(
            previous, state=self.state, seq=seq, twiml=xml, queue=self.enqueued or previous.queue
        )
        self.recorder.update(flow_state=kept.to_dict())
        try:
            self.recorder.flush()
        except CallExists:
            if (again := self._known_call()) is not None:
                return again
        if self.recorder.spooled and not self.db_out:
            self.db_out = True
            xml = self._render(shown, seq)
        return xml

    def _render(self, shown: list[flow.Action], seq: int) -> str:
        assert self.state is not None
        carry = pack(self.state) if self.db_out or self.recorder.spooled else ""
        links = self.links.at_step(seq, carry)
        prompts = self.calls.prompts
        return twiml.render(
            shown,
            links,
            language=self.state.call.language,
            ring_seconds=self.calls.settings.on_call_ring_seconds,
            recordings=prompts.urls if prompts is not None else None,
            community=self.state.call.ctx.community.code,
        )

    # When our own code fails.

    def fail_safe(self) -> str:
        """Our fault, not the caller's: queue the call anyway and keep its record."""
        state = self.state or (self.stored.state if self.stored else None)
        route = self.fallback or _fallback_route(state)
        step = state.step if isinstance(state, flow.Closed) else state.name if state else "start"
        try:
            language = state.call.language if state is not None else ZH
            xml = twiml.render([route], self.links, language=language)
        except Exception:
            log.exception("call %s: fail-safe TwiML failed; queueing for inquiry", self.sid)
            route, xml = inquiry(), twiml.render([inquiry()], twiml.Links(), language=ZH)
        if usable_sid(self.sid):
            try:
                self._record_fail_safe(state, route, step, xml)
                self.recorder.new_call = False  # a row already there takes the record
                self.recorder.flush()
            except Exception:
                log.exception("call %s: the fail-safe could not keep the record", self.sid)
        return xml

    def _record_fail_safe(
        self, state: flow.State | None, route: flow.Route, step: str, xml: str
    ) -> None:
        """The error, the queue and, so that a repeated webhook gets the same answer, the TwiML."""
        self.recorder.event(
            "call.error", {"webhook": self.webhook, "step": step, "queue": route.queue}
        )
        self.keep_route(route)
        if state is not None:
            closed = flow.Closed(call=state.call, disposition="queued", step=step)
            previous = self.stored or StoredCall(state=closed)
            kept = dataclasses.replace(previous, state=closed, queue=route.queue, twiml=xml)
            self.recorder.update(flow_state=kept.to_dict())
        self.recorder.close("queued", step)  # a disposition the flow gave already stays


def stored_call(flow_state: object, sid: str) -> StoredCall | None:
    """The Twilio call a Call row's ``flow_state`` describes, if any."""
    if not flow_state:
        return None
    try:
        return StoredCall.from_dict(flow_state)  # type: ignore[arg-type]
    except ValueError as exc:
        log.warning("call %s: stored flow state ignored: %s", sid, exc)
        return None


def _dialled(conn: Connection, dialled: str, forwarded: str, region: str) -> str:
    """The hotline number the caller meant: the one that forwarded the call, if it is ours.

    A community's published landline often forwards to the Twilio number;
    Twilio then passes the landline as ``ForwardedFrom`` (when the carrier tells it).
    """
    e164 = caller_e164(forwarded, region) if forwarded else None
    if e164 and _HOTLINE.execute(conn, {"e164": e164}):
        return forwarded
    return dialled


def _fallback_route(state: flow.State | None) -> flow.Route:
    """The flow's fail-safe queue for ``state``; inquiry when even that fails."""
    if state is None:
        return inquiry()
    try:
        return flow.fallback_route(state)
    except Exception:
        log.exception("the flow's fallback route failed; queueing for inquiry")
        return inquiry()


def first(exc: BaseException) -> str:
    """The first line of an error (a driver's error runs to many)."""
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
