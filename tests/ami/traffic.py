"""What Asterisk 20 sends over AMI for one caller in a queue, field for field.

Field sets and order are app_queue's and manager.c's: the event's channel
snapshot (``Channel`` … ``Linkedid``, then one ``ChanVariable: NAME=value`` per
``channelvars`` entry of manager.conf), then for the Agent* events the agent's
channel with the ``Dest`` prefix (``DestChanVariable`` for its variables), then
the event's own fields. ``Timestamp`` follows ``Privilege`` when manager.conf
has ``timestampevents=yes``.
"""

from __future__ import annotations

import dataclasses

Fields = list[tuple[str, str]]

CHANNELVARS = ("HOTLINE_CALL_ID",)  # manager.conf: channelvars=HOTLINE_CALL_ID


@dataclasses.dataclass
class Agent:
    """A queue member: a softphone on PJSIP, and the name it was added to the queue with."""

    extension: str = "8001"
    name: str = "李娜"
    channel_seq: int = 0x66

    @property
    def interface(self) -> str:
        return f"PJSIP/{self.extension}"

    def channel(self) -> str:
        return f"PJSIP/{self.extension}-{self.channel_seq:08x}"


@dataclasses.dataclass
class QueuedCall:
    """A caller from the trunk whom the dialplan put in ``Queue(${HOTLINE_QUEUE})``.

    ``call_id``: the HOTLINE_CALL_ID the FastAGI server set (None: not set yet,
    sent empty); ``channelvars``: whether manager.conf lists it at all.
    """

    uniqueid: str = "1763877600.101"
    linkedid: str = ""
    channel: str = "PJSIP/trunk-00000065"
    caller: str = "13800138000"
    dialled: str = "02160000001"
    queue: str = "repair"
    call_id: int | None = None
    channelvars: bool = True
    timestamps: bool = False
    clock: float = 1763877600.0  # the Timestamp of the next event, when ``timestamps``

    def __post_init__(self) -> None:
        self.linkedid = self.linkedid or self.uniqueid

    # the events, in the order Asterisk sends them

    def join(self, position: int = 1, count: int = 1) -> Fields:
        return self._event(
            "QueueCallerJoin",
            "agent,all",
            self._caller(),
            [("Queue", self.queue), ("Position", str(position)), ("Count", str(count))],
        )

    def agent_called(self, agent: Agent) -> Fields:
        return self._event(
            "AgentCalled",
            "agent,all",
            self._caller() + self._agent(agent, "0", "Down"),
            [("Queue", self.queue), ("Interface", agent.interface), ("MemberName", agent.name)],
        )

    def ring_no_answer(self, agent: Agent, ring_time: int = 15) -> Fields:
        return self._event(
            "AgentRingNoAnswer",
            "agent,all",
            self._caller() + self._agent(agent, "5", "Ringing"),
            [
                ("Queue", self.queue),
                ("Interface", agent.interface),
                ("MemberName", agent.name),
                ("RingTime", str(ring_time)),
            ],
        )

    def agent_connect(self, agent: Agent, hold_time: int = 12, ring_time: int = 4) -> Fields:
        return self._event(
            "AgentConnect",
            "agent,all",
            self._caller() + self._agent(agent, "6", "Up"),
            [
                ("Queue", self.queue),
                ("MemberName", agent.name),
                ("Interface", agent.interface),
                ("RingTime", str(ring_time)),
                ("HoldTime", str(hold_time)),
            ],
        )

    def agent_complete(
        self, agent: Agent, hold_time: int = 12, talk_time: int = 95, reason: str = "caller"
    ) -> Fields:
        return self._event(
            "AgentComplete",
            "agent,all",
            self._caller() + self._agent(agent, "6", "Up"),
            [
                ("Queue", self.queue),
                ("MemberName", agent.name),
                ("Interface", agent.interface),
                ("HoldTime", str(hold_time)),
                ("TalkTime", str(talk_time)),
                ("Reason", reason),
            ],
        )

    def abandon(self, position: int = 1, original_position: int = 1, hold_time: int = 33) -> Fields:
        return self._event(
            "QueueCallerAbandon",
            "agent,all",
            self._caller(),
            [
                ("Queue", self.queue),
                ("Position", str(position)),
                ("OriginalPosition", str(original_position)),
                ("HoldTime", str(hold_time)),
            ],
        )

    def leave(self, position: int = 1, count: int = 0) -> Fields:
        return self._event(
            "QueueCallerLeave",
            "agent,all",
            self._caller(),
            [("Queue", self.queue), ("Count", str(count)), ("Position", str(position))],
        )

    def hangup(self, cause: int = 16, cause_txt: str = "Normal Clearing") -> Fields:
        return self._event(
            "Hangup",
            "call,all",
            self._caller(state=("6", "Up")),
            [("Cause", str(cause)), ("Cause-txt", cause_txt)],
        )

    def agent_hangup(self, agent: Agent) -> Fields:
        """The agent's channel hanging up: its own Uniqueid, the caller's Linkedid."""
        fields = _channel(
            "",
            name=agent.channel(),
            state=("6", "Up"),
            cid=(agent.extension, agent.name),
            connected=(self.caller, "<unknown>"),
            context="from-internal",
            exten=agent.extension,
            priority="1",
            uniqueid=self._agent_uniqueid(agent),
            linkedid=self.linkedid,
            variables=self._variables(None),
        )
        return self._event(
            "Hangup", "call,all", fields, [("Cause", "16"), ("Cause-txt", "Normal Clearing")]
        )

    # parts

    def _event(self, name: str, privilege: str, channels: Fields, own: Fields) -> Fields:
        head = [("Event", name), ("Privilege", privilege)]
        if self.timestamps:
            head.append(("Timestamp", f"{self.clock:.6f}"))
            self.clock += 1.5
        return head + channels + own

    def _caller(self, state: tuple[str, str] = ("6", "Up")) -> Fields:
        return _channel(
            "",
            name=self.channel,
            state=state,
            cid=(self.caller, "<unknown>"),
            connected=("<unknown>", "<unknown>"),
            context="hotline-queue",
            exten="s",
            priority="3",
            uniqueid=self.uniqueid,
            linkedid=self.linkedid,
            variables=self._variables(self.call_id),
        )

    def _agent(self, agent: Agent, state: str, state_desc: str) -> Fields:
        return _channel(
            "Dest",
            name=agent.channel(),
            state=(state, state_desc),
            cid=(agent.extension, agent.name),
            connected=(self.caller, "<unknown>"),
            context="from-internal",
            exten=agent.extension,
            priority="1",
            uniqueid=self._agent_uniqueid(agent),
            linkedid=self.linkedid,
            variables=self._variables(None),  # not inherited: the AGI sets no "_" prefix
        )

    def _agent_uniqueid(self, agent: Agent) -> str:
        seconds, _, seq = self.uniqueid.partition(".")
        return f"{seconds}.{int(seq) + agent.channel_seq - 0x64}"

    def _variables(self, call_id: int | None) -> dict[str, str]:
        if not self.channelvars:
            return {}
        return {"HOTLINE_CALL_ID": "" if call_id is None else str(call_id)}


def _channel(
    prefix: str,
    *,
    name: str,
    state: tuple[str, str],
    cid: tuple[str, str],
    connected: tuple[str, str],
    context: str,
    exten: str,
    priority: str,
    uniqueid: str,
    linkedid: str,
    variables: dict[str, str],
    language: str = "zh",
) -> Fields:
    """manager.c's ast_manager_build_channel_state_string_prefix()."""
    p = prefix
    fields = [
        (f"{p}Channel", name),
        (f"{p}ChannelState", state[0]),
        (f"{p}ChannelStateDesc", state[1]),
        (f"{p}CallerIDNum", cid[0]),
        (f"{p}CallerIDName", cid[1]),
        (f"{p}ConnectedLineNum", connected[0]),
        (f"{p}ConnectedLineName", connected[1]),
        (f"{p}Language", language),
        (f"{p}AccountCode", ""),
        (f"{p}Context", context),
        (f"{p}Exten", exten),
        (f"{p}Priority", priority),
        (f"{p}Uniqueid", uniqueid),
        (f"{p}Linkedid", linkedid),
    ]
    fields += [(f"{p}ChanVariable", f"{k}={v}") for k, v in variables.items()]
    return fields
