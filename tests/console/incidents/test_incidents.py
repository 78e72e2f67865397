"""The incident pages: declaring (scoped, audited, its message recorded for Asterisk),
the list and an incident's page, closing with a notice campaign to the households."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from agent_console.auth.i18n import SOURCES, merge_catalogues
from models import AuditLog, Call, CallEvent, Direction, Incident, IncidentScope, IncidentStatus
from models.outbound import Campaign, CampaignStatus, JobPurpose, OutboundJob
from tests.console.conftest import csrf_token
from tests.console.work_orders.conftest import Places, as_agent

NEW = "/console/incidents/new"
MESSAGE = "3栋2单元停水抢修中，预计18点恢复供水。"


def declare(client: FlaskClient, places: Places, **form: object):
    data = {
        "csrf_token": csrf_token(client, NEW),
        "community": str(places.sh01),
        "scope": "units",
        "title": "3栋停水",
        "units": "3-2-1502",
        "message": MESSAGE,
        "message_en": "No water in building 3 until 18:00.",
    } | form
    return client.post(NEW, data=data)


def only_incident(engine: Engine) -> Incident:
    with Session(engine) as s:
        incident = s.scalars(select(Incident)).one()
        s.expunge_all()
        return incident


def prompt_files(client: FlaskClient, incident_id: int) -> list[Path]:
    root = Path(client.application.config["HOTLINE"].data_dir) / "prompts"
    return [
        root / "asterisk" / "zh" / "hotline" / f"incident-{incident_id}.wav",
        root / "asterisk" / "en" / "hotline" / f"incident-{incident_id}.wav",
        root / "web" / "zh-CN" / f"incident-{incident_id}.mp3",
    ]


def test_an_agent_declares_an_incident_for_units_and_its_message_is_recorded(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    as_agent(client, "agent1")
    response = declare(client, places)
    assert response.status_code == 303, response.get_data(as_text=True)
    incident = only_incident(engine)
    assert response.location == f"/console/incidents/{incident.id}"
    assert (incident.scope, incident.status) == (IncidentScope.UNITS, IncidentStatus.OPEN)
    assert incident.declared_by == places.agents["agent1"]
    with Session(engine) as s:
        assert [u.id for u in s.get_one(Incident, incident.id).units] == [places.unit]
        [row] = s.scalars(select(AuditLog).where(AuditLog.subject_type == "incident")).all()
        assert (row.action, row.detail["units"]) == ("declare", [places.unit])
    for path in prompt_files(client, incident.id):  # synthesised by espeak-ng, via ffmpeg
        assert path.stat().st_size > 1000, path
    page = client.get(response.location).get_data(as_text=True)
    assert MESSAGE in page and "3栋2单元1502" in page


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"message": ""}, "message"),
        ({"title": ""}, "title"),
        ({"units": "9-9999"}, "units"),
        ({"scope": "buildings"}, "building"),
        ({"scope": "galaxy"}, "scope"),
        ({"message": "长" * 501}, "message"),
    ],
)
def test_a_wrong_form_is_refused_naming_the_field(
    client: FlaskClient, places: Places, engine: Engine, form: dict[str, str], field: str
) -> None:
    as_agent(client, "agent1")
    response = declare(client, places, **form)
    assert response.status_code == 400
    assert f'data-error="{field}"' in response.get_data(as_text=True)
    with Session(engine) as s:
        assert s.scalars(select(Incident)).all() == []


def test_without_the_csrf_token_nothing_is_declared(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    as_agent(client, "agent1")
    assert declare(client, places, csrf_token="").status_code == 400
    with Session(engine) as s:
        assert s.scalars(select(Incident)).all() == []


def test_an_agent_cannot_declare_for_nor_see_a_community_they_do_not_serve(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    as_agent(client, "agent1")
    declare(client, places, scope="community", units="")
    incident = only_incident(engine)
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/console/")})
    as_agent(client, "agent3")
    assert client.get(f"/console/incidents/{incident.id}").status_code == 404
    assert "3栋停水" not in client.get("/console/incidents/").get_data(as_text=True)
    assert declare(client, places, scope="community").status_code == 400
    token = csrf_token(client, NEW)
    closing = client.post(f"/console/incidents/{incident.id}/close", data={"csrf_token": token})
    assert closing.status_code == 404


def a_linked_call(engine: Engine, places: Places, incident_id: int) -> None:
    with Session(engine) as s:
        call = Call(provider="simulator", provider_call_id="CA" + "7" * 32,
                    direction=Direction.INBOUND, community_id=places.sh01,
                    caller_e164="+8613800138000", disposition="incident_linked")  # fmt: skip
        s.add(call)
        s.flush()
        data = {"incident_ids": [incident_id], "unit_id": places.unit}
        s.add(CallEvent(call_id=call.id, kind="call.incident", data=data))
        s.commit()


def test_the_list_and_the_page_count_the_linked_calls_numbers_masked(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    as_agent(client, "agent1")
    declare(client, places)
    incident = only_incident(engine)
    a_linked_call(engine, places, incident.id)
    listing = client.get("/console/incidents/").get_data(as_text=True)
    assert '<td class="linked-calls">1</td>' in listing
    page = client.get(f"/console/incidents/{incident.id}").get_data(as_text=True)
    assert "13800138000" not in page and "138****8000" in page


def test_a_supervisor_closes_it_with_a_notice_to_the_affected_households(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    as_agent(client, "supervisor1")
    declare(client, places)
    incident = only_incident(engine)
    token = csrf_token(client, f"/console/incidents/{incident.id}")
    response = client.post(
        f"/console/incidents/{incident.id}/close",
        data={"csrf_token": token, "notify": "1", "notice": "3栋已恢复供水。"},
    )
    assert response.status_code == 303
    with Session(engine) as s:
        closed = s.get_one(Incident, incident.id)
        assert closed.status is IncidentStatus.CLOSED and closed.closed_at is not None
        campaign = s.get_one(Campaign, closed.notice_campaign_id)
        assert (campaign.purpose, campaign.status) == (JobPurpose.NOTICE, CampaignStatus.RUNNING)
        assert campaign.message == "3栋已恢复供水。"
        [job] = s.scalars(select(OutboundJob).where(OutboundJob.campaign_id == campaign.id))
        assert (job.unit_id, job.number) == (places.unit, "+8613800138000")
        assert job.payload["message"] == "3栋已恢复供水。"
    assert response.location == f"/console/campaigns/{campaign.id}"
    assert not any(p.exists() for p in prompt_files(client, incident.id))


def test_an_agent_closes_it_but_may_not_start_a_notice(
    client: FlaskClient, places: Places, engine: Engine
) -> None:
    as_agent(client, "agent1")
    declare(client, places)
    incident = only_incident(engine)
    token = csrf_token(client, f"/console/incidents/{incident.id}")
    client.post(
        f"/console/incidents/{incident.id}/close",
        data={"csrf_token": token, "notify": "1", "notice": "好了"},
    )
    with Session(engine) as s:
        assert s.get_one(Incident, incident.id).status is IncidentStatus.CLOSED
        assert s.scalars(select(Campaign)).all() == []


def test_the_pages_speak_chinese(client: FlaskClient, places: Places) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    as_agent(client, "agent1")
    page = client.get(NEW).get_data(as_text=True)
    assert "发布突发事件" in page and "来电者听到的通报（中文）" in page


def test_every_message_of_the_area_is_translated_into_chinese() -> None:
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None}
    root = SOURCES.parent
    wanted = {
        message if isinstance(message, str) else message[0]
        for folder, method in (("incidents", "python"), ("templates/incidents", "jinja2"))
        for _f, _n, message, _c, _x in extract_from_dir(
            str(root / folder),
            method_map=[("**.py" if method == "python" else "**.html", method)],
            keywords=keywords,
        )
    }
    merged = merge_catalogues(sorted((SOURCES / "zh_CN" / "LC_MESSAGES").glob("*.po")), "zh_CN")
    translated = {m.id for m in merged if m.id and m.string}
    assert wanted - translated == set()
