"""FastAGI under load: concurrent scripted calls against the hotline server, beside a baseline.

A benchmark, not a test. It loads ``--residents`` residents (one community reached
on +862160000001, open all day, three residents to a unit, one mobile each) into
a fresh, migrated database, then runs two FastAGI servers one after the other,
each in processes of its own, as an operator runs them:

- **hotline**: ``hotline agi --workers N --port 0`` on that database (a parent
  process and N worker processes sharing the listening socket);
- **baseline**: the same ``FastAGIServer`` in the same worker pool
  (``ivr.agi.workers``), whose script only reads the AGI environment
  (``Channel`` does that) and sets one variable.

The callers run in this process on one asyncio loop and speak real AGI over TCP:
each sends the ``agi_*`` environment block of ``tests/agi/peer.py`` and answers
every command as Asterisk would (``STREAM FILE``/``GET DATA``/``SET VARIABLE``…).
A caller presses 2 (repair); 90% are known residents (a random loaded number),
10% unknown numbers who then type building, entrance + room and 1 to confirm.
Each call is timed from before ``connect()`` to the arrival of ``SET VARIABLE
"HOTLINE_QUEUE"``; the time to the server closing the socket (when Asterisk's
dialplan would go on to ``Queue()``) is reported too.

Phases per server: warm-up, an unloaded run (one call at a time), a closed-loop
run (``--calls`` at ``--concurrency``, prompts answered at once), a paced run
(``--concurrency`` callers whose prompts and keypad entries take
``--playback-ms`` each, subtracted from the timings; the baseline's callers wait
between calls as long as a paced hotline call lasted, so both servers get the
same calls per second), and for the hotline a memory run of ``--memory-calls``
sampling the RSS of the server's processes every 1,000 calls. bench/README.md
explains how to read the figures.

Usage::

    .venv/bin/python bench/agi_bench.py                                # 100,000 residents
    .venv/bin/python bench/agi_bench.py --residents 10000 --calls 1000 --memory-calls 2000

The last line of output is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import datetime as dt
import functools
import json
import logging
import math
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from lookup_bench import UNITS_PER_BUILDING, draw_numbers, load_copy, load_core, percentile
from sqlalchemy import Engine, text

from models.db import make_engine, upgrade

ROOT = Path(__file__).resolve().parents[1]
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "bench_agi"
HOST = "127.0.0.1"
HOTLINE = "+862160000001"
DNID = "02160000001"  # the hotline number as the carrier delivers it (national format)
ON_CALL = "+8613916000001"
RESIDENTS_PER_UNIT = 3
UNKNOWN_SHARE = 0.10
WARM_UP = 200
SAMPLE_EVERY = 1_000
CALL_TIMEOUT_S = 120.0
GOAL_P99_MS = 20.0
GOAL_RATIO = 0.5
GOAL_MEMORY_GROWTH = 0.10  # RSS after the last 1,000 calls vs after the first 1,000

Rows = Callable[[], Iterator[tuple[Any, ...]]]


# --------------------------------------------------------------------------- data


def room(i: int) -> tuple[str, str]:
    """Entrance and room of the i-th unit of a building (2 entrances × 30 floors × 4)."""
    entrance, rest = divmod(i % UNITS_PER_BUILDING, 120)
    floor, r = divmod(rest, 4)
    return str(entrance + 1), f"{floor + 1}{r + 1:02d}"


def tables(numbers: list[str]) -> list[tuple[str, list[str], Rows]]:
    """One community with its hotline number; buildings, units, residents, phones, occupancies."""
    n = len(numbers)
    units = math.ceil(n / RESIDENTS_PER_UNIT)
    buildings = math.ceil(units / UNITS_PER_BUILDING)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return [
        (
            "communities",
            [
                "id",
                "code",
                "name",
                "name_en",
                "timezone",
                "opens_at",
                "closes_at",
                "business_days",
                "on_call_number",
            ],
            lambda: iter(
                [
                    (
                        1,
                        "SH01",
                        "阳光花园",
                        "Sunshine Garden",
                        "Asia/Shanghai",
                        dt.time(0),  # opens = closes: open all day, so that every
                        dt.time(0),  # run takes the daytime path whatever the hour
                        "1234567",
                        ON_CALL,
                    )
                ]
            ),
        ),
        ("hotline_numbers", ["id", "community_id", "e164"], lambda: iter([(1, 1, HOTLINE)])),
        (
            "buildings",
            ["id", "community_id", "name"],
            lambda: ((b, 1, str(b)) for b in range(1, buildings + 1)),
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
                (r, f"住户{r}", "zh-CN", False, False, False, now, now) for r in range(1, n + 1)
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


def build(engine: Engine, numbers: list[str]) -> float:
    """Migrate, load and analyse; the seconds it took."""
    started = time.perf_counter()
    upgrade(engine)
    with engine.begin() as conn:
        (load_copy if engine.dialect.name == "postgresql" else load_core)(conn, tables(numbers))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    return time.perf_counter() - started


def open_backend(backend: str) -> tuple[str, Callable[[], None]]:
    """The URL of a fresh empty database of the kind asked for, and how to remove it."""
    if backend == "sqlite":
        folder = tempfile.TemporaryDirectory(prefix="agi_bench_")
        return f"sqlite:///{Path(folder.name) / 'bench.db'}", folder.cleanup
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
        admin.dispose()

    return f"{PG_URL}?options=-csearch_path%3D{PG_SCHEMA}", drop


# ------------------------------------------------------------------ server process


def _baseline_script(channel: Any) -> None:
    """Reads nothing but the environment (Channel already has) and sets one variable."""
    channel.set_variable("HOTLINE_QUEUE", "repair")


def baseline_server(listener: Any) -> Any:
    """The baseline's FastAGIServer on a worker's shared socket (module level: picklable)."""
    from ivr.agi.server import FastAGIServer
    from ivr.agi.service import queue_for_inquiry

    return FastAGIServer(
        (HOST, 0),
        scripts={"hotline": _baseline_script},
        unknown_script=queue_for_inquiry,
        read_timeout=60,
        listener=listener,
    )


def serve_baseline(workers: int) -> None:
    """``--serve-baseline``: the baseline served as ``hotline agi`` serves, until SIGINT/SIGTERM."""
    import signal

    from ivr.agi.workers import WorkerPool, listen

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    logging.basicConfig(level=logging.INFO)
    listener = listen(HOST, 0)
    pool = None
    if workers == 1:
        server = baseline_server(listener)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    else:
        pool = WorkerPool(listener, baseline_server, workers=workers)
        pool.start()
    print(f"FastAGI on {HOST}:{listener.getsockname()[1]} (baseline)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    if pool is not None:
        pool.stop()


@dataclasses.dataclass
class ServerProcess:
    """A FastAGI server in processes of its own: a parent and, with workers, its children."""

    kind: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @classmethod
    def start(cls, kind: str, url: str, data_dir: Path, workers: int) -> ServerProcess:
        """``hotline agi`` as an operator runs it, or the baseline served the same way."""
        if kind == "hotline":
            command = ["-m", "hotline.cli", "agi", "--no-ami", "--port", "0"]
        else:
            command = [str(Path(__file__).resolve()), "--serve-baseline"]
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        env |= {"HOTLINE_DATABASE_URL": url, "HOTLINE_DATA_DIR": str(data_dir)}
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
        log = data_dir / f"{kind}.log"
        proc = subprocess.Popen(
            [sys.executable, *command, "--workers", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log.open("wb"),
        )
        assert proc.stdout is not None
        while line := proc.stdout.readline().decode():
            if line.startswith("FastAGI on "):
                port = int(line.split()[2].rsplit(":", 1)[1])
                server = cls(kind, proc, port, log)
                server.wait_ready(workers)
                return server
        proc.wait(30)
        raise RuntimeError(f"{kind} server did not start: {log.read_text()[-2000:]}")

    def wait_ready(self, workers: int, timeout: float = 120) -> None:
        """Until the workers have started (each has its engine and listens)."""
        deadline = time.monotonic() + timeout
        while len(self.pids()) < 1 + (workers if workers > 1 else 0):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.kind}: workers did not start")
            time.sleep(0.2)
        time.sleep(2.0)  # their imports and engines

    def pids(self) -> list[int]:
        """The server's processes: the parent and every descendant."""
        found, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                try:
                    todo += [int(c) for c in task.read_text().split()]
                except OSError:
                    pass
        return found

    def rss_mb(self) -> dict[int, float]:
        """Resident memory of each process, in MB."""
        out = {}
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        out[pid] = round(int(line.split()[1]) / 1024, 1)
            except OSError:
                pass
        return out

    def cpu_s(self) -> float:
        """CPU seconds of the server's processes (children that ended included)."""
        total = 0.0
        for pid in self.pids():
            try:
                stat = Path(f"/proc/{pid}/stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2 :].split()
            total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        return total

    def stop(self) -> dict[str, Any]:
        import signal

        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        text = self.log.read_text(errors="replace")
        bad = [ln for ln in text.splitlines() if " WARNING " in ln or " ERROR " in ln]
        bad += [ln for ln in text.splitlines() if ln.startswith(("WARNING:", "ERROR:"))]
        return {"log_warnings": len(bad), "first_warnings": [ln[:200] for ln in bad[:3]]}


# ------------------------------------------------------------------------ callers


@dataclasses.dataclass(frozen=True)
class PlannedCall:
    uniqueid: str
    callerid: str
    keys: tuple[str, ...]
    known: bool


@dataclasses.dataclass
class Result:
    queue_ns: int  # connect → SET VARIABLE "HOTLINE_QUEUE" (minus simulated playback)
    end_ns: int  # connect → the server closes the socket
    queue: str
    resident_id: str
    commands: int
    known: bool
    wall_s: float  # connect → close, playback included: how long the caller was on the line


@functools.cache
def _peer_environment() -> Callable[..., list[tuple[str, str]]]:
    """tests/agi/peer.py's environment(): the tests package is not installed, so by path."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.agi.peer import environment

    return environment


def env_block(call: PlannedCall, port: int) -> bytes:
    """The environment Asterisk sends first, in res_agi's order, as the test peer writes it."""
    env = _peer_environment()(callerid=call.callerid, dnid=DNID, uniqueid=call.uniqueid, port=port)
    return ("".join(f"{k}: {v}\n" for k, v in env) + "\n").encode()


async def one_call(port: int, call: PlannedCall, playback_s: float) -> Result:
    """Place one call and answer every command as Asterisk would."""
    block = env_block(call, port)
    keys = list(call.keys)
    slept = 0.0
    queue_ns = 0
    queue = resident = ""
    commands = 0
    t0 = time.perf_counter_ns()
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(block)
        while line := await reader.readline():
            commands += 1
            if line.startswith(b"SET VARIABLE"):
                parts = line.split(b'"')  # SET VARIABLE "NAME" "value"
                name, value = parts[1], (parts[3] if len(parts) > 3 else b"")
                if name == b"HOTLINE_QUEUE":
                    queue_ns = time.perf_counter_ns() - t0 - int(slept * 1e9)
                    queue = value.decode()
                elif name == b"HOTLINE_RESIDENT_ID":
                    resident = value.decode()
                writer.write(b"200 result=1\n")
            elif line.startswith((b"STREAM FILE", b"GET DATA")):
                if playback_s:  # the prompt "plays": not the server's time, so not counted
                    before = time.perf_counter()
                    await asyncio.sleep(playback_s)
                    slept += time.perf_counter() - before
                if line.startswith(b"STREAM"):
                    writer.write(b"200 result=0 endpos=16000\n")
                else:
                    entry = keys.pop(0) if keys else None
                    writer.write(
                        b"200 result= (timeout)\n"
                        if entry is None
                        else f"200 result={entry}\n".encode()
                    )
            elif line.startswith(b"RECORD FILE"):
                writer.write(b"200 result=0 (timeout) endpos=40000\n")
            elif line.startswith(b"HANGUP"):
                writer.write(b"200 result=1\n")
            else:
                writer.write(b"510 Invalid or unknown command\n")
        wall_ns = time.perf_counter_ns() - t0
        end_ns = wall_ns - int(slept * 1e9)
    finally:
        writer.close()
    return Result(queue_ns, end_ns, queue, resident, commands, call.known, wall_ns / 1e9)


@dataclasses.dataclass
class Plan:
    numbers: list[str]
    unknown: list[str]
    units: int
    rng: random.Random
    serial: int = 0

    def calls(self, count: int) -> list[PlannedCall]:
        out = []
        for _ in range(count):
            self.serial += 1
            uniqueid = f"1763877600.{self.serial}"
            if self.rng.random() >= UNKNOWN_SHARE:
                number = self.rng.choice(self.numbers)
                out.append(PlannedCall(uniqueid, number[3:], ("2",), True))  # 138…: national
                continue
            # An unknown caller types the unit: building, then entrance + room (a room of
            # floor 10 or above, so that "entrance + room" is not itself a room number).
            while True:
                u = self.rng.randrange(self.units)
                entrance, rm = room(u)
                if len(rm) == 4:
                    break
            building = str(u // UNITS_PER_BUILDING + 1)
            out.append(
                PlannedCall(
                    uniqueid,
                    self.rng.choice(self.unknown)[3:],
                    ("2", building, entrance + rm, "1"),
                    False,
                )
            )
        return out


@dataclasses.dataclass(frozen=True)
class Pace:
    """How callers behave between commands and between calls (a closed loop: all zero)."""

    playback_s: float = 0.0  # each STREAM FILE / GET DATA takes this long to answer
    idle_s: float = 0.0  # a caller waits about this long (uniform 0–2×) before each call
    stagger_s: float = 0.0  # callers start spread over this many seconds


async def _run(
    port: int,
    calls: list[PlannedCall],
    concurrency: int,
    pace: Pace,
    on_done: Callable[[int], None] | None,
) -> tuple[list[Result], int, float, float]:
    todo = iter(calls)
    results: list[Result] = []
    failures = 0
    busy_s = 0.0  # wall time callers spent in calls
    rng = random.Random(len(calls))

    async def worker() -> None:
        nonlocal failures, busy_s
        await asyncio.sleep(rng.uniform(0, pace.stagger_s))
        for call in todo:
            if pace.idle_s:
                await asyncio.sleep(rng.uniform(0, 2 * pace.idle_s))
            began = time.perf_counter()
            try:
                results.append(
                    await asyncio.wait_for(one_call(port, call, pace.playback_s), CALL_TIMEOUT_S)
                )
            except (TimeoutError, OSError) as exc:
                failures += 1
                if failures <= 3:
                    print(f"  call {call.uniqueid} failed: {exc!r}", file=sys.stderr)
            busy_s += time.perf_counter() - began
            if on_done is not None:
                on_done(len(results) + failures)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(calls)))))
    wall = time.perf_counter() - started
    return results, failures, wall, busy_s / wall


