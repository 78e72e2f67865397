"""The routes of :mod:`agent_console.recordings`."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    render_template,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext
from sqlalchemy import select

from agent_console.auth import (
    community_scope,
    in_scope_or_404,
    login_required,
    signed_in,
    writer,
)
from agent_console.auth.access import readers
from agent_console.privacy import record_view, shown_number
from agent_console.wallboard import labels
from audio.build import prompts_dir
from audio.catalogue import LANGUAGES
from audio.exceptions import BadRecording
from audio.recordings import MEDIA_TYPES, recording_path, stored_kinds
from audio.speech.transcripts import search_transcripts
from hotline.config import Config
from models import Call, Community

bp = Blueprint("recordings", __name__)


def _config() -> Config:
    config: Config = current_app.config["HOTLINE"]
    return config


@bp.get("/console/calls/<int:call_id>/recordings/<kind>.<fmt>")
@login_required
def play(call_id: int, kind: str, fmt: str) -> ResponseReturnValue:
    """A call's recording, to an agent serving the call's community."""
    try:
        path = recording_path(_config().data_dir, call_id, kind, fmt)
    except BadRecording:
        abort(404)
    with readers() as db:
        in_scope_or_404(db.get(Call, call_id))
    if not path.is_file():
        abort(404)
    if request.headers.get("Range", "bytes=0-").startswith("bytes=0-"):
        _audit_listening(call_id, kind)  # once per playback, not per byte range
    return send_file(path, mimetype=MEDIA_TYPES[fmt], conditional=True, max_age=0)


def _audit_listening(call_id: int, kind: str) -> None:
    agent = signed_in()
    with writer() as session:
        record_view(session, agent, "call_recording", call_id, kind=kind)
        session.commit()


@bp.get("/prompts/<language>/<name>.mp3")
def prompt(language: str, name: str) -> ResponseReturnValue:
    """A built prompt as MP3, for Twilio's ``<Play>`` and the simulator."""
    if language not in LANGUAGES:
        abort(404)
    folder = prompts_dir(_config()) / "web" / language
    return send_from_directory(folder, f"{name}.mp3", mimetype="audio/mpeg", max_age=3600)


KIND_LABELS = {
    "voicemail": lazy_gettext("Message left"),
    "survey-comment": lazy_gettext("Survey comment"),
}
MAX_QUERY = 100
SHOWN = 50


@bp.get("/console/transcripts")
@login_required
def transcripts() -> str:
    """Callers' recordings as text, newest first, searched by words, in the agent's communities.

    Each transcript shown is audited as a view of that call's recording.
    """
    words = request.args.get("q", "").strip()[:MAX_QUERY]
    scope = community_scope()
    with readers() as db:
        found = db.execute(search_transcripts(words, community_ids=scope, limit=SHOWN)).all()
        communities = {
            c.id: c for c in db.scalars(select(Community).where(Community.id.in_(scope)))
        }
    zone = labels.zone_of(list(communities.values()))
    data_dir = _config().data_dir
    rows, seen = [], []
    for event, call in found:
        kind = str((event.data or {}).get("recording") or "")
        community = communities.get(call.community_id or 0)
        playable = kind in stored_kinds(data_dir, call.id)
        seen.append((call.id, kind))
        rows.append(
            {
                "call_id": call.id,
                "when": labels.local(event.at, zone),
                "community": community.name if community else "",
                "caller": shown_number(call.caller_e164 or call.caller_number),
                "kind": KIND_LABELS.get(kind, kind),
                "text": event.note or "",
                "audio": url_for("recordings.play", call_id=call.id, kind=kind, fmt="mp3")
                if playable
                else "",
            }
        )
    _audit_transcripts(
        [
            (row["call_id"], str((e.data or {}).get("recording")))
            for row, (e, _) in zip(rows, found, strict=True)
        ]
    )
    return render_template(
        "recordings/transcripts.html", words=words, rows=rows, timezone=str(zone), shown=SHOWN
    )


def _audit_transcripts(shown: list[tuple[int, str]]) -> None:
    """One audit row per transcript shown: its text is the caller's own words."""
    if not shown:
        return
    agent = signed_in()
    with writer() as session:
        for call_id, kind in shown:
            record_view(session, agent, "call_recording", call_id, kind=kind, transcript=True)
        session.commit()
