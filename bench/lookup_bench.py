"""Caller lookup with a million phone numbers on file: latency per lookup on SQLite and PostgreSQL.

A benchmark, not a test. For each backend it builds a fresh, migrated database
(a SQLite file in a temporary directory; the schema ``bench_lookup`` in
PostgreSQL, dropped at the end), loads ``--numbers`` residents with one mobile
each, three residents to a unit, 240 units to a building, 60 buildings to a
community (1,000,000 numbers: 333,334 units in 24 communities), then times
``models.lookup.lookup_caller`` on numbers written in national format
(``138 0013 8000``), 10% of them unknown. Each lookup runs in a session of its
own from ``models.db.read_session_factory``, as the IVR's lookups do (no
transaction around the read); the timing covers the ``lookup_caller`` call only
(parsing the number and its one query).

Usage::

    .venv/bin/python bench/lookup_bench.py                      # both, 1,000,000 numbers
    .venv/bin/python bench/lookup_bench.py --backend sqlite --numbers 100000 --lookups 5000

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import phonenumbers
from sqlalchemy import Connection, Engine, text

from models.base import Base
from models.db import make_engine, read_session_factory, upgrade
from models.lookup import lookup_caller

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "bench_lookup"
RESIDENTS_PER_UNIT = 3
UNITS_PER_BUILDING = 240  # 2 entrances × 30 floors × 4 rooms
BUILDINGS_PER_COMMUNITY = 60
BATCH = 10_000
UNKNOWN_SHARE = 0.10
WARM_UP = 1_000
GOAL_P99_MS = 2.0
MOBILE_PREFIXES = tuple(
    str(p) for p in (*range(130, 140), *range(150, 154), *range(155, 160), *range(180, 190))
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗"
GIVEN = "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 建国 晓燕 志强 海燕".split()

Rows = Callable[[], Iterator[tuple[Any, ...]]]


def mobile(k: int) -> str:
    """The k-th number of the mainland mobile space, in E.164."""
    return f"+86{MOBILE_PREFIXES[k // 10**8]}{k % 10**8:08d}"


def draw_numbers(count: int, extra: int, seed: int) -> tuple[list[str], list[str]]:
    """``count`` distinct numbers to load and ``extra`` more that nobody has."""
    picks = random.Random(seed).sample(range(len(MOBILE_PREFIXES) * 10**8), count + extra)
    numbers = [mobile(k) for k in picks]
    return numbers[:count], numbers[count:]


def tables(numbers: list[str], seed: int) -> list[tuple[str, list[str], Rows]]:
    """Each table's name, columns and a fresh iterator of its rows (ids given, from 1)."""
    rng = random.Random(seed)
    n = len(numbers)
    units = math.ceil(n / RESIDENTS_PER_UNIT)
    buildings = math.ceil(units / UNITS_PER_BUILDING)
    communities = math.ceil(buildings / BUILDINGS_PER_COMMUNITY)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    names = [rng.choice(SURNAMES) + rng.choice(GIVEN) for _ in range(997)]

    def room(i: int) -> tuple[str, str]:
        entrance, rest = divmod(i % UNITS_PER_BUILDING, 120)
        floor, r = divmod(rest, 4)
        return str(entrance + 1), f"{floor + 1}{r + 1:02d}"

    return [
        (
            "communities",
            ["id", "code", "name", "name_en", "timezone", "opens_at", "closes_at", "business_days"],
            lambda: (
                (
                    c,
                    f"B{c:03d}",
                    f"基准小区{c}",
                    f"Bench {c}",
                    "Asia/Shanghai",
                    dt.time(8, 30),
                    dt.time(18),
                    "1234567",
                )
                for c in range(1, communities + 1)
            ),
        ),
        (
            "buildings",
            ["id", "community_id", "name"],
            lambda: (
                (
                    b,
                    (b - 1) // BUILDINGS_PER_COMMUNITY + 1,
                    str((b - 1) % BUILDINGS_PER_COMMUNITY + 1),
                )
                for b in range(1, buildings + 1)
            ),
        ),
        (
            "units",
            ["id", "building_id", "entrance", "room"],
            lambda: (
                (u, (u - 1) // UNITS_PER_BUILDING + 1, *room(u - 1)) for u in range(1, units + 1)
            ),
        ),
        (
            "residents",
            [
                "id",
                "name",
                "language",
                "senior_care",
                "do_not_call",
                "survey_opt_out",
                "created_at",
                "updated_at",
            ],
            lambda: (
                (r, names[r % len(names)], "zh-CN", r % 33 == 0, False, False, now, now)
                for r in range(1, n + 1)
            ),
        ),
        (
            "phone_numbers",
            ["id", "resident_id", "e164", "label", "is_primary"],
            lambda: ((i + 1, i + 1, e164, "mobile", True) for i, e164 in enumerate(numbers)),
        ),
        (
            "occupancies",
            ["id", "resident_id", "unit_id", "role"],
            lambda: (
                (
                    r,
                    r,
                    (r - 1) // RESIDENTS_PER_UNIT + 1,
                    "owner" if (r - 1) % RESIDENTS_PER_UNIT == 0 else "family",
                )
                for r in range(1, n + 1)
            ),
        ),
    ]


def batches(rows: Iterator[tuple[Any, ...]], size: int = BATCH) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_core(conn: Connection, data: list[tuple[str, list[str], Rows]]) -> None:
    """SQLAlchemy Core ``insert()`` executemany, 10,000 rows a batch."""
    for name, columns, rows in data:
        table = Base.metadata.tables[name]
        for batch in batches(rows()):
            conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in batch])


