"""The Twilio webhooks under gunicorn, counted in instructions rather than timed.

A benchmark, not a test. ``bench/twilio_bench.py``'s requests/s move with this
host's speed, which drifts by half from one minute to the next; a count of
instructions does not. This runs each server of that bench (the hotline, then the
static-TwiML baseline: the same database build, gunicorn settings, signed calls)
with the gunicorn process and its two workers under valgrind's callgrind, makes
``--warm-up`` calls, zeroes the workers' counters, makes ``--calls`` calls (each
``/voice`` then ``/step``) at ``--concurrency`` in flight, and dumps the counters.
It prints the instructions per request of each and their ratio, then one JSON
line. What it leaves out: the kernel (sockets, SQLite's file reads and writes)
and waiting. Needs valgrind (Debian's ``valgrind``); takes some minutes.

    .venv/bin/python bench/twilio_instructions.py            # 200 calls each
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import twilio_bench as tb  # noqa: E402

TARGETS = {
    "hotline": "bench.twilio_bench:app_factory()",
    "baseline": "bench.twilio_bench:baseline_factory()",
}


def count(name: str, url: str, folder: Path, plan, args: argparse.Namespace) -> float:  # type: ignore[no-untyped-def]
    """Instructions per request of ``name``'s workers (callgrind dumps after zeroing)."""
    out = folder / f"{name}.callgrind"
    out.mkdir()
    popen = subprocess.Popen

    def under_valgrind(command, *rest, **kw):  # type: ignore[no-untyped-def]
        if "gunicorn" in str(command[0]):
            command = [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}/out.%p",
                "--trace-children=yes",
                "--compress-strings=no",
                "--compress-pos=no",
                sys.executable,
                *command,
            ]
        return popen(command, *rest, **kw)

    env = {tb.ENV_DATABASE_URL: url, tb.ENV_DATA_DIR: str(folder)}
    # Under valgrind a worker takes minutes to load the app on a busy machine.
    server_args = argparse.Namespace(worker_class="sync", threads=1, ready_s=600.0)
    tb.subprocess.Popen = under_valgrind  # type: ignore[attr-defined]
    try:
        server = tb.Server(TARGETS[name], env, folder / f"{name}.log", server_args)
    finally:
        tb.subprocess.Popen = popen  # type: ignore[attr-defined]
    try:
        time.sleep(2)  # the workers' valgrind settles
        tb.drive(server.port, plan(args.warm_up), args.concurrency, 2)
        workers = server.workers()
        for pid in workers:
            subprocess.run(["callgrind_control", "-z", str(pid)], capture_output=True, check=True)
        requests = len(tb.drive(server.port, plan(args.calls), args.concurrency, 2)["samples"])
        for pid in workers:
            subprocess.run(["callgrind_control", "-d", str(pid)], capture_output=True, check=True)
    finally:
        server.stop()
    total = 0
    for pid in workers:
        for dump in out.glob(f"out.{pid}*"):
            head = dump.read_text(errors="replace")[:4000]
            if "Trigger: dump" in head:  # the dump asked for, not the one at the end
                total += int(re.search(r"^summary: (\d+)", head, re.M).group(1))  # type: ignore[union-attr]
    shutil.rmtree(out)
    if not total:
        raise RuntimeError(f"{name}: no callgrind dump of the workers {workers}")
    return total / requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="counted calls per server")
    parser.add_argument("--warm-up", type=int, default=150, help="uncounted calls first")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    sids = (f"CA{rng.getrandbits(128):032x}" for _ in itertools.count())
    figures: dict[str, object] = {"calls": args.calls, "concurrency": args.concurrency}
    with tempfile.TemporaryDirectory(prefix="twilio_instructions_") as tmp:
        folder = Path(tmp)
        url, cleanup = tb.open_backend("sqlite", folder)
        try:
            _, summary, callers = tb.build(url, args.seed)

            def plan(n: int) -> list[tuple[str, str, str]]:
                return [(next(sids), *rng.choice(callers)) for _ in range(n)]

            for name in TARGETS:
                per = count(name, url, folder, plan, args)
                figures[f"{name}_instructions_per_request"] = round(per)
                print(f"{name}: {per / 1e6:.3f} million instructions per request", flush=True)
        finally:
            cleanup()
    ratio = (
        figures["baseline_instructions_per_request"] / figures["hotline_instructions_per_request"]
    )  # type: ignore[operator]
    figures["ratio"] = round(ratio, 3)
    print(f"baseline / hotline: {ratio:.3f}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
