"""Dialer pacing: calls started per second, achieved against configured, over a minute each.

A benchmark, not a test. For each rate of ``--rates`` (default 1, 5 and 20 calls/s)
it loads due survey jobs into a fresh, migrated database (more than the run can
place), starts the real dialer thread (:class:`ivr.dialer.services.DialerThread`:
sweep, atomic claim committed, one ``place`` per attempt at the
:class:`~ivr.outbound.pacing.Pacer`'s rate, the placement recorded) with a provider
that only notes the moment of each ``place``, and lets it run ``--seconds``. What
each call costs in the database (the claim of a round, the record of each call)
happens between the pacer's ticks, as in production.

Figures per rate: calls started in the window and the achieved rate (calls / window
and over the span first → last call), its error against the configured rate, the
interval between consecutive calls (mean, p50, p95, max), and the fewest and most
calls started in any one-second bucket. The load average is printed at the start and
end (``uptime``): on a shared machine a busy CPU delays the dialer's thread and so
the calls.

Usage::

    .venv/bin/python bench/dialer_bench.py                          # SQLite, 1/5/20 calls/s, 60 s
    .venv/bin/python bench/dialer_bench.py --backend postgresql     # HOTLINE_TEST_PG_URL's database
    .venv/bin/python bench/dialer_bench.py --rates 20 --seconds 10  # a quick look
    .venv/bin/python bench/dialer_bench.py --backend postgresql --dialers 3 \
        --redis redis://127.0.0.1:6379/0                              # 3 dialers, one rate

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, insert, text, update  # noqa: E402

from ivr.dialer.services import Dialer, DialerThread  # noqa: E402
from ivr.outbound.calls import OutboundCall, PlacedCall  # noqa: E402
from ivr.outbound.pacing import Pacer, account_pacer  # noqa: E402
from models import Community, utcnow  # noqa: E402
from models.db import make_engine, session_factory, upgrade  # noqa: E402
from models.outbound import JobPurpose, JobStatus, OutboundJob  # noqa: E402

PG_URL = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


class Stopwatch:
    """A provider that places nothing and notes when each call was asked for."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._lock = threading.Lock()

    def place(self, call: OutboundCall) -> PlacedCall:
        with self._lock:
            self.times.append(time.monotonic())
        return PlacedCall(provider_call_id=f"CA{uuid.uuid4().hex}", status="queued")


@contextmanager
def database(backend: str) -> Iterator[Engine]:
    """A fresh, migrated database: a SQLite file, or a PostgreSQL schema of its own."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'dialer.db'}")
            upgrade(engine)
            yield engine
            engine.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def load_jobs(engine: Engine, community_id: int, n: int) -> None:
    """``n`` survey jobs due a minute ago."""
    now = utcnow()
    rows = [
        {
            "purpose": JobPurpose.SURVEY,
            "reason": f"bench-{uuid.uuid4().hex[:12]}",
            "community_id": community_id,
            "number": f"+86139{k:08d}",
            "due_from": now - dt.timedelta(hours=1),
            "due_by": now + dt.timedelta(days=2),
            "next_attempt_at": now - dt.timedelta(minutes=1),
        }
        for k in range(n)
    ]
    with session_factory(engine)() as session:
        session.execute(insert(OutboundJob), rows)
        session.commit()


def setup(engine: Engine) -> int:
    """A community whose calling hours are the whole day; its id."""
    with session_factory(engine)() as session:
        place = Community(
            code="BENCH",
            name="基准小区",
            name_en="Bench Estate",
            calling_from=dt.time(0, 0),
            calling_until=dt.time(23, 59, 59),
        )
        session.add(place)
        session.commit()
        return place.id


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def run_rate(
    engine: Engine,
    community_id: int,
    rate: float,
    seconds: float,
    *,
    dialers: int = 1,
    redis_url: str = "",
) -> dict[str, Any]:
    """Run ``dialers`` dialers at ``rate`` (together, through Redis, when ``redis_url``)
    for ``seconds``; the pacing figures of all their calls together."""
    load_jobs(engine, community_id, int(rate * seconds * 1.2) + 20)
    watch = Stopwatch()
    key = f"bench-{uuid.uuid4().hex[:8]}"
    threads = [
        DialerThread(
            Dialer(
                sessions=session_factory(engine),
                provider=watch,
                pacer=account_pacer(redis_url, key, rate) if redis_url else Pacer(rate),
                max_calls=1_000_000,
                name=f"bench-{rate:g}-{n}",
            ),
            interval=0.2,
        )
        for n in range(dialers)
    ]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    for thread in threads:
        thread.stop()
    for thread in threads:
        thread.join(30)
    with session_factory(engine)() as session:  # what is left is no one's business
        session.execute(
            update(OutboundJob)
            .where(OutboundJob.status == JobStatus.SCHEDULED)
            .values(status=JobStatus.CANCELLED)
        )
        session.commit()
    first = watch.times[0] if watch.times else start
    inside = [t for t in watch.times if t < first + seconds]
    gaps = [b - a for a, b in zip(inside, inside[1:], strict=False)]
    buckets = [0] * int(seconds)
    for t in inside:
        buckets[min(len(buckets) - 1, int(t - first))] += 1
    span = inside[-1] - inside[0] if len(inside) > 1 else 0.0
    achieved = len(inside) / seconds
    return {
        "configured_per_s": rate,
        "dialers": dialers,
        "shared_through_redis": bool(redis_url),
        "calls": len(inside),
        "achieved_per_s": round(achieved, 3),
        "error_pct": round(100 * (achieved - rate) / rate, 2),
        "span_rate_per_s": round((len(inside) - 1) / span, 3) if span else 0.0,
        "first_call_after_s": round(first - start, 3),
        "interval_mean_ms": round(1000 * statistics.fmean(gaps), 1) if gaps else 0.0,
        "interval_p50_ms": round(1000 * percentile(gaps, 0.5), 1),
        "interval_p95_ms": round(1000 * percentile(gaps, 0.95), 1),
        "interval_max_ms": round(1000 * max(gaps), 1) if gaps else 0.0,
        "per_second_min": min(buckets) if buckets else 0,
        "per_second_max": max(buckets) if buckets else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", default="1,5,20", help="calls/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=60.0, help="window per rate")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--dialers", type=int, default=1, help="dialers at once, one rate")
    parser.add_argument("--redis", default="", help="share the rate through this Redis URL")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    figures: dict[str, Any] = {
        "backend": args.backend,
        "seconds": args.seconds,
        "cpus": os.cpu_count(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "rates": [],
    }
    print(
        f"dialer pacing on {args.backend}, {args.seconds:g} s per rate; load average "
        f"{' '.join(str(x) for x in figures['loadavg_start'])} on {os.cpu_count()} CPUs"
    )
    with database(args.backend) as engine:
        community_id = setup(engine)
        for rate in rates:
            row = run_rate(
                engine, community_id, rate, args.seconds, dialers=args.dialers, redis_url=args.redis
            )
            figures["rates"].append(row)
            print(
                f"{rate:>5g}/s configured, {args.dialers} dialer(s): {row['calls']} calls, "
                f"{row['achieved_per_s']}/s "
                f"achieved ({row['error_pct']:+}%), span rate {row['span_rate_per_s']}/s; "
                f"interval p50 {row['interval_p50_ms']} p95 {row['interval_p95_ms']} "
                f"max {row['interval_max_ms']} ms; per second {row['per_second_min']}–"
                f"{row['per_second_max']}; first call after {row['first_call_after_s']} s"
            )
    figures["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    print(f"load average at the end {' '.join(str(x) for x in figures['loadavg_end'])}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
