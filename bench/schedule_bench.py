"""Scheduling callback surveys for 100,000 completed work orders, on SQLite and PostgreSQL.

A benchmark, not a test. For each backend it builds a fresh, migrated database (a
SQLite file in a temporary directory; the schema ``bench_schedule`` in PostgreSQL,
dropped at the end), loads one community with ``--orders / 2`` units (an owner with a
primary phone in each, a tenant with a phone in every fourth), and ``--orders``
completed work orders written straight into the ledger: 50% repairs (a tenth of them
leaks with a water test, a tenth lifts), 10% emergencies, 15% complaints, 10% inquiries,
15% home services; 5% difficult; half name their resident. Then it times
:func:`models.survey_policy.schedule_for_completed` over every order, as
``work_order_flow.complete`` calls it, in ORM sessions committing every ``--batch``
orders (the orders of a batch read in one query), and finally runs the first batch
again to check that scheduling twice adds nothing.

Usage::

    .venv/bin/python bench/schedule_bench.py                       # both, 100,000 orders
    .venv/bin/python bench/schedule_bench.py --backend sqlite --orders 10000

The last line of output is one JSON object with every figure (and the load average
before and after, since the machine may be shared).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from models import (
    Agent,
    Building,
    Category,
    Community,
    FollowUpTask,
    JobStatus,
    Occupancy,
    OutboundJob,
    PhoneNumber,
    Resident,
    ResidentRole,
    Status,
    Team,
    Technician,
    Unit,
    WorkOrder,
)
from models.db import make_engine, session_factory, upgrade
from models.survey_policy import schedule_for_completed, schedule_many

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "bench_schedule"
NOW = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
LOAD_BATCH = 5_000
MIX = (  # (category, subcategories, share)
    (Category.REPAIR, ("plumbing", "drain", "leak", "lift", "electrical", "doors_locks"), 50),
    (Category.EMERGENCY, ("burst_pipe", "power_outage", "medical", "fire"), 10),
    (Category.COMPLAINT, ("service", "charges", "noise", "cleaning"), 15),
    (Category.INQUIRY, ("fees", "parking"), 10),
    (Category.HOME_SERVICE, ("housekeeping", "appliance"), 15),
)


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, as ``uptime`` shows them."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def batches(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def load(engine: Engine, orders: int, seed: int) -> dict[str, int]:
    """The community, its households, a team and ``orders`` completed work orders."""
    rng = random.Random(seed)
    with Session(engine) as session:
        community = Community(code="SH01", name="阳光花园", timezone="Asia/Shanghai")
        session.add(community)
        session.flush()
        team = Team(community_id=community.id, name="工程部", trade="plumbing")
        agent = Agent(login="bench", name="bench", password_hash="x")
        session.add_all([team, agent])
        session.flush()
        tech = Technician(team_id=team.id, name="李师傅", started_on=dt.date(2020, 1, 1))
        building = Building(community_id=community.id, name="1")
        session.add_all([tech, building])
        session.commit()
        ids = {"community": community.id, "team": team.id, "tech": tech.id, "b": building.id}
    units = max(1, orders // 2)
    with engine.begin() as conn:
        _insert(
            conn,
            Unit,
            ({"id": i, "building_id": ids["b"], "room": str(i)} for i in range(1, units + 1)),
        )
        _insert(conn, Resident, _residents(units))
        _insert(conn, PhoneNumber, _phones(units))
        _insert(conn, Occupancy, _occupancies(units))
        _insert(conn, WorkOrder, _orders(orders, units, ids, rng))
    return {"units": units, "residents": units + (units + 3) // 4}


def _insert(conn: Any, model: Any, rows: Iterator[dict[str, Any]]) -> None:
    for chunk in batches(rows, LOAD_BATCH):
        conn.execute(insert(model), chunk)


def _residents(units: int) -> Iterator[dict[str, Any]]:
    for i in range(1, units + 1):
        yield {"id": i, "name": f"业主{i}"}
    for k, i in enumerate(range(1, units + 1, 4)):
        yield {"id": units + 1 + k, "name": f"Tenant {i}", "language": "en"}


def _phones(units: int) -> Iterator[dict[str, Any]]:
    for i in range(1, units + 1):
        yield {"resident_id": i, "e164": f"+86139{i:08d}", "is_primary": True}
    for k, _i in enumerate(range(1, units + 1, 4)):
        yield {"resident_id": units + 1 + k, "e164": f"+86138{k:08d}", "is_primary": True}


def _occupancies(units: int) -> Iterator[dict[str, Any]]:
    for i in range(1, units + 1):
        yield {"resident_id": i, "unit_id": i, "role": ResidentRole.OWNER}
    for k, i in enumerate(range(1, units + 1, 4)):
        yield {"resident_id": units + 1 + k, "unit_id": i, "role": ResidentRole.TENANT}


def _orders(
    count: int, units: int, ids: dict[str, int], rng: random.Random
) -> Iterator[dict[str, Any]]:
    weights = [share for _, _, share in MIX]
    for seq in range(1, count + 1):
        category, subs, _ = rng.choices(MIX, weights)[0]
        sub = rng.choice(subs)
        unit = rng.randint(1, units)
        done = NOW - dt.timedelta(minutes=rng.randint(0, 2 * 24 * 60))
        yield {
            "number": f"SH01-2026-{seq:06d}",
            "community_id": ids["community"],
            "year": 2026,
            "seq": seq,
            "category": category,
            "subcategory": sub,
            "unit_id": unit,
            "resident_id": unit if rng.random() < 0.5 else None,
            "status": Status.COMPLETED,
            "team_id": ids["team"],
            "technician_id": ids["tech"],
            "created_at": done - dt.timedelta(hours=5),
            "updated_at": done,
            "completed_at": done,
            "water_test_at": done + dt.timedelta(hours=24)
            if sub in ("leak", "burst_pipe")
            else None,
            "difficult": rng.random() < 0.05,
        }


def schedule(
    engine: Engine, batch: int, limit: int | None = None, *, many: bool = False
) -> tuple[float, int]:
    """Seconds to schedule every order (or the first ``limit``), and the jobs returned:
    one :func:`schedule_for_completed` per order, or one :func:`schedule_many` per batch."""
    sessions = session_factory(engine)
    with Session(engine) as s:
        top = int(s.scalar(select(func.max(WorkOrder.id))) or 0)
    top = min(top, limit) if limit else top
    made = 0
    started = time.perf_counter()
    for low in range(1, top + 1, batch):
        with sessions() as session:
            orders = session.scalars(
                select(WorkOrder).where(WorkOrder.id >= low, WorkOrder.id < low + batch)
            ).all()
            if many:
                made += len(schedule_many(session, orders, now=NOW))
            else:
                for order in orders:
                    made += len(schedule_for_completed(session, order, now=NOW))
            session.commit()
    return time.perf_counter() - started, made


def counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as s:
        jobs = dict(
            s.execute(select(OutboundJob.status, func.count()).group_by(OutboundJob.status)).all()
        )
        tasks = dict(
            s.execute(select(FollowUpTask.kind, func.count()).group_by(FollowUpTask.kind)).all()
        )
    found = {f"jobs_{JobStatus(k).value}": int(v) for k, v in jobs.items()}
    found.update({f"tasks_{str(k)}": int(v) for k, v in tasks.items()})
    return found


def run(backend: str, orders: int, batch: int, seed: int, modes: tuple[str, ...]) -> dict[str, Any]:
    """One backend's figures."""
    tmp = tempfile.TemporaryDirectory()
    if backend == "sqlite":
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    else:
        admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
        url = f"{PG_URL}?options=-csearch_path%3D{PG_SCHEMA}"
    engine = make_engine(url)
    try:
        upgrade(engine)
        started = time.perf_counter()
        sizes = load(engine, orders, seed)
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        loaded = time.perf_counter() - started
        print(f"{backend}: loaded {orders:,} completed orders in {loaded:.1f} s", flush=True)
        figures: dict[str, Any] = {"orders": orders, "load_s": round(loaded, 1), **sizes}
        results = []
        for mode in modes:
            with engine.begin() as conn:  # each mode starts from no jobs and no tasks
                conn.execute(text("DELETE FROM follow_up_tasks"))
                conn.execute(text("DELETE FROM outbound_jobs"))
            before = load_average()
            seconds, made = schedule(engine, batch, many=mode == "many")
            after = load_average()
            found = counts(engine)
            results.append(found)
            print(
                f"{backend} {mode}: scheduled {orders:,} orders in {seconds:.1f} s "
                f"({orders / seconds:,.0f} orders/s), {made:,} survey jobs, {found}; "
                f"load average {before} → {after}",
                flush=True,
            )
            figures[mode] = {
                "schedule_s": round(seconds, 2),
                "orders_per_s": round(orders / seconds),
                "jobs": made,
                "load_average_before": before,
                "load_average_after": after,
                **found,
            }
        again, _ = schedule(engine, batch, limit=batch)
        figures["again_unchanged"] = counts(engine) == results[-1]
        figures["modes_agree"] = all(r == results[0] for r in results)
        print(
            f"{backend}: the first {batch:,} scheduled again in {again:.2f} s: "
            f"unchanged={figures['again_unchanged']}; modes agree={figures['modes_agree']}"
        )
        return figures
    finally:
        engine.dispose()
        if backend != "sqlite":
            with admin.connect() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
            admin.dispose()
        tmp.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--mode",
        choices=("per_order", "many", "both"),
        default="both",
        help="per_order: schedule_for_completed per order (as complete() does); "
        "many: schedule_many per batch",
    )
    args = parser.parse_args(argv)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    figures: dict[str, Any] = {"cpus": os.cpu_count()}
    for backend in backends:
        modes = ("per_order", "many") if args.mode == "both" else (args.mode,)
        figures[backend] = run(backend, args.orders, args.batch, args.seed, modes)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
