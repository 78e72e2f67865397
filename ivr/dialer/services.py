"""The dialer: claims due jobs, places their calls at the configured pace, sweeps lost claims.

One round (:meth:`Dialer.run_once`): sweep the claims whose dialer died, claim as many
due jobs as the bound on calls in progress and one second of the rate allow
(committed, see :mod:`ivr.dialer.claims`), then place each claim's call, waiting for
the :class:`~ivr.outbound.pacing.Pacer` before each. After the provider answers:

- accepted: the provider's call id and ``placed_at`` are recorded, and the claim is
  held for the call's length; the call's end arrives by the provider's webhooks or
  events, which hand it to :func:`models.survey_policy.after_attempt`;
- refused (:class:`~ivr.outbound.exceptions.CallRejected`: a bad number, Asterisk's
  ``Response: Error``): the attempt ends ``failed`` through the policy;
- the provider could not be asked (:class:`~ivr.outbound.exceptions.ProviderUnavailable`):
  the call may still have been created (a timeout), so that attempt ends ``failed``
  through the policy like a refused one; the round's other claims, never handed to
  the provider, are released (their attempts deleted) and the dialer pauses for
  ``retry_seconds`` before claiming again.

A dialer killed anywhere leaves at most its claimed, unrecorded attempts behind; the
next round of any dialer sweeps them once their claim has lapsed (never placing them
again). Several dialers share one database; the rate is per dialer process.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import random
import socket
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.bus import Subscription
from ivr.dialer.claims import (
    Claim,
    attempt_id_of,
    claim,
    end_attempt,
    record_placed,
    release,
    sweep_lapsed,
)
from ivr.outbound.calls import MachineDetection, OutboundCall, Provider, Purpose
from ivr.outbound.exceptions import CallRejected, OutboundError
from ivr.outbound.pacing import Pacer
from models import utcnow
from models.escalation import Publish, announce
from models.estate import Community
from models.outbound import (
    AttemptOutcome,
    Campaign,
    CampaignStatus,
    JobPurpose,
    JobStatus,
    OutboundJob,
)
from models.survey_policy import expire_overdue, sample_home_services

log = logging.getLogger(__name__)

ANSWER_PATH = "/twilio/outbound/answer"  # the survey and campaign flows (ivr/twilio)
STATUS_PATH = "/twilio/outbound/status"  # their status callback: the attempt's outcome
PURPOSES = {
    JobPurpose.SURVEY: Purpose.SURVEY,
    JobPurpose.NOTICE: Purpose.NOTICE,
    JobPurpose.FEE_REMINDER: Purpose.FEE_REMINDER,
    JobPurpose.SENIOR_CARE: Purpose.SENIOR_CARE,
    JobPurpose.ON_CALL: Purpose.ON_CALL,
}
MAX_BATCH = 50  # claims per transaction at most, whatever the rate
SWEEP_BATCH = 100  # lapsed claims ended per transaction by the sweep


def dialer_name() -> str:
    """This process's name on its claims: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"[:64]


