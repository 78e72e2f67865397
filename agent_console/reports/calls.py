"""Call figures for reports, computed in the database (GROUP BY), never row by row.

Which calls count: inbound calls whose start falls in the period, in the
community's calendar (:mod:`.periods`). Each call has one *outcome*:

- ``answered``: an agent took it (disposition ``answered`` or an answer time set);
- ``abandoned``: the caller hung up while waiting in a queue (disposition
  ``abandoned`` at the ``queue`` step);
- ``callback_requested``: the caller chose to be called back and kept their place;
- ``queued``: queued and never finished (a record whose end never arrived);
- otherwise the IVR's own disposition: ``message_left``, ``sent_to_on_call``,
  ``self_served``, ``incident_linked`` (stayed with a declared incident's notice),
  ``abandoned_in_ivr`` (hung up in the menus), ``unknown``.

*Offered* calls are those that reached a queue and had one of the first four outcomes
(as the wallboard counts them). A caller's *wait* runs from joining the queue to being
answered or hanging up:

- Asterisk: from the first ``queue.joined`` event to the answer (``Call.answered_at``,
  else the first ``agent.connected``) or to the give-up (``queue.abandoned``, else
  ``call.hangup``, else the call's end); without a ``queue.joined``, the hold time
  Asterisk reported with ``AgentConnect``/``QueueCallerAbandon``;
- Twilio: the ``QueueTime`` Twilio reported with the queue result (``bridged`` for an
  answered call, ``hangup`` for an abandoned one).

A wait that is not known counts as outside the service-level target.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from agent_console.reports.periods import (
    Periods,
    Window,
    hour_bucket,
    labelled,
    read_hour,
    seconds_between,
    within,
)
from agent_console.wallboard.services import SERVICE_LEVEL_SECONDS, Today
from ivr.dispatch.services import CALLBACK_REQUESTED
from ivr.flow.outcomes import ABANDONED, QUEUED
from ivr.twilio.endings import ANSWERED, QUEUE_STEP
from ivr.twilio.store import BRIDGED
from ivr.twilio.turn import PROVIDER as TWILIO
from models.calls import QUEUE_EVENT_KINDS, Call, CallEvent, Direction

EVENTS_BEFORE = dt.timedelta(hours=1)  # clocks of two machines
EVENTS_AFTER = dt.timedelta(days=1)
NEVER = dt.datetime(
    2000, 1, 1, tzinfo=dt.UTC
)  # the event bounds of no window at all  # the longest a call's events go on after the period
OFFERED = ("answered", "abandoned", "callback_requested", "queued")
OUTCOMES = (
    *OFFERED,
    "message_left",
    "sent_to_on_call",
    "self_served",
    "incident_linked",
    "abandoned_in_ivr",
    "unknown",
)


@dataclasses.dataclass
class Tally(Today):
    """Calls of a period (or a queue, or an hour) and how they ended; ``service_level`` is
    the wallboard's (:func:`agent_console.wallboard.services.service_level`)."""

    wait_total: float = 0.0  # seconds, answered calls with a known wait
    wait_known: int = 0
    by_outcome: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def average_speed_of_answer(self) -> float | None:
        """Mean wait of the answered calls whose wait is known, in seconds."""
        return self.wait_total / self.wait_known if self.wait_known else None

    def add(self, outcome: str, count: int, in_target: int, wait_sum: float, known: int) -> None:
        self.by_outcome[outcome] = self.by_outcome.get(outcome, 0) + count
        if outcome in OFFERED:
            self.offered += count
        if outcome == "answered":
            self.answered += count
            self.answered_in_target += in_target
            self.wait_total += wait_sum
            self.wait_known += known
        elif outcome == "abandoned":
            self.abandoned += count
            self.abandoned_in_target += in_target
        elif outcome == "callback_requested":
            self.callbacks_requested += count
        elif outcome == "queued":
            self.waiting += count


