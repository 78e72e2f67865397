"""Several dialer processes against one database, and dialers killed mid-call.

Each process runs :func:`tests.surveys.dialing.main`: the real dialer with a provider
that appends every call's correlation id to a shared file before answering (so a
call placed by a process killed just after is still on file).
"""

from __future__ import annotations

import collections
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ivr.dialer.claims import sweep_lapsed
from models import utcnow
from models.db import session_factory
from models.outbound import AttemptOutcome, FollowUpTask, JobStatus, OutboundAttempt, OutboundJob
from tests.surveys.dialing import add_jobs, community

REPO = Path(__file__).resolve().parents[2]


def _dialer(url: str, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """A dialer process; what it writes to stderr goes to ``<log>.err``."""
    with open(f"{log}.err", "ab") as err:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.surveys.dialing", url, str(log), *args],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def _errors(log: Path) -> str:
    path = Path(f"{log}.err")
    return path.read_text() if path.exists() else ""


def _placed(log: Path) -> collections.Counter[int]:
    """How many times each attempt id was handed to the provider."""
    lines = log.read_text().split("\n") if log.exists() else []
    return collections.Counter(
        int(line.split()[0].removeprefix("attempt-")) for line in lines if line
    )


def _state(engine: Engine) -> tuple[dict[int, OutboundJob], list[OutboundAttempt], set[int]]:
    with session_factory(engine)() as session:
        jobs = {j.id: j for j in session.scalars(select(OutboundJob))}
        attempts = list(session.scalars(select(OutboundAttempt)))
        tasks = set(session.scalars(select(FollowUpTask.job_id)))
        session.commit()
    return jobs, attempts, tasks


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_four_dialers_place_each_of_a_thousand_attempts_exactly_once(
    engine: Engine, session: Session, db_url: str, tmp_path: Path
) -> None:
    now = utcnow()
    ids = add_jobs(session, community(session, always=True), 1000, now=now)
    log = tmp_path / "placed.log"

    dialers = [_dialer(db_url, log) for _ in range(4)]
    for process in dialers:
        assert process.wait(timeout=120) == 0, _errors(log)

    placed = _placed(log)
    jobs, attempts, _ = _state(engine)
    assert len(placed) == 1000 and set(placed.values()) == {1}  # each once, none twice
    assert {a.id for a in attempts} == set(placed)
    assert sorted(a.job_id for a in attempts) == sorted(ids)  # every job got its attempt
    assert all(a.seq == 1 and a.provider_call_id and a.placed_at for a in attempts)
    assert {j.status for j in jobs.values()} == {JobStatus.CALLING}
    assert len({a.dialer for a in attempts}) > 1  # the work was shared


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_dialers_killed_at_random_points_neither_repeat_nor_lose_an_attempt(
    engine: Engine, session: Session, db_url: str, tmp_path: Path
) -> None:
    rng = random.Random(7)
    now = utcnow()
    ids = add_jobs(session, community(session, always=True), 200, now=now)
    log = tmp_path / "placed.log"
    lease = 2.0
    kills = {"self": 0, "outside": 0}
    deadline = time.monotonic() + 30
    # Three dialers at once, each killing itself on 3% of its calls (before or after the
    # placing); four times one is killed from outside at a random moment (in a claim's
    # transaction, between commits …). Every dialer killed is restarted, until done.
    running = [_dialer(db_url, log, "--crash", "0.03", "--claim-seconds", str(lease))]
    running += [_dialer(db_url, log, "--crash", "0.03", "--claim-seconds", str(lease))]
    running += [_dialer(db_url, log, "--crash", "0.03", "--claim-seconds", str(lease))]
    while running and time.monotonic() < deadline:
        time.sleep(rng.uniform(0.1, 0.6))
        if kills["outside"] < 4 and rng.random() < 0.5:
            os.kill(rng.choice(running).pid, signal.SIGKILL)
            kills["outside"] += 1
        for process in list(running):
            code = process.poll()
            if code is None:
                continue
            running.remove(process)
            if code == 0:
                continue
            assert code == -signal.SIGKILL, _errors(log)
            kills["self"] += 1
            running.append(_dialer(db_url, log, "--crash", "0.03", "--claim-seconds", str(lease)))
    for process in running:
        process.kill()
        process.wait()
    # A last dialer, never killed, after the dead ones' claims have lapsed.
    time.sleep(lease + 0.5)
    final = _dialer(db_url, log, "--claim-seconds", str(lease), "--idle-rounds", "3")
    assert final.wait(timeout=60) == 0, _errors(log)
    with session_factory(engine)() as s:
        assert sweep_lapsed(s, now=utcnow() + dt.timedelta(seconds=lease)) == []

    placed = _placed(log)
    jobs, attempts, tasks = _state(engine)
    by_id = {a.id: a for a in attempts}
    assert kills["self"] + kills["outside"] >= 3
    assert placed and max(placed.values()) == 1  # no attempt placed twice
    assert set(placed) <= set(by_id)  # every call placed is an attempt on record
    for job_id in ids:  # none lost: called, to be called again, or a person's task
        job = jobs[job_id]
        mine = sorted((a for a in attempts if a.job_id == job_id), key=lambda a: a.seq)
        assert [a.seq for a in mine] == list(range(1, job.attempts + 1))
        last = mine[-1]
        if job.status is JobStatus.CALLING:
            assert last.outcome is AttemptOutcome.PLACED and last.provider_call_id
            assert last.id in placed
        elif job.status is JobStatus.SCHEDULED:  # a lost attempt: the next comes later
            assert last.outcome is AttemptOutcome.FAILED and job.next_attempt_at > now
        else:
            assert job.status is JobStatus.MANUAL and job_id in tasks
    lost = [a for a in attempts if a.outcome is AttemptOutcome.FAILED]
    assert lost  # the kills did leave attempts behind, which the sweep ended
    recorded = {a.id for a in attempts if a.provider_call_id}
    assert recorded <= set(placed)
