"""Hand-built calls, events, agents and work orders whose wallboard figures are known.

Times are given as seconds around :data:`NOW`, 10:00 on 2 December 2026 in Shanghai.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from sqlalchemy.orm import Session

from ivr import flow
from ivr.flow.context import CallContext
from ivr.flow.context import Community as FlowCommunity
from ivr.flow.state import Call as FlowCall
from ivr.twilio.store import StoredCall
from models import (
    AgentPresence,
    Call,
    CallbackRequest,
    CallbackStatus,
    CallEvent,
    Category,
    Community,
    Direction,
    PresenceState,
    Status,
    create_work_order,
)

NOW = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
_ids = itertools.count(1)


def at(seconds: float, base: dt.datetime = NOW) -> dt.datetime:
    """``base`` moved by ``seconds`` (negative: before)."""
    return base + dt.timedelta(seconds=seconds)


def _call(
    s: Session, provider: str, community_id: int, queue: str, joined: dt.datetime, **kw: Any
) -> Call:
    call = Call(
        provider=provider,
        provider_call_id=f"{provider}-{next(_ids)}",
        direction=Direction.INBOUND,
        community_id=community_id,
        queue=queue,
        started_at=kw.pop("started_at", joined - dt.timedelta(seconds=30)),
        **kw,
    )
    s.add(call)
    s.flush()
    return call


def _event(s: Session, call: Call, kind: str, when: dt.datetime, **data: Any) -> None:
    s.add(CallEvent(call_id=call.id, kind=kind, at=when, data=data))
    s.flush()


def asterisk_call(
    s: Session,
    community_id: int,
    queue: str,
    joined: dt.datetime,
    *,
    answered_after: float | None = None,
    abandoned_after: float | None = None,
) -> Call:
    """A caller who joined ``queue`` at ``joined``: still waiting, answered, or abandoned."""
    disposition, step = "queued", "main_menu"
    if answered_after is not None:
        disposition, step = "answered", "queue"
    elif abandoned_after is not None:
        disposition, step = "abandoned", "queue"
    call = _call(
        s, "asterisk", community_id, queue, joined, disposition=disposition, disposition_step=step
    )
    call.ended_at = joined  # the IVR's close: when the dialplan took the caller to Queue()
    _event(s, call, "queue.joined", joined, queue=queue, position=1, count=1)
    if answered_after is not None:
        wait = int(answered_after)
        _event(s, call, "agent.called", at(answered_after - 2, joined), queue=queue)
        _event(s, call, "agent.connected", at(answered_after, joined), queue=queue, hold_time=wait)
        _event(s, call, "queue.left", at(answered_after, joined), queue=queue, count=0)
        _event(s, call, "call.hangup", at(answered_after + 120, joined))
        call.ended_at = at(answered_after + 120, joined)
    elif abandoned_after is not None:
        wait = int(abandoned_after)
        _event(s, call, "queue.abandoned", at(abandoned_after, joined), queue=queue, hold_time=wait)
        _event(s, call, "call.hangup", at(abandoned_after, joined))
        call.ended_at = at(abandoned_after, joined)
    s.flush()
    return call


def stored(queue: str, *, left: str | None = None, final: str | None = None) -> dict[str, Any]:
    """A Twilio call's flow state after the flow queued it in ``queue``."""
    ctx = CallContext(call_id="x", community=FlowCommunity("SH01", "阳光花园"), now="2026-12-02")
    state = flow.Closed(call=FlowCall.begin(ctx), disposition="queued", step="main_menu")
    return StoredCall(state=state, queue=queue, left_queue=left, final_status=final).to_dict()


def twilio_call(
    s: Session,
    community_id: int,
    queue: str,
    joined: dt.datetime,
    *,
    answered_after: float | None = None,
    abandoned_after: float | None = None,
    left: str | None = None,
) -> Call:
    """A Twilio caller queued at ``joined``, as the webhooks leave its row and events."""
    if answered_after is None and abandoned_after is None:
        call = _call(s, "twilio", community_id, queue, joined, disposition="queued")
        call.disposition_step = "main_menu"
        call.flow_state, call.ended_at = stored(queue, left=left), joined
        s.flush()
        return call
    answered = answered_after is not None
    wait = answered_after if answered else abandoned_after
    assert wait is not None
    result = "bridged" if answered else "hangup"
    end = at(wait + (200 if answered else 0), joined)
    call = _call(
        s,
        "twilio",
        community_id,
        queue,
        joined,
        disposition="answered" if answered else "abandoned",
        disposition_step="queue",
        flow_state=stored(queue, left=result, final="completed"),
        ended_at=end,
    )
    # Twilio asks the <Enqueue> action when the caller leaves: QueueTime is the wait.
    _event(s, call, "call.queue_result", end, result=result, queue=queue, seconds=str(int(wait)))
    _event(s, call, "twilio.status", end, status="completed")
    return call


def presence(
    s: Session,
    agent_id: int,
    state: PresenceState,
    since: dt.datetime,
    reason: str | None = None,
) -> None:
    s.add(AgentPresence(agent_id=agent_id, state=state, since=since, reason=reason))
    s.flush()


def callback(s: Session, call: Call, enqueued: dt.datetime, status: CallbackStatus) -> None:
    s.add(
        CallbackRequest(
            call_id=call.id,
            community_id=call.community_id,
            number="+8613800138000",
            language="zh_CN",
            queue=call.queue or "inquiry",
            enqueued_at=enqueued,
            status=status,
        )
    )
    s.flush()


def work_order(
    s: Session, community: Community, due: dt.datetime, status: Status = Status.OPEN
) -> int:
    order = create_work_order(
        s, community=community, category=Category.REPAIR, now=due - dt.timedelta(hours=24)
    )
    order.due_at, order.status = due, status
    s.flush()
    return order.id
