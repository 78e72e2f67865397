"""``hotline agent add|list|set``: the console's accounts, for an operator on a new server.

A fresh installation without the demo estate has no one who can log in; these
commands create the first administrator and the agents after them. Passwords are
read from a prompt (typed twice, never echoed) or from stdin, never from the
command line, where other users of the machine could read them.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models.estate import Community
from models.staff import Agent, AgentRole

MIN_PASSWORD = 8


@click.group("agent")
def agent() -> None:
    """Console accounts: add agents, list them, change roles, passwords, communities."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise click.ClickException(f"the password needs at least {MIN_PASSWORD} characters")
    return password


def _communities(session: Session, codes: tuple[str, ...]) -> list[Community]:
    found = {c.code: c for c in session.scalars(select(Community).where(Community.code.in_(codes)))}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise click.ClickException(f"no community with code {', '.join(unknown)}")
    return [found[code] for code in codes]


def _find(session: Session, login: str) -> Agent:
    found = session.scalars(
        select(Agent)
        .options(selectinload(Agent.communities))
        .where(func.lower(Agent.login) == login.strip().lower())
    ).one_or_none()
    if found is None:
        raise click.ClickException(f"no agent with login {login!r}")
    return found


ROLES = click.Choice([r.value for r in AgentRole])


@agent.command("add")
@click.argument("login")
@click.option("--name", required=True, help="The agent's name as the console shows it.")
@click.option("--role", type=ROLES, default=AgentRole.AGENT.value, show_default=True)
@click.option("--community", "codes", multiple=True, help="Community code served (repeatable).")
@click.option("--extension", help="Softphone extension (PJSIP endpoint) or E.164 number.")
@click.option("--identity", help="Twilio Client identity.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
@click.pass_obj
def add(obj: Any, login: str, name: str, role: str, codes: tuple[str, ...], **kw: Any) -> None:
    """Create an agent who can log in to the console."""
    obj.require_schema()
    login = login.strip()
    if not login or len(login) > 64:
        raise click.ClickException("a login is 1 to 64 characters")
    with obj.session() as session:
        if session.scalar(select(Agent.id).where(func.lower(Agent.login) == login.lower())):
            raise click.ClickException(f"an agent with login {login!r} already exists")
        new = Agent(
            login=login,
            name=name.strip(),
            role=AgentRole(role),
            extension=kw["extension"] or None,
            identity=kw["identity"] or None,
            communities=_communities(session, codes),
        )
        new.set_password(_password(kw["password_stdin"]))
        session.add(new)
        session.commit()
        click.echo(f"agent {login} ({role}) added, serving {', '.join(codes) or 'no community'}")


@agent.command("list")
@click.pass_obj
def list_agents(obj: Any) -> None:
    """Every agent: login, name, role, communities, whether they may log in."""
    obj.require_schema()
    with obj.session() as session:
        rows = session.scalars(
            select(Agent).options(selectinload(Agent.communities)).order_by(Agent.login)
        )
        for a in rows:
            codes = ",".join(sorted(c.code for c in a.communities)) or "-"
            state = "active" if a.active else "disabled"
            click.echo(f"{a.login}\t{a.name}\t{a.role.value}\t{codes}\t{state}")


@agent.command("set")
@click.argument("login")
@click.option("--role", type=ROLES)
@click.option("--community", "codes", multiple=True, help="Replace the communities served.")
@click.option("--password", "new_password", is_flag=True, help="Set a new password.")
@click.option("--password-stdin", is_flag=True, help="With --password: read it from stdin.")
@click.option("--active/--disabled", default=None, help="Allow or refuse logging in.")
@click.pass_obj
def set_agent(obj: Any, login: str, role: str | None, codes: tuple[str, ...], **kw: Any) -> None:
    """Change an agent's role, communities, password, or whether they may log in."""
    obj.require_schema()
    with obj.session() as session:
        found = _find(session, login)
        if role:
            found.role = AgentRole(role)
        if codes:
            found.communities = _communities(session, codes)
        if kw["new_password"]:
            found.set_password(_password(kw["password_stdin"]))
        if kw["active"] is not None:
            found.active = kw["active"]
        session.commit()
        click.echo(f"agent {found.login} updated")
