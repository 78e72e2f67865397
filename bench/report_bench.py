"""The monthly analysis over 1,000,000 calls and 200,000 work orders, on PostgreSQL.

A benchmark, not a test. It builds the schema ``bench_report`` in PostgreSQL with
``models.db.upgrade`` (so the real tables and the migrations' indexes), dropped at the
end (and first, if a crashed run left it behind), and fills it in the database itself
with multi-row ``INSERT … SELECT generate_series(…)``:

- 3 communities (two in Asia/Shanghai, one in America/New_York, so month windows differ),
  50 buildings of 100 units each, a team of 20 technicians each;
- ``--calls`` inbound calls over the 12 months before ``--month``'s end, evenly: 60%
  Asterisk (events ``ivr.step``, ``queue.joined``, ``agent.connected`` or
  ``queue.abandoned``, ``call.hangup``), 40% Twilio (``ivr.step``, ``call.queue_result``
  with its QueueTime); 80% answered, 8% abandoned in the queue, 3% callback requests, 4%
  messages, 3% self-served, 2% hung up in the menus; waits 0–89 s;
- ``--orders`` work orders over the same year: 50% repairs, 10% emergencies, 15%
  complaints, 15% inquiries, 10% home services; 90% completed (some late), 4% reopened
  once and 1% twice; three status changes each; a survey answer for 40% of them.

Then it times :func:`agent_console.reports.monthly.monthly` for ``--month`` over all
three communities (with the month before, as the page and ``hotline report monthly``
make it) ``--runs`` times, and the morning review of the month's 15th once. The goal is
under 2 s for the monthly analysis.

Usage::

    .venv/bin/python bench/report_bench.py                     # 1,000,000 calls, 200,000 orders
    .venv/bin/python bench/report_bench.py --calls 100000 --orders 20000   # a quick run

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent_console.reports import daily, monthly  # noqa: E402
from agent_console.reports.periods import month_start, next_month  # noqa: E402
from models import Community  # noqa: E402
from models.db import make_engine, upgrade  # noqa: E402

PG_URL = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SCHEMA = "bench_report"

ESTATE = [
    """INSERT INTO communities (id, code, name, name_en, timezone, opens_at, closes_at,
       business_days) VALUES
       (1, 'SH01', '阳光花园', 'Sunshine Garden', 'Asia/Shanghai', '08:30', '18:00', '1234567'),
       (2, 'SH02', '翠湖苑', 'Green Lake', 'Asia/Shanghai', '08:30', '18:00', '1234567'),
       (3, 'NY01', 'Harbour View', 'Harbour View', 'America/New_York', '08:30', '18:00',
        '12345')""",
    """INSERT INTO buildings (id, community_id, name)
       SELECT g, 1 + (g - 1) / 50, ((g - 1) % 50 + 1)::text FROM generate_series(1, 150) g""",
    """INSERT INTO units (id, building_id, entrance, room)
       SELECT g, 1 + (g - 1) / 100, '', (101 + (g - 1) % 100)::text
       FROM generate_series(1, 15000) g""",
    """INSERT INTO teams (id, community_id, name, trade)
       SELECT g, g, '工程部', 'engineering' FROM generate_series(1, 3) g""",
    """INSERT INTO technicians (id, team_id, name, active)
       SELECT g, 1 + (g - 1) / 20, '师傅' || g, true FROM generate_series(1, 60) g""",
]

# One row per call: its community, provider, outcome (by h), queue, wait w and start.
CALLS = """
INSERT INTO calls (id, provider, provider_call_id, direction, caller_number, caller_e164,
    dialled_number, community_id, queue, priority, disposition, disposition_step, started_at,
    ended_at, answered_at, wrap_up_notes)
SELECT g, p, p || '-' || g, 'inbound', n, n, '', c, q, 10, d, s, t, t + interval '5 minutes',
    CASE WHEN d = 'answered' AND p = 'asterisk' THEN t + (30 + w) * interval '1 second' END, ''
