"""The list with its filters, my follow-ups, the JSON view, and both languages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from models import Category, ComplaintType, Severity, WorkOrder
from models.base import utcnow
from models.work_order_flow import close, complete
from tests.console.work_orders.conftest import Places, as_agent, open_order

LONG_AGO = utcnow() - dt.timedelta(days=5)


def numbers(page: str) -> list[str]:
    """The order numbers of a list page, top to bottom."""
    return re.findall(r'<a href="/console/work-orders/\d+">([A-Z0-9]+-\d{4}-\d{6})</a>', page)


def row_classes(page: str) -> list[str]:
    return re.findall(r'<tr data-sla-row data-id="\d+" class="([^"]*)"', page)


def number(engine: Engine, order_id: int) -> str:
    with Session(engine) as s:
        return s.get_one(WorkOrder, order_id).number


def finish(engine: Engine, order_id: int, *, closed: bool) -> None:
    with Session(engine) as s:
        order = s.get_one(WorkOrder, order_id)
        complete(s, order, agent_id=order.owner_agent_id or 0)
        if closed:
            close(s, order, agent_id=order.owner_agent_id or 0)
        s.commit()


@pytest.fixture
def orders(engine: Engine, places: Places) -> dict[str, int]:
    """agent1's late, fresh, completed and closed orders; the supervisor's; an SH02 one."""
    found = {
        "late": open_order(engine, places.sh01, "agent1", now=LONG_AGO),
        "fresh": open_order(engine, places.sh01, "agent1", Category.INQUIRY, subcategory="fees"),
        "completed": open_order(engine, places.sh01, "agent1"),
        "closed": open_order(engine, places.sh01, "agent1"),
        "others": open_order(
            engine,
            places.sh01,
            "supervisor1",
            Category.COMPLAINT,
            subcategory="noise",
            severity=Severity.MINOR,
            complaint_type=ComplaintType.VENTING,
        ),
        "sh02": places.sh02_order,
    }
    finish(engine, found["completed"], closed=False)
    finish(engine, found["closed"], closed=True)
    return found


def test_my_follow_ups_are_mine_not_closed_overdue_first(
    client: FlaskClient, engine: Engine, orders: dict[str, int]
) -> None:
    as_agent(client, "agent1")
    page = client.get("/console/work-orders/mine").get_data(as_text=True)
    assert numbers(page) == [number(engine, orders[k]) for k in ("late", "fresh", "completed")]
    first_row = page.split("<tr data-sla-row")[1]
    assert 'class="overdue"' in first_row


def test_the_list_is_newest_first_and_the_overdue_filter_keeps_the_late_ones(
    client: FlaskClient, engine: Engine, orders: dict[str, int]
) -> None:
    as_agent(client, "agent1")
    everything = numbers(client.get("/console/work-orders/").get_data(as_text=True))
    assert everything[0] == number(engine, orders["others"])
    assert everything[-1] == number(engine, orders["late"])
    assert number(engine, orders["sh02"]) not in everything
    late = client.get("/console/work-orders/?overdue=1").get_data(as_text=True)
    assert numbers(late) == [number(engine, orders["late"])]
    assert row_classes(late) == ["overdue"]
    full = client.get("/console/work-orders/").get_data(as_text=True)
    assert row_classes(full) == ["", "", "", "", "overdue"]


@pytest.mark.parametrize(
    ("query", "kinds"),
    [
        ("status=closed", ["closed"]),
        ("status=active", ["others", "fresh", "late"]),
        ("category=inquiry", ["fresh"]),
        ("category=complaint&status=open", ["others"]),
        ("status=nonsense", ["others", "closed", "completed", "fresh", "late"]),
    ],
)
def test_the_list_filters_by_status_and_category(
    client: FlaskClient, engine: Engine, orders: dict[str, int], query: str, kinds: list[str]
) -> None:
    as_agent(client, "agent1")
    page = client.get(f"/console/work-orders/?{query}").get_data(as_text=True)
    assert numbers(page) == [number(engine, orders[k]) for k in kinds]


def test_the_community_filter_narrows_a_supervisors_list(
    client: FlaskClient, engine: Engine, places: Places, orders: dict[str, int]
) -> None:
    as_agent(client, "supervisor1")
    both = numbers(client.get("/console/work-orders/").get_data(as_text=True))
    assert number(engine, orders["sh02"]) in both and len(both) == 6
    only = client.get(f"/console/work-orders/?community={places.sh02}").get_data(as_text=True)
    assert numbers(only) == [number(engine, orders["sh02"])]


def test_the_json_view_has_the_running_deadline(
    client: FlaskClient, engine: Engine, orders: dict[str, int]
) -> None:
    as_agent(client, "agent1")
    data = client.get(f"/console/work-orders/{orders['late']}.json").get_json()
    assert data["number"] == number(engine, orders["late"])
    assert (data["status"], data["category"], data["address"]) == ("open", "repair", "大堂")
    assert data["sla"]["deadline"] == "dispatch" and data["sla"]["overdue"] is True
    assert data["sla"]["remaining_seconds"] < -4 * 86400
    assert data["url"] == f"/console/work-orders/{orders['late']}"
    done = client.get(f"/console/work-orders/{orders['closed']}.json").get_json()
    assert done["sla"] == done["sla"] | {"deadline": None, "overdue": False, "met": True}


@pytest.mark.parametrize(
    ("accept", "words"),
    [
        ("en", ["Work orders", "My follow-ups", "Overdue only", "Dispatch due", "Overdue"]),
        ("zh-CN", ["工单", "我的跟进", "只看超时", "派工时限", "已超时", "首问负责人"]),
    ],
)
def test_the_pages_speak_both_languages(
    client: FlaskClient, orders: dict[str, int], accept: str, words: list[str]
) -> None:
    as_agent(client, "agent1")
    headers = {"Accept-Language": accept}
    page = client.get("/console/work-orders/", headers=headers).get_data(as_text=True)
    assert all(w in page for w in words), [w for w in words if w not in page]
    for path in ("mine", "new", str(orders["late"])):
        response = client.get(f"/console/work-orders/{path}", headers=headers)
        assert response.status_code == 200
    form = client.get("/console/work-orders/new", headers=headers).get_data(as_text=True)
    assert ("漏水" if accept == "zh-CN" else "Leak") in form  # the sub-category catalogue
    assert ("投诉级别" if accept == "zh-CN" else "Severity") in form


def test_countdowns_carry_their_deadline_for_the_script(
    client: FlaskClient, orders: dict[str, int]
) -> None:
    as_agent(client, "agent1")
    page = client.get("/console/work-orders/mine").get_data(as_text=True)
    dues = re.findall(r'data-due="([^"]+)"', page)
    assert len(dues) == 2  # the late and the fresh order; the completed one's clock stopped
    assert all(dt.datetime.fromisoformat(d).tzinfo is not None for d in dues)
    assert '<meta name="server-now"' in page and "/static/work_orders.js" in page


def test_the_list_pages_fifty_orders_at_a_time_keeping_the_filters(
    client: FlaskClient, engine: Engine, places: Places
) -> None:
    ids = [
        open_order(engine, places.sh01, "agent1", now=LONG_AGO + dt.timedelta(minutes=n))
        for n in range(51)
    ]
    as_agent(client, "agent1")
    first = client.get("/console/work-orders/?overdue=1").get_data(as_text=True)
    assert len(numbers(first)) == 50 and numbers(first)[0] == number(engine, ids[-1])
    assert 'rel="next" href="/console/work-orders/?page=2&amp;overdue=1"' in first
    assert 'rel="prev"' not in first
    second = client.get("/console/work-orders/?overdue=1&page=2").get_data(as_text=True)
    assert numbers(second) == [number(engine, ids[0])]
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_the_unit_filter_is_one_units_history_within_scope(
    client: FlaskClient, engine: Engine, places: Places, orders: dict[str, int]
) -> None:
    mine = open_order(engine, places.sh01, "agent1", unit_id=places.unit)
    as_agent(client, "agent1")
    page = client.get(f"/console/work-orders/?unit={places.unit}").get_data(as_text=True)
    assert numbers(page) == [number(engine, mine)]
    assert "unit-filter" in page  # the page says it shows one unit, with a way back
    other = client.get(f"/console/work-orders/?unit={places.sh02_unit}").get_data(as_text=True)
    assert numbers(other) == []  # another community's unit: nothing, scope still applies


@pytest.mark.parametrize(
    ("accept", "label"), [("en", "Clear answer due"), ("zh-CN", "明确答复时限")]
)
def test_a_major_complaint_counts_down_to_its_clear_answer_in_both_languages(
    client: FlaskClient, engine: Engine, places: Places, accept: str, label: str
) -> None:
    def complaint(severity: Severity, opened: dt.datetime) -> str:
        order_id = open_order(
            engine, places.sh01, "agent1", Category.COMPLAINT, now=opened, subcategory="noise",
            severity=severity, complaint_type=ComplaintType.VALID,
        )  # fmt: skip
        headers = {"Accept-Language": accept}
        return client.get(f"/console/work-orders/{order_id}", headers=headers).get_data(True)

    as_agent(client, "agent1")
    three_days_ago = utcnow() - dt.timedelta(days=3)
    late = complaint(Severity.MAJOR, three_days_ago)
    clock = re.search(
        r'<p class="answer-due overdue" data-sla-row><span class="countdown overdue" '
        r'data-due="([^"]+)"',
        late,
    )
    assert clock, late
    due = three_days_ago + dt.timedelta(days=2)
    assert dt.datetime.fromisoformat(clock.group(1)) == due.replace(microsecond=0)
    assert f'deadline-kind">{label}</span>' in late and f"<dt>{label}</dt>" in late
    fresh = complaint(Severity.MAJOR, utcnow())
    assert '<p class="answer-due" data-sla-row><span class="countdown" data-due=' in fresh
    important = complaint(Severity.IMPORTANT, three_days_ago)
    assert label not in important and "answer-due" not in important
