"""Audio over HTTP: callers' recordings for agents, built prompts for Twilio and the simulator.

``/console/calls/<id>/recordings/<kind>.mp3`` (or ``.wav``) plays a call's voicemail
or survey comment to a logged-in agent who serves the call's community, anyone
else gets 404 (as for any record out of scope); listening is audited.
``/prompts/<language>/<name>.mp3`` serves the built prompts (``hotline prompts
build``) to anyone: Twilio's ``<Play>`` fetches them without a login, and they say
nothing confidential. ``/console/transcripts`` lists and searches the transcripts of
callers' recordings (``hotline recordings collect`` and the survey comment queue make
them when a speech model is set), in the agent's communities; each one shown is audited.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext

from agent_console.layout import add_nav
from agent_console.recordings.http import bp


def init_app(app: Flask) -> None:
    """Register the recordings, transcripts and prompts routes."""
    app.register_blueprint(bp)
    add_nav(app, "recordings.transcripts", lazy_gettext("Transcripts"), order=30)