FROM (
  SELECT g, 1 + g % 3 AS c, CASE WHEN g % 5 < 3 THEN 'asterisk' ELSE 'twilio' END AS p,
    '+86138' || lpad((g % 100000000)::text, 8, '0') AS n, (g * 31) % 90 AS w,
    :start + (g::float8 / :n) * :span * interval '1 second' AS t,
    CASE WHEN h < 80 THEN 'answered' WHEN h < 88 THEN 'abandoned'
         WHEN h < 91 THEN 'callback_requested' WHEN h < 95 THEN 'message_left'
         WHEN h < 98 THEN 'self_served' ELSE 'abandoned' END AS d,
    CASE WHEN h < 91 THEN 'queue' ELSE 'main_menu' END AS s,
    CASE WHEN h < 91 THEN (ARRAY['emergency','repair','inquiry','complaint'])[1 + g % 4] END AS q
  FROM (SELECT g, (g::bigint * 7919) % 100 AS h FROM generate_series(1, :n) g) AS numbered
) AS calls_to_be
"""

EVENTS = [
    """INSERT INTO call_events (call_id, at, kind, data, note)
       SELECT id, started_at + interval '5 seconds', 'ivr.step', '{"step": "main_menu"}', ''
       FROM calls""",
    """INSERT INTO call_events (call_id, at, kind, data, note)
       SELECT id, started_at + interval '30 seconds', 'queue.joined',
              json_build_object('queue', queue, 'position', 1), ''
       FROM calls WHERE provider = 'asterisk' AND disposition_step = 'queue'
         AND disposition IN ('answered', 'abandoned')""",
    """INSERT INTO call_events (call_id, at, kind, data, note)
       SELECT id, started_at + (30 + (id * 31) % 90) * interval '1 second',
              CASE disposition WHEN 'answered' THEN 'agent.connected' ELSE 'queue.abandoned' END,
              json_build_object('queue', queue, 'hold_time', (id * 31) % 90), ''
       FROM calls WHERE provider = 'asterisk' AND disposition_step = 'queue'
         AND disposition IN ('answered', 'abandoned')""",
    """INSERT INTO call_events (call_id, at, kind, data, note)
       SELECT id, ended_at, 'call.hangup', '{}', ''
       FROM calls WHERE provider = 'asterisk' AND disposition_step = 'queue'
         AND disposition IN ('answered', 'abandoned')""",
    """INSERT INTO call_events (call_id, at, kind, data, note)
       SELECT id, ended_at, 'call.queue_result',
              json_build_object('result', CASE disposition WHEN 'answered' THEN 'bridged'
                                ELSE 'hangup' END, 'queue', queue,
                                'seconds', ((id * 31) % 90)::text), ''
       FROM calls WHERE provider = 'twilio' AND disposition_step = 'queue'
         AND disposition IN ('answered', 'abandoned')""",
]

# One row per order: category by k, created at t, done after d hours (some late), reopened r.
ORDERS = """
INSERT INTO work_orders (id, number, community_id, year, seq, unit_id, category, subcategory,
    description, status, created_at, updated_at, location, severity, complaint_type,
    dispatch_due_at, due_at, team_id, technician_id, dispatched_at, on_site_at, completed_at,
    rework_count)
SELECT g, 'B' || c || '-' || g, c, 2026, g, u, cat,
    CASE cat WHEN 'repair' THEN (ARRAY['leak','electrical','lift','drain'])[1 + g % 4]
             WHEN 'complaint' THEN (ARRAY['service','charges','noise'])[1 + g % 3]
             WHEN 'emergency' THEN 'burst_pipe' WHEN 'inquiry' THEN 'fees' ELSE 'cleaning' END,
    '', CASE WHEN done THEN 'completed' ELSE 'dispatched' END, t, t, 'in_unit',
    CASE WHEN cat = 'complaint' THEN 'minor' END, CASE WHEN cat = 'complaint' THEN 'valid' END,
    t + interval '5 minutes', t + span, c, 1 + (c - 1) * 20 + g % 20,
    t + interval '3 minutes', CASE WHEN cat = 'emergency' THEN t + interval '8 minutes' END,
    CASE WHEN done THEN t + (g % 30) * interval '1 hour' END,
    CASE WHEN g % 100 = 0 THEN 2 WHEN g % 25 = 0 THEN 1 ELSE 0 END
