"""Test helpers of the dialer: due jobs, providers that fail or write down what they place,
and a dialer process for the multi-process and kill tests (``python -m``)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import sys
import time
import uuid

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ivr.outbound.calls import OutboundCall, PlacedCall
from ivr.outbound.exceptions import CallRejected, ProviderUnavailable
from models.estate import Community, Resident
from models.outbound import JobPurpose, OutboundJob
from tests import factories

# Wednesday 2 December 2026, 10:00 in Shanghai: inside the default calling hours.
NOW = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)
NUMBER = "+8613800138000"


def community(session: Session, *, always: bool = False, code: str = "SH01") -> Community:
    """A community calling 09:00–20:00, or (``always``) at any time of day."""
    hours = {}
    if always:
        hours = {"calling_from": dt.time(0, 0), "calling_until": dt.time(23, 59, 59)}
    return factories.community(session, code=code, **hours)


def add_jobs(
    session: Session,
    place: Community,
    n: int,
    *,
    now: dt.datetime = NOW,
    resident: Resident | None = None,
    purpose: JobPurpose = JobPurpose.SURVEY,
    campaign_id: int | None = None,
) -> list[int]:
    """``n`` jobs due since a minute before ``now``, committed; their ids."""
    rows = [
        {
            "purpose": purpose,
            "reason": f"test-{k}",
            "community_id": place.id,
            "campaign_id": campaign_id,
            "resident_id": resident.id if resident else None,
            "number": f"+86138{k:08d}",
            "due_from": now - dt.timedelta(hours=1),
            "due_by": now + dt.timedelta(days=2),
            "next_attempt_at": now - dt.timedelta(minutes=1),
            "created_at": now,
            "updated_at": now,
        }
        for k in range(n)
    ]
    ids = list(session.scalars(insert(OutboundJob).returning(OutboundJob.id), rows))
    session.commit()
    return ids


class Refusing:
    """A provider that refuses every call, or (``down``) cannot be asked."""

    def __init__(self, *, down: bool = False) -> None:
        self.down = down
        self.calls: list[OutboundCall] = []

    def place(self, call: OutboundCall) -> PlacedCall:
        self.calls.append(call)
        if self.down:
            raise ProviderUnavailable("Twilio answered 503")
        raise CallRejected("The 'To' number is not a valid phone number.", code=21211, status=400)


class FileProvider:
    """Writes each call's correlation id to an append-only file before answering.

    ``crash``: the chance that the process kills itself (SIGKILL) while placing a call,
    half of them before the call is written down (died between the claim and the
    placing), half after (placed, but never recorded in the database).
    """

    def __init__(self, path: str, *, crash: float = 0.0, rng: random.Random | None = None) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.crash = crash
        self.rng = rng or random.Random()

    def place(self, call: OutboundCall) -> PlacedCall:
        roll = self.rng.random()
        if roll < self.crash / 2:
            os.kill(os.getpid(), signal.SIGKILL)
        os.write(self.fd, f"{call.correlation_id} {os.getpid()}\n".encode())
        if roll < self.crash:
            os.kill(os.getpid(), signal.SIGKILL)
        return PlacedCall(provider_call_id=f"CA{uuid.uuid4().hex}", status="queued")


def main(argv: list[str] | None = None) -> int:
    """One dialer process: rounds until two in a row find nothing to call."""
    from ivr.dialer.services import Dialer
    from ivr.outbound.pacing import Pacer
    from models.db import make_engine, session_factory

    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("log")
    parser.add_argument("--crash", type=float, default=0.0)
    parser.add_argument("--claim-seconds", type=float, default=60.0)
    parser.add_argument("--idle-rounds", type=int, default=2)
    args = parser.parse_args(argv)
    engine = make_engine(args.url)
    dialer = Dialer(
        sessions=session_factory(engine),
        provider=FileProvider(args.log, crash=args.crash),
        pacer=Pacer(100_000.0),
        max_calls=1_000_000,
        claim_seconds=args.claim_seconds,
        call_seconds=3600.0,
    )
    idle = 0
    while idle < args.idle_rounds:
        idle = 0 if dialer.run_once() else idle + 1
        if idle:
            time.sleep(0.05)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
