"""An incident's status message as recordings, made when the incident is declared.

The flow says ``incident.status`` with the message's words and the incident's id;
Twilio and the simulator speak the words, Asterisk plays ``hotline/incident-<id>``
(:func:`audio.speak.incident_piece`). This module makes that recording, in each
language's folder, through the prompt machinery: the uploaded recording as its
master, else the typed words synthesised. Without English words the Mandarin
recording serves English callers too (the same words, in the voice they were typed for).
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from audio.build import PromptBuilder
from audio.catalogue import Entry
from audio.exceptions import AudioError
from audio.speak import incident_piece
from ivr.prompt_texts import EN, ZH

log = logging.getLogger(__name__)


def build_incident_message(
    builder: PromptBuilder,
    incident_id: int,
    *,
    message: str,
    message_en: str = "",
    master: Path | None = None,
) -> list[Path]:
    """Make the incident's recordings in both languages; the files written.

    :raises AudioError: when a tool is missing or fails (the words still reach
        Twilio callers; Asterisk callers then hear the menu without the status).
    """
    name = incident_piece(incident_id)
    written: list[Path] = []
    made = builder.outputs(Entry(name, ZH, message))
    builder.build_entry(Entry(name, ZH, message, master))
    written += made.all()
    english = builder.outputs(Entry(name, EN, message_en or message))
    if message_en and master is None:
        builder.build_entry(Entry(name, EN, message_en))
    else:
        for source, target in zip(made.all(), english.all(), strict=True):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    written += english.all()
    return written


def remove_incident_message(builder: PromptBuilder, incident_id: int) -> None:
    """Delete the incident's recordings (it is closed: nobody hears it any more)."""
    name = incident_piece(incident_id)
    for language in (ZH, EN):
        for path in builder.outputs(Entry(name, language, "")).all():
            path.unlink(missing_ok=True)


__all__ = ["AudioError", "build_incident_message", "remove_incident_message"]