FROM (
  SELECT g, 1 + g % 3 AS c, 1 + (g % 3) * 5000 + (g * 7) % 5000 AS u, g % 10 <> 0 AS done,
    :start + (g::float8 / :n) * :span * interval '1 second' AS t,
    CASE WHEN k < 10 THEN 'repair' WHEN k < 12 THEN 'emergency' WHEN k < 15 THEN 'complaint'
         WHEN k < 18 THEN 'inquiry' ELSE 'home_service' END AS cat,
    CASE WHEN k < 10 THEN interval '24 hours' WHEN k < 12 THEN interval '10 minutes'
         WHEN k < 15 THEN interval '2 days' ELSE interval '24 hours' END AS span
  FROM (SELECT g, g % 20 AS k FROM generate_series(1, :n) g) AS numbered
) AS orders_to_be
"""

HISTORY = [
    """INSERT INTO work_order_changes (work_order_id, at, from_status, to_status, note)
       SELECT id, created_at, NULL, 'open', '' FROM work_orders""",
    """INSERT INTO work_order_changes (work_order_id, at, from_status, to_status, note)
       SELECT id, dispatched_at, 'open', 'dispatched', '' FROM work_orders""",
    """INSERT INTO work_order_changes (work_order_id, at, from_status, to_status, note)
       SELECT id, completed_at, 'dispatched', 'completed', '' FROM work_orders
       WHERE completed_at IS NOT NULL""",
    """INSERT INTO outbound_jobs (id, purpose, reason, community_id, work_order_id, number,
           language, payload, status, due_from, due_by, next_attempt_at, attempts, max_attempts,
           created_at, updated_at)
       SELECT id, 'survey', 'bench', community_id, id, '+8613800138000', 'zh-CN', '{}',
              'completed', completed_at, completed_at + interval '2 days', completed_at, 1, 3,
              completed_at, completed_at
       FROM work_orders WHERE completed_at IS NOT NULL AND id % 5 < 2""",
    """INSERT INTO survey_responses (job_id, work_order_id, technician_id, timeliness, skill,
           attitude, solved, comment, complete, answered_at)
       SELECT j.id, w.id, w.technician_id, 3 + w.id % 3, 2 + w.id % 4, 4 + w.id % 2,
              w.id % 17 <> 0, '', true, w.completed_at + interval '1 day'
       FROM outbound_jobs j JOIN work_orders w ON w.id = j.work_order_id""",
]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def fresh_schema() -> tuple[Engine, Engine]:
    """The admin engine and an engine on a new, migrated ``bench_report`` schema."""
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    engine = make_engine(f"{PG_URL}?options=-csearch_path%3D{SCHEMA}")
    upgrade(engine)
    return admin, engine


def load(engine: Engine, calls: int, orders: int, month: dt.date) -> dict[str, float]:
    """Fill the schema; seconds per step."""
    end = dt.datetime.combine(next_month(month), dt.time(0), tzinfo=dt.UTC)
    start = end - dt.timedelta(days=365)
    span = (end - start).total_seconds()
    took: dict[str, float] = {}
    with engine.begin() as conn:
        for sql in ESTATE:
            conn.execute(text(sql))
        for name, statements, n in (
            ("calls", [CALLS, *EVENTS], calls),
            ("work_orders", [ORDERS, *HISTORY], orders),
        ):
            began = time.perf_counter()
            for sql in statements:
                params = {"n": n, "start": start, "span": span} if ":n" in sql else {}
                conn.execute(text(sql), params)
            took[name] = time.perf_counter() - began
    began = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    took["analyze"] = time.perf_counter() - began
    return took


def counts(engine: Engine) -> dict[str, int]:
    tables = ("calls", "call_events", "work_orders", "work_order_changes", "survey_responses")
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--month", default="2026-11", help="The month analysed, YYYY-MM.")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    month = month_start(args.month)
    figures: dict[str, object] = {"load_average_before": load_average()}
    admin, engine = fresh_schema()
    try:
        took = load(engine, args.calls, args.orders, month)
        figures["load_seconds"] = {k: round(v, 1) for k, v in took.items()}
        figures["rows"] = counts(engine)
        print(f"loaded {figures['rows']} in {figures['load_seconds']} s")
        now = dt.datetime.combine(next_month(month), dt.time(12), tzinfo=dt.UTC)
        with Session(engine) as session:
            communities = list(session.scalars(select(Community).order_by(Community.id)))
            times = []
            for run in range(args.runs):
                began = time.perf_counter()
                report = monthly.monthly(session, communities, month, now)
                times.append(time.perf_counter() - began)
                print(f"monthly analysis {args.month}, run {run + 1}: {times[-1]:.3f} s")
            tables = {t.key: t for t in monthly.tables(report)}
            print("targets:", [[str(c) for c in row] for row in tables["targets"].rows])
            began = time.perf_counter()
            review = daily.daily(session, communities, month.replace(day=15), now)
            daily_seconds = time.perf_counter() - began
            print(
                f"morning review {month.replace(day=15)}: {daily_seconds:.3f} s, "
                f"{review.total.offered} calls offered, {len(review.abandoned)} abandoned"
            )
        figures.update(
            month=args.month,
            calls_in_month=sum(report.current.calls.by_outcome.values()),
            offered=report.current.calls.offered,
            service_level=round(report.current.calls.service_level or 0, 4),
            repairs_on_time=round(report.current.repairs.deadline.rate or 0, 4),
            monthly_seconds_first=round(times[0], 3),
            monthly_seconds_median=round(statistics.median(times), 3),
            monthly_seconds_max=round(max(times), 3),
            daily_seconds=round(daily_seconds, 3),
            goal_seconds=2.0,
            goal_met=max(times) < 2.0,
            load_average_after=load_average(),
        )
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE'))
        admin.dispose()
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
