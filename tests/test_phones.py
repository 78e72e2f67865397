"""Phone numbers as callers and spreadsheets write them, normalised to E.164."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.phones import InvalidPhoneNumber, caller_e164, mask, to_e164


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("13800138000", "+8613800138000"),
        ("021-6234 5678", "+862162345678"),
        ("(021) 62345678", "+862162345678"),
        ("+1 415 555 0100", "+14155550100"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_numbers_in_every_written_form_become_e164(raw: str, e164: str) -> None:
    assert to_e164(raw, "CN") == e164


def test_default_region_decides_numbers_without_country_code() -> None:
    assert to_e164("(415) 555-0100", "US") == "+14155550100"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "anonymous",
        "Anonymous",
        "unknown",
        "UNKNOWN",
        "withheld",
        "Restricted",
        "private",
        "asterisk",
        "+266696687",
        "+86282452253",
        " ",
    ],
)
def test_withheld_caller_ids_are_no_number(raw: str | None) -> None:
    assert to_e164(raw) is None
    assert caller_e164(raw) is None


@pytest.mark.parametrize("raw", ["abc", "12", "+86 138 0013 8000 12345 678", "++--"])
def test_text_that_is_not_a_number_is_refused_with_a_reason(raw: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        to_e164(raw)
    assert caller_e164(raw) is None


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+8613800138000", "+86 138****8000"),
        ("+862162345678", "+86 216***5678"),
        ("+14155550100", "+1 415***0100"),
    ],
)
def test_mask_keeps_prefix_and_last_four_digits(e164: str, masked: str) -> None:
    assert mask(e164) == masked


def test_strict_refuses_numbers_outside_the_numbering_plan() -> None:
    assert to_e164("139 1234 5678", strict=True) == "+8613912345678"
    assert to_e164("139123456789") == "+86139123456789"  # a possible length for a caller ID
    with pytest.raises(InvalidPhoneNumber, match="numbering plan"):
        to_e164("139123456789", strict=True)


@settings(max_examples=300, deadline=None)
@given(second=st.integers(3, 9), rest=st.integers(0, 10**9 - 1), e164_form=st.booleans())
def test_mainland_mobile_caller_ids_read_as_phonenumbers_reads_them(
    second: int, rest: int, e164_form: bool
) -> None:
    """The fast path for the commonest caller IDs gives what a full parse gives."""
    national = f"1{second}{rest:09d}"
    raw = f"+86{national}" if e164_form else national
    parsed = phonenumbers.parse(raw, "CN")
    expected = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    assert phonenumbers.is_possible_number(parsed)
    assert to_e164(raw) == caller_e164(raw) == expected


def test_a_national_mobile_form_abroad_is_parsed_for_its_region() -> None:
    """Eleven digits starting with 1 are a mainland mobile only where the region is CN."""
    assert to_e164("13812345678", "US") == "+13812345678"
