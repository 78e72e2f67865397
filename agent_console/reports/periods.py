"""Report periods in each community's own calendar, and the SQL pieces that use them.

A day or a month is always the community's (``Community.timezone``): the window
of a community is the UTC instants from its local midnight that starts the period
to the local midnight that ends it. A report over several communities puts each
one's rows in its own window (:func:`within`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, false, func, literal, or_, text
from sqlalchemy.orm import QueryableAttribute, Session

from models.estate import Community

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


Expr = ColumnElement[Any] | QueryableAttribute[Any]  # a column, or SQL computed from columns


class BadPeriod(ValueError):
    """A date or month that cannot be read."""


@dataclasses.dataclass(frozen=True)
class Window:
    """One community's period: [start, end) in UTC."""

    community_id: int
    timezone: str
    start: dt.datetime
    end: dt.datetime


def _midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def day_windows(communities: Sequence[Community], day: dt.date) -> list[Window]:
    """Each community's local calendar day ``day``."""
    found = []
    for c in communities:
        zone = ZoneInfo(c.timezone)
        start, end = _midnight(day, zone), _midnight(day + dt.timedelta(days=1), zone)
        found.append(Window(c.id, c.timezone, start, end))
    return found


def month_start(month: str) -> dt.date:
    """The first day of ``YYYY-MM``.

    :raises BadPeriod: not a month written that way.
    """
    found = MONTH.match(month.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        raise BadPeriod(f"{month!r} is not a month: write YYYY-MM, e.g. 2026-11")
    return dt.date(int(found.group(1)), int(found.group(2)), 1)


def next_month(first: dt.date) -> dt.date:
    return dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)


def last_day(first: dt.date) -> int:
    """The number of days of the month starting ``first``."""
    return (next_month(first) - dt.timedelta(days=1)).day


def previous_month(first: dt.date) -> dt.date:
    return (first - dt.timedelta(days=1)).replace(day=1)


def month_windows(communities: Sequence[Community], first: dt.date) -> list[Window]:
    """Each community's local calendar month starting on ``first``."""
    after = next_month(first)
    found = []
    for c in communities:
        zone = ZoneInfo(c.timezone)
        found.append(Window(c.id, c.timezone, _midnight(first, zone), _midnight(after, zone)))
    return found


def parse_day(text: str) -> dt.date:
    """``YYYY-MM-DD``.

    :raises BadPeriod: not a date written that way.
    """
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise BadPeriod(f"{text!r} is not a date: write YYYY-MM-DD, e.g. 2026-12-01") from None


def tune_for_reports(session: Session) -> None:
    """Settle the session's transaction for a report's few large GROUP BYs (PostgreSQL).

    Just-in-time compilation costs PostgreSQL about 0.2 s per statement of this size and
    gains nothing on some 100,000 rows; sorts and hashes of that size fit in 32 MB. Parallel
    workers do not pay here: grouping events per call leaves as many groups as rows to merge
    (measured on 2 busy cores: 2.0 s with two workers, 0.9 s without). ``SET LOCAL`` ends
    with the transaction.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '32MB'"))
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))


def within(community: Expr, moment: Expr, windows: Sequence[Window]) -> ColumnElement[bool]:
    """SQL: ``moment`` falls in the window of the row's ``community``."""
    if not windows:
        return false()
    return or_(
        *(and_(community == w.community_id, moment >= w.start, moment < w.end) for w in windows)
    )


Periods = dict[str, Sequence[Window]]  # a report's periods by name, e.g. this and last month


def labelled(
    community: Expr, moment: Expr, periods: Periods
) -> tuple[ColumnElement[Any], ColumnElement[bool]]:
    """SQL: the name of the period a row falls in (``""``: none), and whether it falls in one."""
    whens = [(within(community, moment, w), name) for name, w in periods.items() if w]
    label: ColumnElement[Any] = case(*whens, else_="") if whens else literal("")
    return label, within(community, moment, [w for found in periods.values() for w in found])


def seconds_between(later: Expr, earlier: Expr, dialect: str) -> ColumnElement[Any]:
    """SQL: the seconds from ``earlier`` to ``later`` (negative when it is before)."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier)
    # julianday is a double of days: round away its last bits (10 s reads 9.999986 s).
    return func.round((func.julianday(later) - func.julianday(earlier)) * 86400.0, 3)


def hour_bucket(moment: Expr, dialect: str) -> ColumnElement[Any]:
    """SQL: the UTC hour of ``moment`` as text ``YYYY-MM-DD HH`` (:func:`read_hour` reads it)."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", moment), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", moment)


def read_hour(text: str) -> dt.datetime:
    """The UTC hour :func:`hour_bucket` wrote."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=dt.UTC)
