"""Every console route: without login, with each role, and for another community.

The routes are discovered from ``app.url_map``, so routes added later are covered
too: every endpoint of the console's blueprints except the public ones below.
Without login each one sends the visitor to the login page (302 to
``/auth/login``) or refuses outright (401/403, allowed for JSON and event-stream
endpoints); it never answers 200, and no answer carries a resident's name, number
or a work-order number. Logged in, an agent asking for another community's object
gets 404 (403 where their role may not use the route at all), never its data.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from models import (
    Agent,
    AgentRole,
    AuditLog,
    Building,
    CallbackRequest,
    CallbackStatus,
    Community,
    PhoneNumber,
    ResidentRole,
    Team,
    Technician,
    Unit,
    WorkOrder,
    audit,
)
from models.incidents import Incident, IncidentScope
from models.oncall import OnCallRotation, OnCallShift, OnCallStep
from models.outbound import Campaign, FollowUpTask, JobPurpose, TaskKind
from tests import factories
from tests.console.conftest import csrf_token, log_in
from tests.console.wallboard.builders import NOW, at, callback, twilio_call, work_order

# Not the console: public by design (health, Twilio's signed webhooks, the simulator on
# loopback, static files, the prompt audio Twilio fetches for <Play>), and the test-only
# stand-ins of tests/console/conftest.py.
OTHER_BLUEPRINTS = {"health", "twilio", "simulator", "probe"}
PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.switch_language", "recordings.prompt"}
KNOWN = {"auth.console", "auth.logout", "wallboard.index", "wallboard.data", "audit.index"}
REFUSALS = (401, 403)  # allowed instead of a redirect to the login page
ACTIONS = ("GET", "POST", "PUT", "PATCH", "DELETE")

# What an id in a URL names, by the argument's name without ``_id``.
SUBJECTS = {
    "community": "community",
    "building": "building",
    "unit": "unit",
    "resident": "resident",
    "phone": "phone",
    "call": "call",
    "callback": "callback",
    "request": "callback",
    "order": "order",
    "work_order": "order",
    "team": "team",
    "technician": "technician",
    "entry": "entry",
    "audit": "entry",
    "agent": "agent",
    "campaign": "campaign",  # outbound calling campaigns (surveys, notices)
    "task": "task",  # follow-up tasks of the surveys (manual callbacks, supervisor calls)
    "shift": "shift",  # a shift of an on-call rotation (值班表)
    "incident": "incident",  # a declared incident (停水、停电、电梯故障)
}

# Other arguments: a value the route accepts, so that the request reaches its checks.
STRING_VALUES = {"kind": "voicemail", "fmt": "mp3", "action": "dispatch", "trade": "plumbing"}


@dataclasses.dataclass
class Side:
    """One community's objects, and words that must not leak to those who may not see them."""

    ids: dict[str, int]
    secrets: list[str]


def _side(s: Session, code: str, name: str, number: str, agent_login: str) -> Side:
    community = s.scalars(select(Community).where(Community.code == code)).one()
    unit = factories.unit(s, community, "9", "909")
    resident = factories.resident(
        s, name, units=[(unit, ResidentRole.OWNER)], phones=[(number, True)]
    )
    phone = s.scalars(select(PhoneNumber).where(PhoneNumber.resident_id == resident.id)).one()
    call = twilio_call(s, community.id, "repair", at(-60), left="leave")
    call.resident_id, call.unit_id, call.caller_e164 = resident.id, unit.id, number
    callback(s, call, at(-60), CallbackStatus.PENDING)
    team = Team(community_id=community.id, name=f"工程部{code}", trade="plumbing")
    s.add(team)
    s.flush()
    technician = Technician(team_id=team.id, name=f"师傅{code}")
    s.add(technician)
    order_id = work_order(s, community, at(3600))
    row: AuditLog = audit(s, action="view", subject_type="resident", subject_id=resident.id)
    campaign = Campaign(community_id=community.id, purpose=JobPurpose.NOTICE, name=f"停水{code}")
    task = FollowUpTask(
        kind=TaskKind.MANUAL_CALLBACK,
        community_id=community.id,
        work_order_id=order_id,
        reason="no answer",
        due_at=at(3600),
    )
    rotation = OnCallRotation(community_id=community.id, trade="plumbing", supervisor_name="")
    incident = Incident(
        community_id=community.id,
        scope=IncidentScope.COMMUNITY,
        title=f"停水{code}",
        message=f"{name}所在小区停水",  # the resident's name: it must not leak either
    )
    s.add_all([campaign, task, rotation, incident])
    s.flush()
    shift = OnCallShift(rotation_id=rotation.id, starts_at=at(-3600), ends_at=at(3600))
    s.add(shift)
    s.flush()
    s.add(OnCallStep(shift_id=shift.id, position=1, technician_id=technician.id))
    s.flush()

    ids = {
        "community": community.id,
        "building": s.get_one(Unit, unit.id).building_id,
        "unit": unit.id,
        "resident": resident.id,
        "phone": phone.id,
        "call": call.id,
        "callback": s.scalars(
            select(CallbackRequest.id).where(CallbackRequest.call_id == call.id)
        ).one(),
        "order": order_id,
        "team": team.id,
        "technician": technician.id,
        "entry": row.id,
        "agent": s.scalars(select(Agent.id).where(Agent.login == agent_login)).one(),
        "campaign": campaign.id,
        "task": task.id,
        "shift": shift.id,
        "incident": incident.id,
    }
    order_number = s.get_one(WorkOrder, order_id).number
    national = number.removeprefix("+86")
    return Side(ids, [name, number, national, f"{national[:3]}****{national[-4:]}", order_number])


