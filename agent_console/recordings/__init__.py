"""Audio over HTTP: callers' recordings for agents, built prompts for Twilio and the simulator.

``/console/calls/<id>/recordings/<kind>.mp3`` (or ``.wav``) plays a call's voicemail
or survey comment to a logged-in agent who serves the call's community, anyone
else gets 404 (as for any record out of scope); listening is audited.
``/prompts/<language>/<name>.mp3`` serves the built prompts (``hotline prompts
build``) to anyone: Twilio's ``<Play>`` fetches them without a login, and they say
nothing confidential.
"""

from __future__ import annotations

from flask import Flask

from agent_console.recordings.http import bp


def init_app(app: Flask) -> None:
    """Register the recordings and prompts routes."""
    app.register_blueprint(bp)
