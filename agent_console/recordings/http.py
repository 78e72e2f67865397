"""The routes of :mod:`agent_console.recordings`."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, request, send_file, send_from_directory
from flask.typing import ResponseReturnValue

from agent_console.auth import current_agent, in_scope_or_404, login_required
from agent_console.auth.access import readers
from agent_console.privacy import record_view
from audio.build import prompts_dir
from audio.catalogue import LANGUAGES
from audio.exceptions import BadRecording
from audio.recordings import MEDIA_TYPES, recording_path
from hotline.config import Config
from models import Call

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
    agent = current_agent()
    assert agent is not None  # login_required
    with current_app.extensions["hotline.sessions"]() as session:
        record_view(session, agent, "call_recording", call_id, kind=kind)
        session.commit()


@bp.get("/prompts/<language>/<name>.mp3")
def prompt(language: str, name: str) -> ResponseReturnValue:
    """A built prompt as MP3, for Twilio's ``<Play>`` and the simulator."""
    if language not in LANGUAGES:
        abort(404)
    folder = prompts_dir(_config()) / "web" / language
    return send_from_directory(folder, f"{name}.mp3", mimetype="audio/mpeg", max_age=3600)
