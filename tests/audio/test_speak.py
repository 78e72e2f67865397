"""Numbers, dates, times and work-order numbers as sequences of pieces, in both languages."""

from __future__ import annotations

import datetime as dt

import pytest

from audio import speak
from audio.catalogue import build_catalogue
from ivr.flow import Say

CATALOGUE = build_catalogue()


def words(pieces: list[str], language: str) -> str:
    """What the pieces say, joined as the language writes them."""
    said = [CATALOGUE.get(piece, language).text for piece in pieces]
    return ("" if language == "zh-CN" else " ").join(said)


def test_work_order_number_is_read_character_by_character() -> None:
    pieces = speak.characters("SH01-2026-000123")
    assert pieces[:4] == ["char.S", "char.H", "digit.0", "digit.1"]
    assert len(pieces) == 14
    assert words(pieces, "zh-CN") == "SH零一二零二六零零零一二三"
    assert words(pieces, "en").startswith("S H zero one two zero two six zero")


@pytest.mark.parametrize(
    ("hour", "minute", "zh", "en"),
    [
        (14, 30, "十四点三十分", "two thirty p.m."),
        (8, 5, "八点零五分", "eight oh five a.m."),
        (18, 0, "十八点", "six p.m."),
        (2, 0, "两点", "two a.m."),
        (0, 15, "零点十五分", "twelve fifteen a.m."),
        (12, 0, "十二点", "twelve p.m."),
    ],
)
def test_times_of_day(hour: int, minute: int, zh: str, en: str) -> None:
    assert words(speak.clock(hour, minute, "zh-CN"), "zh-CN") == zh
    assert words(speak.clock(hour, minute, "en"), "en") == en


@pytest.mark.parametrize(
    ("day", "zh", "en"),
    [
        (dt.date(2026, 11, 20), "二零二六年十一月二十日", "November twentieth twenty twenty-six"),
        (dt.date(2026, 3, 2), "二零二六年三月二日", "March second twenty twenty-six"),
        (dt.date(2006, 1, 31), "二零零六年一月三十一日", "January thirty-first two thousand six"),
        (dt.date(2030, 12, 1), "二零三零年十二月一日", "December first twenty thirty"),
    ],
)
def test_dates(day: dt.date, zh: str, en: str) -> None:
    assert words(speak.date(day, "zh-CN"), "zh-CN") == zh
    assert words(speak.date(day, "en"), "en") == en


@pytest.mark.parametrize(
    ("n", "zh", "en"),
    [
        (0, "零", "zero"),
        (7, "七", "seven"),
        (15, "十五", "fifteen"),
        (42, "四十二", "forty-two"),
        (100, "一百", "one hundred"),
        (105, "一百零五", "one hundred five"),
        (110, "一百一十", "one hundred ten"),
        (1015, "一千零一十五", "one thousand fifteen"),
        (2026, "二千零二十六", "two thousand twenty-six"),
        (9999, "九千九百九十九", "nine thousand nine hundred ninety-nine"),
    ],
)
def test_numbers(n: int, zh: str, en: str) -> None:
    assert words(speak.number(n, "zh-CN"), "zh-CN") == zh
    assert words(speak.number(n, "en"), "en") == en


def test_numbers_beyond_pieces_are_read_digit_by_digit() -> None:
    assert speak.number(12345, "en") == ["digit.1", "digit.2", "digit.3", "digit.4", "digit.5"]


def test_appointment_in_a_work_order_status() -> None:
    params = {
        "number": "SH01-2026-000123",
        "status": "dispatched",
        "when": "2026-11-24T14:30:00+08:00",
        "assignee": "王师傅",
    }
    zh = speak.sequence(Say("wo.status", params, "zh-CN"))
    en = speak.sequence(Say("wo.status", params, "en"))
    assert words(zh, "zh-CN").endswith("，当前状态：已派工预约时间：十一月二十四日十四点三十分")
    assert words(en, "en").endswith(
        "is assigned to an engineer The visit is booked for "
        "November twenty-fourth at two thirty p.m."
    )
    assert "wo.overdue" not in zh
    assert speak.sequence(Say("wo.status", params | {"overdue": True}, "en"))[-1] == "wo.overdue"


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("zh-CN", "现在是非工作时间，服务中心的工作时间是八点三十分至十八点"),
        (
            "en",
            "The service centre is now closed. Our opening hours are eight thirty a.m. to six p.m.",
        ),
    ],
)
def test_fixed_parts_and_values_are_interleaved(language: str, said: str) -> None:
    say = Say("hours.closed", {"open": "08:30", "close": "18:00"}, language)
    assert words(speak.sequence(say), language) == said


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("zh-CN", "十二栋二单元一五零二室，请按三"),
        ("en", "For building twelve entrance two room one five zero two , press three"),
    ],
)
def test_addresses(language: str, said: str) -> None:
    say = Say("id.pick_unit.option", {"address": "12栋2单元1502", "digit": "3"}, language)
    assert words(speak.sequence(say), language) == said


def test_greeting_names_the_community_by_its_code() -> None:
    say = Say("greeting.evening", {"community": "阳光花园"}, "en")
    assert speak.sequence(say, "SH01") == [
        "greeting.evening",
        "community.SH01",
        "greeting.evening.part2",
    ]
    assert speak.sequence(say) == ["greeting.evening", "greeting.evening.part2"]


def test_waiting_minutes_in_english_say_minutes() -> None:
    one = speak.sequence(Say("queue.wait", {"minutes": "1"}, "en"))
    many = speak.sequence(Say("queue.wait", {"minutes": "12"}, "en"))
    assert one[-2:] == ["number.1", "word.minute"]
    assert many[-2:] == ["number.12", "word.minutes"]
    assert speak.sequence(Say("queue.wait", {"minutes": "12"}, "zh-CN")) == [
        "queue.wait",
        "number.12",
        "queue.wait.part2",
    ]


@pytest.mark.parametrize(
    ("params", "zh", "en"),
    [
        (
            {"address": "3栋1502", "building": "3", "room": "1502"},
            "您的房屋是三栋一五零二室",
            "We found building three room one five zero two",
        ),
        (
            {"building": "12", "room": "0901"},
            "您的房屋是十二栋零九零一室",
            "We found building twelve room zero nine zero one",
        ),
    ],
)
def test_the_unit_found_is_read_back(params: dict[str, str], zh: str, en: str) -> None:
    assert words(speak.sequence(Say("id.confirm", params, "zh-CN")), "zh-CN").startswith(zh)
    assert words(speak.sequence(Say("id.confirm", params, "en")), "en").startswith(en)


def test_a_unit_not_found_names_building_and_room() -> None:
    say = Say("id.not_found", {"building": "12", "room": "1502"}, "zh-CN")
    assert words(speak.sequence(say), "zh-CN") == "对不起，没有找到十二栋一五零二室，请重新输入。"
