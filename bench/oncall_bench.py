"""On-call escalation: emergency work order created → first on-call call placed, and the
lateness of every ladder step with many emergencies at once.

A benchmark, not a test. A fresh, migrated database gets one community with a plumbing
rota (the person on call, a backup, the supervisor: 2 tries each, ``--retry`` seconds
apart). The real dialer thread runs (:class:`ivr.dialer.services.DialerThread`, its
1 s poll, woken by the bus's ``oncall.started`` as ``hotline serve`` wires it) with a
provider that notes when each call is placed and reports it unanswered ``--ring``
seconds later (the dialer's ``finish``, as Twilio's status callback or AMI's
OriginateResponse would), so every ladder runs to its end.

1. Latency: ``--orders`` emergencies opened one after another (``open_work_order``,
   committed, ``oncall.started`` published as the console does), each timed from its
   commit to its first call being handed to the provider: p50, p95 (goal < 2 s), max.
2. Burst: ``--burst`` emergencies opened at once from as many threads; every call of
   every ladder (6 per ladder) is timed against the moment it was due — the order's
   creation for the first, the previous call's end plus the interval for a retry, the
   previous person's last call's end for the next person: p50, p95, max lateness
   (goal: none later than 5 s), and how long the whole burst took.

Usage::

    .venv/bin/python bench/oncall_bench.py                        # SQLite
    .venv/bin/python bench/oncall_bench.py --backend postgresql   # HOTLINE_TEST_PG_URL's database

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dialer_bench import database, percentile  # noqa: E402
from sqlalchemy import Engine, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from hotline.bus import InProcessBus  # noqa: E402
from ivr.dialer.services import Dialer, DialerThread  # noqa: E402
from ivr.outbound.calls import OutboundCall, PlacedCall  # noqa: E402
from ivr.outbound.pacing import Pacer  # noqa: E402
from models import Community, ResidentRole, Team, Technician, utcnow  # noqa: E402
from models.db import session_factory  # noqa: E402
from models.escalation import announce  # noqa: E402
from models.estate import Building, Occupancy, PhoneNumber, Resident, Unit  # noqa: E402
from models.oncall import Escalation, OnCallRotation, OnCallShift, OnCallStep  # noqa: E402
from models.outbound import AttemptOutcome, JobPurpose, OutboundAttempt, OutboundJob  # noqa: E402
from models.work_order_flow import OrderDetails, open_work_order  # noqa: E402
from models.work_orders import Category  # noqa: E402

CALLS_PER_LADDER = 6  # first ×2, backup ×2, supervisor ×2


class Unanswered:
    """A provider that notes each call and reports it unanswered ``ring`` seconds later."""

    def __init__(self, ring: float) -> None:
        self.ring = ring
        self.dialer: Dialer | None = None
        self.placed: dict[str, float] = {}  # correlation id → when placed (monotonic)
        self._lock = threading.Lock()

    def place(self, call: OutboundCall) -> PlacedCall:
        with self._lock:
            self.placed[call.correlation_id] = time.monotonic()
        timer = threading.Timer(self.ring, self._no_answer, (call.correlation_id,))
        timer.daemon = True
        timer.start()
        return PlacedCall(provider_call_id=f"CA{uuid.uuid4().hex}", status="queued")

    def _no_answer(self, correlation_id: str) -> None:
        assert self.dialer is not None
        self.dialer.finish(correlation_id, AttemptOutcome.NO_ANSWER)


def estate(engine: Engine, units: int, retry: int) -> tuple[int, list[int]]:
    """One community, ``units`` units each with a resident, and a plumbing rota now."""
    now = utcnow()
    with Session(engine) as s:
        c = Community(code="BN01", name="基准花园", name_en="Bench Garden")
        s.add(c)
        s.flush()
        building = Building(community_id=c.id, name="1")
        s.add(building)
        s.flush()
        unit_ids = []
        for k in range(units):
            unit = Unit(building_id=building.id, entrance="", room=f"{101 + k}")
            person = Resident(name=f"住户{k}")
            s.add_all([unit, person])
            s.flush()
            s.add(Occupancy(resident_id=person.id, unit_id=unit.id, role=ResidentRole.OWNER))
            s.add(PhoneNumber(resident_id=person.id, e164=f"+86138{k:08d}", is_primary=True))
            unit_ids.append(unit.id)
        team = Team(community_id=c.id, name="工程部", trade="plumbing")
        s.add(team)
        s.flush()
        people = [Technician(team_id=team.id, name=n, phone=p) for n, p in
                  (("李师傅", "+8613900000001"), ("张师傅", "+8613900000002"))]  # fmt: skip
        rotation = OnCallRotation(community_id=c.id, trade="plumbing", retry_seconds=retry,
                                  tries_per_person=2, supervisor_name="陈主管",
                                  supervisor_phone="+8613900000009")  # fmt: skip
        s.add_all([*people, rotation])
        s.flush()
        shift = OnCallShift(rotation_id=rotation.id, starts_at=now - dt.timedelta(hours=1),
                            ends_at=now + dt.timedelta(hours=6))  # fmt: skip
        s.add(shift)
        s.flush()
        s.add_all(OnCallStep(shift_id=shift.id, position=n + 1, technician_id=t.id)
                  for n, t in enumerate(people))  # fmt: skip
        s.commit()
        return c.id, unit_ids


def open_emergency(engine: Engine, bus: InProcessBus, community_id: int, unit_id: int) -> int:
    """An emergency opened as the console opens it; its escalation's id."""
    with session_factory(engine)() as s:
        details = OrderDetails(Category.EMERGENCY, "burst_pipe", "水管爆裂", unit_id=unit_id)
        order = open_work_order(s, s.get_one(Community, community_id), details, agent_id=None)
        s.commit()
        escalation_id = s.scalars(
            select(Escalation.id).where(Escalation.work_order_id == order.id)
        ).one()
        announce(s, bus.publish)
        return escalation_id


