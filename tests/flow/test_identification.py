import pytest

from ivr.flow import (
    Close,
    Digits,
    Gather,
    LogEvent,
    Lookup,
    LookupResult,
    NoInput,
    RecordingDone,
    Route,
    Say,
    Speech,
    handle,
)
from ivr.flow.identify import PICKER_MAX_UNITS
from ivr.flow.script import drive, sample_context, sample_resident

from .scenarios import (
    DIRECTORY,
    FOUND,
    KNOWN,
    MANY_UNITS,
    MULTI_UNIT,
    NOT_FOUND,
    TYPE_3_1502,
    UNIT_3_1502,
    UNKNOWN,
    reach,
    then,
)


def test_given_unknown_caller_when_repair_then_building_room_lookup_confirm_and_route():
    transcript = drive(UNKNOWN, [Digits("2"), Digits("3#"), Digits("1502#")])
    assert [s.state.name for s in transcript.steps] == [
        "main_menu",
        "enter_building",
        "enter_room",
        "await_unit",
    ]
    assert transcript.steps[-1].actions[-1] == Lookup(
        "unit", {"community": "SH01", "building": "3", "room": "1502"}
    )
    building_gather = transcript.steps[1].actions[-1]
    assert isinstance(building_gather, Gather) and building_gather.finish_on_key == "#"

    confirm = handle(transcript.state, FOUND)
    assert confirm.state.name == "confirm_unit"
    [gather] = [a for a in confirm.actions if isinstance(a, Gather)]
    assert gather.prompts == [
        Say("id.confirm", {"address": UNIT_3_1502.address, "building": "3", "room": "1502"})
    ]

    done = handle(confirm.state, Digits("1"))
    assert LogEvent("call.identified", {"unit_id": UNIT_3_1502.unit_id}) in done.actions
    assert done.actions[-2:] == [
        Route("repair", 20, resident_id=None, unit_id=UNIT_3_1502.unit_id),
        Close("queued", "confirm_unit"),
    ]


@pytest.mark.parametrize(("key", "queue"), [("2", "repair"), ("4", "complaint")])
def test_given_unknown_caller_when_service_about_a_unit_then_identifies(key, queue):
    transcript = drive(UNKNOWN, [Digits(key), *TYPE_3_1502, Digits("1")], lookup=DIRECTORY)
    assert transcript.of(Route) == [Route(queue, transcript.of(Route)[0].priority, None, 102)]


def test_given_unknown_caller_when_inquiry_then_routes_without_identifying():
    transcript = drive(UNKNOWN, [Digits("3")])
    assert transcript.of(Route) == [Route("inquiry", 10, resident_id=None, unit_id=None)]
    assert not transcript.of(Lookup)


def test_given_unknown_caller_when_emergency_then_routes_without_identifying():
    transcript = drive(UNKNOWN, [Digits("1"), NoInput()])
    assert transcript.of(Route) == [Route("emergency", 100, resident_id=None, unit_id=None)]
    assert not {"id.building", "id.pick_unit"} & set(transcript.prompts)


@pytest.mark.parametrize(
    "name", ["unit_picker", "enter_building", "enter_room", "await_unit", "confirm_unit"]
)
def test_given_identifying_when_emergency_spoken_then_routes_at_once(name):
    step = handle(reach(name), Speech("漏水了"))
    assert [a.queue for a in step.actions if isinstance(a, Route)] == ["emergency"]
    assert step.actions[-1] == Close("queued", name)


def test_given_known_caller_with_several_units_when_emergency_then_no_unit_and_no_questions():
    transcript = drive(MULTI_UNIT, [Digits("1"), NoInput()])
    assert transcript.of(Route) == [Route("emergency", 100, resident_id=1, unit_id=None)]


def test_given_known_caller_with_one_unit_when_repair_then_no_identification():
    transcript = drive(KNOWN, [Digits("2")])
    assert transcript.of(Route) == [Route("repair", 20, resident_id=1, unit_id=101)]
    assert not {"id.building", "id.pick_unit"} & set(transcript.prompts)


def test_given_known_caller_with_several_units_when_repair_then_offered_each_by_key():
    step = drive(MULTI_UNIT, [Digits("2")]).steps[-1]
    [gather] = [a for a in step.actions if isinstance(a, Gather)]
    assert gather.prompts == [
        Say("id.pick_unit"),
        Say("id.pick_unit.option", {"digit": "1", "address": "3栋2单元1501"}),
        Say("id.pick_unit.option", {"digit": "2", "address": "3栋2单元1502"}),
        Say("id.pick_unit.option", {"digit": "3", "address": "3栋2单元1503"}),
        Say("id.pick_unit.other"),
    ]


@pytest.mark.parametrize(("key", "unit_id"), [("1", 101), ("2", 102), ("3", 103)])
def test_given_unit_picker_when_key_then_routes_with_that_unit(key, unit_id):
    transcript = then(reach("unit_picker"), Digits(key))
    assert transcript.of(Route) == [Route("repair", 20, resident_id=1, unit_id=unit_id)]
    assert transcript.close == Close("queued", "unit_picker")


def test_given_unit_picker_when_0_then_types_another_unit():
    transcript = then(reach("unit_picker"), Digits("0"), *TYPE_3_1502, Digits("1"))
    assert [s.state.name for s in transcript.steps][:4] == [
        "enter_building",
        "enter_room",
        "await_unit",
        "confirm_unit",
    ]
    # A known caller typing a unit that is not on file is still that caller.
    assert transcript.of(Route) == [Route("repair", 20, resident_id=1, unit_id=102)]