@pytest.fixture
def world(engine: Engine, estate: dict[str, int]) -> Iterator[dict[str, Side]]:
    """SH01's and SH02's objects of every kind, and a supervisor of SH01 alone."""
    with Session(engine) as s:
        sides = {
            "SH01": _side(s, "SH01", "钱隐私", "+8613900001111", "agent1"),
            "SH02": _side(s, "SH02", "赵秘密", "+8613912342222", "agent3"),
        }
        only_sh01 = Agent(login="supervisor2", name="Supervisor2", role=AgentRole.SUPERVISOR)
        only_sh01.set_password("supervisor2-demo")
        only_sh01.communities = [s.get_one(Community, estate["SH01"])]
        s.add(only_sh01)
        assert s.get_one(Building, sides["SH01"].ids["building"])
        s.commit()
        yield sides


def console_rules(app: Flask) -> list[Rule]:
    """Every rule of the console's blueprints that is not public."""
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS
        and rule.endpoint.partition(".")[0] not in OTHER_BLUEPRINTS
        and not rule.endpoint.endswith(".static")
    ]


def url(app: Flask, rule: Rule, ids: dict[str, int]) -> str:
    """``rule``'s URL with each id argument naming the object of that kind in ``ids``."""
    values: dict[str, Any] = {}
    for name in rule.arguments:
        converter = rule._converters[name]  # noqa: SLF001 - the converter decides the value
        kind = SUBJECTS.get(name.removesuffix("_id"))
        if type(converter).__name__ in ("IntegerConverter", "NumberConverter"):
            values[name] = ids[kind] if kind else 1
        elif type(converter).__name__ == "AnyConverter":  # one of its own words
            values[name] = sorted(converter.items)[0]
        else:
            values[name] = STRING_VALUES.get(name, "x") if kind is None else str(ids[kind])
    with app.test_request_context():
        return app.url_map.bind("localhost").build(rule.endpoint, values)


def _body(response: TestResponse) -> str:
    """The body, except for an event stream (it would never end)."""
    if response.mimetype == "text/event-stream":
        response.close()
        return ""
    return response.get_data(as_text=True)


def _leaks(text: str, sides: dict[str, Side]) -> list[str]:
    return [word for side in sides.values() for word in side.secrets if word in text]


def test_the_console_routes_are_discovered(app: Flask) -> None:
    found = {rule.endpoint for rule in console_rules(app)}
    assert KNOWN <= found
    assert not found & PUBLIC_ENDPOINTS
    assert not {e for e in found if e.partition(".")[0] in OTHER_BLUEPRINTS}


def test_every_id_in_a_console_url_is_known_to_this_test(app: Flask) -> None:
    """A new route whose id names something this test cannot build would go untested."""
    unknown = {
        f"{rule.endpoint}: <{name}>"
        for rule in console_rules(app)
        for name in rule.arguments
        if type(rule._converters[name]).__name__ in ("IntegerConverter", "NumberConverter")  # noqa: SLF001
        and name.removesuffix("_id") not in SUBJECTS
    }
    assert not unknown, f"add these to SUBJECTS in {__name__}: {sorted(unknown)}"


def test_without_login_no_console_route_answers(
    app: Flask, client: FlaskClient, world: dict[str, Side]
) -> None:
    checked = []
    for rule in console_rules(app):
        target = url(app, rule, world["SH01"].ids)
        for method in sorted((rule.methods or set()) & set(ACTIONS)):
            # A valid token (fresh: logging out clears the session), so that each request
            # reaches the login check instead of being refused by the CSRF check.
            token = csrf_token(client) if method != "GET" else ""
            response = client.open(target, method=method, headers={"X-CSRFToken": token})
            body = _body(response)
            where = f"{method} {target} ({rule.endpoint})"
            assert response.status_code in (302, 303, *REFUSALS), f"{where}: {response.status}"
            if response.status_code in (302, 303):
                location = urlsplit(response.location)
                assert location.path == "/auth/login", f"{where} → {response.location}"
                if method == "GET":
                    assert parse_qs(location.query)["next"] == [target], where
            assert not _leaks(body, world), f"{where} shows {_leaks(body, world)}"
            checked.append(where)
    assert len(checked) >= len(KNOWN)