def _outcome(c: Any) -> Any:
    """SQL: the outcome of the call whose columns are ``c``."""
    return case(
        (or_(c.disposition == ANSWERED, c.answered_at.is_not(None)), literal("answered")),
        (and_(c.disposition == ABANDONED, c.disposition_step == QUEUE_STEP), literal("abandoned")),
        (c.disposition == ABANDONED, literal("abandoned_in_ivr")),
        (c.disposition == CALLBACK_REQUESTED, literal("callback_requested")),
        (c.disposition == QUEUED, literal("queued")),
        (c.disposition.in_(OUTCOMES), c.disposition),
        else_=literal("unknown"),
    )


CALL_COLUMNS = (
    "id", "community_id", "provider", "queue", "disposition", "disposition_step",
    "started_at", "ended_at", "answered_at",
)  # fmt: skip


def _calls_with_events(windows: Sequence[Window]) -> Any:
    """Per inbound call of the windows, its columns and the event times and reported waits
    its wait is read from: one join of the calls with their events, grouped by call.

    Only events recorded from the windows' start to a day after their end are read (a call
    lasts minutes): the period's events, not the whole history.
    """
    kind, data = CallEvent.kind, CallEvent.data

    def first(name: str) -> Any:
        return func.min(case((kind == name, CallEvent.at)))

    def reported(condition: Any, key: str) -> Any:
        return func.max(case((condition, data[key].as_float())))

    result = data["result"].as_string()
    columns = [getattr(Call, name) for name in CALL_COLUMNS]
    events = and_(
        CallEvent.call_id == Call.id,
        kind.in_(QUEUE_EVENT_KINDS),  # as the index ix_call_events_report
        CallEvent.at >= min((w.start for w in windows), default=NEVER) - EVENTS_BEFORE,
        CallEvent.at < max((w.end for w in windows), default=NEVER) + EVENTS_AFTER,
    )
    bridged = and_(kind == "call.queue_result", result.in_(sorted(BRIDGED)))
    hung_up = and_(kind == "call.queue_result", result == "hangup")
    return (
        select(
            *columns,
            first("queue.joined").label("joined"),
            first("agent.connected").label("connected"),
            first("queue.abandoned").label("gave_up"),
            first("call.hangup").label("hangup"),
            reported(kind == "agent.connected", "hold_time").label("hold_answered"),
            reported(kind == "queue.abandoned", "hold_time").label("hold_abandoned"),
            reported(bridged, "seconds").label("twilio_answered"),
            reported(hung_up, "seconds").label("twilio_abandoned"),
        )
        .outerjoin(CallEvent, events)
        .where(
            Call.direction == Direction.INBOUND,
            within(Call.community_id, Call.started_at, windows),
        )
        .group_by(Call.id)  # the other columns depend on it: PostgreSQL and SQLite know
        .subquery("e")
    )


def call_rows(windows: Sequence[Window], dialect: str) -> Select[Any]:
    """One row per inbound call of the windows: id, community, queue, outcome, wait, start."""
    e = _calls_with_events(windows)
    outcome = _outcome(e.c)
    answer = func.coalesce(e.c.answered_at, e.c.connected)
    give_up = func.coalesce(e.c.gave_up, e.c.hangup, e.c.ended_at)
    asterisk_answered = case(
        (
            and_(e.c.joined.is_not(None), answer.is_not(None)),
            seconds_between(answer, e.c.joined, dialect),
        ),
        else_=e.c.hold_answered,
    )
    asterisk_abandoned = case(
        (
            and_(e.c.joined.is_not(None), give_up.is_not(None)),
            seconds_between(give_up, e.c.joined, dialect),
        ),
        else_=e.c.hold_abandoned,
    )
    twilio = e.c.provider == TWILIO
    wait = case(
        (and_(outcome == "answered", twilio), e.c.twilio_answered),
        (outcome == "answered", asterisk_answered),
        (and_(outcome == "abandoned", twilio), e.c.twilio_abandoned),
        (outcome == "abandoned", asterisk_abandoned),
    )
    wait = case((wait < 0, 0.0), else_=wait)  # clocks of two machines: never below zero
    return select(
        e.c.id.label("id"),
        e.c.community_id.label("community_id"),
        func.coalesce(e.c.queue, "").label("queue"),
        outcome.label("outcome"),
        wait.label("wait"),
        e.c.started_at.label("started_at"),
    )


