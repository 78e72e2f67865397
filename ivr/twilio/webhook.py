"""What Twilio posts, read: the caller's action as the flow's event, and Twilio's numbers.

No I/O. Twilio sends every value as text, and a signed request can still hold
text no Twilio webhook ever carries, so nothing here raises on odd input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from ivr import flow

Form = Mapping[str, str]

# CallStatus values after which the call is over.
FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
# A CallSid is CA and 32 hex digits; the simulator's are at least as tame. It names
# the call's record (Call.provider_call_id is 64 characters) and its spool file.
_CALL_SID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def usable_sid(sid: str) -> bool:
    """Whether ``sid`` can name a call's record."""
    return bool(_CALL_SID.fullmatch(sid))


def flow_event(form: Form, *, on: str = "", empty: bool = False) -> flow.Event:
    """What the caller did, from the parameters Twilio posts to an action URL.

    A gather posts ``Digits`` (keys, without the finishing key) or
    ``SpeechResult`` (with ``Confidence``), and nothing at all on silence
    (``actionOnEmptyResult``). A recording (``on=record``) posts
    ``RecordingUrl`` and ``RecordingDuration`` in seconds, ``Digits`` being the
    key that ended it or ``hangup``; an empty one posts nothing and our
    ``<Redirect>`` says so (``empty``).
    """
    if on == "record":
        if empty:
            return flow.RecordingDone(ref="", seconds=0.0)
        ref = form.get("RecordingUrl", "") or form.get("RecordingSid", "")
        return flow.RecordingDone(ref=ref, seconds=seconds(form.get("RecordingDuration")))
    digits = form.get("Digits", "").strip()
    if digits:
        return flow.Digits(digits)
    speech = form.get("SpeechResult", "").strip()
    if speech:
        return flow.Speech(speech)
    return flow.NoInput()


def count(text: str | None) -> int:
    """A non-negative whole number Twilio sent (a queue position, seconds), or 0."""
    try:
        value = int(str(text or "0").strip())
    except ValueError:
        return 0
    return max(value, 0)


def seconds(text: str | None) -> float:
    """A duration Twilio sent, or 0 (never negative, NaN or infinite: JSON cannot hold those)."""
    try:
        value = float(str(text or "0").strip())
    except ValueError:
        return 0.0
    return value if math.isfinite(value) and value > 0 else 0.0