@pytest.mark.parametrize("login", ["agent1", "supervisor1", "admin"])
def test_no_console_page_fails_for_any_role(app: Flask, world: dict[str, Side], login: str) -> None:
    client = app.test_client()
    log_in(client, login)
    for rule in console_rules(app):
        if "GET" not in (rule.methods or set()):
            continue
        target = url(app, rule, world["SH01"].ids)
        response = client.get(target)
        _body(response)
        assert response.status_code < 500, f"GET {target} as {login}: {response.status}"


def _missing(ids: dict[str, int]) -> dict[str, int]:
    """Ids of nothing at all."""
    return {kind: value + 1_000_000 for kind, value in ids.items()}


def _with_ids(rule: Rule) -> bool:
    return any(SUBJECTS.get(n.removesuffix("_id")) for n in rule.arguments)


def test_another_communitys_objects_are_refused_like_missing_ones(
    app: Flask, world: dict[str, Side]
) -> None:
    """agent1 serves SH01: SH02's ids get what an id of nothing gets (404 on a page, or
    the route's own refusal), never a success and never SH02's data."""
    client = app.test_client()
    log_in(client, "agent1")
    checked = []
    for rule in filter(_with_ids, console_rules(app)):
        for method in sorted((rule.methods or set()) & set(ACTIONS)):
            answers = []
            for ids in (world["SH02"].ids, _missing(world["SH02"].ids)):
                target = url(app, rule, ids)
                token = csrf_token(client, "/console/") if method != "GET" else ""
                response = client.open(target, method=method, headers={"X-CSRFToken": token})
                body = _body(response)
                assert not _leaks(body, {"SH02": world["SH02"]}), f"{method} {target}"
                answers.append(response.status_code)
            where = f"{method} {url(app, rule, world['SH02'].ids)}"
            assert answers[0] >= 400 and answers[0] == answers[1], f"{where}: {answers}"
            if method == "GET":
                assert answers[0] in (403, 404), f"{where}: {answers}"
            checked.append(where)
    assert len(checked) >= 2


def test_no_page_shows_an_agent_another_communitys_residents(
    app: Flask, world: dict[str, Side]
) -> None:
    client = app.test_client()
    log_in(client, "agent1")
    for rule in console_rules(app):
        if "GET" not in (rule.methods or set()):
            continue
        target = url(app, rule, world["SH01"].ids)
        response = client.get(target)
        leaked = _leaks(_body(response), {"SH02": world["SH02"]})
        assert not leaked, f"GET {target} shows {leaked}"


@pytest.mark.parametrize(
    ("path", "status"), [("/console/wallboard/", 403), ("/console/audit/", 403)]
)
def test_agents_may_not_open_the_supervisors_pages(
    app: Flask, world: dict[str, Side], path: str, status: int
) -> None:
    client = app.test_client()
    log_in(client, "agent1")
    assert client.get(path).status_code == status
    assert (
        client.get(path.rstrip("/") + "/data.json" if "wallboard" in path else path).status_code
        == status
    )


def test_a_supervisor_of_one_community_sees_none_of_anothers_figures(
    app: Flask, world: dict[str, Side], estate: dict[str, int]
) -> None:
    app.extensions["hotline.wallboard.clock"] = lambda: NOW
    client = app.test_client()
    log_in(client, "supervisor2", "supervisor2-demo")

    mine = client.get("/console/wallboard/data.json").get_json()

    assert [c["code"] for c in mine["communities"]] == ["SH01"]
    assert {q["queue"]: q["callbacks_pending"] for q in mine["queues"]}["repair"] == 1
    assert mine["today"]["callbacks_requested"] == 0  # the SH01 call here is a queued one
    page = client.get("/console/wallboard/").get_data(as_text=True)
    assert "翠湖苑" not in page and "SH02" not in page
    other = client.get(f"/console/wallboard/data.json?community={estate['SH02']}")
    assert other.status_code == 404


def test_a_supervisor_of_one_community_sees_none_of_anothers_audit_entries(
    app: Flask, world: dict[str, Side]
) -> None:
    client = app.test_client()
    log_in(client, "supervisor2", "supervisor2-demo")

    page = client.get("/console/audit/").get_data(as_text=True)

    shown = [int(n) for n in re.findall(r'data-entry="(\d+)"', page)]
    assert shown == [world["SH01"].ids["entry"]]
    assert f"resident {world['SH02'].ids['resident']}" not in page