@dataclasses.dataclass
class Summary:
    """The calls of one period: all, per queue (``""``: reached no queue), per UTC hour."""

    total: Tally = dataclasses.field(default_factory=Tally)
    by_queue: dict[str, Tally] = dataclasses.field(default_factory=dict)
    by_hour: dict[dt.datetime, Tally] = dataclasses.field(default_factory=dict)


def summarise(session: Session, periods: Periods) -> dict[str, Summary]:
    """Each period's calls, in one statement: the calls of every period are read (and their
    waits computed) once, then counted per (period, queue, outcome) and per (period, UTC hour,
    outcome). Periods must not overlap."""
    dialect = session.get_bind().dialect.name
    windows = [w for found in periods.values() for w in found]
    each = call_rows(windows, dialect).subquery("each")
    label, _ = labelled(each.c.community_id, each.c.started_at, periods)
    rows = select(each, label.label("period")).cte("c")
    target = SERVICE_LEVEL_SECONDS
    in_target = case((and_(rows.c.wait.is_not(None), rows.c.wait <= target), 1), else_=0)
    counts = (
        rows.c.outcome,
        func.count().label("n"),
        func.sum(in_target).label("in_target"),
        func.sum(rows.c.wait).label("wait_sum"),
        func.count(rows.c.wait).label("known"),
    )
    hour = hour_bucket(rows.c.started_at, dialect)
    query = union_all(
        select(literal("queue").label("kind"), rows.c.period, rows.c.queue.label("key"), *counts)
        .group_by(rows.c.period, rows.c.queue, rows.c.outcome),
        select(literal("hour").label("kind"), rows.c.period, hour.label("key"), *counts)
        .group_by(rows.c.period, hour, rows.c.outcome),
    )  # fmt: skip
    found = {name: Summary() for name in periods}
    for row in session.execute(query):
        summary = found[row.period]
        if row.kind == "queue":
            _add([summary.total, summary.by_queue.setdefault(row.key, Tally())], row)
        else:
            _add([summary.by_hour.setdefault(read_hour(row.key), Tally())], row)
    return found


def _add(tallies: list[Tally], row: Any) -> None:
    for t in tallies:
        t.add(row.outcome, row.n, row.in_target or 0, float(row.wait_sum or 0), row.known)


def tally(session: Session, windows: Sequence[Window]) -> tuple[Tally, dict[str, Tally]]:
    """All calls of the windows, and per queue (``""``: calls that reached no queue)."""
    found = summarise(session, {"period": windows})["period"]
    return found.total, found.by_queue


@dataclasses.dataclass(frozen=True)
class ListedCall:
    """One call listed in the morning review (abandoned, or a message left)."""

    id: int
    community_id: int
    started_at: dt.datetime
    queue: str
    number: str  # E.164 or as presented; the pages mask it
    wait: float | None
    resident_id: int | None


def listed(session: Session, windows: Sequence[Window], outcome: str) -> list[ListedCall]:
    """Calls of the windows with ``outcome`` (``abandoned``, ``message_left``), by time."""
    rows = call_rows(windows, session.get_bind().dialect.name).subquery("c")
    query = (
        select(rows, Call.caller_e164, Call.caller_number, Call.resident_id)
        .join(Call, Call.id == rows.c.id)
        .where(rows.c.outcome == outcome)
        .order_by(rows.c.started_at, rows.c.id)
    )
    return [
        ListedCall(
            r.id,
            r.community_id,
            r.started_at,
            r.queue,
            r.caller_e164 or r.caller_number,
            r.wait,
            r.resident_id,
        )
        for r in session.execute(query)
    ]
