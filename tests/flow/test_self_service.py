from ivr.flow import Close, Digits, Gather, LogEvent, NoInput, Route, Say, Speech, handle, start
from ivr.flow.events import Hangup
from ivr.flow.script import drive, sample_context, sample_resident

from .scenarios import ORDER, OVERDUE, UNKNOWN, WITH_ORDER, reach, then


def test_given_known_caller_with_open_order_when_called_then_offered_its_status_before_menu():
    step = start(WITH_ORDER)
    assert step.state.name == "self_service_offer"
    [gather] = [a for a in step.actions if isinstance(a, Gather)]
    assert gather.prompts == [Say("self_service.offer", {"work_order": "SH01-2026-000123"})]


def test_given_unknown_caller_even_with_orders_then_no_offer():
    assert (
        start(sample_context(caller_known=False, residents=[], work_orders=[ORDER])).state.name
        == "main_menu"
    )
    assert start(UNKNOWN).state.name == "main_menu"


def test_given_offer_when_1_then_status_assignee_and_time_read_then_followup():
    step = handle(reach("self_service_offer"), Digits("1"))
    assert LogEvent("call.status_heard", {"work_order": ORDER.number}) in step.actions
    says = [a for a in step.actions if isinstance(a, Say)]
    assert says == [
        Say(
            "wo.status",
            {
                "number": ORDER.number,
                "status": "assigned",
                "assignee": "李师傅",
                "when": "2026-03-02T14:00:00+08:00",
                "overdue": False,
            },
        )
    ]
    [gather] = [a for a in step.actions if isinstance(a, Gather)]
    assert [say.prompt for say in gather.prompts] == ["self_service.followup"]


def test_given_status_heard_when_caller_hangs_up_then_self_served():
    step = handle(reach("work_order_status"), Hangup())
    assert step.actions[-1] == Close("self_served", "work_order_status")
    assert not [a for a in step.actions if isinstance(a, Route)]


def test_given_status_heard_when_back_to_menu_and_hangs_up_then_still_self_served():
    transcript = then(reach("work_order_status"), Digits("0"), Hangup())
    assert transcript.close == Close("self_served", "main_menu")


def test_given_status_heard_when_another_service_chosen_then_hangup_is_abandoned():
    ctx = sample_context(residents=[sample_resident(units=3)], work_orders=[ORDER])
    transcript = drive(ctx, [Digits("1"), Digits("0"), Digits("2"), Hangup()])
    assert transcript.close == Close("abandoned", "unit_picker")


def test_given_status_heard_when_menu_key_invalid_and_hangs_up_then_self_served():
    transcript = drive(WITH_ORDER, [Digits("1"), Digits("0"), Digits("7"), Hangup()])
    assert transcript.close == Close("self_served", "main_menu")


def test_given_status_heard_when_1_then_repair_call_about_that_orders_unit():
    transcript = drive(OVERDUE, [Digits("1"), Digits("1")])
    assert transcript.of(Route) == [Route("repair", 30, resident_id=1, unit_id=101)]
    assert transcript.close == Close("queued", "work_order_status")


def test_given_status_heard_when_agent_asked_for_in_words_then_repair_call():
    transcript = drive(WITH_ORDER, [Digits("1"), Speech("转人工")])
    assert [r.queue for r in transcript.of(Route)] == ["repair"]


def test_given_status_heard_when_star_then_status_read_again():
    state = reach("work_order_status")
    step = handle(state, Digits("*"))
    assert step.state == state
    assert [a.prompt for a in step.actions if isinstance(a, Say)] == ["wo.status"]


def test_given_offer_when_silent_then_main_menu_without_a_miss():
    step = handle(reach("self_service_offer"), NoInput())
    assert step.state.name == "main_menu" and step.state.misses == 0


def test_given_offer_when_0_then_main_menu():
    assert handle(reach("self_service_offer"), Digits("0")).state.name == "main_menu"


def test_given_offer_when_service_spoken_then_that_service_directly():
    transcript = drive(WITH_ORDER, [Speech("我要投诉")])
    assert [r.queue for r in transcript.of(Route)] == ["complaint"]
