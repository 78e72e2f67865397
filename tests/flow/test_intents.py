import pytest

from ivr.flow.context import EN, ZH
from ivr.flow.intents import HINTS, Intent, emergency_kind, hints, intent_of


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("漏水", "leak"),
        ("我家厨房漏水了", "leak"),
        ("楼上 爆管 了", "leak"),
        ("卫生间水管爆裂", "leak"),
        ("地下车库水浸", "leak"),
        ("整栋楼停电了", "power"),
        ("闻到燃气味", "gas"),
        ("好像 煤气 泄漏", "gas"),
        ("着火了快来", "fire"),
        ("发生火灾", "fire"),
        ("电梯困人", "trapped"),
        ("有人困在电梯里", "trapped"),
        ("快叫救护车", "medical"),
        ("需要急救", "medical"),
        ("有人抢劫", "crime"),
        ("紧急情况", "urgent"),
        ("漏　水", "leak"),  # full-width space between the characters
    ],
)
def test_given_mandarin_emergency_words_when_heard_then_emergency_of_that_kind(text, kind):
    assert emergency_kind(text) == kind
    assert intent_of(text, ZH) is Intent.EMERGENCY
    assert intent_of(text, EN) is Intent.EMERGENCY


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("there's a LEAK in the kitchen", "leak"),
        ("the basement is flooding", "leak"),
        ("a pipe burst upstairs", "leak"),
        ("Power out", "power"),
        ("the power is out in block 3", "power"),
        ("our power went out", "power"),
        ("we have no electricity", "power"),
        ("I smell gas", "gas"),
        ("FIRE!", "fire"),
        ("someone is trapped in the lift", "trapped"),
        ("my mother is stuck in the elevator", "trapped"),
        ("please send an ambulance", "medical"),
        ("there is a burglar downstairs", "crime"),
        ("this is an emergency", "urgent"),
        ("ＬＥＡＫ", "leak"),  # full-width letters
        ("ｐｏｗｅｒ　ｏｕｔ", "power"),  # full-width letters and space
        ("  Gas   smell  ", "gas"),
    ],
)
def test_given_english_emergency_words_when_heard_then_emergency_of_that_kind(text, kind):
    assert emergency_kind(text) == kind
    assert intent_of(text, EN) is Intent.EMERGENCY
    assert intent_of(text, ZH) is Intent.EMERGENCY


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("紧急", Intent.EMERGENCY),
        ("我要报修", Intent.REPAIR),
        ("维修", Intent.REPAIR),
        ("客厅灯 坏了", Intent.REPAIR),
        ("我想咨询一下", Intent.INQUIRY),
        ("物业费怎么交", Intent.INQUIRY),
        ("维修费用多少", Intent.INQUIRY),
        ("投诉", Intent.COMPLAINT),
        ("我要投诉维修太慢", Intent.COMPLAINT),
        ("对保安很不满意", Intent.COMPLAINT),
        ("转人工", Intent.AGENT),
        ("我要留言", Intent.MESSAGE),
        ("我想交燃气费", Intent.INQUIRY),  # paying the gas bill is no gas leak
    ],
)
def test_given_mandarin_words_when_heard_then_intent(text, intent):
    assert intent_of(text, ZH) is intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("emergency", Intent.EMERGENCY),
        ("I need a repair", Intent.REPAIR),
        ("can you FIX my door", Intent.REPAIR),
        ("the intercom is not working", Intent.REPAIR),
        ("I have a question", Intent.INQUIRY),
        ("Inquiry", Intent.INQUIRY),
        ("an enquiry about fees", Intent.INQUIRY),
        ("I want to complain", Intent.COMPLAINT),
        ("I'd like to make a complaint about the repair", Intent.COMPLAINT),
        ("agent please", Intent.AGENT),
        ("leave a message", Intent.MESSAGE),
        ("I want to pay my gas bill", Intent.INQUIRY),
    ],
)
def test_given_english_words_when_heard_then_intent(text, intent):
    assert intent_of(text, EN) is intent


@pytest.mark.parametrize(
    "text", ["", "   ", "你好", "嗯", "hello", "prefix", "gasoline prices", "I was fired", "yes"]
)
def test_given_words_with_no_intent_when_heard_then_none(text):
    assert intent_of(text, ZH) is None
    assert intent_of(text, EN) is None


def test_given_gas_bill_and_gas_leak_together_when_heard_then_emergency():
    assert intent_of("燃气费交了但是燃气泄漏", ZH) is Intent.EMERGENCY
    assert intent_of("paid the gas bill but I smell gas", EN) is Intent.EMERGENCY


def test_given_negated_emergency_when_heard_then_still_emergency_to_be_safe():
    assert intent_of("不是紧急的事", ZH) is Intent.EMERGENCY


@pytest.mark.parametrize(("language", "intent"), [(ZH, Intent.COMPLAINT), (EN, Intent.REPAIR)])
def test_given_both_languages_in_the_text_when_heard_then_the_calls_language_first(
    language, intent
):
    assert intent_of("投诉 repair", language) is intent


@pytest.mark.parametrize("language", [ZH, EN])
def test_given_any_menu_when_hints_then_emergency_words_always_included(language):
    words = hints(language, Intent.REPAIR)
    assert set(HINTS[language][Intent.EMERGENCY]) <= set(words)
    assert set(HINTS[language][Intent.REPAIR]) <= set(words)
    assert not set(HINTS[language][Intent.COMPLAINT]) & set(words)


@pytest.mark.parametrize("language", [ZH, EN])
def test_given_every_hint_when_recognised_then_it_means_its_intent(language):
    for intent, words in HINTS[language].items():
        for word in words:
            assert intent_of(word, language) is intent, word
