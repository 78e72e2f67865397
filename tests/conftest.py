"""Fixtures shared by the whole suite: configuration and a fresh database per test.

Tests that take ``engine`` (or ``session``) run twice: on a SQLite file and on the
machine's PostgreSQL (``HOTLINE_TEST_PG_URL``, database ``test`` by default), each
in a schema of its own. Under ``CI=true`` an unreachable PostgreSQL fails the run
instead of skipping its half of the suite.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from hotline.config import Config, load_config
from models.db import make_engine, session_factory, upgrade
from tests.browser import (  # noqa: F401  (fixtures, and artifacts on failure)
    browser,
    pages,
    pytest_runtest_makereport,
)

PG_URL = os.environ.get("HOTLINE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"
REDIS_URL = os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def pg_reason() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure means the suite cannot use it
        return f"PostgreSQL at {PG_URL} unreachable: {exc}"
    return None


@pytest.fixture(scope="session")
def pg_available() -> None:
    reason = pg_reason()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true and {reason}: the PostgreSQL suite may not be skipped")
        pytest.skip(reason)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "hotline.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection to close checkpoints the WAL into the file
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database of each kind."""
    if request.param == "sqlite":
        target = tmp_path / "hotline.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), target)
        yield f"sqlite:///{target}"
        return
    request.getfixturevalue("pg_available")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with session_factory(engine)() as s:
        yield s


@pytest.fixture
def make_app() -> Iterator[Callable[[Config], Flask]]:
    """Build web apps for a test, disposing their engines afterwards."""
    from agent_console import create_app

    apps: list[Flask] = []

    def build(config: Config) -> Flask:
        app = create_app({"TESTING": True}, config=config)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["hotline.bus"].close()
        app.extensions["hotline.engine"].dispose()


@pytest.fixture
def config(tmp_path: Path, db_url: str) -> Config:
    """A configuration pointing at this test's database and a private data directory."""
    return load_config(
        env={"HOTLINE_DATA_DIR": str(tmp_path / "data"), "HOTLINE_DATABASE_URL": db_url}
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Under CI=true a skipped test fails the run: no suite may quietly not run."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if IN_CI and skipped and exitstatus == 0 and reporter is not None:
        reporter.write_line(f"CI=true: {skipped} test(s) skipped; failing the run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"Redis at {REDIS_URL} unreachable: {exc}"
        if IN_CI:
            pytest.fail(f"CI=true and {reason}: the Redis suite may not be skipped")
        pytest.skip(reason)
    finally:
        client.close()
    return REDIS_URL
