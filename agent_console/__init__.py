"""The Flask web app: agents' console, wallboard, reports, call simulator, webhooks."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import configure_mappers

from hotline.bus import EventBus, make_bus
from hotline.config import Config, load_config
from models.db import make_engine, session_factory
from models.survey_rules import configure as configure_surveys
from models.survey_rules import settings_from_config


def create_app(
    test_config: dict[str, Any] | None = None,
    config: Config | None = None,
    *,
    bus: EventBus | None = None,
) -> Flask:
    """Build the web app: configuration, database, event bus, blueprints.

    :param test_config: Flask settings for tests (e.g. ``{"TESTING": True}``).
    :param config: Hotline's configuration; loaded from file and environment when omitted.
    :param bus: the event bus the console listens to (``hotline serve`` shares its daemons');
        made from the configuration when omitted.
    """
    app = Flask(__name__)
    hotline_config = config or load_config()
    app.config.from_mapping(HOTLINE=hotline_config)
    if test_config:
        app.config.from_mapping(test_config)
    engine = make_engine(hotline_config.effective_database_url)
    # The models' mappings are worked out now, once (a few hundred milliseconds), not
    # by the first request that touches one: a caller's first webhook, say.
    configure_mappers()
    app.extensions["hotline.engine"] = engine
    app.extensions["hotline.sessions"] = session_factory(engine)
    app.extensions["hotline.bus"] = bus if bus is not None else make_bus(hotline_config)
    configure_surveys(settings_from_config(hotline_config))  # survey rules the config asks for

    from agent_console import auth, desk, health, layout, simulator, wallboard, work_orders
    from ivr.outbound import make_provider
    from ivr.twilio import http as twilio_http
    from ivr.twilio.settings import TwilioSettings
    from models.db import read_session_factory

    app.register_blueprint(health.bp)
    twilio_settings = TwilioSettings.from_config(hotline_config)
    webhook_sessions = {
        "sessions": app.extensions["hotline.sessions"],
        "readers": read_session_factory(engine),
    }
    app.register_blueprint(twilio_http.create_blueprint(twilio_settings, **webhook_sessions))
    app.register_blueprint(simulator.create_blueprint(twilio_settings, **webhook_sessions))
    auth.init_app(app, hotline_config)  # after the blueprints it exempts from CSRF
    layout.init_app(app)
    from agent_console import incidents, oncall, reports, surveys

    for area in (desk, work_orders, wallboard, surveys, reports, incidents, oncall):
        area.init_app(app)
    from agent_console import recordings

    recordings.init_app(app)
    if not (hotline_config.twilio_account_sid or hotline_config.twilio_auth_token):
        # No telephony account: outbound calls (callbacks, later surveys) ring the simulator.
        app.extensions["hotline.outbound"] = make_provider(hotline_config)
    return app
