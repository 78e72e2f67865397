"""Campaigns from the console: the households chosen, start/pause/cancel, live figures."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from audio.catalogue import message_name
from models import AuditLog, Community, ResidentRole
from models.base import utcnow
from models.estate import Language
from models.outbound import (
    AttemptOutcome,
    Campaign,
    CampaignStatus,
    JobPurpose,
    JobStatus,
    OutboundJob,
)
from tests import factories
from tests.console.surveys.conftest import Places, as_agent_in, attempts, community, job


@dataclasses.dataclass(frozen=True)
class Estate:
    """SH01's households besides 李明's (3栋): buildings 5 and 6."""

    buildings: dict[str, int]
    wang_unit: int
    zhao_unit: int


@pytest.fixture
def households(engine: Engine, places: Places) -> Estate:
    with Session(engine) as s:
        sh01 = s.get_one(Community, places.sh01)
        a, b = factories.unit(s, sh01, "5", "101"), factories.unit(s, sh01, "5", "102")
        c, d = factories.unit(s, sh01, "6", "201"), factories.unit(s, sh01, "6", "202")
        factories.resident(s, "王芳", units=[(a, ResidentRole.OWNER)], language=Language.EN,
                           arrears_cents=12000, phones=[("+8613900000001", True)])  # fmt: skip
        factories.resident(s, "王小", units=[(a, ResidentRole.FAMILY)],
                           phones=[("+8613900000002", True)])  # fmt: skip
        factories.resident(s, "赵老", units=[(b, ResidentRole.OWNER)], senior_care=True,
                           phones=[("+8613900000003", True)])  # fmt: skip
        factories.resident(s, "赵子", units=[(b, ResidentRole.FAMILY)],
                           phones=[("+8613900000004", False)])  # fmt: skip
        factories.resident(s, "孙勿扰", units=[(c, ResidentRole.OWNER)], do_not_call=True,
                           phones=[("+8613900000005", True)])  # fmt: skip
        factories.resident(s, "周无电话", units=[(d, ResidentRole.OWNER)])
        s.commit()
        return Estate({"5": a.building_id, "6": c.building_id}, a.id, b.id)


def create(client: FlaskClient, token: str, community_id: int, **form: object) -> object:
    data = {"csrf_token": token, "community": str(community_id), "purpose": "notice",
            "name": "停水通知", "message": "明天9点到12点停水。",
            "audience": "all"} | form  # fmt: skip
    return client.post("/console/campaigns/new", data=data)


def campaign_jobs(engine: Engine) -> tuple[Campaign, list[OutboundJob]]:
    with Session(engine, expire_on_commit=False) as s:
        campaign = s.scalars(select(Campaign)).one()
        jobs = s.scalars(
            select(OutboundJob)
            .where(OutboundJob.campaign_id == campaign.id)
            .order_by(OutboundJob.unit_id)
        ).all()
        return campaign, list(jobs)


def test_a_notice_to_every_household_is_a_draft_with_one_job_each(
    client: FlaskClient, engine: Engine, places: Places, households: Estate
) -> None:
    token = as_agent_in(client, "supervisor1")
    before = utcnow()

    response = create(client, token, places.sh01)

    assert response.status_code == 303  # type: ignore[attr-defined]
    campaign, jobs = campaign_jobs(engine)
    assert campaign.status is CampaignStatus.DRAFT and campaign.message == "明天9点到12点停水。"
    assert [j.number for j in jobs] == ["+8613800138000", "+8613900000001", "+8613900000003"]
    assert [j.language for j in jobs] == ["zh-CN", "en", "zh-CN"]
    for j in jobs:
        assert (j.purpose, j.status, j.attempts) == (JobPurpose.NOTICE, JobStatus.SCHEDULED, 0)
        assert j.payload["message"] == "明天9点到12点停水。"
        assert j.next_attempt_at.replace(tzinfo=dt.UTC) >= before.replace(microsecond=0)
    page = client.get(f"/console/campaigns/{campaign.id}").get_data(as_text=True)
    assert "2 households left out" in page and "Draft" in page
    with Session(engine) as s:
        logged = s.scalars(select(AuditLog).where(AuditLog.subject_type == "campaign")).one()
        assert (logged.action, logged.detail["households"], logged.detail["skipped"]) == (
            "create", 3, 2)  # fmt: skip


def test_households_of_the_chosen_buildings(
    client: FlaskClient, engine: Engine, places: Places, households: Estate
) -> None:
    token = as_agent_in(client, "supervisor1")

    create(client, token, places.sh01, audience="buildings", building=[households.buildings["5"]])

    _, jobs = campaign_jobs(engine)
    assert [j.unit_id for j in jobs] == [households.wang_unit, households.zhao_unit]


def test_a_fee_reminder_goes_to_households_with_arrears_and_says_the_amount(
    client: FlaskClient, engine: Engine, places: Places, households: Estate
) -> None:
    token = as_agent_in(client, "supervisor1")

    create(client, token, places.sh01, purpose="fee_reminder", audience="arrears", message="")

    _, jobs = campaign_jobs(engine)
    assert [(j.unit_id, j.number) for j in jobs] == [(households.wang_unit, "+8613900000001")]
    assert jobs[0].payload["amount_cents"] == 12000 and jobs[0].purpose is JobPurpose.FEE_REMINDER


def test_a_senior_care_call_goes_to_the_family(
    client: FlaskClient, engine: Engine, places: Places, households: Estate
) -> None:
    token = as_agent_in(client, "supervisor1")

    create(client, token, places.sh01, purpose="senior_care", audience="senior_care", message="")

    _, jobs = campaign_jobs(engine)
    assert [(j.unit_id, j.number) for j in jobs] == [(households.zhao_unit, "+8613900000004")]


@pytest.mark.parametrize(
    ("form", "field"),
    [({"message": ""}, "message"), ({"audience": "buildings"}, "building"),
     ({"name": ""}, "name"), ({"purpose": "survey"}, "purpose"),
     ({"audience": "buildings", "building": "6"}, "audience")],
)  # fmt: skip
def test_a_wrong_campaign_form_creates_nothing(
    client: FlaskClient, engine: Engine, places: Places, households: Estate,
    form: dict[str, object], field: str,
) -> None:  # fmt: skip
    token = as_agent_in(client, "supervisor1")
    if form.get("building") == "6":
        form = form | {"building": str(households.buildings["6"])}  # nobody callable there

    response = create(client, token, places.sh01, **form)

    assert response.status_code == 400  # type: ignore[attr-defined]
    assert f'data-error="{field}"' in response.get_data(as_text=True)  # type: ignore[attr-defined]
    with Session(engine) as s:
        assert s.scalars(select(Campaign)).all() == []
        assert s.scalars(select(OutboundJob)).all() == []


def test_a_community_not_served_is_refused(
    client: FlaskClient, engine: Engine, places: Places, households: Estate
) -> None:
    token = as_agent_in(client, "supervisor1")

    response = create(client, token, community(engine, "SH03"))

    assert response.status_code == 400  # type: ignore[attr-defined]
    with Session(engine) as s:
        assert s.scalars(select(Campaign)).all() == []


def test_start_pause_and_cancel(
    client: FlaskClient, engine: Engine, places: Places, households: Estate
) -> None:
    token = as_agent_in(client, "supervisor1")
    create(client, token, places.sh01)
    campaign, _ = campaign_jobs(engine)
    act = f"/console/campaigns/{campaign.id}/"

    client.post(act + "start", data={"csrf_token": token})
    assert campaign_jobs(engine)[0].status is CampaignStatus.RUNNING
    assert campaign_jobs(engine)[0].started_at is not None
    client.post(act + "pause", data={"csrf_token": token})
    assert campaign_jobs(engine)[0].status is CampaignStatus.PAUSED
    client.post(act + "cancel", data={"csrf_token": token})
    cancelled, jobs = campaign_jobs(engine)
    assert cancelled.status is CampaignStatus.CANCELLED
    assert {j.status for j in jobs} == {JobStatus.CANCELLED}

    client.post(act + "start", data={"csrf_token": token})
    assert campaign_jobs(engine)[0].status is CampaignStatus.CANCELLED
    assert client.post(act + "explode", data={"csrf_token": token}).status_code == 404


def test_the_progress_figures(
    client: FlaskClient, engine: Engine, places: Places, households: Estate
) -> None:
    token = as_agent_in(client, "supervisor1")
    create(client, token, places.sh01)
    campaign, jobs = campaign_jobs(engine)
    with Session(engine) as s:
        done, manual, calling = (s.get_one(OutboundJob, j.id) for j in jobs)
        done.status, manual.status, calling.status = (
            JobStatus.COMPLETED, JobStatus.MANUAL, JobStatus.CALLING)  # fmt: skip
        attempts(s, done, AttemptOutcome.BUSY, AttemptOutcome.COMPLETED)
        attempts(s, manual, *[AttemptOutcome.NO_ANSWER] * 3)
        attempts(s, calling, AttemptOutcome.PLACED)
        s.commit()

    figures = client.get(f"/console/campaigns/{campaign.id}/progress.json").get_json()

    assert figures["jobs"] == 3 and figures["attempts"] == 6
    assert (figures["completed"], figures["completed_percent"]) == (1, 33.3)
    assert (figures["failed_attempts"], figures["manual"], figures["open"]) == (4, 1, 1)
    assert figures["by_status"]["calling"] == 1 and figures["outcomes"]["no_answer"] == 3
    assert figures["settled"] is False


@pytest.mark.parametrize("login", ["agent1", "agent3"])
def test_agents_may_not_use_campaigns(
    client: FlaskClient, engine: Engine, places: Places, households: Estate, login: str
) -> None:
    boss = client.application.test_client()
    create(boss, as_agent_in(boss, "supervisor1"), places.sh01)
    campaign, _ = campaign_jobs(engine)
    token = as_agent_in(client, login)

    for path in ("/console/campaigns/", "/console/campaigns/new",
                 f"/console/campaigns/{campaign.id}",
                 f"/console/campaigns/{campaign.id}/progress.json"):  # fmt: skip
        assert client.get(path).status_code == 403, path
    response = client.post(f"/console/campaigns/{campaign.id}/start", data={"csrf_token": token})
    assert response.status_code == 403
    assert create(client, token, places.sh01).status_code == 403  # type: ignore[attr-defined]
    assert campaign_jobs(engine)[0].status is CampaignStatus.DRAFT
    assert "/console/campaigns/" not in client.get("/console/tasks/").get_data(as_text=True)


def test_another_communitys_campaign_is_not_found(
    client: FlaskClient, engine: Engine, places: Places
) -> None:
    sh03 = community(engine, "SH03")
    with Session(engine) as s:
        other = Campaign(community_id=sh03, purpose=JobPurpose.NOTICE, name="绿地通知")
        s.add(other)
        s.flush()
        job(s, sh03, JobStatus.SCHEDULED, purpose=JobPurpose.NOTICE, campaign_id=other.id)
        s.commit()
        other_id = other.id
    token = as_agent_in(client, "supervisor1")

    for path in (f"/console/campaigns/{other_id}", f"/console/campaigns/{other_id}/progress.json"):
        assert client.get(path).status_code == 404
    assert client.post(f"/console/campaigns/{other_id}/start",
                       data={"csrf_token": token}).status_code == 404  # fmt: skip
    assert "绿地通知" not in client.get("/console/campaigns/").get_data(as_text=True)
    admin = client.application.test_client()
    as_agent_in(admin, "admin")
    assert admin.get(f"/console/campaigns/{other_id}").status_code == 200
    assert "绿地通知" in admin.get("/console/campaigns/").get_data(as_text=True)


def test_the_campaign_pages_in_chinese(
    client: FlaskClient, engine: Engine, places: Places, households: Estate
) -> None:
    token = as_agent_in(client, "supervisor1", "zh-CN")
    create(client, token, places.sh01)
    campaign, _ = campaign_jobs(engine)

    page = client.get(f"/console/campaigns/{campaign.id}").get_data(as_text=True)
    form = client.get("/console/campaigns/new").get_data(as_text=True)

    assert "外呼活动" in page and "草稿" in page and "启动活动" in page and "通知" in page
    assert "新建外呼活动" in form and "欠费住户" in form and "5栋" in form


def test_starting_a_notice_makes_its_words_a_recording_for_asterisk(
    client: FlaskClient, engine: Engine, places: Places, households: Estate, app: Flask
) -> None:
    token = as_agent_in(client, "supervisor1")
    create(client, token, places.sh01)
    campaign, _ = campaign_jobs(engine)
    prompts = app.config["HOTLINE"].data_dir / "prompts" / "asterisk"
    name = message_name("明天9点到12点停水。").replace(".", "-")
    assert not list(prompts.glob(f"*/hotline/{name}.*"))

    client.post(f"/console/campaigns/{campaign.id}/start", data={"csrf_token": token})

    assert campaign_jobs(engine)[0].status is CampaignStatus.RUNNING
    assert {p.parent.parent.name for p in prompts.glob(f"*/hotline/{name}.sln")} == {"zh", "en"}


def test_a_notice_whose_words_cannot_be_built_still_starts_and_says_so(
    client: FlaskClient, engine: Engine, places: Places, households: Estate, app: Flask
) -> None:
    app.config["HOTLINE"] = dataclasses.replace(app.config["HOTLINE"], tts_command="false {output}")
    token = as_agent_in(client, "supervisor1")
    create(client, token, places.sh01)
    campaign, _ = campaign_jobs(engine)

    page = client.post(
        f"/console/campaigns/{campaign.id}/start", data={"csrf_token": token}, follow_redirects=True
    ).get_data(as_text=True)

    assert campaign_jobs(engine)[0].status is CampaignStatus.RUNNING
    assert "hotline prompts build" in page
