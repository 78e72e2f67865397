"""Benchmark ``hotline import residents``: time and memory for a large CSV on SQLite.

A benchmark, not a test. Generates a deterministic CSV of plausible residents
(``--rows``, default 100,000: households of one to three people, unique CN mobile
numbers, one owner in twenty also owning a second unit), imports it into a fresh
SQLite file migrated with ``models.db.upgrade``, then imports it again, which
must change nothing. For each import it prints wall-clock and CPU seconds (CPU
time is what a busy machine does not inflate), the peak RSS (``ru_maxrss``), and
the RSS sampled at 25, 50, 75 and 100% of each pass (checking, then importing)
to show that memory stays flat. The last line is one JSON object with every figure.

    .venv/bin/python bench/import_bench.py                 # 100,000 rows
    .venv/bin/python bench/import_bench.py --rows 10000 --seed 7
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from models.db import make_engine, session_factory, upgrade
from models.importer import import_residents

COMMUNITIES = ["阳光花园", "翠湖苑", "金桂园", "滨江一号", "锦绣华庭"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国志强婷雪梅鹏飞晨曦"
PREFIXES = ["139", "138", "137", "136", "135", "186", "188", "150", "151", "158", "177", "199"]
HEADER = ["小区", "楼栋", "单元", "房号", "姓名", "电话", "身份", "语言"]


def rss_mb() -> float:
    """The process's resident set now, in MB (Linux), else its peak."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return peak_rss_mb()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def phone(serial: int) -> str:
    """A valid, unique CN mobile number for each serial below 10**8 per prefix."""
    prefix = PREFIXES[serial % len(PREFIXES)]
    return prefix + f"{(serial // len(PREFIXES)) * 7_919_923 % 10**8:08d}"


def residents(rows: int, seed: int = 2026) -> Iterator[list[str]]:
    """Households unit by unit: an owner, often family or a tenant; some own a second unit."""
    rng, serial, written, second_homes = random.Random(seed), 0, 0, []
    units = (
        (c, f"{b}栋", f"{e}单元", f"{f}{r:02d}室")
        for c in COMMUNITIES for b in range(1, 61) for e in range(1, 4)
        for f in range(1, 34) for r in range(1, 5)
    )  # fmt: skip
    for community, building, entrance, room in units:
        names: set[str] = set()
        for role in ["业主"] + rng.choices(["家属", "租户", "住户"], k=rng.choice([0, 1, 1, 2])):
            name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2])))
            if name in names:
                continue
            names.add(name)
            numbers = [phone(serial + i) for i in range(1 if rng.random() < 0.8 else 2)]
            serial += len(numbers)
            language = rng.choices(["", "中文", "英文"], weights=[90, 8, 2])[0]
            row = [community, building, entrance, room, name, ";".join(numbers), role, language]
            if role == "业主" and rng.random() < 0.05:
                second_homes.append(row)
            elif second_homes and second_homes[0][0] == community and rng.random() < 0.3:
                home = second_homes.pop(0)  # the owner of an earlier unit owns this one too
                if home[4] not in names:
                    names.add(home[4])
                    yield [community, building, entrance, room, *home[4:]]
                    written += 1
                    if written == rows:
                        return
            yield row
            written += 1
            if written == rows:
                return


Samples = dict[str, dict[str, float]]


@contextmanager
def sampling(samples: Samples, total: int, label: str) -> Iterator[object]:
    """A progress callback noting the RSS at 25, 50, 75 and 100% of a pass, and its seconds."""
    marks = samples.setdefault(label.split()[0], {})
    started = time.perf_counter()

    class Bar:
        done = 0

        def update(self, n: int) -> None:
            before, self.done = self.done, self.done + n
            for pct in (25, 50, 75, 100):
                if before < total * pct / 100 <= self.done:
                    marks[f"{pct}%"] = round(rss_mb(), 1)

    yield Bar()
    marks["seconds"] = round(time.perf_counter() - started, 2)


def timed_import(db_url: str, path: Path, samples: Samples) -> tuple[float, float, str]:
    """Wall-clock and CPU seconds of one import (CPU time shows through a busy machine)."""
    engine = make_engine(db_url)
    started, cpu = time.perf_counter(), time.process_time()
    with session_factory(engine)() as session:
        report = import_residents(
            session, path, progress=lambda total, label: sampling(samples, total, label)
        )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    engine.dispose()
    return elapsed, cpu, report.summary()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026, help="same seed, same file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        path, db = Path(tmp) / "residents.csv", Path(tmp) / "hotline.db"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            writer.writerows(residents(args.rows, args.seed))
        print(f"generated {args.rows} rows, {path.stat().st_size / 2**20:.1f} MB")
        engine = make_engine(f"sqlite:///{db}")
        upgrade(engine)
        engine.dispose()
        rss_start = rss_mb()
        first_samples: Samples = {}
        load = os.getloadavg()[0]
        first, first_cpu, summary = timed_import(f"sqlite:///{db}", path, first_samples)
        peak_first = peak_rss_mb()
        print(
            f"import:    {first:.1f} s ({first_cpu:.1f} s CPU, load average {load:.1f})  "
            f"peak RSS {peak_first:.0f} MB  {summary}"
        )
        print(f"  RSS at start {rss_start:.0f} MB; per pass, RSS MB and seconds: {first_samples}")
        again_samples: Samples = {}
        again, again_cpu, summary = timed_import(f"sqlite:///{db}", path, again_samples)
        print(
            f"re-import: {again:.1f} s ({again_cpu:.1f} s CPU)  "
            f"peak RSS {peak_rss_mb():.0f} MB  {summary}"
        )
        print(f"  per pass, RSS MB and seconds: {again_samples}")
    print(
        json.dumps(
            {
                "rows": args.rows,
                "seed": args.seed,
                "import_s": round(first, 2),
                "import_cpu_s": round(first_cpu, 2),
                "reimport_s": round(again, 2),
                "reimport_cpu_s": round(again_cpu, 2),
                "load_average": round(load, 2),
                "rss_mb_before_import": round(rss_start, 1),
                "peak_rss_mb_import": round(peak_first, 1),
                "peak_rss_mb": round(peak_rss_mb(), 1),
                "passes_import": first_samples,
                "passes_reimport": again_samples,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
