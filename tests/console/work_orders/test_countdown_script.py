"""work_orders.js in Chromium: countdowns tick, turn overdue, and the form follows the category.

The script is loaded into a small page of its own (no server): the pages' markup is
tested in the other files; here only what the browser does with it. A failure keeps the
page's screenshot, HTML and console log (tests/browser.py).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from tests.browser import Pages

pytestmark = pytest.mark.browser
SCRIPT = Path(__file__).resolve().parents[3] / "agent_console" / "static" / "work_orders.js"


@pytest.fixture
def page(pages: Pages) -> Any:
    return pages.open("script")


def iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="seconds")


def test_countdowns_tick_and_turn_overdue_with_their_row(page: Any) -> None:
    # The page says the server's time is an hour ahead of the browser's: the script
    # counts from the server's clock.
    server_now = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(hours=1)
    soon = server_now + dt.timedelta(seconds=2)
    later = server_now + dt.timedelta(days=1, hours=2, minutes=3, seconds=30)
    page.set_content(
        f"""<html><head><meta name="server-now" content="{iso(server_now)}"></head><body>
        <table><tr data-sla-row id="soon"><td><span class="countdown" data-due="{iso(soon)}"
          data-day="天" data-overdue="已超时">x</span></td></tr>
        <tr data-sla-row id="later"><td><span class="countdown" data-due="{iso(later)}"
          data-day="d" data-overdue="Overdue">x</span></td></tr></table></body></html>"""
    )
    page.add_script_tag(content=SCRIPT.read_text())
    assert page.text_content("#soon .countdown") in ("00:00:02", "00:00:01")
    assert page.text_content("#later .countdown").startswith("1d 02:03:")
    page.wait_for_function(
        "document.getElementById('soon').classList.contains('overdue')", timeout=6000
    )
    assert page.text_content("#soon .countdown").startswith("已超时 00:00:0")
    assert "overdue" in page.get_attribute("#soon .countdown", "class")
    assert "overdue" not in (page.get_attribute("#later", "class") or "")


def test_a_clock_inside_the_card_marks_its_own_line_not_the_card(page: Any) -> None:
    # The detail page: the running deadline's clock in the card, a major complaint's clear
    # answer on a line of its own within it (templates/work_orders/show.html).
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    page.set_content(
        f"""<html><body><div class="card sla" data-sla-row id="card">
        <span class="countdown" id="resolve" data-due="{iso(now + dt.timedelta(days=8))}">x</span>
        <p class="answer-due" data-sla-row id="answer"><span class="countdown"
          data-due="{iso(now - dt.timedelta(hours=1))}" data-overdue="Overdue">x</span></p>
        </div></body></html>"""
    )
    page.add_script_tag(content=SCRIPT.read_text())
    assert "overdue" in (page.get_attribute("#answer", "class") or "")
    assert page.text_content("#answer .countdown").startswith("Overdue 01:00:0")
    assert "overdue" not in (page.get_attribute("#card", "class") or "")


def test_the_form_shows_the_chosen_categorys_parts_only(page: Any) -> None:
    page.set_content(
        """<form><select id="wo-category" name="category"><option value="">-</option>
        <option value="repair">R</option><option value="complaint">C</option></select>
        <select id="wo-subcategory" name="subcategory"><option value="">-</option>
        <optgroup data-category="repair"><option value="leak">Leak</option></optgroup>
        <optgroup data-category="complaint"><option value="noise">Noise</option></optgroup>
        </select><label data-for="repair" id="large"><input name="large_problem"></label>
        <fieldset data-for="complaint" id="complaint"><select name="severity">
        <option value="major">M</option></select></fieldset></form>"""
    )
    page.add_script_tag(content=SCRIPT.read_text())
    page.select_option("#wo-category", "complaint")
    assert page.is_visible("#complaint") and not page.is_visible("#large")
    assert page.eval_on_selector("optgroup[data-category=repair]", "g => g.disabled")
    page.select_option("#wo-subcategory", "noise")
    page.select_option("#wo-category", "repair")
    assert page.is_hidden("#complaint") and page.is_visible("#large")
    assert page.input_value("#wo-subcategory") == ""  # a complaint's choice is dropped
    assert page.eval_on_selector("#complaint select", "s => s.disabled")  # not sent
