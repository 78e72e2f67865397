"""Spoken intents: what a caller's recognised words ask for.

Pure keyword rules over recogniser output, in Mandarin and English. Text is
NFKC-normalised (full-width letters, digits and spaces become ASCII) and
case-folded; Mandarin words are matched with all spaces removed (Vosk puts
spaces between Chinese words), English ones on word boundaries.

Emergency words win over everything, in either language, whatever the call's
language: missing an emergency costs more than queueing a false one, so
"不是紧急" still counts as an emergency. Paying a gas bill (燃气费, "gas bill")
is the one phrase excluded. Other intents are tried in the call's language
first, then in the other, in the order complaint, inquiry, repair, agent,
message: "投诉维修太慢" is a complaint, "维修费用多少" an inquiry.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from .context import EN, ZH


class Intent(StrEnum):
    """A caller's spoken choice; the first four are also queue names."""

    EMERGENCY = "emergency"
    REPAIR = "repair"
    INQUIRY = "inquiry"
    COMPLAINT = "complaint"
    AGENT = "agent"
    MESSAGE = "message"


def _patterns(*sources: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(source) for source in sources)


# kind -> (Mandarin words, English patterns); specific kinds before "urgent".
EMERGENCY_RULES: dict[str, tuple[tuple[str, ...], tuple[re.Pattern[str], ...]]] = {
    "leak": (
        ("漏水", "爆管", "水管爆裂", "爆裂", "水浸", "淹水", "跑水"),
        _patterns(r"\bleak", r"\bflood", r"\bburst"),
    ),
    "power": (
        ("停电", "断电"),
        _patterns(
            r"\bpower(?:'s| is| has)?(?: gone| went| been)? (?:out|off|down|cut)\b",
            r"\bpower (?:cut|failure|outage)",
            r"\bblackout",
            r"\boutage",
            r"\bno (?:power|electricity)\b",
        ),
    ),
    "gas": (("燃气", "煤气", "天然气"), _patterns(r"\bgas\b")),
    "fire": (("着火", "火灾", "失火", "起火"), _patterns(r"\bfire\b")),
    "trapped": (
        ("电梯困人", "困在电梯", "关在电梯", "被困", "困人"),
        _patterns(r"\btrapped\b", r"\bstuck in (?:the |a |an )?(?:lift|elevator)"),
    ),
    "medical": (("救护", "急救", "晕倒"), _patterns(r"\bambulance", r"\bmedical\b")),
    "crime": (
        ("抢劫", "盗窃", "小偷", "打架", "斗殴"),
        _patterns(r"\brobber", r"\bburglar", r"\bbreak[- ]?in\b", r"\bthie(?:f|ves)\b"),
    ),
    "urgent": (("紧急",), _patterns(r"\bemergenc", r"\burgent")),
}

_NOT_EMERGENCY_ZH = ("燃气费", "煤气费")
_NOT_EMERGENCY_EN = re.compile(r"\bgas (?:bills?|fees?|payments?|meter)")

# intent -> (Mandarin words, English patterns), in precedence order.
SERVICE_RULES: dict[Intent, tuple[tuple[str, ...], tuple[re.Pattern[str], ...]]] = {
    Intent.COMPLAINT: (
        ("投诉", "不满", "举报", "抱怨"),
        _patterns(r"\bcomplain", r"\bunhappy\b", r"\bdissatisfied\b"),
    ),
    Intent.INQUIRY: (
        (
            "咨询",
            "查询",
            "询问",
            "了解",
            "费用",
            "缴费",
            "交费",
            "收费",
            "燃气费",
            "煤气费",
            "电费",
            "水费",
            "物业费",
            "管理费",
            "停车费",
            "通知",
            "手续",
        ),
        _patterns(
            r"\bquestion",
            r"\b(?:in|en)quir",
            r"\binformation\b",
            r"\binfo\b",
            r"\bfees?\b",
            r"\bbills?\b",
            r"\bpayment",
            r"\bnotice",
        ),
    ),
    Intent.REPAIR: (
        ("报修", "维修", "修理", "修一下", "坏了", "故障", "损坏", "不能用", "堵了", "堵塞"),
        _patterns(
            r"\brepair",
            r"\bfix",
            r"\bbroken\b",
            r"\bnot working\b",
            r"\bdoesn'?t work\b",
            r"\bmaintenance\b",
            r"\bblocked\b",
            r"\bclogged\b",
        ),
    ),
    Intent.AGENT: (
        ("人工", "客服", "接线员", "工作人员"),
        _patterns(
            r"\bagent\b", r"\boperator\b", r"\brepresentative\b", r"\bhuman\b", r"\breal person\b"
        ),
    ),
    Intent.MESSAGE: (("留言",), _patterns(r"\bmessage\b", r"\bvoice ?mail\b")),
}

# Words to bias the recogniser towards, per language.
HINTS: dict[str, dict[Intent, list[str]]] = {
    ZH: {
        Intent.EMERGENCY: ["紧急", "漏水", "爆管", "停电", "燃气", "着火", "电梯困人", "救护"],
        Intent.REPAIR: ["报修", "维修"],
        Intent.INQUIRY: ["咨询"],
        Intent.COMPLAINT: ["投诉"],
        Intent.AGENT: ["人工"],
        Intent.MESSAGE: ["留言"],
    },
    EN: {
        Intent.EMERGENCY: [
            "emergency",
            "leak",
            "flood",
            "burst",
            "power out",
            "gas",
            "fire",
            "trapped",
            "ambulance",
        ],
        Intent.REPAIR: ["repair", "fix"],
        Intent.INQUIRY: ["question", "inquiry"],
        Intent.COMPLAINT: ["complaint"],
        Intent.AGENT: ["agent"],
        Intent.MESSAGE: ["message"],
    },
}


def _forms(text: str) -> tuple[str, str]:
    """The text folded for Mandarin (no spaces) and for English (single spaces)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", "", folded), " ".join(folded.split())


def emergency_kind(text: str) -> str | None:
    """Which emergency the words describe (leak, power, gas, fire, trapped,
    medical, crime, urgent), or None."""
    joined, spaced = _forms(text)
    for phrase in _NOT_EMERGENCY_ZH:
        joined = joined.replace(phrase, " ")
    spaced = _NOT_EMERGENCY_EN.sub(" ", spaced)
    for kind, (words, patterns) in EMERGENCY_RULES.items():
        if any(word in joined for word in words) or any(p.search(spaced) for p in patterns):
            return kind
    return None


def intent_of(text: str, language: str) -> Intent | None:
    """The intent recognised ``text`` expresses, for a call in ``language``."""
    if emergency_kind(text) is not None:
        return Intent.EMERGENCY
    joined, spaced = _forms(text)
    zh = next((i for i, (words, _) in SERVICE_RULES.items() if _has(joined, words)), None)
    en = next((i for i, (_, pats) in SERVICE_RULES.items() if _any(spaced, pats)), None)
    return (en or zh) if language == EN else (zh or en)


def hints(language: str, *intents: Intent) -> list[str]:
    """Recogniser hints for ``intents`` (emergency words always included)."""
    table = HINTS.get(language, HINTS[ZH])
    wanted = [Intent.EMERGENCY, *(i for i in intents if i is not Intent.EMERGENCY)]
    return [word for intent in wanted for word in table[intent]]


def _has(text: str, words: tuple[str, ...]) -> bool:
    return any(word in text for word in words)


def _any(text: str, patterns: tuple[re.Pattern[str], ...]) -> bool:
    return any(pattern.search(text) for pattern in patterns)
