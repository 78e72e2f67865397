"""Phone numbers: whatever form a caller ID or a spreadsheet gives, to E.164."""

from __future__ import annotations

import re

import phonenumbers

# Caller IDs that mean "no number": Asterisk's CALLERID(num) for withheld callers,
# SIP's "anonymous", and the keypad spellings Twilio puts in From for callers whose
# number is withheld (ANONYMOUS, UNKNOWN, RESTRICTED, BLOCKED).
WITHHELD = frozenset(
    {
        "",
        "anonymous",
        "unknown",
        "withheld",
        "restricted",
        "private",
        "unavailable",
        "blocked",
        "asterisk",
        "+266696687",
        "+86282452253",
        "+7378742833",
        "+2562533",
    }
)
_DIGITS = re.compile(r"\d")
# The caller IDs most calls bring: a mainland mobile in E.164 (Twilio's From) or
# national form (Asterisk's CALLERID(num)). Their E.164 form is known without
# parsing, which costs as much as the caller's lookup; phonenumbers gives the same
# (tests/test_phones.py checks it).
_CN_MOBILE_E164 = re.compile(r"\+861[3-9]\d{9}")
_CN_MOBILE_NATIONAL = re.compile(r"1[3-9]\d{9}")


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number that can be dialled."""


def to_e164(raw: str | None, region: str = "CN", *, strict: bool = False) -> str | None:
    """The E.164 form of ``raw``, or None for a withheld or anonymous caller ID.

    ``region`` is the country assumed for numbers written without a country code.
    ``strict`` also requires a number that exists in its country's numbering plan
    (for records typed by people: a digit too many is caught); a caller ID is only
    required to have a possible length.

    :raises InvalidPhoneNumber: for text that is neither withheld nor a possible number.
    """
    text = (raw or "").strip()
    if not strict:
        if _CN_MOBILE_E164.fullmatch(text):
            return text
        if region.upper() == "CN" and _CN_MOBILE_NATIONAL.fullmatch(text):
            return "+86" + text
    if text.lower() in WITHHELD or text.replace(" ", "") in WITHHELD:
        return None
    if not _DIGITS.search(text):
        raise InvalidPhoneNumber(f"{raw!r} has no digits")
    try:
        parsed = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"{raw!r} is not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber(f"{raw!r} has the wrong number of digits for its country")
    if strict and not phonenumbers.is_valid_number(parsed):
        raise InvalidPhoneNumber(f"{raw!r} is not a valid number in its country's numbering plan")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def caller_e164(raw: str | None, region: str = "CN") -> str | None:
    """Like :func:`to_e164`, but a caller ID that is not a number is treated as withheld."""
    try:
        return to_e164(raw, region)
    except InvalidPhoneNumber:
        return None


def mask(e164: str) -> str:
    """``+86 138****8000`` style: country code and the last four digits stay visible."""
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return "****"
    national = str(parsed.national_number)
    if len(national) <= 4:
        return "*" * len(national)
    keep = 3 if len(national) >= 10 else 0
    hidden = "*" * (len(national) - keep - 4)
    return f"+{parsed.country_code} {national[:keep]}{hidden}{national[-4:]}"
