"""An outbound call as the hotline asks for it, and what the provider answers. No I/O."""

from __future__ import annotations

import dataclasses
import enum
from typing import Protocol


class Purpose(enum.StrEnum):
    """Why the hotline calls someone."""

    CALLBACK = "callback"  # 回访: the resident is called back after a work order or a message
    SURVEY = "survey"  # 满意度调查: how did the repair go
    ON_CALL = "on_call"  # 值班: escalation to the on-call phone
    NOTICE = "notice"  # 通知: a campaign's message to a household
    FEE_REMINDER = "fee_reminder"  # 催缴: the amount and due date on the record
    SENIOR_CARE = "senior_care"  # 亲情电话: the senior-care programme's regular call


class MachineDetection(enum.StrEnum):
    """Answering-machine detection, as Twilio names its two modes."""

    OFF = ""
    ENABLE = "Enable"  # AnsweredBy as soon as Twilio has decided: human, machine or fax
    DETECT_MESSAGE_END = "DetectMessageEnd"  # wait for the greeting's beep to leave a message


STATUS_PATH = "/twilio/status"  # the call status callback of DESIGN.md's contract


@dataclasses.dataclass(frozen=True)
class OutboundCall:
    """One call to place.

    :param to: the number to ring, E.164 (``+8613800138000``).
    :param from_: the caller id shown, E.164; empty for the provider's configured one.
    :param answer_path: the webhook that runs when the call is answered, from the web
        app's root (``/twilio/outbound``); a provider makes it absolute.
    :param status_path: where the provider reports the call's progress.
    :param correlation_id: the hotline's own id for this attempt; it travels with the
        webhooks (query parameter ``correlation_id``) so that they find the record.
    :param ring_seconds: how long to let it ring before giving up (Twilio: 5–600).
    """

    to: str
    purpose: Purpose
    answer_path: str
    correlation_id: str
    from_: str = ""
    status_path: str = STATUS_PATH
    machine_detection: MachineDetection = MachineDetection.OFF
    ring_seconds: int = 30


@dataclasses.dataclass(frozen=True)
class PlacedCall:
    """The provider took the call: its own id for it (Twilio's CallSid) and its first status."""

    provider_call_id: str
    status: str  # Twilio's call status values: queued, ringing, in-progress, …


class Provider(Protocol):
    """Places outbound calls: Twilio's REST API, the simulator, Asterisk's AMI Originate."""

    def place(self, call: OutboundCall) -> PlacedCall:
        """Ask for ``call`` to be made; returns once the provider has accepted it.

        :raises CallRejected: the provider refused this call.
        :raises ProviderUnavailable: the provider could not be asked; try again later.
        """
        ...