def first_call_latency(
    engine: Engine, bus: InProcessBus, watch: Unanswered, community_id: int, units: list[int]
) -> list[float]:
    """Seconds from each emergency's commit to its first call, one emergency at a time."""
    latencies = []
    for unit_id in units:
        created = time.monotonic()
        escalation_id = open_emergency(engine, bus, community_id, unit_id)
        correlation = first_attempt(engine, escalation_id, timeout=10.0)
        deadline = time.monotonic() + 10.0
        while correlation not in watch.placed and time.monotonic() < deadline:
            time.sleep(0.002)
        latencies.append(watch.placed.get(correlation, deadline) - created)
        time.sleep(0.2)  # the next emergency comes a moment later, not in the same round
    return latencies


def first_attempt(engine: Engine, escalation_id: int, timeout: float) -> str:
    """The correlation id of the escalation's first attempt, once claimed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with Session(engine) as s:
            found = s.scalar(
                select(OutboundAttempt.id)
                .join(OutboundJob, OutboundJob.id == OutboundAttempt.job_id)
                .join(Escalation, Escalation.work_order_id == OutboundJob.work_order_id)
                .where(Escalation.id == escalation_id, OutboundJob.purpose == JobPurpose.ON_CALL)
                .order_by(OutboundAttempt.id)
                .limit(1)
            )
        if found is not None:
            return f"attempt-{found}"
        time.sleep(0.002)
    return ""


def burst(
    engine: Engine, bus: InProcessBus, community_id: int, units: list[int], retry: int
) -> dict[str, Any]:
    """``len(units)`` emergencies at once; the lateness of every call of every ladder."""
    started = utcnow()
    threads = [
        threading.Thread(target=open_emergency, args=(engine, bus, community_id, u)) for u in units
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    expected = len(units) * CALLS_PER_LADDER
    deadline = time.monotonic() + 6 * retry + 120
    while time.monotonic() < deadline and ended_calls(engine, started) < expected:
        time.sleep(0.5)
    late = lateness(engine, started, retry)
    return {
        "emergencies": len(units),
        "calls_expected": expected,
        "calls_ended": ended_calls(engine, started),
        "step_late_p50_s": round(percentile(late, 0.5), 3),
        "step_late_p95_s": round(percentile(late, 0.95), 3),
        "step_late_max_s": round(max(late), 3) if late else None,
        "steps_late_over_5s": sum(1 for x in late if x > 5.0),
        "burst_seconds": round((utcnow() - started).total_seconds(), 1),
    }


def ended_calls(engine: Engine, since: dt.datetime) -> int:
    with Session(engine) as s:
        return len(
            s.scalars(
                select(OutboundAttempt.id).where(
                    OutboundAttempt.created_at >= since,
                    OutboundAttempt.outcome != AttemptOutcome.PLACED,
                )
            ).all()
        )


def lateness(engine: Engine, since: dt.datetime, retry: int) -> list[float]:
    """Seconds each call was placed after it was due, every ladder of the burst."""
    late: list[float] = []
    with Session(engine) as s:
        rows = s.execute(
            select(Escalation.created_at, OutboundJob.id, OutboundAttempt)
            .join(OutboundJob, OutboundJob.work_order_id == Escalation.work_order_id)
            .join(OutboundAttempt, OutboundAttempt.job_id == OutboundJob.id)
            .where(Escalation.created_at >= since, OutboundJob.purpose == JobPurpose.ON_CALL)
            .order_by(Escalation.id, OutboundAttempt.created_at, OutboundAttempt.id)
        ).all()
    previous: dict[dt.datetime, tuple[int, OutboundAttempt]] = {}
    for created, job_id, attempt in rows:
        before = previous.get(created)
        if before is None:
            due = created
        elif before[0] == job_id:  # the same person again, after the interval
            due = (before[1].ended_at or created) + dt.timedelta(seconds=retry)
        else:  # the next person, at once
            due = before[1].ended_at or created
        if attempt.placed_at is not None:
            late.append(max(0.0, (attempt.placed_at - due).total_seconds()))
        previous[created] = (job_id, attempt)
    return late


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--orders", type=int, default=40, help="emergencies timed one by one")
    parser.add_argument("--burst", type=int, default=50, help="emergencies at once")
    parser.add_argument("--retry", type=int, default=10, help="seconds between tries")
    parser.add_argument("--ring", type=float, default=0.5, help="seconds a call rings")
    parser.add_argument("--rate", type=float, default=20.0, help="calls placed per second")
    args = parser.parse_args()
    figures: dict[str, Any] = {
        "backend": args.backend,
        "rate_per_s": args.rate,
        "retry_s": args.retry,
        "cpus": os.cpu_count(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }
    with database(args.backend) as engine:
        community_id, units = estate(engine, args.orders + args.burst, args.retry)
        bus = InProcessBus()
        watch = Unanswered(args.ring)
        dialer = Dialer(sessions=session_factory(engine), provider=watch, pacer=Pacer(args.rate),
                        max_calls=args.burst * 2, name="bench-dialer",
                        publish=bus.publish)  # fmt: skip
        watch.dialer = dialer
        thread = DialerThread(dialer, 1.0, wake=bus.subscribe("oncall.started"))
        thread.start()
        try:
            latencies = first_call_latency(engine, bus, watch, community_id, units[: args.orders])
            time.sleep(6 * args.retry + 5)  # those ladders run out before the burst
            figures["first_call"] = {
                "orders": len(latencies),
                "p50_s": round(percentile(latencies, 0.5), 3),
                "p95_s": round(percentile(latencies, 0.95), 3),
                "max_s": round(max(latencies), 3),
                "goal_p95_s": 2.0,
            }
            print(f"first call: {figures['first_call']}", flush=True)
            figures["burst"] = burst(engine, bus, community_id, units[args.orders :], args.retry)
            figures["burst"]["goal_max_late_s"] = 5.0
            print(f"burst: {figures['burst']}", flush=True)
        finally:
            thread.stop()
            bus.close()
    figures["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
