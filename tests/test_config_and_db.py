"""Configuration layering, database URLs, and migrations on both databases."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    insert,
    inspect,
    select,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import StatementError

import models
from hotline.cli import cli
from hotline.config import load_config
from hotline.exceptions import ConfigError, DatabaseUnavailable
from models import CallEvent
from models.base import UTCDateTime
from models.db import check_connection, current_revision, head_revision, make_engine, upgrade


def test_defaults_use_a_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    config = load_config(env={"HOTLINE_DATA_DIR": str(tmp_path)})
    assert config.effective_database_url == f"sqlite:///{tmp_path / 'hotline.db'}"
    assert (config.default_region, config.agi_port) == ("CN", 4573)


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    toml = tmp_path / "hotline.toml"
    toml.write_text('[hotline]\nagi_port = 5000\ndefault_region = "HK"\nweb_port = 9000\n')
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_AGI_PORT": "6000"}
    config = load_config(env=env, overrides={"web_port": 9100})
    assert (config.agi_port, config.default_region, config.web_port) == (6000, "HK", 9100)


def test_config_file_named_by_environment_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(env={"HOTLINE_CONFIG": str(tmp_path / "missing.toml")})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("agi_port = [", "not valid TOML"),
        ("colour = 'red'", "unknown setting"),
        ("agi_port = 'many'", "agi_port must be int"),
    ],
)
def test_bad_config_file_is_reported_clearly(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_config(env={"HOTLINE_CONFIG": str(path)})


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="HOTLINE_AGI_PORT"):
        load_config(env={"HOTLINE_AGI_PORT": "x"})


@pytest.mark.parametrize("url", ["not a url", "mysqlx://h/db", "postgresql+nodriver://h/db"])
def test_bad_database_url_is_reported_clearly(url: str) -> None:
    with pytest.raises(DatabaseUnavailable, match="database URL"):
        make_engine(url)


def test_unreachable_database_is_reported_with_host_and_reason() -> None:
    engine = make_engine(
        "postgresql://nobody@127.0.0.1:1/nodb", connect_args={"connect_timeout": 2}
    )
    with pytest.raises(DatabaseUnavailable, match=r"cannot reach the database .*127\.0\.0\.1:1"):
        check_connection(engine)


def test_cli_reports_unreachable_database_in_one_line_and_exit_2() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hotline.cli",
            "--database-url",
            "postgresql://nobody@127.0.0.1:1/nodb",
            "db",
            "current",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("hotline: cannot reach the database")
    assert "Traceback" not in result.stderr


def test_migrations_produce_exactly_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
    assert diff == []
    assert current_revision(engine) == head_revision()


def test_downgrade_to_base_and_upgrade_again(engine: Engine) -> None:
    upgrade(engine, "head")
    from alembic import command

    from models.db import alembic_config

    command.downgrade(alembic_config(engine), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert "work_orders" in inspect(engine).get_table_names()


def test_cli_db_upgrade_creates_a_fresh_sqlite_database_then_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new' / 'hotline.db'}"
    runner = CliRunner()
    first = runner.invoke(cli, ["--database-url", url, "db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "upgraded from empty to" in first.output
    second = runner.invoke(cli, ["--database-url", url, "db", "upgrade"])
    assert "already at revision" in second.output


def test_commands_refuse_a_database_without_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(cli, ["--database-url", url, "lookup", "13800138000"])
    assert result.exit_code == 1
    assert "hotline db upgrade" in result.output


@pytest.mark.parametrize("column", ["resident_id", "unit_id", "agent_id"])
@pytest.mark.parametrize("condition", ["= 7", "IN (7, 8)"])
def test_calls_are_found_by_resident_unit_or_agent_through_their_partial_index(
    engine: Engine, column: str, condition: str
) -> None:
    """Those indexes leave out the calls without one (migration 0009); a lookup by a
    value still goes through them."""
    query = f"SELECT id FROM calls WHERE {column} {condition}"
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(
                str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + query)
            )
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # an empty table: usable?
            plan = " ".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + query))
    assert f"ix_calls_{column}" in plan


@pytest.mark.parametrize(
    "when",
    [
        dt.datetime(2026, 12, 2, 8, 30, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 0, 30, 0, 7, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        dt.datetime(999, 1, 1, tzinfo=dt.UTC),
    ],
)
def test_timestamps_on_sqlite_are_written_as_sqlalchemy_writes_them(when: dt.datetime) -> None:
    dialect = sqlite.dialect()
    column = CallEvent.__table__.c.at  # as a model's column is compiled
    ours = column.type.dialect_impl(dialect).bind_processor(dialect)
    assert ours.__qualname__.startswith("UTCDateTime.")  # one step, not SQLAlchemy's two
    theirs = DateTime(timezone=True).dialect_impl(dialect).bind_processor(dialect)
    assert theirs is not None
    assert ours(when) == theirs(when.astimezone(dt.UTC).replace(tzinfo=None))


def test_timestamps_come_back_in_utc_and_naive_ones_are_refused(engine: Engine) -> None:
    table = Table(
        "test_timestamps",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime),
    )
    table.create(engine)
    try:
        shanghai = dt.datetime(
            2026, 12, 2, 16, 30, 0, 250, tzinfo=dt.timezone(dt.timedelta(hours=8))
        )
        with engine.begin() as conn:
            conn.execute(insert(table), [{"at": shanghai}, {"at": None}])
            with pytest.raises(StatementError, match="naive datetime"):
                conn.execute(insert(table), {"at": dt.datetime(2026, 12, 2, 8, 30)})
        with engine.connect() as conn:
            found = conn.execute(select(table.c.at).order_by(table.c.id)).scalars().all()
        assert found == [shanghai, None]
        assert found[0].utcoffset() == dt.timedelta(0)
    finally:
        table.drop(engine)
