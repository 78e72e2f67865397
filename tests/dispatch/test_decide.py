"""Who takes what: the dispatcher's decision by table (no I/O)."""

from __future__ import annotations

import datetime as dt

import pytest

from ivr.dispatch.decide import (
    Assignment,
    FreeAgent,
    Work,
    WorkKind,
    assignments,
    next_assignment,
)

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
SUN, MOON = 1, 2  # two communities


def ago(minutes: float) -> dt.datetime:
    return NOW - dt.timedelta(minutes=minutes)


def caller(id: int, priority: int, waited: float, community: int | None = SUN) -> Work:
    return Work(WorkKind.CALLER, id, priority, ago(waited), community)


def callback(id: int, priority: int, waited: float, community: int | None = SUN) -> Work:
    return Work(WorkKind.CALLBACK, id, priority, ago(waited), community)


def agent(id: int, *communities: int, free_for: float = 1) -> FreeAgent:
    return FreeAgent(id, ago(free_for), frozenset(communities))


@pytest.mark.parametrize(
    ("name", "callers", "callbacks", "agents", "expected"),
    [
        ("no agent available", [caller(1, 10, 5)], [], [], None),
        ("nobody waiting", [], [], [agent(7, SUN)], None),
        (
            "highest priority first, however long others wait",
            [caller(1, 10, 30), caller(2, 100, 1)],
            [],
            [agent(7, SUN)],
            (7, WorkKind.CALLER, 2),
        ),
        (
            "same priority: the longest waiting",
            [caller(1, 10, 2), caller(2, 10, 9), caller(3, 10, 4)],
            [],
            [agent(7, SUN)],
            (7, WorkKind.CALLER, 2),
        ),
        (
            "a callback keeps its caller's place in line",
            [caller(1, 10, 5)],
            [callback(4, 10, 12)],
            [agent(7, SUN)],
            (7, WorkKind.CALLBACK, 4),
        ),
        (
            "a callback behind a caller who joined earlier waits its turn",
            [caller(1, 10, 15)],
            [callback(4, 10, 12)],
            [agent(7, SUN)],
            (7, WorkKind.CALLER, 1),
        ),
        (
            "an emergency caller goes before an older repair callback",
            [caller(1, 100, 1)],
            [callback(4, 10, 40)],
            [agent(7, SUN)],
            (7, WorkKind.CALLER, 1),
        ),
        (
            "an agent only takes callers of communities they serve",
            [caller(1, 100, 9, MOON), caller(2, 10, 1, SUN)],
            [],
            [agent(7, SUN)],
            (7, WorkKind.CALLER, 2),
        ),
        (
            "the agent who serves the community takes it",
            [caller(1, 100, 9, MOON)],
            [],
            [agent(7, SUN, free_for=30), agent(8, MOON, free_for=1)],
            (8, WorkKind.CALLER, 1),
        ),
        (
            "nobody serves the community: nothing",
            [caller(1, 100, 9, MOON)],
            [callback(4, 10, 2, MOON)],
            [agent(7, SUN)],
            None,
        ),
        (
            "an unknown community may go to any agent",
            [caller(1, 10, 9, None)],
            [],
            [agent(7, MOON)],
            (7, WorkKind.CALLER, 1),
        ),
        (
            "the agent available longest gets the call",
            [caller(1, 10, 9)],
            [],
            [agent(7, SUN, free_for=1), agent(8, SUN, MOON, free_for=20)],
            (8, WorkKind.CALLER, 1),
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_next_assignment(
    name: str,
    callers: list[Work],
    callbacks: list[Work],
    agents: list[FreeAgent],
    expected: tuple[int, WorkKind, int] | None,
) -> None:
    chosen = next_assignment(callers, callbacks, agents, NOW)
    got = None if chosen is None else (chosen.agent_id, chosen.work.kind, chosen.work.id)
    assert got == expected


def test_assignments_give_each_agent_one_piece_of_work_in_line_order() -> None:
    callers = [caller(1, 10, 3), caller(2, 100, 1), caller(3, 10, 8)]
    callbacks = [callback(4, 10, 5)]
    agents = [agent(7, SUN, free_for=9), agent(8, SUN, free_for=2), agent(9, SUN, free_for=1)]
    made = assignments(callers, callbacks, agents, NOW)
    assert made == [
        Assignment(7, callers[1]),
        Assignment(8, callers[2]),
        Assignment(9, callbacks[0]),
    ]
