"""The report pages: the morning review, the monthly analysis, their exports, and the help.

Every agent may open them, over the communities they serve (``?community=<id>``
narrows to one; another community's id is a 404). Callers' numbers are masked for
agents and whole for supervisors and administrators; each view of a report is
audited, and each whole number shown is audited as an unmasking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from agent_console.auth import check_scope, community_scope, login_required, signed_in, writer
from agent_console.privacy import may_unmask, record_unmask, record_view, shown_number
from agent_console.reports import charts, daily, definitions, monthly
from agent_console.reports.calls import ListedCall, Tally
from agent_console.reports.export import to_csv, to_xlsx
from agent_console.reports.periods import (
    BadPeriod,
    last_day,
    month_start,
    parse_day,
    previous_month,
)
from agent_console.reports.tables import Table, text
from models.base import utcnow
from models.estate import Community

CLOCK = "hotline.reports.clock"  # app.extensions key: the clock reports are made at
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))

bp = Blueprint("reports", __name__, url_prefix="/console/reports")


def _now() -> dt.datetime:
    clock: Callable[[], dt.datetime] = current_app.extensions.get(CLOCK, utcnow)
    return clock()


def _communities(session: Session) -> tuple[list[Community], list[Community], int | None]:
    """The communities in scope, those chosen (``?community=``, 404 outside), and its id."""
    scope = list(
        session.scalars(
            select(Community).where(Community.id.in_(community_scope())).order_by(Community.code)
        )
    )
    chosen = request.args.get("community", "")
    if not chosen:
        return scope, scope, None
    community_id = int(chosen) if chosen.isdigit() else -1
    check_scope(community_id)
    return scope, [c for c in scope if c.id == community_id], community_id


def _zone(communities: list[Community]) -> ZoneInfo:
    return ZoneInfo(communities[0].timezone if communities else "Asia/Shanghai")


def _day(communities: list[Community]) -> dt.date:
    given = request.args.get("date", "")
    if not given:
        return _now().astimezone(_zone(communities)).date() - dt.timedelta(days=1)
    try:
        return parse_day(given)
    except BadPeriod:
        abort(400, description=f"date: {given!r} is not YYYY-MM-DD")


def _month(communities: list[Community]) -> dt.date:
    given = request.args.get("month", "")
    if not given:
        return previous_month(_now().astimezone(_zone(communities)).date().replace(day=1))
    try:
        return month_start(given)
    except BadPeriod:
        abort(400, description=f"month: {given!r} is not YYYY-MM")


def _file(tables: list[Table], name: str, kind: str) -> Response:
    if kind == "csv":
        body: Any = "\ufeff" + to_csv(tables)  # a BOM: spreadsheet programs then read UTF-8
        mimetype = "text/csv; charset=utf-8"
    else:
        body, mimetype = to_xlsx(tables), XLSX
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


def _frame(
    endpoint: str, scope: list[Community], chosen: int | None, **period: Any
) -> dict[str, Any]:
    """What every report page draws around its tables: scope links, files, when it was made."""
    mine: dict[str, Any] = {"community": chosen} if chosen else {}
    links = [(str(_l("All my communities")), url_for(endpoint, **period), chosen is None)]
    links += [
        (f"{c.code} {c.name}", url_for(endpoint, community=c.id, **period), chosen == c.id)
        for c in scope
    ]
    files = {kind: url_for(endpoint, kind=kind, **period, **mine) for kind in ("csv", "xlsx")}
    zone = _zone(scope)
    made = _now().astimezone(zone).strftime("%Y-%m-%d %H:%M ") + str(zone)
    return {"links": links, "files": files, "made": made, "scope": scope, "chosen": chosen}


def _daily_tables(session: Session, report: daily.Daily) -> list[Table]:
    me = signed_in()
    whole = may_unmask(me)

    def number(call: ListedCall) -> str:
        if not whole or not call.number:
            return shown_number(call.number)
        record_unmask(session, me, "call", call.id, via="report.daily")
        return call.number

    return daily.tables(report, number)


@bp.get("/")
@bp.get("/daily")
@bp.get("/daily.<any(csv, xlsx):kind>")
@login_required
def daily_page(kind: str = "") -> Any:
    """The morning review of ``?date=`` (default yesterday), as a page or a file."""
    with writer() as session:
        scope, chosen, chosen_id = _communities(session)
        day = _day(chosen)
        report = daily.daily(session, chosen, day, _now())
        tables = _daily_tables(session, report)
        record_view(
            session,
            signed_in(),
            "report",
            f"daily:{day.isoformat()}",
            communities=[c.code for c in chosen],
            format=kind or "html",
        )
        session.commit()
        if kind:
            return _file(tables, f"morning-review-{day.isoformat()}", kind)
        return render_template(
            "reports/daily.html",
            report=report,
            tables=tables,
            text=text,
            day=day,
            **_frame("reports.daily_page", scope, chosen_id, date=day.isoformat()),
        )


@bp.get("/monthly")
@bp.get("/monthly.<any(csv, xlsx):kind>")
@login_required
def monthly_page(kind: str = "") -> Any:
    """The monthly analysis of ``?month=`` (default last month), as a page or a file."""
    with writer() as session:
        scope, chosen, chosen_id = _communities(session)
        month = _month(chosen)
        report = monthly.monthly(session, chosen, month, _now())
        tables = monthly.tables(report)
        record_view(
            session,
            signed_in(),
            "report",
            f"monthly:{month:%Y-%m}",
            communities=[c.code for c in chosen],
            format=kind or "html",
        )
        session.commit()
        if kind:
            return _file(tables, f"monthly-analysis-{month:%Y-%m}", kind)
        return render_template(
            "reports/monthly.html",
            report=report,
            tables=tables,
            text=text,
            month=month,
            charts=_charts(report),
            **_frame("reports.monthly_page", scope, chosen_id, month=f"{month:%Y-%m}"),
        )


def _per_day(
    series: dict[dt.date, Tally], month: dt.date, value: Callable[[Tally], float | None]
) -> list[float | None]:
    """``value`` of each day of ``month`` (0 calls: a day without a row), for 31 slots."""
    days = last_day(month)
    return [
        value(series.get(month.replace(day=d), Tally())) if d <= days else None
        for d in range(1, 32)
    ]


def _charts(report: monthly.Monthly) -> list[tuple[object, Markup]]:
    """Calls per day this month and the month before, and this month's calls by hour."""
    this, before = report.month, previous_month(report.month)
    now, then = monthly.daily_series(report, this), monthly.daily_series(report, before)
    labels = [str(d) for d in range(1, 32)]

    def level(t: Tally) -> float | None:
        return None if t.service_level is None else round(t.service_level * 100, 1)

    def offered(t: Tally) -> float:
        return t.offered

    def abandoned(t: Tally) -> float:
        return t.abandoned

    titles = (
        _l("Calls offered per day"),
        _l("Service level per day (%)"),
        _l("Calls offered by weekday and hour"),
    )
    trend = charts.line_chart(
        str(titles[0]),
        labels,
        [
            (str(_l("Offered")), _per_day(now, this, offered)),
            (str(_l("Abandoned")), _per_day(now, this, abandoned)),
            (str(_l("Offered, month before")), _per_day(then, before, offered)),
        ],
    )
    levels = charts.line_chart(
        str(titles[1]),
        labels,
        [
            (str(_l("Service level")), _per_day(now, this, level)),
            (str(_l("Service level, month before")), _per_day(then, before, level)),
        ],
    )
    weekdays = [str(w) for w in WEEKDAYS]
    heat = charts.heat_map(str(titles[2]), weekdays, monthly.heat(report))
    return list(zip(titles, (trend, levels, heat), strict=True))


@bp.get("/help")
@login_required
def help_page() -> str:
    """What every figure means and how it is computed."""
    return render_template(
        "reports/help.html", figures=definitions.FIGURES, morning=definitions.MORNING
    )
