"""``/healthz`` for load balancers and operators, and the front page."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from models import Community, Resident, Unit
from models.db import current_revision, head_revision

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 when the database answers and is at the code's schema, 503 otherwise."""
    engine = current_app.extensions["hotline.engine"]
    try:
        have = current_revision(engine)
    except SQLAlchemyError as exc:
        current_app.logger.warning("health check: database unreachable: %s", exc)
        return jsonify(status="down", database="unreachable"), 503
    want = head_revision()
    ok = have == want
    body: dict[str, object] = {
        "status": "ok" if ok else "down",
        "database": "ok" if ok else f"at {have}, need {want}",
    }
    bus = current_app.extensions.get("hotline.bus")
    ami = current_app.extensions.get("hotline.ami")
    speech = current_app.extensions.get("hotline.speech")
    speech_health = speech.health() if speech is not None else None
    if speech_health is not None:
        body["speech"] = speech_health  # off, ok, or degraded (late or failed: keypad used)
    if bus is not None:
        body["bus"] = "ok" if bus.healthy() else "unreachable"
    if ami is not None:
        body["ami"] = ami.health()
    speech_degraded = speech_health is not None and speech_health["status"] == "degraded"
    if ok and (
        body.get("bus") == "unreachable"
        or (ami is not None and not ami.connected)
        or speech_degraded
    ):
        body["status"] = "degraded"  # still 200: only the database makes this node unfit
    return jsonify(body), 200 if ok else 503


@bp.get("/")
def index() -> str:
    """What this installation holds; the agents' console replaces this page."""
    with current_app.extensions["hotline.sessions"]() as session:
        counts = {
            "communities": session.scalar(select(func.count()).select_from(Community)),
            "units": session.scalar(select(func.count()).select_from(Unit)),
            "residents": session.scalar(select(func.count()).select_from(Resident)),
        }
        communities = session.scalars(select(Community).order_by(Community.code)).all()
        return render_template("index.html", counts=counts, communities=communities)
