"""Follow-up tasks: the list, taking a manual callback, recording the outcome."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import AuditLog, WorkOrder
from models.outbound import (
    FollowUpTask,
    JobStatus,
    OutboundJob,
    SurveyResponse,
    TaskKind,
    TaskStatus,
)
from models.work_orders import Status
from tests.console.surveys.conftest import Surveyed, agent_id, as_agent_in, fetch


def task_of(engine: Engine, task_id: int) -> FollowUpTask:
    found = fetch(engine, FollowUpTask, task_id)
    assert isinstance(found, FollowUpTask)
    return found


def listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="task-(\d+)"', page)]


def test_the_list_shows_my_communities_tasks_overdue_first(
    client: FlaskClient, surveyed: Surveyed
) -> None:
    as_agent_in(client, "agent1")

    page = client.get("/console/tasks/").get_data(as_text=True)

    assert listed(page) == [surveyed.supervisor_task, surveyed.manual_task]
    assert "Overdue" in page and 'data-due="' in page
    assert "+86 138****8000" in page and "13800138000" not in page  # masked


def test_a_supervisor_sees_both_communities_tasks(client: FlaskClient, surveyed: Surveyed) -> None:
    as_agent_in(client, "supervisor1")

    page = client.get("/console/tasks/").get_data(as_text=True)

    assert set(listed(page)) == {surveyed.supervisor_task, surveyed.manual_task, surveyed.sh02_task}


def test_an_agent_sees_a_supervisors_task_without_its_form(
    client: FlaskClient, surveyed: Surveyed
) -> None:
    as_agent_in(client, "agent1")

    page = client.get("/console/tasks/").get_data(as_text=True)

    assert f"/console/tasks/{surveyed.manual_task}/outcome" in page
    assert f"/console/tasks/{surveyed.supervisor_task}/outcome" not in page
    assert "For a supervisor: shown for information." in page


def test_an_agent_takes_a_manual_callback_and_another_cannot_take_it_over(
    client: FlaskClient, engine: Engine, surveyed: Surveyed
) -> None:
    token = as_agent_in(client, "agent1")
    path = f"/console/tasks/{surveyed.manual_task}/take"

    assert client.post(path, data={"csrf_token": token}).status_code == 303

    assert task_of(engine, surveyed.manual_task).assigned_agent_id == agent_id(engine, "agent1")
    other = client.application.test_client()
    response = other.post(path, data={"csrf_token": as_agent_in(other, "supervisor1")})
    assert response.status_code == 303
    assert task_of(engine, surveyed.manual_task).assigned_agent_id == agent_id(engine, "agent1")
    page = other.get("/console/tasks/").get_data(as_text=True)
    assert "Someone else has taken this task" in page


def test_a_manual_callback_records_the_answers_by_hand(
    client: FlaskClient, engine: Engine, surveyed: Surveyed
) -> None:
    token = as_agent_in(client, "agent1")
    form = {"csrf_token": token, "result": "reached", "outcome": "回访成功",
            "timeliness": "5", "skill": "4", "attitude": "5", "solved": "yes"}  # fmt: skip

    response = client.post(f"/console/tasks/{surveyed.manual_task}/outcome", data=form)

    assert response.status_code == 303
    done = task_of(engine, surveyed.manual_task)
    assert done.status is TaskStatus.DONE
    assert (done.done_by, done.outcome) == (agent_id(engine, "agent1"), "[reached] 回访成功")
    assert done.done_at is not None
    with Session(engine) as s:
        answers = s.scalars(
            select(SurveyResponse).where(SurveyResponse.job_id == surveyed.manual_job)
        ).one()
        assert (answers.attempt_id, answers.timeliness, answers.skill, answers.attitude) == (
            None, 5, 4, 5)  # fmt: skip
        assert answers.solved is True and answers.complete is True
        logged = s.scalars(
            select(AuditLog).where(
                AuditLog.subject_type == "follow_up_task",
                AuditLog.subject_id == str(surveyed.manual_task),
            )
        ).one()
        assert logged.detail["result"] == "reached"
    assert surveyed.manual_task not in listed(client.get("/console/tasks/").get_data(as_text=True))


def test_not_solved_on_a_manual_callback_escalates_and_reopens_the_order(
    client: FlaskClient, engine: Engine, surveyed: Surveyed
) -> None:
    token = as_agent_in(client, "agent1")
    form = {"csrf_token": token, "result": "reached", "solved": "no", "attitude": "1"}

    assert (
        client.post(f"/console/tasks/{surveyed.manual_task}/outcome", data=form).status_code == 303
    )

    with Session(engine) as s:
        follow_ups = s.scalars(
            select(FollowUpTask).where(
                FollowUpTask.job_id == surveyed.manual_job,
                FollowUpTask.kind == TaskKind.SUPERVISOR_FOLLOW_UP,
            )
        ).all()
        assert len(follow_ups) == 1 and follow_ups[0].status is TaskStatus.OPEN
        order = s.get_one(WorkOrder, surveyed.order)
        assert order.status is not Status.COMPLETED and order.rework_count == 1  # 返修


def test_an_unreachable_resident_records_no_answers(
    client: FlaskClient, engine: Engine, surveyed: Surveyed
) -> None:
    token = as_agent_in(client, "agent1")
    form = {"csrf_token": token, "result": "unreachable", "outcome": "关机", "skill": "1"}

    assert (
        client.post(f"/console/tasks/{surveyed.manual_task}/outcome", data=form).status_code == 303
    )

    assert task_of(engine, surveyed.manual_task).status is TaskStatus.DONE
    with Session(engine) as s:
        assert not s.scalars(
            select(SurveyResponse).where(SurveyResponse.job_id == surveyed.manual_job)
        ).all()


@pytest.mark.parametrize(
    ("form", "field"),
    [({"result": ""}, "result"), ({"result": "maybe"}, "result"),
     ({"result": "reached", "skill": "7"}, "skill"),
     ({"result": "reached", "outcome": "x" * 2001}, "outcome")],
)  # fmt: skip
def test_a_wrong_outcome_form_is_shown_again_with_its_problem(
    client: FlaskClient, engine: Engine, surveyed: Surveyed, form: dict[str, str], field: str
) -> None:
    token = as_agent_in(client, "agent1")

    response = client.post(
        f"/console/tasks/{surveyed.manual_task}/outcome", data=form | {"csrf_token": token}
    )

    assert response.status_code == 400
    assert f'data-error="{field}"' in response.get_data(as_text=True)
    assert task_of(engine, surveyed.manual_task).status is TaskStatus.OPEN


def test_only_a_supervisor_records_the_second_callback(
    client: FlaskClient, engine: Engine, surveyed: Surveyed
) -> None:
    path = f"/console/tasks/{surveyed.supervisor_task}/outcome"
    form = {"result": "reached", "outcome": "主管致歉，住户满意"}
    token = as_agent_in(client, "agent1")

    assert client.post(path, data=form | {"csrf_token": token}).status_code == 403
    assert (
        client.post(path.replace("outcome", "take"), data={"csrf_token": token}).status_code == 403
    )
    assert task_of(engine, surveyed.supervisor_task).status is TaskStatus.OPEN

    boss = client.application.test_client()
    assert (
        boss.post(path, data=form | {"csrf_token": as_agent_in(boss, "supervisor1")}).status_code
        == 303
    )
    done = task_of(engine, surveyed.supervisor_task)
    assert done.status is TaskStatus.DONE and done.done_by == agent_id(engine, "supervisor1")


def test_a_done_task_is_not_done_twice(
    client: FlaskClient, engine: Engine, surveyed: Surveyed
) -> None:
    token = as_agent_in(client, "agent1")
    path = f"/console/tasks/{surveyed.manual_task}/outcome"
    client.post(path, data={"csrf_token": token, "result": "declined", "outcome": "first"})

    client.post(path, data={"csrf_token": token, "result": "reached", "outcome": "second"})

    assert task_of(engine, surveyed.manual_task).outcome == "[declined] first"


def test_another_communitys_task_is_not_found(
    client: FlaskClient, engine: Engine, surveyed: Surveyed
) -> None:
    token = as_agent_in(client, "agent1")
    for action in ("take", "outcome"):
        response = client.post(
            f"/console/tasks/{surveyed.sh02_task}/{action}",
            data={"csrf_token": token, "result": "reached"},
        )
        assert response.status_code == 404
    assert task_of(engine, surveyed.sh02_task).status is TaskStatus.OPEN
    assert task_of(engine, surveyed.sh02_task).assigned_agent_id is None


def test_a_post_without_the_csrf_token_is_refused(
    client: FlaskClient, engine: Engine, surveyed: Surveyed
) -> None:
    as_agent_in(client, "agent1")

    response = client.post(
        f"/console/tasks/{surveyed.manual_task}/outcome", data={"result": "reached"}
    )

    assert response.status_code == 400
    assert task_of(engine, surveyed.manual_task).status is TaskStatus.OPEN


def test_the_tasks_page_in_chinese(client: FlaskClient, surveyed: Surveyed) -> None:
    as_agent_in(client, "agent1", "zh-CN")

    page = client.get("/console/tasks/").get_data(as_text=True)

    assert "回访任务" in page and "人工回访" in page and "客服主管第二次回访" in page
    assert "已超时" in page


def test_the_agent_who_took_a_callback_sees_its_whole_number_audited(
    client: FlaskClient, engine: Engine, surveyed: Surveyed
) -> None:
    token = as_agent_in(client, "agent1")
    path = f"/console/tasks/{surveyed.manual_task}/number"
    headers = {"X-CSRFToken": token}

    assert client.post(path, headers=headers).status_code == 403  # not taken yet
    assert 'class="show-number"' not in client.get("/console/tasks/").get_data(as_text=True)
    client.post(f"/console/tasks/{surveyed.manual_task}/take", data={"csrf_token": token})
    assert 'class="show-number"' in client.get("/console/tasks/").get_data(as_text=True)

    response = client.post(path, headers=headers)

    assert response.get_json() == {"number": "+8613800138000"}
    agent1 = agent_id(engine, "agent1")
    with Session(engine) as s:
        logged = s.scalars(select(AuditLog).where(AuditLog.action == "unmask")).one()
        assert (logged.subject_type, logged.subject_id) == (
            "follow_up_task",
            str(surveyed.manual_task),
        )
        assert logged.agent_id == agent1
    assert client.post(path).status_code == 400  # no CSRF token
    assert (
        client.post(f"/console/tasks/{surveyed.sh02_task}/number", headers=headers).status_code
        == 404
    )


def test_a_reached_manual_callback_completes_its_job(
    client: FlaskClient, engine: Engine, surveyed: Surveyed
) -> None:
    token = as_agent_in(client, "agent1")
    form = {"csrf_token": token, "result": "reached", "outcome": "已回访"}

    client.post(f"/console/tasks/{surveyed.manual_task}/outcome", data=form)

    assert fetch(engine, OutboundJob, surveyed.manual_job).status is JobStatus.COMPLETED  # type: ignore[attr-defined]
    page = client.get("/console/surveys/").get_data(as_text=True)
    assert f'data-job-id="{surveyed.manual_job}"' not in page  # no longer pending