def load_copy(conn: Connection, data: list[tuple[str, list[str], Rows]]) -> None:
    """PostgreSQL ``COPY … FROM STDIN`` through psycopg, inside the connection's transaction."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        for name, columns, rows in data:
            with cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows():
                    copy.write_row(row)


def build(engine: Engine, numbers: list[str], seed: int) -> float:
    """Migrate, load and analyse; the seconds it took."""
    started = time.perf_counter()
    upgrade(engine)
    data = tables(numbers, seed)
    with engine.begin() as conn:  # COPY on the raw connection commits with it
        (load_copy if engine.dialect.name == "postgresql" else load_core)(conn, data)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return time.perf_counter() - started


def national(e164: str) -> str:
    """``138 0013 8000``: how a person writes a mobile number."""
    parsed = phonenumbers.parse(e164)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)


def time_lookups(engine: Engine, calls: list[tuple[str, bool]]) -> tuple[list[int], float]:
    """Nanoseconds per ``lookup_caller`` call, and the loop's wall-clock seconds."""
    sessions = read_session_factory(engine)  # as the IVR reads: no transaction around it
    timings = []
    started = time.perf_counter()
    for number, known in calls:
        with sessions() as session:
            t0 = time.perf_counter_ns()
            matches = lookup_caller(session, number)
            timings.append(time.perf_counter_ns() - t0)
        if bool(matches) != known:
            raise AssertionError(f"lookup of {number} found {len(matches)}; expected known={known}")
    return timings, time.perf_counter() - started


def plan_calls(
    numbers: list[str], unknown: list[str], count: int, rng: random.Random
) -> list[tuple[str, bool]]:
    """``count`` lookups in national format, 10% of them numbers nobody has."""
    n_unknown = round(count * UNKNOWN_SHARE)
    calls = [(national(rng.choice(numbers)), True) for _ in range(count - n_unknown)]
    calls += [(national(rng.choice(unknown)), False) for _ in range(n_unknown)]
    rng.shuffle(calls)
    return calls


def percentile(ordered: list[int], q: float) -> float:
    """Nearest-rank percentile of sorted nanoseconds, in milliseconds."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] / 1e6


def run(backend: str, args: argparse.Namespace, numbers: list[str], unknown: list[str]) -> dict:
    """Build the backend's database, time the lookups, clean up; the figures."""
    engine, cleanup = open_backend(backend)
    try:
        load_s = build(engine, numbers, args.seed)
        rng = random.Random(args.seed + 1)
        time_lookups(engine, plan_calls(numbers, unknown, WARM_UP, rng))
        timings, wall = time_lookups(engine, plan_calls(numbers, unknown, args.lookups, rng))
    finally:
        engine.dispose()
        cleanup()
    ordered = sorted(timings)
    return {
        "load_s": round(load_s, 1),
        "p50_ms": round(percentile(ordered, 0.50), 3),
        "p90_ms": round(percentile(ordered, 0.90), 3),
        "p99_ms": round(percentile(ordered, 0.99), 3),
        "max_ms": round(ordered[-1] / 1e6, 3),
        "lookups_per_s": round(len(timings) / wall),
        "load_average_1min": round(os.getloadavg()[0], 2),  # other work competing for the CPUs
    }


def open_backend(backend: str) -> tuple[Engine, Callable[[], None]]:
    """A fresh empty database of the kind asked for, and how to remove it."""
    if backend == "sqlite":
        folder = tempfile.TemporaryDirectory(prefix="lookup_bench_")
        return make_engine(f"sqlite:///{Path(folder.name) / 'bench.db'}"), folder.cleanup
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
        admin.dispose()

    return make_engine(f"{PG_URL}?options=-csearch_path%3D{PG_SCHEMA}"), drop


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=1_000_000, help="phone numbers to load")
    parser.add_argument("--lookups", type=int, default=20_000, help="timed lookups per backend")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    numbers, unknown = draw_numbers(args.numbers, max(1_000, args.numbers // 10), args.seed)
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    figures: dict[str, Any] = {
        "numbers": args.numbers,
        "lookups": args.lookups,
        "unknown_share": UNKNOWN_SHARE,
        "goal_p99_ms": GOAL_P99_MS,
        "cpus": os.cpu_count(),
    }
    for backend in backends:
        print(f"{backend}: loading {args.numbers:,} numbers …", file=sys.stderr, flush=True)
        f = figures[backend] = run(backend, args, numbers, unknown)
        verdict = "meets" if f["p99_ms"] < GOAL_P99_MS else "MISSES"
        print(
            f"{backend:<10} load {f['load_s']:7.1f} s   p50 {f['p50_ms']:.3f}"
            f"  p90 {f['p90_ms']:.3f}  p99 {f['p99_ms']:.3f}  max {f['max_ms']:.3f} ms"
            f"   {f['lookups_per_s']:,} lookups/s   ({verdict} p99 < {GOAL_P99_MS} ms;"
            f" load average {f['load_average_1min']} on {os.cpu_count()} CPUs)",
            flush=True,
        )
    print(json.dumps(figures))
    return 0 if all(figures[b]["p99_ms"] < GOAL_P99_MS for b in backends) else 1


if __name__ == "__main__":
    sys.exit(main())
