"""A FastAGI peer that speaks to our server byte for byte as Asterisk does.

It connects, sends the ``agi_*`` environment block that res_agi's ``setup_env``
writes for ``AGI(agi://host:port/script)`` (``agi_network: yes`` first), then
answers each command the way a live channel would:

- ``200 result=0 endpos=N`` for STREAM FILE, ``200 result=1`` for SET VARIABLE;
- GET DATA returns the caller's next keypad entry, ``200 result=123``, or on a
  timeout ``200 result= (timeout)`` (digits typed before the timeout precede it);
- when the caller hangs up: a ``HANGUP`` line of its own, then ``200 result=-1``
  for the command in progress, then ``511 Command Not Permitted on a dead
  channel or intercept routine`` for every later command;
- WAIT FOR DIGIT waits its milliseconds and returns ``200 result=0``, or the
  ASCII code of the caller's next key from ``CallScript.wait_keys``;
- EXEC and RECORD FILE are handed to the test's ``on_exec`` / ``on_record``
  when given (e.g. to open an AudioSocket leg on ``EXEC Originate``, or to write
  the file Asterisk would record), else answered as a channel would;
- ``510 Invalid or unknown command`` for a command Asterisk does not know.
"""

from __future__ import annotations

import dataclasses
import shlex
import socket
import time
from collections.abc import Callable, Iterable

DEAD = "511 Command Not Permitted on a dead channel or intercept routine\n"


def environment(
    script: str = "hotline",
    *,
    callerid: str = "13800138000",
    dnid: str = "02160000001",
    uniqueid: str = "1763877600.101",
    channel: str = "PJSIP/trunk-00000065",
    language: str = "en",
    port: int = 4573,
) -> list[tuple[str, str]]:
    """The environment block of a call from a trunk, in res_agi's order."""
    return [
        ("agi_network", "yes"),
        ("agi_network_script", script),
        ("agi_request", f"agi://127.0.0.1:{port}/{script}"),
        ("agi_channel", channel),
        ("agi_language", language),
        ("agi_type", "PJSIP"),
        ("agi_uniqueid", uniqueid),
        ("agi_version", "20.10.0"),
        ("agi_callerid", callerid),
        ("agi_calleridname", "unknown"),
        ("agi_callingpres", "0"),
        ("agi_callingani2", "0"),
        ("agi_callington", "0"),
        ("agi_callingtns", "0"),
        ("agi_dnid", dnid),
        ("agi_rdnis", "unknown"),
        ("agi_context", "from-trunk"),
        ("agi_extension", dnid),
        ("agi_priority", "2"),
        ("agi_enhanced", "0.0"),
        ("agi_accountcode", ""),
        ("agi_threadid", "140245338916544"),
    ]


@dataclasses.dataclass
class CallScript:
    """What the caller does: keypad entries in order (None: let it time out).

    ``hangup_at``: the 0-based index of the command during which the caller hangs
    up (None: never). ``garbage_at``: answer that command with a line that is not
    AGI. ``drop_at``: close the socket instead of answering that command.
    """

    keys: list[str | None] = dataclasses.field(default_factory=list)
    hangup_at: int | None = None
    garbage_at: int | None = None
    drop_at: int | None = None
    hangup_on: str = ""  # hang up during the first command that starts with this
    wait_keys: list[str | None] = dataclasses.field(default_factory=list)  # WAIT FOR DIGIT
    on_exec: Callable[[list[str]], None] | None = None  # the command's words
    on_record: Callable[[list[str]], str] | None = None  # the command's words → the reply


@dataclasses.dataclass
class Transcript:
    """What the server did on the call, as Asterisk saw it."""

    commands: list[str] = dataclasses.field(default_factory=list)
    variables: dict[str, str] = dataclasses.field(default_factory=dict)
    files: list[str] = dataclasses.field(default_factory=list)
    hung_up_by_server: bool = False
    closed_cleanly: bool = False


def call(
    port: int,
    script: CallScript | None = None,
    env: Iterable[tuple[str, str]] | None = None,
    *,
    host: str = "127.0.0.1",
    timeout: float = 10.0,
) -> Transcript:
    """Place one call on the FastAGI server and play ``script``; what the server did."""
    script = script or CallScript()
    out = Transcript()
    keys = list(script.keys)
    with socket.create_connection((host, port), timeout=timeout) as sock:
        reader = sock.makefile("rb")
        block = "".join(f"{k}: {v}\n" for k, v in (env or environment(port=port))) + "\n"
        sock.sendall(block.encode())
        dead = False
        while True:
            raw = reader.readline()
            if not raw:
                out.closed_cleanly = True
                return out
            command = raw.decode().rstrip("\n")
            index = len(out.commands)
            out.commands.append(command)
            if script.drop_at == index:
                return out
            if script.garbage_at == index:
                sock.sendall(b"this is not agi\n")
                continue
            if dead:
                sock.sendall(DEAD.encode())
                continue
            if script.hangup_at == index or (
                script.hangup_on and command.startswith(script.hangup_on)
            ):
                dead = True
                sock.sendall(b"HANGUP\n" + _hangup_reply(command).encode())
                continue
            reply = _answer(command, keys, out, script)
            sock.sendall(reply.encode())


def _hangup_reply(command: str) -> str:
    verb = command.split(" ", 1)[0].upper()
    if verb == "STREAM":
        return "200 result=-1 endpos=0\n"
    if verb in ("GET", "RECORD", "WAIT", "EXEC", "ANSWER"):
        return "200 result=-1\n"
    return DEAD


def _answer(command: str, keys: list[str | None], out: Transcript, script: CallScript) -> str:
    words = shlex.split(command)
    verb = " ".join(words[:2]).upper() if len(words) > 1 else words[0].upper()
    if verb == "WAIT FOR":  # WAIT FOR DIGIT <ms>
        key = script.wait_keys.pop(0) if script.wait_keys else None
        if key is None:
            time.sleep(int(words[3]) / 1000)
            return "200 result=0\n"
        return f"200 result={ord(key)}\n"
    if verb == "RECORD FILE" and script.on_record is not None:
        return script.on_record(words)
    if words[0].upper() == "EXEC":
        if script.on_exec is not None:
            script.on_exec(words)
        return "200 result=0\n"  # the application's return value
    if verb == "SET VARIABLE":
        out.variables[words[2]] = words[3] if len(words) > 3 else ""
        return "200 result=1\n"
    if verb == "STREAM FILE":
        out.files.append(words[2])
        return "200 result=0 endpos=16000\n"
    if verb == "GET DATA":
        out.files.append(words[2])
        entry = keys.pop(0) if keys else None
        return "200 result= (timeout)\n" if entry is None else f"200 result={entry}\n"
    if verb == "RECORD FILE":
        return "200 result=0 (timeout) endpos=40000\n"
    if verb in ("ANSWER", "EXEC", "GET VARIABLE", "VERBOSE", "NOOP", "SET MUSIC"):
        return "200 result=1\n" if verb != "GET VARIABLE" else "200 result=0\n"
    if words[0].upper() == "HANGUP":
        out.hung_up_by_server = True
        return "200 result=1\n"
    return "510 Invalid or unknown command\n"
