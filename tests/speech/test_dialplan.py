"""The shipped dialplan's listening leg, played as Asterisk would expand it.

The script's ``EXEC Originate`` names two contexts; their applications, expanded
with ``EXTEN`` = the spy group, must connect to Hotline's AudioSocket server with
the UUID the script announced, and spy on the group the script set.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from typing import Any

from hotline.config import Config
from ivr.audiosocket import Heard
from ivr.audiosocket.gather import LISTEN_CONTEXT, SPY_CONTEXT, SpeechGather
from tests.agi.test_dialer_to_survey import dialplan_context
from tests.speech.fakes import silence, tone
from tests.speech.peer import AsteriskLeg
from tests.speech.test_gather import MENU, engine, gather  # noqa: F401  (the same menu and server)


def expand(text: str, variables: dict[str, str]) -> str:
    """Asterisk's ``${NAME}`` and ``${NAME:offset:length}`` substitutions."""

    def one(match: re.Match[str]) -> str:
        value = variables.get(match.group(1), "")
        if match.group(2) is None:
            return value
        start = int(match.group(2))
        length = int(match.group(3)) if match.group(3) is not None else None
        return value[start:] if length is None else value[start : start + length]

    return re.sub(r"\$\{(\w+)(?::(\d+)(?::(\d+))?)?\}", one, text)


def _call(app: str) -> tuple[str, list[str]]:
    name, _, rest = app.partition("(")
    return name, rest.removesuffix(")").split(",")


class Asterisk:
    """Runs ``EXEC Originate`` through the shipped dialplan: the AudioSocket leg connects
    to where ``[hotline-audiosocket]`` says, the spy side is checked against SPYGROUP."""

    def __init__(self, port: int, voice: bytes) -> None:
        self.port = port
        self.voice = voice
        self.variables: dict[str, str] = {}
        self.apps: dict[str, list[tuple[str, list[str]]]] = {}

    def execute(self, command: str, *args: Any) -> dict[str, tuple[str, str]]:
        if command == "SET VARIABLE":
            self.variables[str(args[0])] = str(args[1])
        elif command == "EXEC" and args[0] == "Originate":
            channel, kind, context, exten, priority, _, options = str(args[1]).split(",")
            assert (kind, priority, options) == ("exten", "1", "a")
            local_exten, local_context = channel.removeprefix("Local/").split("@")
            globals_, listen = dialplan_context(local_context)
            _, spy = dialplan_context(context)
            names = {**globals_, "EXTEN": local_exten}
            self.apps["listen"] = [_call(expand(a, names)) for a in listen]
            self.apps["spy"] = [_call(expand(a, {**globals_, "EXTEN": exten})) for a in spy]
            threading.Thread(target=self._leg, daemon=True).start()
        elif command == "WAIT FOR DIGIT":
            time.sleep(int(args[0]) / 1000)
            return {"result": ("0", "")}
        return {"result": ("1", "")}

    def _leg(self) -> None:
        [(_, [call, where])] = [a for a in self.apps["listen"] if a[0] == "AudioSocket"]
        host, port = where.split(":")
        assert (host, int(port)) == (Config().audiosocket_host, Config().audiosocket_port)
        leg = AsteriskLeg(self.port, uuid.UUID(call))  # the test's server, on a free port
        leg.send_uuid()
        for start in range(0, len(self.voice), 320):
            leg.send_audio(self.voice[start : start + 320])
            time.sleep(0.02)
        leg.close()


def test_the_shipped_dialplan_streams_the_callers_voice_to_the_announced_gather(
    gather: SpeechGather,  # noqa: F811
) -> None:
    asterisk = Asterisk(gather.server.port, tone(300) + silence(600))
    listening = gather.start(asterisk, MENU)
    assert listening is not None
    assert gather.wait(asterisk, listening, timeout_s=5) == Heard(text="漏水")
    listen, spy = asterisk.apps["listen"], asterisk.apps["spy"]
    assert [name for name, _ in listen] == ["Answer", "AudioSocket", "Hangup"]
    assert listen[1][1][0] == str(listening.uuid)  # the dashed UUID the server expects
    [(name, [prefix, options]), _] = spy
    assert (name, prefix) == ("ChanSpy", "")
    group = re.fullmatch(r"[qoES]*g\((\w+)\)[qoES]*", options)
    assert group is not None and group.group(1) == asterisk.variables["SPYGROUP"]
    assert set(options) >= set("qoE")  # quiet, the caller's voice only, gone with the caller
    assert (LISTEN_CONTEXT, SPY_CONTEXT) == ("hotline-audiosocket", "hotline-spy")
