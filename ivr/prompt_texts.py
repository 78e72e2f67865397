"""What every prompt says, as text, in each language the flow speaks (no I/O).

Adapters that speak by text-to-speech (Twilio's ``<Say>``, the browser
simulator) read prompts from here: ``text("menu.main", "zh-CN", {})``. Values
are spoken the way a service centre reads them out: a work-order number
character by character, a room number digit by digit, times on the clock.

Every name in :data:`ivr.flow.PROMPTS` has a text in both languages, plus the
adapters' own prompts while a caller waits in a queue (:data:`QUEUE_PROMPTS`).
This is the one place the words live: the audio prompt catalogue
(:mod:`audio.catalogue`) reads :data:`TEXTS`, :data:`FRAGMENTS` and
:data:`STATUS_WORDS` to record the same words for Asterisk.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from hotline.remembered import Remembered

ZH = "zh-CN"
EN = "en"

# Prompts the adapters play while a caller waits in a queue (not the flow's own).
QUEUE_PROMPTS = frozenset(
    {
        "queue.position",
        "queue.wait",
        # the callback offer and the callback call (ivr.dispatch)
        "queue.callback_offer",
        "queue.callback_ok",
        "callback.intro",
        "callback.press_1",
        "callback.goodbye",
    }
)

TEXTS: dict[str, dict[str, str]] = {
    ZH: {
        "greeting.morning": "早上好，欢迎致电{community}物业服务中心。",
        "greeting.afternoon": "下午好，欢迎致电{community}物业服务中心。",
        "greeting.evening": "晚上好，欢迎致电{community}物业服务中心。",
        "hours.closed": "现在是非工作时间，服务中心的工作时间是{open}至{close}。",
        "menu.main": (
            "紧急情况请按1，报修请按2，咨询请按3，投诉请按4，您也可以直接说出您的需要。"
            "重听请按星号键。For English, press 9."
        ),
        "menu.invalid": "对不起，您的输入有误。",
        "menu.no_input": "对不起，我们没有收到您的选择。",
        "menu.to_agent": "正在为您转接人工客服，请稍候。",
        "self_service.offer": (
            "您的工单{work_order}正在处理中。查询进度请按1，办理其他业务请按0。"
        ),
        "wo.status": "工单{number}，当前状态：{status}。{assignee_part}{when_part}{overdue_part}",
        "self_service.followup": "如需就此工单联系客服请按1，返回主菜单请按0。",
        "id.pick_unit": "请选择您要办理业务的房屋。",
        "id.pick_unit.option": "{address}，请按{digit}。",
        "id.pick_unit.other": "其他房屋请按0。",
        "id.building": "请输入楼栋号，以井号键结束。",
        "id.room": "请输入房号，以井号键结束。如有单元号，请先输入单元号。",
        "id.confirm": "您的房屋是{place}。确认请按1，重新输入请按2。",
        "id.invalid": "对不起，您输入的号码有误，请重新输入。",
        "id.no_input": "对不起，我们没有收到您的输入，请重新输入。",
        "id.not_found": "对不起，没有找到{building}栋{room}室，请重新输入。",
        "id.failed": "暂时无法确认您的房屋，客服人员将为您核实。",
        "after_hours.offer": (
            "如需留言请按1，我们将在工作时间{open}至{close}尽快回复您。"
            "如有紧急情况请按0，为您转接值班工程师。"
        ),
        "after_hours.record": "请在提示音后留下您的姓名、地址和需要办理的事项，按井号键结束。",
        "after_hours.no_message": "对不起，我们没有收到您的留言。",
        "after_hours.thanks": "感谢您的留言，我们会尽快与您联系。再见。",
        "emergency.kind": "燃气泄漏或火灾请按1，有人受伤或急病请按2，其他紧急情况请稍候。",
        "emergency.leave": (
            "如闻到燃气味或发生火灾，请立即离开楼内，不要开关电器，"
            "到室外安全处拨打火警电话{fire}，如有人受伤请拨打{ambulance}。"
        ),
        "emergency.medical": (
            "如有人员受伤或身体不适，请立即拨打急救电话{ambulance}。"
            "需要保安到小区门口接应救护车，请按1。"
        ),
        "emergency.guard_ok": "好的，保安会到小区门口接应救护车。",
        "emergency.on_call": "正在为您转接值班工程师，请稍候。",
        "route.emergency": "正在为您转接紧急服务专线，请稍候。",
        "route.repair": "正在为您转接报修服务，请稍候。",
        "route.inquiry": "正在为您转接客服人员，请稍候。",
        "route.complaint": "正在为您转接投诉专线，请稍候。",
        "incident.status": "物业服务中心通知：{message}",
        "incident.menu": (
            "如您来电是为了其他事情，请按1；如需人工服务，请按0；如无其他事情，可以挂机。"
        ),
        "incident.linked": "您的来电已记录，恢复后我们会通知您。感谢您的耐心，再见。",
        "queue.position": "您现在排在第{position}位。",
        "queue.wait": "预计等待时间约{minutes}分钟。",
        "queue.callback_offer": "如不想等待，请按1，我们将按您现在的排队顺序给您回电。",
        "queue.callback_ok": "好的，我们将尽快给您回电，请保持电话畅通。再见。",
        "callback.intro": "您好，这里是物业服务中心，您刚才来电时选择了回电。",
        "callback.press_1": "现在为您接通客服，请按1。",
        "callback.goodbye": "我们稍后会再给您回电。再见。",
        # Outbound calls: surveys, notices, fee reminders, senior care (ivr.flow.dialout).
        "survey.intro": "您好，这里是{community}物业服务中心。",
        "survey.about.leak": "回访您{day}的漏水维修。",
        "survey.about.plumbing": "回访您{day}的水管维修。",
        "survey.about.drain": "回访您{day}的下水道疏通。",
        "survey.about.electrical": "回访您{day}的电路维修。",
        "survey.about.lift": "回访您{day}的电梯维修。",
        "survey.about.repair": "回访您{day}的报修。",
        "survey.about.emergency": "回访您{day}的紧急维修。",
        "survey.about.complaint": "回访您{day}的投诉处理。",
        "survey.about.home_service": "回访您{day}的居家服务。",
        "survey.about.service": "回访您{day}接受的服务。",
        "survey.about.recent": "回访您近期接受的服务。",
        "survey.how": "请按1到5分评价，5分为非常满意。如不希望再接到回访，请随时按9。",
        "survey.q.timeliness": "服务是否及时？",
        "survey.q.skill": "师傅的技术水平如何？",
        "survey.q.attitude": "服务态度如何？",
        "survey.q.solved": "问题解决了吗？已解决请按1，未解决请按2。",
        "survey.invalid": "对不起，您的输入有误。",
        "survey.no_input": "对不起，我们没有收到您的回答。",
        "survey.later": "我们稍后再与您联系。再见。",
        "survey.opt_out.confirm": "确认今后不再接受回访请按1，继续回访请按2。",
        "survey.opted_out": "好的，今后不再打扰您。再见。",
        "survey.comment": (
            "如有其他意见或建议，请在提示音后留言，按井号键结束；无需留言请直接按井号键。"
        ),
        "survey.thanks": "感谢您的评价，祝您生活愉快。再见。",
        "notice.intro": "您好，这里是{community}物业服务中心，现有通知如下。",
        "notice.repeat": "重听请按1。",
        "notice.goodbye": "谢谢，再见。",
        "fee.intro": "您好，这里是{community}物业服务中心，温馨提示您缴纳物业费。",
        "fee.amount_due": "您的待缴金额为{amount}元，请于{day}前缴纳。",
        "fee.amount": "您的待缴金额为{amount}元，请尽快缴纳。",
        "fee.due": "请于{day}前缴纳。",
        "fee.general": "您有物业费尚未缴纳，请尽快缴纳，如有疑问请联系服务中心。",
        "senior.intro": "您好，这里是{community}物业服务中心居家养老服务的亲情电话。",
        "senior.default": "我们定期与老人的家属联系，了解老人的近况和需要。",
        "senior.menu": "重听请按1，需要服务中心与您联系请按2。",
        "senior.callback_ok": "好的，服务中心会尽快与您联系。再见。",
        "outbound.machine": "您好，这里是物业服务中心，我们稍后再与您联系。",
        "oncall.intro": "您好，这里是{community}物业服务中心值班呼叫，有紧急情况需要处理。",
        "oncall.kind.burst_pipe": "紧急情况：水管爆裂或严重漏水。",
        "oncall.kind.power_outage": "紧急情况：停电。",
        "oncall.kind.gas": "紧急情况：燃气泄漏。",
        "oncall.kind.fire": "紧急情况：火灾。",
        "oncall.kind.flooding": "紧急情况：水浸。",
        "oncall.kind.lift_trapped": "紧急情况：电梯困人。",
        "oncall.kind.medical": "紧急情况：有人需要急救。",
        "oncall.kind.crime": "紧急情况：治安事件。",
        "oncall.kind.other": "紧急情况：其他紧急情况。",
        "oncall.address": "地点：{address}。",
        "oncall.common_area": "地点在公共区域，详情请查看工单。",
        "oncall.callback": "住户回电号码：{number}。",
        "oncall.menu": "接受任务请按1，无法前往请按2，重听请按9。",
        "oncall.invalid": "对不起，您的输入有误。",
        "oncall.no_input": "对不起，我们没有收到您的选择。",
        "oncall.accepted": "谢谢，已记录由您接受任务，请尽快前往现场。再见。",
        "oncall.declined": "好的，我们将联系下一位值班人员。再见。",
        "oncall.undecided": "我们稍后再与您联系。再见。",
        "oncall.on_the_way": (
            "您好，这里是{community}物业服务中心。您报告的紧急情况已有工作人员接单，"
            "正在赶往现场，预计{minutes}分钟内到达。"
        ),
    },
    EN: {
        "greeting.morning": "Good morning, and welcome to the {community} service centre.",
        "greeting.afternoon": "Good afternoon, and welcome to the {community} service centre.",
        "greeting.evening": "Good evening, and welcome to the {community} service centre.",
        "hours.closed": (
            "The service centre is now closed. Our opening hours are {open} to {close}."
        ),
        "menu.main": (
            "For an emergency, press 1. To report a repair, press 2. For an inquiry, press 3. "
            "To make a complaint, press 4. You can also tell us what you need. "
            "To hear these options again, press star."
        ),
        "menu.invalid": "Sorry, that is not a valid choice.",
        "menu.no_input": "Sorry, we did not hear your choice.",
        "menu.to_agent": "Connecting you to an agent, please hold.",
        "self_service.offer": (
            "Your work order {work_order} is in progress. To hear its status, press 1. "
            "For other services, press 0."
        ),
        "wo.status": "Work order {number} is {status}.{assignee_part}{when_part}{overdue_part}",
        "self_service.followup": (
            "To speak to an agent about this work order, press 1. For the main menu, press 0."
        ),
        "id.pick_unit": "Please choose the home you are calling about.",
        "id.pick_unit.option": "For {address}, press {digit}.",
        "id.pick_unit.other": "For another home, press 0.",
        "id.building": "Please enter your building number, followed by the hash key.",
        "id.room": (
            "Please enter your room number, followed by the hash key. "
            "If your building has entrances, enter the entrance number first."
        ),
        "id.confirm": "We found {place}. To confirm, press 1. To enter it again, press 2.",
        "id.invalid": "Sorry, that number is not valid. Please try again.",
        "id.no_input": "Sorry, we did not receive your entry. Please try again.",
        "id.not_found": "Sorry, we could not find building {building}, room {room}. "
        "Please try again.",
        "id.failed": "We could not confirm your home. An agent will check it with you.",
        "after_hours.offer": (
            "To leave a message, press 1; we will get back to you during opening hours, "
            "{open} to {close}. For an emergency, press 0 to reach the engineer on call."
        ),
        "after_hours.record": (
            "After the tone, please leave your name, your address and what you need, "
            "then press the hash key."
        ),
        "after_hours.no_message": "Sorry, we did not receive a message.",
        "after_hours.thanks": "Thank you for your message. We will contact you soon. Goodbye.",
        "emergency.kind": (
            "For a gas leak or a fire, press 1. If someone is hurt or ill, press 2. "
            "For any other emergency, please hold."
        ),
        "emergency.leave": (
            "If you smell gas or there is a fire, leave the building now without touching "
            "any switch, and from outside call the fire service on {fire}, "
            "or {ambulance} if anyone is hurt."
        ),
        "emergency.medical": (
            "If someone is hurt or unwell, call {ambulance} for an ambulance now. "
            "To have our security guard meet the ambulance at the gate, press 1."
        ),
        "emergency.guard_ok": "Our security guard will meet the ambulance at the gate.",
        "emergency.on_call": "Connecting you to the engineer on call, please hold.",
        "route.emergency": "Connecting you to our emergency line, please hold.",
        "route.repair": "Connecting you to our repair service, please hold.",
        "route.inquiry": "Connecting you to customer service, please hold.",
        "route.complaint": "Connecting you to our complaints line, please hold.",
        "incident.status": "A notice from the service centre: {message}",
        "incident.menu": (
            "If you are calling about something else, press 1. To speak to an agent, press 0. "
            "Otherwise you may hang up."
        ),
        "incident.linked": (
            "Your call has been noted and we will let you know when it is over. "
            "Thank you for your patience. Goodbye."
        ),
        "queue.position": "You are number {position} in the queue.",
        "queue.wait": "The expected wait is about {minutes}.",
        "queue.callback_offer": (
            "To be called back instead of waiting, keeping your place in line, press 1."
        ),
        "queue.callback_ok": "Thank you. We will call you back as soon as we can. Goodbye.",
        "callback.intro": "Hello, this is your property service centre calling you back.",
        "callback.press_1": "To be connected to an agent now, press 1.",
        "callback.goodbye": "We will try again a little later. Goodbye.",
        # Outbound calls: surveys, notices, fee reminders, senior care (ivr.flow.dialout).
        "survey.intro": "Hello, this is the {community} property service centre.",
        "survey.about.leak": "We are calling about your water-leak repair on {day}.",
        "survey.about.plumbing": "We are calling about your plumbing repair on {day}.",
        "survey.about.drain": "We are calling about the drain we cleared on {day}.",
        "survey.about.electrical": "We are calling about your electrical repair on {day}.",
        "survey.about.lift": "We are calling about the lift repair on {day}.",
        "survey.about.repair": "We are calling about your repair on {day}.",
        "survey.about.emergency": "We are calling about your emergency repair on {day}.",
        "survey.about.complaint": "We are calling about your complaint, handled on {day}.",
        "survey.about.home_service": "We are calling about your home service on {day}.",
        "survey.about.service": "We are calling about our service on {day}.",
        "survey.about.recent": "We are calling about our recent service.",
        "survey.how": (
            "Please answer with a key from 1 to 5, 5 being very satisfied. "
            "To never be surveyed again, press 9 at any time."
        ),
        "survey.q.timeliness": "How timely was the service?",
        "survey.q.skill": "How skilled was the work?",
        "survey.q.attitude": "How was the staff's attitude?",
        "survey.q.solved": "Was the problem solved? Press 1 for yes, 2 for no.",
        "survey.invalid": "Sorry, that is not a valid answer.",
        "survey.no_input": "Sorry, we did not hear your answer.",
        "survey.later": "We will call you another time. Goodbye.",
        "survey.opt_out.confirm": (
            "To confirm that you never want to be surveyed again, press 1. "
            "To go on with the survey, press 2."
        ),
        "survey.opted_out": "Understood: we will not call you for surveys again. Goodbye.",
        "survey.comment": (
            "For any other comment, speak after the tone, then press the hash key. "
            "To skip it, just press the hash key."
        ),
        "survey.thanks": "Thank you for your answers. Goodbye.",
        "notice.intro": "Hello, this is the {community} property service centre with a notice.",
        "notice.repeat": "To hear it again, press 1.",
        "notice.goodbye": "Thank you. Goodbye.",
        "fee.intro": (
            "Hello, this is the {community} property service centre "
            "with a reminder about your service charges."
        ),
        "fee.amount_due": "The amount due is {amount} yuan, to be paid by {day}.",
        "fee.amount": "The amount due is {amount} yuan. Please pay it soon.",
        "fee.due": "Please pay by {day}.",
        "fee.general": (
            "Your service charges are not yet paid. Please pay them soon, "
            "or call the service centre with any questions."
        ),
        "senior.intro": (
            "Hello, this is the {community} property service centre's senior-care programme, "
            "with its regular call to the family."
        ),
        "senior.default": (
            "We call families regularly to hear how our seniors are and what they need."
        ),
        "senior.menu": "To hear this again, press 1. To have the service centre call you, press 2.",
        "senior.callback_ok": "Thank you. The service centre will call you soon. Goodbye.",
        "outbound.machine": (
            "Hello, this is your property service centre. We will call again later."
        ),
        "oncall.intro": (
            "Hello, this is the {community} property service centre calling the person on duty "
            "about an emergency."
        ),
        "oncall.kind.burst_pipe": "The emergency: a burst pipe or a major leak.",
        "oncall.kind.power_outage": "The emergency: a power outage.",
        "oncall.kind.gas": "The emergency: a gas smell.",
        "oncall.kind.fire": "The emergency: a fire.",
        "oncall.kind.flooding": "The emergency: flooding.",
        "oncall.kind.lift_trapped": "The emergency: a person trapped in a lift.",
        "oncall.kind.medical": "The emergency: someone needs medical help.",
        "oncall.kind.crime": "The emergency: a crime in progress.",
        "oncall.kind.other": "The emergency: another kind of emergency.",
        "oncall.address": "At {address}.",
        "oncall.common_area": "It is in a common area: see the work order for the place.",
        "oncall.callback": "The resident's callback number is {number}.",
        "oncall.menu": "To accept, press 1. If you cannot go, press 2. To hear it again, press 9.",
        "oncall.invalid": "Sorry, that is not a valid choice.",
        "oncall.no_input": "Sorry, we did not hear your choice.",
        "oncall.accepted": "Thank you: you have accepted. Please go to the site now. Goodbye.",
        "oncall.declined": "Understood. We will call the next person on duty. Goodbye.",
        "oncall.undecided": "We will call you again shortly. Goodbye.",
        "oncall.on_the_way": (
            "Hello, this is the {community} property service centre. Someone has accepted your "
            "emergency and is on the way, expected within {minutes}."
        ),
    },
}

# Optional sentences of ``wo.status`` ({assignee_part}, {when_part}, {overdue_part}).
FRAGMENTS: dict[str, dict[str, str]] = {
    ZH: {
        "wo.assignee": "维修师傅：{assignee}。",
        "wo.when": "预约时间：{when}。",
        "wo.overdue": "该工单已超过承诺时限，我们深表歉意。",
    },
    EN: {
        "wo.assignee": " Your engineer is {assignee}.",
        "wo.when": " The visit is booked for {when}.",
        "wo.overdue": " We are sorry: this work order is overdue.",
    },
}

STATUS_WORDS: dict[str, dict[str, str]] = {
    ZH: {
        "open": "待派工",
        "assigned": "已派工",
        "dispatched": "已派工",
        "on_site": "师傅已上门",
        "completed": "已完成",
        "closed": "已关闭",
    },
    EN: {
        "open": "waiting for an engineer",
        "assigned": "assigned to an engineer",
        "dispatched": "assigned to an engineer",
        "on_site": "being worked on at your home",
        "completed": "completed",
        "closed": "closed",
    },
}

MONTHS_EN = (
    "January February March April May June July August September October November December"
).split()

_ADDRESS = re.compile(r"(?P<building>[^栋]+)栋(?:(?P<entrance>[^单]+)单元)?(?P<room>.+)")
_CLOCK = re.compile(r"(?P<hour>\d{1,2}):(?P<minute>\d{2})")


def text(prompt: str, language: str, params: dict[str, Any] | None = None) -> str:
    """The words of ``prompt`` in ``language`` (Mandarin if unknown), ``params`` filled in.

    Remembered: the same few prompts (menus, queue announcements) are asked for on
    every call, and their words depend on nothing else.

    :raises KeyError: for a prompt with no text.
    """
    return _WORDS.get(_words, params or {}, prompt, language)


def _words(params: dict[str, Any], prompt: str, language: str) -> str:
    language = language if language in TEXTS else ZH
    template = TEXTS[language][prompt]
    return _tidy(template.format_map(_spoken(language, params)), language)


_WORDS: Remembered[str] = Remembered()


def _spoken(language: str, params: dict[str, Any]) -> dict[str, str]:
    """Every value a template may name, as it is read out (missing ones empty)."""
    say = _Values(language)
    values = {name: _plain(value) for name, value in params.items()}
    for name in ("work_order", "number", "fire", "ambulance"):
        values[name] = say.chars(values.get(name, ""))
    for name in ("open", "close"):
        values[name] = say.clock(values.get(name, ""))
    values["address"] = say.address(values.get("address", ""))
    values["status"] = say.status(values.get("status", ""))
    values["when"] = say.datetime(values.get("when", ""))
    values["place"] = values["address"] or say.place(
        values.get("building", ""), values.get("room", "")
    )
    values["room"] = say.chars(values.get("room", ""))
    values["assignee_part"] = say.assignee(values.get("assignee", ""))
    values["when_part"] = say.appointment(values["when"])
    values["overdue_part"] = say.overdue(params.get("overdue") is True)
    values["minutes"] = say.minutes(values.get("minutes", ""))
    values["day"] = say.day(values.get("day", ""))
    values["amount"] = say.amount(values.get("amount", ""))
    return _Blank(values)


class _Blank(dict[str, str]):
    """A template's values: one it names but the caller did not give reads as nothing."""

    def __missing__(self, key: str) -> str:
        return ""