def test_given_units_a_caller_shares_with_family_when_picked_then_that_residents_record():
    ctx = sample_context(
        residents=[sample_resident(units=1), sample_resident(resident_id=2, units=2)]
    )
    transcript = drive(ctx, [Digits("4"), Digits("2")])
    assert transcript.of(Route) == [Route("complaint", 30, resident_id=2, unit_id=102)]


@pytest.mark.parametrize(
    ("units", "first_state"),
    [
        (2, "unit_picker"),
        (PICKER_MAX_UNITS, "unit_picker"),
        (PICKER_MAX_UNITS + 1, "enter_building"),
        (12, "enter_building"),
    ],
)
def test_given_number_of_units_when_repair_then_picker_only_for_a_few(units, first_state):
    ctx = sample_context(residents=[sample_resident(units=units)])
    assert drive(ctx, [Digits("2")]).state.name == first_state


def test_given_many_units_when_typed_unit_found_then_routes_with_it():
    transcript = drive(MANY_UNITS, [Digits("2"), *TYPE_3_1502, Digits("1")], lookup=DIRECTORY)
    assert transcript.of(Route) == [Route("repair", 20, resident_id=1, unit_id=102)]


@pytest.mark.parametrize(
    "script",
    [
        [Digits("9"), Digits("9"), Digits("9"), Digits("9"), Digits("9"), Digits("9")],
        [*TYPE_3_1502, Digits("2"), *TYPE_3_1502, Digits("2"), *TYPE_3_1502, Digits("2")],
        [NoInput(), NoInput(), NoInput()],
        [Digits("12345"), Digits("A"), Digits("3*1")],
        [Digits("3"), NoInput(), Digits("x"), NoInput()],
        [*TYPE_3_1502, NoInput(), Digits("7"), Digits("8")],
        [Digits("9"), Digits("9"), *TYPE_3_1502, Digits("2"), NoInput()],
    ],
    ids=[
        "not-found",
        "not-confirmed",
        "no-input",
        "bad-entries",
        "room-failures",
        "confirm-failures",
        "mixed",
    ],
)
def test_given_three_identification_failures_then_continues_unidentified(script):
    transcript = drive(UNKNOWN, [Digits("2"), *script], lookup=DIRECTORY)
    assert transcript.of(Route) == [Route("repair", 20, resident_id=None, unit_id=None)]
    assert LogEvent("call.unidentified", {"failures": 3}) in transcript.actions
    assert transcript.prompts[-2:] == ["id.failed", "route.repair"]


def test_given_two_failures_when_third_try_succeeds_then_identified():
    script = [Digits("2"), NoInput(), Digits("9"), Digits("9"), *TYPE_3_1502, Digits("1")]
    transcript = drive(UNKNOWN, script, lookup=DIRECTORY)
    assert "id.no_input" in transcript.prompts and "id.not_found" in transcript.prompts
    assert transcript.of(Route) == [Route("repair", 20, resident_id=None, unit_id=102)]


def test_given_unit_not_found_then_told_with_the_numbers_and_asked_for_the_building_again():
    step = handle(reach("await_unit"), NOT_FOUND)
    assert step.actions[1] == Say("id.not_found", {"building": "3", "room": "1502"})
    assert step.state.name == "enter_building"


def test_given_bad_room_then_asked_for_the_room_again_keeping_the_building():
    step = handle(reach("enter_room"), Digits("1234567"))
    assert step.state.name == "enter_room" and step.state.building == "3"
    assert step.state.call.id_failures == 1


def test_given_number_entry_when_9_then_it_is_a_digit_not_english():
    step = handle(reach("enter_building"), Digits("9"))
    assert step.state.name == "enter_room" and step.state.building == "9"
    assert step.state.call.language == "zh-CN"


def test_given_number_entry_when_star_then_prompt_repeated_without_failure():
    step = handle(reach("enter_building"), Digits("*"))
    assert step.state == reach("enter_building")


def test_given_building_spoken_then_its_digits_are_taken():
    step = handle(reach("enter_building"), Speech("３栋"))
    assert step.state.name == "enter_room" and step.state.building == "3"


def test_given_confirm_when_star_then_address_read_again():
    state = reach("confirm_unit")
    assert handle(state, Digits("*")).state == state


@pytest.mark.parametrize(
    "result",
    [
        LookupResult("unit", {}),
        LookupResult("unit", {"unit_id": None}),
        LookupResult("resident", {"unit_id": 5}),
    ],
    ids=["empty", "no-id", "wrong-kind"],
)
def test_given_lookup_without_a_unit_then_not_found(result):
    step = handle(reach("await_unit"), result)
    assert step.state.name == "enter_building" and step.state.call.id_failures == 1


@pytest.mark.parametrize(
    "event",
    [Digits("1"), NoInput(), Speech("你好"), RecordingDone("r", 1.0)],
    ids=["digits", "no-input", "speech", "recording"],
)
def test_given_waiting_for_lookup_when_anything_else_arrives_then_lookup_asked_again(event):
    state = reach("await_unit")
    step = handle(state, event)
    assert step.state == state and isinstance(step.actions[-1], Lookup)
