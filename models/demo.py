"""A realistic demo estate: two communities, about 5,000 residents, and agents of every role.

Everything is drawn from one ``random.Random(seed)``, so the same seed builds the
same estate on any database. Households follow how a property office's files
(业主档案) look: an owner (业主) with a mobile, family members (家属), tenants
(租户) in rented units whose owner lives elsewhere, live-in occupants (住户),
home landlines shared by a household, seniors enrolled in home care (居家养老).

The demo agents log in with these passwords (for trying the console only)::

    agent1 / agent1-demo            agent, serves 阳光花园 (SH01)
    agent2 / agent2-demo            agent, serves 阳光花园 (SH01)
    agent3 / agent3-demo            agent, serves 翠湖苑 (SH02) only
    supervisor1 / supervisor1-demo  supervisor, serves both
    admin / admin-demo              admin, serves both
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from hotline.exceptions import HotlineError
from models.base import utcnow
from models.estate import (
    Building,
    Community,
    HotlineNumber,
    Language,
    Occupancy,
    PhoneNumber,
    Resident,
    ResidentRole,
    Unit,
)
from models.staff import Agent, AgentRole
from models.work_orders import Team, Technician

# Login → password of each demo agent; published in the README, never for production.
DEMO_PASSWORDS: dict[str, str] = {
    "agent1": "agent1-demo",
    "agent2": "agent2-demo",
    "agent3": "agent3-demo",
    "supervisor1": "supervisor1-demo",
    "admin": "admin-demo",
}


class DemoConflict(HotlineError):
    """The database already holds a community, number or login the demo would create."""


@dataclasses.dataclass(frozen=True)
class _CommunityPlan:
    """The shape of one demo community: every building has the same entrances and floors."""

    code: str
    name: str
    name_en: str
    hotline: str
    on_call: str  # the duty manager's mobile, called out of hours
    opens_at: dt.time
    closes_at: dt.time
    business_days: str
    buildings: int
    entrances: int  # 0: rooms are numbered per building, with no 单元
    floors: int
    rooms_per_floor: int

    @property
    def units(self) -> int:
        return self.buildings * max(self.entrances, 1) * self.floors * self.rooms_per_floor


COMMUNITIES = (
    # 20 buildings × 2 entrances × 18 floors × 3 rooms = 2,160 units
    _CommunityPlan(
        "SH01",
        "阳光花园",
        "Sunshine Garden",
        "+862160000001",
        "+8613916000001",
        dt.time(8, 30),
        dt.time(18, 0),
        "1234567",
        20,
        2,
        18,
        3,
    ),
    # 8 buildings × 11 floors × 4 rooms = 352 units, no entrances
    _CommunityPlan(
        "SH02",
        "翠湖苑",
        "Jade Lake Court",
        "+862160000002",
        "+8613916000002",
        dt.time(9, 0),
        dt.time(17, 30),
        "123456",
        8,
        0,
        11,
        4,
    ),
)

# login, name, role, PJSIP extension, communities served
_AGENTS = (
    ("agent1", "王丽", AgentRole.AGENT, "1001", ("SH01",)),
    ("agent2", "陈晓明", AgentRole.AGENT, "1002", ("SH01",)),
    ("agent3", "刘芳", AgentRole.AGENT, "1003", ("SH02",)),
    ("supervisor1", "张建华", AgentRole.SUPERVISOR, "1004", ("SH01", "SH02")),
    ("admin", "赵磊", AgentRole.ADMIN, "1005", ("SH01", "SH02")),
)

# Teams work orders are dispatched to, in each demo community: name, trade, technicians.
# Technicians' mobiles are ``+861391700<community><team><nn>``, kept out of the residents'.
_TEAMS = (
    ("工程部水电组", "plumbing", ("李建军", "周海")),
    ("工程部电工组", "electrical", ("孙志强", "吴斌")),
    ("电梯维保组", "lifts", ("郑国华",)),
    ("秩序维护部", "security", ("钱勇", "冯亮")),
    ("保洁部", "cleaning", ("何秀英",)),
)


def _technician_phone(community: int, team: int, n: int) -> str:
    return f"+861391700{community}{team}{n:02d}"


# The commonest surnames, weighted by their rough share of the population (‰); Shanghai's
# own 沈, 顾, 陆, 钱 a little above the national figure.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
    "魏苏吕丁任沈顾陆钱姚"
)
_SURNAME_WEIGHTS = (
    71,
    70,
    64,
    54,
    46,
    31,
    23,
    23,
    20,
    19,
    15,
    15,
    13,
    13,
    12,
    12,
    11,
    11,
    11,
    9,
    9,
    8,
    7,
    7,
    7,
    6,
    6,
    6,
    6,
    6,
    5,
    5,
    5,
    5,
    5,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    3,
    3,
    3,
    3,
    3,
    5,
    4,
    4,
    3,
    3,
)
# Given names by generation and sex: elders' names are a generation's fashion, not a child's.
_GIVEN = {
    ("elder", "M"): "建国 国强 德明 志刚 永福 立新 卫东 振华 文华 金根 根宝 伟 明 刚 平 忠".split(),
    ("elder", "F"): "秀英 桂英 秀兰 玉兰 淑芬 凤英 玉珍 桂芳 美华 素珍 红 英 萍 芳 华".split(),
    ("adult", "M"): "伟 强 磊 军 勇 杰 涛 斌 超 鹏 辉 峰 晓明 志强 海涛 建华 俊杰 文博 立伟 "
    "永刚 晓东 少华 明辉 国华 嘉伟 亮 浩 宁 剑 晨".split(),
    ("adult", "F"): "芳 娜 敏 静 丽 艳 娟 霞 燕 玲 丹 萍 琳 颖 洁 晓燕 丽华 海燕 雪梅 慧敏 "
    "文静 美玲 晓红 春梅 佳 婷 倩 莉 蕾 瑾".split(),
    ("child", "M"): "子轩 浩然 宇航 天宇 梓豪 俊熙 一鸣 浩宇 子墨 博文 睿 昊 哲 轩 航".split(),
    ("child", "F"): "欣怡 梓涵 雨桐 思琪 佳怡 可馨 诗涵 语嫣 子萱 一诺 悦 琪 涵 彤 萱".split(),
}
_ENGLISH_FIRST = (
    "David Michael James Thomas Daniel Mark Peter Lucas Sarah Emma Anna Laura Sophie Julia Marie"
).split()
_ENGLISH_LAST = (
    "Smith Miller Johnson Brown Wilson Martin Taylor Schmidt Dubois Rossi Walker Evans Clarke"
).split()
# Mainland mobile prefixes of China Mobile, Unicom and Telecom; eight digits follow.
_MOBILE_PREFIXES = tuple(
    str(p) for p in (*range(130, 140), *range(150, 154), *range(155, 160), *range(180, 190))
)


@dataclasses.dataclass
class _Person:
    """A resident before insertion: who, and their phones and units."""

    name: str
    sex: str = ""  # "M" or "F"; chooses given names and surnames, not stored
    language: Language = Language.ZH_CN
    senior_care: bool = False
    do_not_call: bool = False
    # (e164, label, is_primary) and (unit id, role)
    phones: list[tuple[str, str, bool]] = dataclasses.field(default_factory=list)
    units: list[tuple[int, ResidentRole]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class DemoSummary:
    """What :func:`build_demo` added, for the operator to read."""

    seed: int
    communities: tuple[tuple[str, str, str, int], ...]  # code, name, hotline number, units
    buildings: int
    units: int
    residents: int
    roles: dict[str, int]  # occupancies per ResidentRole value
    seniors: int  # enrolled in 居家养老
    phones: int
    agents: int

    def __str__(self) -> str:
        places = " and ".join(
            f"{name} ({code}, hotline {hotline}, {units:,} units)"
            for code, name, hotline, units in self.communities
        )
        roles = ", ".join(f"{n:,} {role}" for role, n in sorted(self.roles.items()))
        return (
            f"Demo estate (seed {self.seed}): {len(self.communities)} communities, {places}; "
            f"{self.buildings} buildings, {self.units:,} units, {self.residents:,} residents "
            f"({roles}; {self.seniors} in senior care) with {self.phones:,} phone numbers; "
            f"{self.agents} agents."
        )


def has_data(session: Session) -> bool:
    """True when the database holds any community."""
    return session.scalar(select(Community.id).limit(1)) is not None


def build_demo(session: Session, *, seed: int = 2026) -> DemoSummary:
    """Add the demo communities, residents and agents; flushes, the caller commits.

    :raises DemoConflict: when a community code, hotline number or agent login the demo
        uses is already taken (the demo was loaded before).
    """
    _check_free(session)
    rng = random.Random(seed)
    communities = _add_communities(session)
    units: list[tuple[int, str]] = []  # (unit id, community code), in address order
    buildings = 0
    for plan in COMMUNITIES:
        building_ids = _insert_buildings(session, communities[plan.code], plan)
        buildings += len(building_ids)
        units += [(uid, plan.code) for uid in _insert_units(session, plan, building_ids)]
    reserved = {p.hotline for p in COMMUNITIES} | {p.on_call for p in COMMUNITIES}
    reserved |= {
        _technician_phone(c, t, n)
        for c in range(len(COMMUNITIES))
        for t, (_, _, names) in enumerate(_TEAMS)
        for n in range(len(names))
    }
    people = _Households(rng, reserved).populate(units)
    _insert_people(session, people)
    _add_agents(session, communities)
    _add_teams(session, communities)
    session.flush()
    roles = Counter(role.value for p in people for _, role in p.units)
    return DemoSummary(
        seed=seed,
        communities=tuple((p.code, p.name, p.hotline, p.units) for p in COMMUNITIES),
        buildings=buildings,
        units=len(units),
        residents=len(people),
        roles=dict(roles),
        seniors=sum(p.senior_care for p in people),
        phones=sum(len(p.phones) for p in people),
        agents=len(_AGENTS),
    )


def _check_free(session: Session) -> None:
    """Refuse to build over an earlier demo: codes, numbers and logins are unique."""
    wanted = (
        ("community codes", Community.code, [p.code for p in COMMUNITIES]),
        ("hotline numbers", HotlineNumber.e164, [p.hotline for p in COMMUNITIES]),
        ("agent logins", Agent.login, [a[0] for a in _AGENTS]),
        ("extensions", Agent.extension, [a[3] for a in _AGENTS]),
        ("Twilio identities", Agent.identity, [a[0] for a in _AGENTS]),
    )
    taken = []
    for what, column, values in wanted:
        found = sorted(str(v) for v in session.scalars(select(column).where(column.in_(values))))
        if found:
            taken.append(f"{what} {', '.join(found)}")
    if taken:
        raise DemoConflict(
            f"the database already has the demo's {'; '.join(taken)}: "
            "the demo estate was loaded before; use an empty database"
        )


def _add_communities(session: Session) -> dict[str, Community]:
    """The communities and their hotline numbers, by code."""
    found = {}
    for plan in COMMUNITIES:
        found[plan.code] = Community(
            code=plan.code,
            name=plan.name,
            name_en=plan.name_en,
            timezone="Asia/Shanghai",
            opens_at=plan.opens_at,
            closes_at=plan.closes_at,
            business_days=plan.business_days,
            on_call_number=plan.on_call,
            numbers=[HotlineNumber(e164=plan.hotline)],
        )
    session.add_all(found.values())
    session.flush()
    return found


def _insert_buildings(session: Session, community: Community, plan: _CommunityPlan) -> list[int]:
    """Buildings named "1", "2", …; their ids in that order."""
    rows = [{"community_id": community.id, "name": str(n)} for n in range(1, plan.buildings + 1)]
    return _insert_returning_ids(session, Building, rows)


def _insert_units(session: Session, plan: _CommunityPlan, building_ids: list[int]) -> list[int]:
    """Every unit of the community, rooms like ``1502`` (floor 15, room 02); their ids."""
    entrances = [str(e) for e in range(1, plan.entrances + 1)] or [""]
    rows = [
        {"building_id": bid, "entrance": entrance, "room": f"{floor}{room:02d}"}
        for bid in building_ids
        for entrance in entrances
        for floor in range(1, plan.floors + 1)
        for room in range(1, plan.rooms_per_floor + 1)
    ]
    return _insert_returning_ids(session, Unit, rows)


def _insert_people(session: Session, people: Sequence[_Person]) -> None:
    """Residents, then their phones and occupancies, in bulk."""
    now = utcnow()
    ids = _insert_returning_ids(
        session,
        Resident,
        [
            {
                "name": p.name,
                "language": p.language,
                "senior_care": p.senior_care,
                "do_not_call": p.do_not_call,
                "survey_opt_out": False,
                "created_at": now,
                "updated_at": now,
            }
            for p in people
        ],
    )
    phones = [
        {"resident_id": rid, "e164": e164, "label": label, "is_primary": primary}
        for rid, p in zip(ids, people, strict=True)
        for e164, label, primary in p.phones
    ]
    occupancies = [
        {"resident_id": rid, "unit_id": unit_id, "role": role}
        for rid, p in zip(ids, people, strict=True)
        for unit_id, role in p.units
    ]
    session.execute(insert(PhoneNumber), phones)
    session.execute(insert(Occupancy), occupancies)


def _insert_returning_ids(
    session: Session, model: type[Any], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` (SQLAlchemy batches them) and return their new ids in the rows' order."""
    stmt = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(stmt, rows))


