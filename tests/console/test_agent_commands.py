"""``hotline agent add|list|set``: accounts an operator creates on a new server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from agent_console.auth.services import authenticate
from hotline.cli import cli
from models.staff import Agent, AgentRole
from tests import factories

Run = Callable[..., Result]


@pytest.fixture
def run(db_url: str, tmp_path: Path, engine: Engine) -> Run:
    with Session(engine) as s:
        factories.community(s, "SH01")
        factories.community(s, "SH02", "翠湖苑", name_en="Jade Lake")
        s.commit()

    def invoke(*args: str, stdin: str | None = None) -> Result:
        env = {"HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_CONFIG": ""}
        return CliRunner().invoke(cli, ["--database-url", db_url, *args], input=stdin, env=env)

    return invoke


def _agent(engine: Engine, login: str) -> Agent:
    with Session(engine) as s:
        return s.scalars(
            select(Agent).options(selectinload(Agent.communities)).where(Agent.login == login)
        ).one()


def test_an_added_agent_can_log_in_with_the_password_given_on_stdin(
    run: Run, engine: Engine
) -> None:
    result = run(
        "agent", "add", "li.wei", "--name", "李伟", "--role", "supervisor",
        "--community", "SH01", "--community", "SH02", "--password-stdin",
        stdin="correct horse\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with Session(engine) as s:
        agent = authenticate(s, "LI.WEI", "correct horse")
        assert agent.role is AgentRole.SUPERVISOR
        assert sorted(c.code for c in agent.communities) == ["SH01", "SH02"]
        assert "correct horse" not in agent.password_hash


def test_the_prompt_asks_twice_and_refuses_a_short_password(run: Run, engine: Engine) -> None:
    short = run("agent", "add", "a1", "--name", "A", stdin="short\nshort\n")
    assert short.exit_code != 0 and "at least 8 characters" in short.output
    mismatch = run("agent", "add", "a1", "--name", "A", stdin="longenough1\nlongenough2\n")
    assert mismatch.exit_code != 0
    with Session(engine) as s:
        assert s.scalar(select(Agent.id).where(Agent.login == "a1")) is None


def test_unknown_community_and_duplicate_login_change_nothing(run: Run, engine: Engine) -> None:
    bad = run("agent", "add", "a1", "--name", "A", "--community", "XX9", "--password-stdin",
              stdin="longenough\n")  # fmt: skip
    assert bad.exit_code != 0 and "no community with code XX9" in bad.output
    ok = run("agent", "add", "a1", "--name", "A", "--password-stdin", stdin="longenough\n")
    assert ok.exit_code == 0, ok.output
    again = run("agent", "add", "A1", "--name", "B", "--password-stdin", stdin="longenough\n")
    assert again.exit_code != 0 and "already exists" in again.output
    assert _agent(engine, "a1").name == "A"


def test_set_changes_role_communities_password_and_disables(run: Run, engine: Engine) -> None:
    run("agent", "add", "a1", "--name", "A", "--community", "SH01", "--password-stdin",
        stdin="longenough\n")  # fmt: skip
    result = run("agent", "set", "a1", "--role", "admin", "--community", "SH02",
                 "--password", "--password-stdin", "--disabled", stdin="otherpass99\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    agent = _agent(engine, "a1")
    assert agent.role is AgentRole.ADMIN and not agent.active
    assert [c.code for c in agent.communities] == ["SH02"]
    assert agent.check_password("otherpass99") and not agent.check_password("longenough")
    listed = run("agent", "list")
    assert "a1\tA\tadmin\tSH02\tdisabled" in listed.output
    missing = run("agent", "set", "nobody", "--disabled")
    assert missing.exit_code != 0 and "no agent with login 'nobody'" in missing.output