def _plain(value: Any) -> str:
    return "" if value is None or isinstance(value, bool) else str(value)


class _Values:
    """How values are read out in one language."""

    def __init__(self, language: str) -> None:
        self.zh = language == ZH
        self.language = language

    def chars(self, value: str) -> str:
        """Character by character: ``SH01-2026-000123`` as S H 0 1 2 0 2 6 …"""
        return " ".join(ch.upper() for ch in value if ch.isalnum())

    def clock(self, value: str) -> str:
        """``18:00`` as 18点 or 6 p.m."""
        match = _CLOCK.fullmatch(value.strip())
        if not match:
            return value
        hour, minute = int(match["hour"]), int(match["minute"])
        if self.zh:
            return f"{hour}点" + (f"{minute}分" if minute else "")
        twelve = hour % 12 or 12
        suffix = "a.m." if hour < 12 else "p.m."
        return f"{twelve}:{minute:02d} {suffix}" if minute else f"{twelve} {suffix}"

    def datetime(self, value: str) -> str:
        """An ISO date-time as 3月2日14点 or March 2 at 2 p.m.; nothing if not one."""
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            return ""
        time = self.clock(f"{when.hour}:{when.minute:02d}")
        if self.zh:
            return f"{when.month}月{when.day}日{time}"
        return f"{MONTHS_EN[when.month - 1]} {when.day} at {time}"

    def address(self, value: str) -> str:
        """``3栋2单元1502`` with the room read digit by digit."""
        match = _ADDRESS.fullmatch(value.strip())
        if not match:
            return value
        room = self.chars(match["room"])
        entrance = match["entrance"]
        if self.zh:
            return f"{match['building']}栋" + (f"{entrance}单元" if entrance else "") + f"{room}室"
        parts = [f"building {match['building']}"]
        parts += [f"entrance {entrance}"] if entrance else []
        return ", ".join([*parts, f"room {room}"])

    def place(self, building: str, room: str) -> str:
        """Where the caller typed, when the unit found has no address of its own."""
        if not building and not room:
            return ""
        if self.zh:
            return f"{building}栋{self.chars(room)}室"
        return f"building {building}, room {self.chars(room)}"

    def status(self, value: str) -> str:
        return STATUS_WORDS[self.language].get(value, value)

    def assignee(self, name: str) -> str:
        return FRAGMENTS[self.language]["wo.assignee"].format(assignee=name) if name else ""

    def appointment(self, when: str) -> str:
        return FRAGMENTS[self.language]["wo.when"].format(when=when) if when else ""

    def overdue(self, late: bool) -> str:
        return FRAGMENTS[self.language]["wo.overdue"] if late else ""

    def day(self, value: str) -> str:
        """An ISO date as 11月20日 or 20 November; nothing if not one."""
        try:
            when = dt.date.fromisoformat(value[:10])
        except ValueError:
            return ""
        if self.zh:
            return f"{when.month}月{when.day}日"
        return f"{when.day} {MONTHS_EN[when.month - 1]}"

    def amount(self, value: str) -> str:
        """A sum of money as written, without trailing zero cents: 1200.00 as 1200."""
        whole, _, cents = value.strip().partition(".")
        cents = cents.rstrip("0")
        return f"{whole}.{cents}" if cents else whole

    def minutes(self, value: str) -> str:
        if self.zh or not value:
            return value
        return "1 minute" if value == "1" else f"{value} minutes"


def _tidy(words: str, language: str) -> str:
    """No doubled spaces where an empty value was left out."""
    words = re.sub(r"\s+", " ", words).strip()
    if language == EN:
        words = re.sub(r"\s+([.,;])", r"\1", words).replace("m..", "m.")
    return words