def _add_agents(session: Session, communities: dict[str, Community]) -> None:
    """One agent per demo login, on extension ``100x`` and Twilio Client identity = login."""
    for login, name, role, extension, serves in _AGENTS:
        agent = Agent(
            login=login,
            name=name,
            role=role,
            extension=extension,
            identity=login,
            active=True,
            communities=[communities[code] for code in serves],
        )
        agent.set_password(DEMO_PASSWORDS[login])
        session.add(agent)


def _add_teams(session: Session, communities: dict[str, Community]) -> None:
    """Each community's teams (工程部, 秩序维护部, 保洁部 …) and their technicians."""
    for c, plan in enumerate(COMMUNITIES):
        for t, (name, trade, names) in enumerate(_TEAMS):
            technicians = [
                Technician(name=person, phone=_technician_phone(c, t, n))
                for n, person in enumerate(names)
            ]
            community_id = communities[plan.code].id
            session.add(
                Team(community_id=community_id, name=name, trade=trade, technicians=technicians)
            )


class _Households:
    """Draws the people of each unit, in order, from one seeded generator."""

    # Shares of units; the rest are lived in by their owner's household.
    SECOND_HOME = 0.015  # owned by someone who owns another unit here, and let to a tenant
    LET = 0.135  # let to a tenant, the owner living elsewhere
    EMPTY = 0.03  # owner on file, nobody living there (空置)

    def __init__(self, rng: random.Random, reserved: set[str]) -> None:
        self.rng = rng
        self.used = set(reserved)
        self.owners: dict[str, list[_Person]] = {}

    def populate(self, units: Sequence[tuple[int, str]]) -> list[_Person]:
        """Everyone on file for ``units`` (unit id, community code), in creation order."""
        people: list[_Person] = []
        for unit_id, code in units:
            owners = self.owners.setdefault(code, [])
            roll = self.rng.random()
            if roll < self.SECOND_HOME and owners:
                self.rng.choice(owners).units.append((unit_id, ResidentRole.OWNER))
                people += self._tenants(unit_id)
                continue
            owner = self._person(self._sex(), "adult", phone=self.mobile())
            owner.units.append((unit_id, ResidentRole.OWNER))
            owners.append(owner)
            people.append(owner)
            if roll < self.SECOND_HOME + self.LET:
                people += self._tenants(unit_id)
            elif roll >= self.SECOND_HOME + self.LET + self.EMPTY:
                people += self._household(unit_id, owner)
        for person in people:
            person.do_not_call = self.rng.random() < 0.006
        return people

    def _household(self, unit_id: int, owner: _Person) -> list[_Person]:
        """The owner's family living with them, a shared landline, perhaps a live-in helper."""
        rng = self.rng
        members: list[tuple[_Person, ResidentRole]] = []
        spouse = None
        if rng.random() < 0.55:
            spouse = self._person("F" if owner.sex == "M" else "M", "adult", phone=self.mobile())
            members.append((spouse, ResidentRole.FAMILY))
        if rng.random() < 0.25:
            father = owner if owner.sex == "M" or spouse is None else spouse
            child = self._person(self._sex(), "child", surname=father.name[0])
            if rng.random() < 0.6:  # old enough for a phone of their own
                child.phones.append((self.mobile(), "mobile", True))
            members.append((child, ResidentRole.FAMILY))
        elders = []
        if rng.random() < 0.12:
            elders = [self._elder(owner.name[0], i) for i in range(rng.choice((1, 1, 2)))]
        if elders or rng.random() < 0.15:
            self._share_landline(owner, [m for m, _ in members], elders)
        members += [(elder, ResidentRole.FAMILY) for elder in elders]
        if rng.random() < 0.03:  # 保姆 or a relative staying on
            helper = self._person(self._sex(), "adult", phone=self.mobile())
            members.append((helper, ResidentRole.OCCUPANT))
        for person, role in members:
            person.units.append((unit_id, role))
        return [person for person, _ in members]

    def _elder(self, surname: str, i: int) -> _Person:
        """A parent of the owner: the father carries the owner's surname; 40% in senior care."""
        elder = self._person(
            "M" if i == 0 else "F", "elder", surname=surname if i == 0 else self._surname()
        )
        if self.rng.random() < 0.35:
            elder.phones.append((self.mobile(), "mobile", False))
        elder.senior_care = self.rng.random() < 0.4
        return elder

    def _share_landline(self, owner: _Person, family: list[_Person], elders: list[_Person]) -> None:
        """A home landline: the elders' primary contact, a second number for the others."""
        landline = self.landline()
        owner.phones.append((landline, "home", False))
        for person in family:
            if person.phones and self.rng.random() < 0.5:
                person.phones.append((landline, "home", False))
        for elder in elders:
            elder.phones.insert(0, (landline, "home", True))

    def _tenants(self, unit_id: int) -> list[_Person]:
        """A tenant with a lease (租户) and the people living with them (住户)."""
        english = self.rng.random() < 0.08
        tenant = self._foreigner() if english else self._person(self._sex(), "adult")
        tenant.phones.append((self.mobile(), "mobile", True))
        tenant.units.append((unit_id, ResidentRole.TENANT))
        others = []
        for _ in range(self.rng.choice((0, 0, 1, 1, 2))):
            other = self._foreigner() if english else self._person(self._sex(), "adult")
            other.phones.append((self.mobile(), "mobile", True))
            other.units.append((unit_id, ResidentRole.OCCUPANT))
            others.append(other)
        return [tenant, *others]

    def _person(
        self, sex: str, generation: str, *, phone: str | None = None, surname: str | None = None
    ) -> _Person:
        given = self.rng.choice(_GIVEN[(generation, sex)])
        person = _Person(name=(surname or self._surname()) + given, sex=sex)
        if phone:
            person.phones.append((phone, "mobile", True))
        return person

    def _foreigner(self) -> _Person:
        name = f"{self.rng.choice(_ENGLISH_FIRST)} {self.rng.choice(_ENGLISH_LAST)}"
        return _Person(name=name, language=Language.EN)

    def _surname(self) -> str:
        return self.rng.choices(_SURNAMES, weights=_SURNAME_WEIGHTS)[0]

    def _sex(self) -> str:
        return self.rng.choice("MF")

    def mobile(self) -> str:
        """A mainland mobile number no one else in the demo has, in E.164."""
        return self._unused(
            lambda: f"+86{self.rng.choice(_MOBILE_PREFIXES)}{self.rng.randrange(10**8):08d}"
        )

    def landline(self) -> str:
        """A Shanghai (021) eight-digit landline starting 5 or 6, in E.164."""
        return self._unused(lambda: f"+8621{self.rng.choice('56')}{self.rng.randrange(10**7):07d}")

    def _unused(self, draw: Callable[[], str]) -> str:
        number = draw()
        while number in self.used:
            number = draw()
        self.used.add(number)
        return number
