"""``hotline report daily|monthly``: the morning review and the monthly analysis in a terminal
or as CSV/XLSX files, for every community or one (``--community CODE``).

Numbers of abandoned callers and messages are masked unless ``--unmask``; each number
shown whole is written to the audit log, as the console does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from agent_console.reports import daily as daily_report
from agent_console.reports import monthly as monthly_report
from agent_console.reports.calls import ListedCall
from agent_console.reports.export import to_csv, to_xlsx
from agent_console.reports.periods import BadPeriod, month_start, parse_day
from agent_console.reports.tables import Table, plain
from models.audit import audit
from models.base import utcnow
from models.estate import Community
from models.phones import mask

FORMATS = ("text", "csv", "xlsx")


@click.group("report")
def report() -> None:
    """The morning review and the monthly analysis."""


def _communities(session: Session, code: str | None) -> list[Community]:
    query = select(Community).order_by(Community.code)
    if code:
        query = query.where(Community.code == code)
    found = list(session.scalars(query))
    if code and not found:
        raise click.ClickException(f"no community {code!r}")
    return found


def _write(tables: Sequence[Table], fmt: str, output: Path | None) -> None:
    if fmt == "text":
        click.echo(plain(tables), nl=False)
        return
    if output is None:
        raise click.ClickException(f"--format {fmt} needs --output FILE")
    if fmt == "csv":
        output.write_text(to_csv(tables), encoding="utf-8-sig")
    else:
        output.write_bytes(to_xlsx(tables))
    click.echo(f"wrote {output}")


def _options(fn: Any) -> Any:
    fn = click.option("--community", "code", help="One community's code (default: all).")(fn)
    fn = click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True
    )(fn)
    return click.option(
        "--output",
        type=click.Path(dir_okay=False, path_type=Path),
        help="File for --format csv or xlsx.",
    )(fn)


@report.command("daily")
@click.option("--date", "day", help="The day to review, YYYY-MM-DD (default: yesterday).")
@click.option("--unmask", is_flag=True, help="Whole phone numbers (each one audited).")
@_options
@click.pass_obj
def daily_cmd(
    obj: Any, day: str | None, unmask: bool, code: str | None, fmt: str, output: Path | None
) -> None:
    """Yesterday's (or --date's) calls, abandoned calls, open orders, complaints, surveys."""
    obj.require_schema()
    now = utcnow()
    with obj.session() as session:
        communities = _communities(session, code)
        try:
            when = parse_day(day) if day else _yesterday(communities, now)
        except BadPeriod as exc:
            raise click.BadParameter(str(exc), param_hint="--date") from None
        found = daily_report.daily(session, communities, when, now)

        def number(call: ListedCall) -> str:
            if not unmask:
                return mask(call.number) if call.number else ""
            audit(
                session,
                action="unmask",
                subject_type="call",
                subject_id=call.id,
                via="hotline report daily",
            )
            return call.number

        tables = daily_report.tables(found, number)
        session.commit()
    click.echo(f"Morning review {when.isoformat()} ({', '.join(c.code for c in communities)})")
    _write(tables, fmt, output)


def _yesterday(communities: Sequence[Community], now: dt.datetime) -> dt.date:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(communities[0].timezone if communities else "Asia/Shanghai")
    return now.astimezone(zone).date() - dt.timedelta(days=1)


@report.command("monthly")
@click.option("--month", required=True, help="The month, YYYY-MM.")
@_options
@click.pass_obj
def monthly_cmd(obj: Any, month: str, code: str | None, fmt: str, output: Path | None) -> None:
    """Requests, calls and the centre's targets of --month, with the month before."""
    try:
        first = month_start(month)
    except BadPeriod as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None
    obj.require_schema()
    with obj.session() as session:
        communities = _communities(session, code)
        found = monthly_report.monthly(session, communities, first, utcnow())
    click.echo(f"Monthly analysis {month} ({', '.join(c.code for c in communities)})")
    _write(monthly_report.tables(found), fmt, output)
