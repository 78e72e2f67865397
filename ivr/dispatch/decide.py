"""Which available agent takes which waiting caller or callback (no I/O).

The order of the line is the same for both kinds of work: the highest
priority first, then the longest waiting, by the time the caller joined the
queue. A callback keeps its caller's place: its time is the original
enqueue time, not the time the caller pressed 1. An agent only takes work of
the communities they serve; work whose community is unknown (an unidentified
caller) may go to any agent, or it would never be answered.

Among the agents who may take the first piece of work, the one available
longest gets it, so that work is shared out evenly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterable, Sequence


class WorkKind(enum.StrEnum):
    """What an agent is offered."""

    CALLER = "caller"  # a caller waiting in a Twilio queue
    CALLBACK = "callback"  # a resident to call back at their place in line


@dataclasses.dataclass(frozen=True)
class Work:
    """One caller in the line, or one pending callback.

    :param id: the Call's id (a caller) or the CallbackRequest's id (a callback).
    :param enqueued_at: when the caller joined the queue: the place in line.
    :param community_id: the community called, None when unknown.
    """

    kind: WorkKind
    id: int
    priority: int
    enqueued_at: dt.datetime
    community_id: int | None


@dataclasses.dataclass(frozen=True)
class FreeAgent:
    """An available agent: since when, and the communities they serve."""

    id: int
    available_since: dt.datetime
    community_ids: frozenset[int]

    def serves(self, work: Work) -> bool:
        return work.community_id is None or work.community_id in self.community_ids


@dataclasses.dataclass(frozen=True)
class Assignment:
    """The dispatcher's decision: ``agent_id`` takes ``work``."""

    agent_id: int
    work: Work


def line_order(work: Work) -> tuple[int, dt.datetime, int, int]:
    """Highest priority first, then longest waiting; callers before callbacks at a tie."""
    return (-work.priority, work.enqueued_at, 0 if work.kind is WorkKind.CALLER else 1, work.id)


def next_assignment(
    waiting_callers: Iterable[Work],
    pending_callbacks: Iterable[Work],
    available_agents: Iterable[FreeAgent],
    now: dt.datetime,
) -> Assignment | None:
    """The next agent and the work they take, or None when nobody can take anything.

    Work that no available agent serves does not hold up work behind it.
    ``now`` only breaks ties between agents with no ``available_since`` in the past.
    """
    agents = sorted(available_agents, key=lambda a: (min(a.available_since, now), a.id))
    if not agents:
        return None
    for work in sorted([*waiting_callers, *pending_callbacks], key=line_order):
        for agent in agents:
            if agent.serves(work):
                return Assignment(agent_id=agent.id, work=work)
    return None


def assignments(
    waiting_callers: Sequence[Work],
    pending_callbacks: Sequence[Work],
    available_agents: Sequence[FreeAgent],
    now: dt.datetime,
) -> list[Assignment]:
    """Every assignment that can be made now, each agent and each piece of work at most once."""
    callers, callbacks, agents = (
        list(waiting_callers),
        list(pending_callbacks),
        list(available_agents),
    )
    made: list[Assignment] = []
    while (chosen := next_assignment(callers, callbacks, agents, now)) is not None:
        made.append(chosen)
        agents = [a for a in agents if a.id != chosen.agent_id]
        callers = [w for w in callers if w != chosen.work]
        callbacks = [w for w in callbacks if w != chosen.work]
    return made