def run_calls(
    server: ServerProcess,
    calls: list[PlannedCall],
    concurrency: int,
    pace: Pace = Pace(),
    on_done: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Place the calls, ``concurrency`` at a time; their figures."""
    cpu0, client0 = server.cpu_s(), time.process_time()
    results, failures, wall, in_progress = asyncio.run(
        _run(server.port, calls, concurrency, pace, on_done)
    )
    cpu1, client1 = server.cpu_s(), time.process_time()
    wrong = [
        r
        for r in results
        if r.queue != "repair" or (server.kind == "hotline" and r.known and not r.resident_id)
    ]
    queue = sorted(r.queue_ns for r in results)
    end = sorted(r.end_ns for r in results)
    n = max(len(results), 1)
    return {
        "calls": len(calls),
        "concurrency": concurrency,
        "playback_ms": pace.playback_s * 1000,
        "idle_ms": round(pace.idle_s * 1000, 1),
        "calls_in_progress": round(in_progress, 1),
        "failed": failures,
        "wrong_queue_or_resident": len(wrong),
        "calls_per_s": round(len(results) / wall, 1),
        "p50_ms": round(percentile(queue, 0.50), 2) if queue else None,
        "p90_ms": round(percentile(queue, 0.90), 2) if queue else None,
        "p99_ms": round(percentile(queue, 0.99), 2) if queue else None,
        "max_ms": round(queue[-1] / 1e6, 2) if queue else None,
        "end_p50_ms": round(percentile(end, 0.50), 2) if end else None,
        "end_p99_ms": round(percentile(end, 0.99), 2) if end else None,
        "mean_call_s": round(sum(r.wall_s for r in results) / n, 3),
        "commands_per_call": round(sum(r.commands for r in results) / n, 1),
        "server_cpu_ms_per_call": round((cpu1 - cpu0) * 1000 / n, 2),
        "client_cpu_ms_per_call": round((client1 - client0) * 1000 / n, 2),
        "wall_s": round(wall, 1),
    }


def line(name: str, f: dict[str, Any]) -> str:
    return (
        f"{name:<26} {f['calls_per_s']:8,.1f} calls/s   p50 {f['p50_ms']:7.2f}"
        f"  p90 {f['p90_ms']:7.2f}  p99 {f['p99_ms']:7.2f}  max {f['max_ms']:7.2f} ms"
        f"   to close p99 {f['end_p99_ms']:7.2f} ms   server CPU"
        f" {f['server_cpu_ms_per_call']:.2f} ms/call   failed {f['failed']}"
        f" wrong {f['wrong_queue_or_resident']}"
    )


# ---------------------------------------------------------------------------- main


def bench_server(
    kind: str, url: str, data_dir: Path, plan: Plan, args: argparse.Namespace, figures: dict
) -> None:
    server = ServerProcess.start(kind, url, data_dir, args.workers)
    out = figures[kind] = {"workers": args.workers, "rss_start_mb": server.rss_mb()}
    try:
        run_calls(server, plan.calls(WARM_UP), 10)
        out["unloaded"] = f = run_calls(server, plan.calls(args.unloaded_calls), 1)
        print(line(f"{kind} (1 at a time)", f), flush=True)
        out["loaded"] = f = run_calls(server, plan.calls(args.calls), args.concurrency)
        print(line(f"{kind} ({args.concurrency} at once)", f), flush=True)
        if args.playback_ms:
            out["paced"] = f = run_calls(
                server, plan.calls(args.paced_calls), args.concurrency, paced(kind, args, figures)
            )
            print(line(f"{kind} (paced)", f), flush=True)
        if kind == "hotline" and args.memory_calls:
            out["rss_samples_mb"] = samples = [(0, server.rss_mb())]

            def sample(done: int) -> None:
                if done % SAMPLE_EVERY == 0:
                    samples.append((done, server.rss_mb()))

            out["memory_run"] = f = run_calls(
                server, plan.calls(args.memory_calls), args.concurrency, on_done=sample
            )
            print(line(f"{kind} (memory run)", f), flush=True)
        out["rss_end_mb"] = server.rss_mb()
    finally:
        out["server"] = server.stop()


def paced(kind: str, args: argparse.Namespace, figures: dict) -> Pace:
    """``--concurrency`` callers as real ones: prompts take time, arrivals spread out.

    The hotline's callers hear each prompt for ``--playback-ms``. The baseline plays
    none, so its callers wait between calls as long as a paced hotline call lasted:
    both servers then see the same calls per second.
    """
    playback = args.playback_ms / 1000
    hotline = figures.get("hotline", {}).get("paced")
    if kind == "hotline" or hotline is None:
        return Pace(playback_s=playback, stagger_s=10 * playback)
    return Pace(idle_s=hotline["mean_call_s"], stagger_s=10 * playback)


def total_mb(sample: dict[int, float]) -> float:
    return round(sum(sample.values()), 1)


def arguments(argv: list[str] | None) -> argparse.Namespace:
    from ivr.agi.workers import default_workers

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=5_000, help="timed calls per server")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument(
        "--unloaded-calls", type=int, default=300, help="calls placed one at a time, per server"
    )
    parser.add_argument(
        "--memory-calls",
        type=int,
        default=10_000,
        help="calls of the memory run (hotline server only; 0: none)",
    )
    parser.add_argument(
        "--playback-ms",
        type=float,
        default=300.0,
        help="paced run: each prompt and keypad entry takes this long (0: no paced run)",
    )
    parser.add_argument("--paced-calls", type=int, default=2_000)
    parser.add_argument(
        "--workers",
        type=int,
        default=default_workers(),
        help="worker processes of each server (hotline agi --workers; default: one per CPU)",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if args.serve_baseline:
        serve_baseline(args.workers)
        return 0
    numbers, unknown = draw_numbers(args.residents, max(1_000, args.residents // 10), args.seed)
    url, cleanup = open_backend(args.backend)
    figures: dict[str, Any] = {
        "residents": args.residents,
        "backend": args.backend,
        "cpus": os.cpu_count(),
        "workers": args.workers,
        "concurrency": args.concurrency,
        "unknown_share": UNKNOWN_SHARE,
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
        "client": "one asyncio loop in the parent process; each server in processes of its own",
        "goals": {
            "p99_ms": GOAL_P99_MS,
            "throughput_ratio": GOAL_RATIO,
            "memory_growth": GOAL_MEMORY_GROWTH,
        },
    }
    try:
        print(
            f"{args.backend}: loading {args.residents:,} residents …", file=sys.stderr, flush=True
        )
        engine = make_engine(url)
        figures["load_s"] = round(build(engine, numbers), 1)
        engine.dispose()
        print(
            f"loaded in {figures['load_s']} s; {os.cpu_count()} CPUs (load average"
            f" {figures['loadavg_start'][0]}); callers: one asyncio loop in this process;"
            f" each server: {args.workers} worker process(es) (hotline agi --workers)",
            flush=True,
        )
        plan = Plan(
            numbers,
            unknown,
            math.ceil(args.residents / RESIDENTS_PER_UNIT),
            random.Random(args.seed + 1),
        )
        with tempfile.TemporaryDirectory(prefix="agi_bench_data_") as data_dir:
            for kind in ("hotline", "baseline"):
                bench_server(kind, url, Path(data_dir), plan, args, figures)
            figures["spooled_files"] = len(list(Path(data_dir).glob("spool/calls/*.jsonl")))
        engine = make_engine(url)
        with engine.connect() as conn:
            figures["call_rows"] = conn.execute(text("SELECT count(*) FROM calls")).scalar()
            figures["call_event_rows"] = conn.execute(
                text("SELECT count(*) FROM call_events")
            ).scalar()
        engine.dispose()
    finally:
        cleanup()
    return report(figures)


def report(figures: dict[str, Any]) -> int:
    """The ratio, the verdicts, the memory samples; the JSON line last. The exit status."""
    hot, base = figures["hotline"], figures["baseline"]
    ratio = hot["loaded"]["calls_per_s"] / base["loaded"]["calls_per_s"]
    samples = [(n, total_mb(s)) for n, s in hot.get("rss_samples_mb", [])]
    # Growth from the sample after the first 1,000 calls (warm) to the last one.
    growth = (samples[-1][1] - samples[1][1]) / samples[1][1] if len(samples) > 2 else None
    paced_p99 = hot["paced"]["p99_ms"] if "paced" in hot else None
    verdicts = {
        "p99_closed_loop": hot["loaded"]["p99_ms"] < GOAL_P99_MS,
        "p99_paced": paced_p99 < GOAL_P99_MS if paced_p99 is not None else None,
        "throughput_closed_loop": ratio >= GOAL_RATIO,
        "memory": growth <= GOAL_MEMORY_GROWTH if growth is not None else None,
        "correct": all(
            run["failed"] == 0 and run["wrong_queue_or_resident"] == 0
            for server in (hot, base)
            for run in server.values()
            if isinstance(run, dict) and "failed" in run
        ),
    }
    figures.update(
        throughput_ratio=round(ratio, 3),
        server_cpu_ratio=round(
            base["loaded"]["server_cpu_ms_per_call"] / hot["loaded"]["server_cpu_ms_per_call"], 3
        ),
        memory_growth=round(growth, 3) if growth is not None else None,
        verdicts=verdicts,
        loadavg_end=[round(x, 2) for x in os.getloadavg()],
    )
    print(
        f"closed loop: hotline/baseline throughput {ratio:.3f} (goal ≥ {GOAL_RATIO}),"
        f" hotline p99 {hot['loaded']['p99_ms']:.2f} ms (goal < {GOAL_P99_MS});"
        f" server CPU per call baseline/hotline {figures['server_cpu_ratio']:.3f}"
    )
    if paced_p99 is not None:
        print(
            f"paced: hotline p50 {hot['paced']['p50_ms']:.2f} p99 {paced_p99:.2f} ms"
            f" at {hot['paced']['calls_per_s']} calls/s with {hot['paced']['calls_in_progress']}"
            f" calls in progress; baseline p99 {base['paced']['p99_ms']:.2f} ms"
            f" at {base['paced']['calls_per_s']} calls/s"
        )
    if growth is not None:
        print(
            "hotline server RSS, all its processes (MB), by calls of the memory run: "
            + ", ".join(f"{n:,}: {mb}" for n, mb in samples)
            + f"   growth after the first 1,000: {growth:+.1%}"
        )
    print(
        f"call rows {figures['call_rows']:,}, call events {figures['call_event_rows']:,},"
        f" spooled records {figures['spooled_files']};"
        f" load average {figures['loadavg_start'][0]} → {figures['loadavg_end'][0]}"
    )
    words = {True: "met", False: "MISSED", None: "not measured"}
    print("verdicts: " + ", ".join(f"{k} {words[v]}" for k, v in verdicts.items()))
    print(json.dumps(figures, ensure_ascii=False))
    return 1 if False in verdicts.values() else 0


if __name__ == "__main__":
    sys.exit(main())