@dataclasses.dataclass
class Dialer:
    """Places the calls of due outbound jobs through ``provider``.

    :param max_calls: calls in progress at once, counted in the database (all dialers).
    :param claim_seconds: how long a claim holds before the call is placed.
    :param call_seconds: how long a placed call may go without an outcome.
    :param retry_seconds: when a call the provider could not take is tried again.
    """

    sessions: Callable[[], Session]
    provider: Provider
    pacer: Pacer
    name: str = dataclasses.field(default_factory=dialer_name)
    max_calls: int = 10
    claim_seconds: float = 60.0
    call_seconds: float = 1800.0
    retry_seconds: float = 60.0
    sweep_seconds: float = 5.0  # how often this dialer looks for lapsed claims
    machine_detection: MachineDetection = MachineDetection.ENABLE
    clock: Callable[[], dt.datetime] = utcnow
    publish: Publish | None = None  # the bus: an emergency's ladder moving on (oncall.*)

    @property
    def batch(self) -> int:
        """Claims per round: one second of the rate, at least one."""
        return max(1, min(MAX_BATCH, round(1.0 / self.pacer.interval)))

    def __post_init__(self) -> None:
        self.paused_until: dt.datetime | None = None  # the provider was unavailable
        self.swept_at: dt.datetime | None = None
        self.sampled_on: dt.date | None = None  # the day the monthly sample was last checked

    def run_once(self) -> list[Claim]:
        """Sweep (every ``sweep_seconds``), claim, place; the claims of this round."""
        now = self.clock()
        if self.swept_at is None or now - self.swept_at >= dt.timedelta(seconds=self.sweep_seconds):
            self.swept_at = now
            self.sweep()
        if self.paused_until is not None and now < self.paused_until:
            return []
        with self.sessions() as session:
            claims = claim(
                session,
                self.name,
                now=now,
                max_calls=self.max_calls,
                batch=self.batch,
                lease=self.claim_seconds,
            )
            announce(session, self.publish)  # an after-hours emergency's ladder started
        for n, found in enumerate(claims):
            if self.paused_until is not None and self.clock() < self.paused_until:
                self.release(claims[n:])
                break
            self.place(found)
        return claims

    def release(self, claims: list[Claim]) -> None:
        """Give back claims never handed to the provider (see :func:`claims.release`)."""
        for found in claims:
            with self.sessions() as session:
                release(session, found, now=self.clock(), retry=self.retry_seconds)

    def sweep(self) -> list[int]:
        """End the attempts of lapsed claims (see :func:`ivr.dialer.claims.sweep_lapsed`),
        and hand surveys whose deadline passed uncalled to people (a manual callback task:
        the callback rate target is 100%)."""
        ended: list[int] = []
        while True:  # all of them: a dialer killed mid-round leaves a whole batch behind
            with self.sessions() as session:
                swept = sweep_lapsed(session, now=self.clock(), limit=SWEEP_BATCH)
                announce(session, self.publish)
            ended += swept
            if len(swept) < SWEEP_BATCH:
                break
        with self.sessions() as session:
            handed = expire_overdue(session, now=self.clock())
            finish_campaigns(session, now=self.clock())
            session.commit()
        if handed:
            log.info("%d survey(s) past their deadline handed to people", len(handed))
        if self.sampled_on != self.clock().date():
            self.sampled_on = self.clock().date()
            self.sample_last_month()
        return ended

    def sample_last_month(self) -> int:
        """Home services (居家服务): each community's monthly sample of the households served
        last month, in its own time zone; surveys made; nothing new once a month is sampled.

        The draw is seeded by community and month, so dialers racing on one month draw the
        same households; the loser's duplicate insert is rolled back.
        """
        now, made = self.clock(), 0
        with self.sessions() as session:
            communities = list(session.scalars(select(Community)))
        for community in communities:
            first = now.astimezone(ZoneInfo(community.timezone)).date().replace(day=1)
            month = (first - dt.timedelta(days=1)).replace(day=1)
            rng = random.Random(f"{community.code}-{month:%Y-%m}")
            with self.sessions() as session:
                try:
                    jobs = sample_home_services(
                        session, session.merge(community), month, now=now, rng=rng
                    )
                    session.commit()
                except IntegrityError:
                    session.rollback()  # another dialer sampled it at the same moment
                    continue
            made += len(jobs)
        return made

    def call_for(self, found: Claim) -> OutboundCall:
        """What the provider is asked for one claim."""
        return OutboundCall(
            to=found.number,
            purpose=PURPOSES[found.purpose],
            answer_path=ANSWER_PATH,
            status_path=STATUS_PATH,
            correlation_id=found.correlation_id,
            machine_detection=self.machine_detection,
        )

    def place(self, found: Claim) -> bool:
        """Place one claimed attempt, once, at the pace; True when the provider took it."""
        self.pacer.acquire()
        try:
            placed = self.provider.place(self.call_for(found))
        except CallRejected as exc:
            log.warning("attempt %s refused: %s", found.correlation_id, exc)
            self.finish(found.correlation_id, AttemptOutcome.FAILED)
            return False
        except OutboundError as exc:  # maybe placed: never again; the provider rests
            log.warning("attempt %s: provider unavailable: %s", found.correlation_id, exc)
            self.paused_until = self.clock() + dt.timedelta(seconds=self.retry_seconds)
            self.finish(found.correlation_id, AttemptOutcome.FAILED)
            return False
        with self.sessions() as session:
            record_placed(
                session, found, placed.provider_call_id, now=self.clock(), lease=self.call_seconds
            )
        return True

    def finish(self, correlation_id: str, outcome: AttemptOutcome) -> bool:
        """An attempt ended before anyone answered (the provider said so): to the policy."""
        attempt_id = attempt_id_of(correlation_id)
        if attempt_id is None:
            return False
        with self.sessions() as session:
            ended = end_attempt(session, attempt_id, outcome, now=self.clock())
            announce(session, self.publish)
            return ended


def finish_campaigns(session: Session, *, now: dt.datetime) -> int:
    """Running campaigns with nothing left to call become finished; how many."""
    open_jobs = (
        select(OutboundJob.id)
        .where(
            OutboundJob.campaign_id == Campaign.id,
            OutboundJob.status.in_((JobStatus.SCHEDULED, JobStatus.CALLING)),
        )
        .exists()
    )
    done = session.execute(
        update(Campaign)
        .where(Campaign.status == CampaignStatus.RUNNING, ~open_jobs)
        .values(status=CampaignStatus.FINISHED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0) or 0)


class DialerThread(threading.Thread):
    """``Dialer.run_once`` again at once while there is work, else every ``interval`` s, or
    as soon as ``wake`` delivers an event (an emergency's ladder started: ``oncall.started``).
    """

    def __init__(
        self, dialer: Dialer, interval: float = 1.0, *, wake: Subscription | None = None
    ) -> None:
        super().__init__(name="hotline-dialer", daemon=True)
        self.dialer, self.interval = dialer, interval
        self.wake = wake
        self._stop_event = threading.Event()

    def _idle(self) -> None:
        """Wait ``interval`` s, less when woken; the events that woke it all taken."""
        if self.wake is None or self.wake.closed:
            self._stop_event.wait(self.interval)
            return
        if self.wake.get(self.interval) is not None:
            while self.wake.get(0) is not None:
                pass

    def run(self) -> None:
        try:
            while not self._stop_event.is_set():
                busy = False
                try:
                    busy = bool(self.dialer.run_once())
                except Exception:  # a bad round must not stop dialling
                    log.exception("dialer round failed")
                if not busy:
                    self._idle()
        finally:
            close = getattr(self.dialer.provider, "close", None)
            if callable(close):  # the AMI session, Twilio's pooled connections
                close()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the round in progress (at most one second of calls), and wait for it."""
        self._stop_event.set()
        if self.wake is not None:
            self.wake.close()
        if self.ident is not None and self is not threading.current_thread():
            self.join(timeout)
