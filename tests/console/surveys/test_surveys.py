"""Surveys by job (pending and failed attempts), by technician, on a work order's page, and
the caller's card's last survey."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models.outbound import JobPurpose, JobStatus, SurveyResponse
from models.work_orders import Team, Technician
from tests.console.surveys.conftest import HOUR, NOW, Places, Surveyed, as_agent_in, job


def local(when: dt.datetime) -> str:
    return when.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")


def jobs_listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-job-id="(\d+)"', page)]


def test_the_list_shows_pending_and_manual_jobs_manual_first(
    client: FlaskClient, surveyed: Surveyed
) -> None:
    as_agent_in(client, "agent1")

    page = client.get("/console/surveys/").get_data(as_text=True)

    assert jobs_listed(page) == [surveyed.manual_job, surveyed.scheduled_job]
    assert "3/3" in page and "No answer" in page and "Manual callback" in page
    assert local(NOW + 24 * HOUR) in page  # due by, in the community's time
    assert "+86 138****8000" in page and "13800138000" not in page


def test_the_list_filters_by_status_and_purpose(
    client: FlaskClient, engine: Engine, places: Places, surveyed: Surveyed
) -> None:
    with Session(engine) as s:
        notice = job(s, places.sh01, JobStatus.SCHEDULED, purpose=JobPurpose.NOTICE)
        s.commit()
        notice_id = notice.id
    as_agent_in(client, "agent1")

    def listed(query: str) -> list[int]:
        return jobs_listed(client.get(f"/console/surveys/?{query}").get_data(as_text=True))

    assert listed("status=completed") == [surveyed.answered_job]
    assert listed("status=manual") == [surveyed.manual_job]
    assert listed("purpose=notice") == [notice_id]
    assert set(listed("status=all&purpose=survey")) == {
        surveyed.manual_job, surveyed.scheduled_job, surveyed.answered_job}  # fmt: skip
    assert listed("status=nonsense") == listed("")  # unknown values: the default


def test_another_communitys_jobs_are_not_listed(
    client: FlaskClient, places: Places, surveyed: Surveyed
) -> None:
    as_agent_in(client, "agent3")

    assert jobs_listed(client.get("/console/surveys/?status=all").get_data(as_text=True)) == [
        surveyed.sh02_job
    ]
    assert jobs_listed(
        client.get(f"/console/surveys/?status=all&community={places.sh01}").get_data(as_text=True)
    ) == [surveyed.sh02_job]


def test_a_technicians_answers_and_averages(
    client: FlaskClient, engine: Engine, places: Places, surveyed: Surveyed
) -> None:
    with Session(engine) as s:
        s.add(SurveyResponse(job_id=surveyed.manual_job, technician_id=places.technician,
                             timeliness=5, skill=4, attitude=5, solved=False, complete=True,
                             answered_at=NOW - HOUR))  # fmt: skip
        s.commit()
    as_agent_in(client, "agent1")

    page = client.get(f"/console/surveys/technicians/{places.technician}").get_data(as_text=True)

    assert "李师傅" in page and "工程部水电组" in page
    assert 'data-figure="count">2<' in page
    assert 'data-figure="timeliness">4.50<' in page and 'data-figure="attitude">3.50<' in page
    assert 'data-figure="solved">1<' in page and 'data-figure="not_solved">1<' in page
    assert "师傅态度不好" in page and page.count("data-response-id=") == 2


def test_another_communitys_technician_is_not_found(
    client: FlaskClient, engine: Engine, places: Places, surveyed: Surveyed
) -> None:
    with Session(engine) as s:
        other = Technician(team_id=places.sh02_plumbers, name="王师傅")
        s.add(other)
        s.commit()
        other_id = other.id
        assert s.get_one(Team, places.sh02_plumbers).community_id == places.sh02
    as_agent_in(client, "agent1")

    assert client.get(f"/console/surveys/technicians/{other_id}").status_code == 404
    assert client.get("/console/surveys/technicians/999999").status_code == 404


def test_the_work_order_page_shows_its_surveys_attempts_answers_and_tasks(
    client: FlaskClient, places: Places, surveyed: Surveyed
) -> None:
    as_agent_in(client, "agent1")

    page = client.get(f"/console/work-orders/{surveyed.order}").get_data(as_text=True)

    section = page[page.index('class="order-surveys"') :]
    assert section.count("data-job-id=") == 3
    assert section.count('data-outcome="no_answer"') == 3
    assert 'data-outcome="completed"' in section
    assert f'data-response-id="{surveyed.response}"' in section and "师傅态度不好" in section
    assert f'data-task-id="{surveyed.manual_task}"' in section
    assert f'data-task-id="{surveyed.supervisor_task}"' in section
    assert f'href="/console/surveys/technicians/{places.technician}"' in section


def test_the_work_order_page_in_chinese(client: FlaskClient, surveyed: Surveyed) -> None:
    as_agent_in(client, "agent1", "zh-CN")

    page = client.get(f"/console/work-orders/{surveyed.order}").get_data(as_text=True)

    assert "回访" in page and "无人接听" in page and "态度" in page and "人工回访" in page


def test_the_callers_card_shows_the_last_survey(
    client: FlaskClient, places: Places, surveyed: Surveyed
) -> None:
    as_agent_in(client, "agent1")

    card = client.get(f"/console/desk/calls/{places.call}/card").get_data(as_text=True)

    survey = card[card.index('class="survey"') :]
    assert f'data-response-id="{surveyed.response}"' in card
    assert '<b class="low">2</b>' in survey and "师傅态度不好" in survey
    assert "No survey data yet." not in card


def test_the_card_of_a_resident_never_surveyed(client: FlaskClient, places: Places) -> None:
    as_agent_in(client, "agent1")

    card = client.get(f"/console/desk/calls/{places.call}/card").get_data(as_text=True)

    assert "No survey data yet." in card
