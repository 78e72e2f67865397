"""Engines, sessions and schema migrations for SQLite (the default) and PostgreSQL."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import json
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    BindParameter,
    Connection,
    Dialect,
    Engine,
    bindparam,
    create_engine,
    event,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import Pool

from hotline.exceptions import DatabaseUnavailable

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 5


# JSON columns as written: compact, and not searched for reference cycles (what is stored
# is plain data, written on every webhook; a cycle still fails, as a RecursionError).
_JSON = json.JSONEncoder(check_circular=False, separators=(",", ":"))


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``, with SQLite set up for many threads writing in turn.

    :raises DatabaseUnavailable: when the URL cannot be understood.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(
            f"database URL {url!r} is not valid: expected e.g. sqlite:///path/hotline.db "
            "or postgresql+psycopg://user@host:5432/dbname"
        ) from exc
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("postgresql"):
        # An unreachable server must fail fast: a caller is waiting on the line.
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
    if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # The connection checked in last goes out first: SQLite empties a connection's
        # page cache when another one has committed since, so reusing the one that
        # wrote last finds its pages still there (QueuePool hands them out in turn).
        kwargs.setdefault("pool_use_lifo", True)
    kwargs.setdefault("json_serializer", _JSON.encode)
    try:
        engine = create_engine(parsed, **kwargs)
    except (NoSuchModuleError, ArgumentError) as exc:
        raise DatabaseUnavailable(f"database URL {url!r}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, a busy timeout, and IMMEDIATE transactions.

    pysqlite starts transactions lazily and DEFERRED, so two transactions that read
    and then write can deadlock and fail at once with "database is locked". Taking
    the write lock at BEGIN makes writers queue on the busy timeout instead; WAL
    keeps readers unblocked.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("isolation_level") != "AUTOCOMMIT" and not options.get(READS_ONLY):
            # On the driver's connection: a statement through SQLAlchemy's execution
            # layer would cost as much as the transaction's own work.
            _driver_sql(conn.connection.driver_connection, "BEGIN IMMEDIATE")


_WRITE_LOCKS_GUARD = threading.Lock()
_PID = [os.getpid()]  # this process's, kept: os.getpid() is a system call each time
os.register_at_fork(after_in_child=lambda: _PID.__setitem__(0, os.getpid()))


def in_driver_transaction(driver: Any) -> bool:
    """Whether a driver connection (sqlite3's, psycopg's) is inside a transaction."""
    flag = getattr(driver, "in_transaction", None)  # sqlite3
    if flag is not None:
        return bool(flag)
    status = getattr(getattr(driver, "info", None), "transaction_status", None)  # psycopg
    return status is not None and int(status) != 0  # 0: idle


def process_id() -> int:
    """``os.getpid()``, without its system call (the value is kept, renewed after a fork)."""
    return _PID[0]


@dataclasses.dataclass(eq=False)
class _Writers:
    """What queues the writers of one SQLite database, in this process: a lock for its
    threads, and the descriptor of the lock file the processes share (None: no file)."""

    lock: threading.Lock
    fd: int | None
    pid: int


_WRITERS: weakref.WeakKeyDictionary[Pool, _Writers] = weakref.WeakKeyDictionary()


def _writers(engine: Engine) -> _Writers:
    """The writers' locks of a SQLite engine (shared by its options, which share its pool);
    a forked process makes its own."""
    found = _WRITERS.get(engine.pool)
    if found is not None and found.pid == _PID[0]:
        return found
    with _WRITE_LOCKS_GUARD:
        found = _WRITERS.get(engine.pool)
        if found is None or found.pid != _PID[0]:
            found = _WRITERS[engine.pool] = _Writers(threading.Lock(), _lock_file(engine), _PID[0])
            if found.fd is not None:
                weakref.finalize(engine.pool, os.close, found.fd)
        return found


def _lock_file(engine: Engine) -> int | None:
    """A new descriptor of the database's writers' lock file, or None."""
    database = engine.url.database
    if database in (None, "", ":memory:") or database.startswith("file:"):  # no path to trust
        return None
    try:
        return os.open(f"{database}-writers.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        return None  # SQLite's own locking only


def write_lock(engine: Engine) -> AbstractContextManager[object]:
    """Hold this around a short write transaction that many threads run at once.

    SQLite has one writer at a time; a thread that finds the database locked sleeps
    in steps of up to 100 ms (its busy handler) before it tries again, so under
    contention a 1 ms write can wait a tenth of a second. Queuing the threads of
    this process on a lock instead keeps the wait to the writes ahead of it.
    Other databases lock rows, not the file: there this is no lock at all.
    """
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    return _writers(engine).lock


class writers_lock:  # named as the function it stands for: ``with writers_lock(engine):``
    """:func:`write_lock`, and on a SQLite file the same across processes.

    The threads of this process queue on :func:`write_lock`, then the processes on
    an exclusive ``flock`` of ``<database>-writers.lock``, which the kernel hands
    to the next waiter as soon as it is released: without it, SQLite's busy
    handler makes a waiting writer of another process sleep 1, 2, 5, 10 … ms
    between tries. Other databases: no lock at all. (A class, not a generator:
    it is taken on every webhook.)
    """

    __slots__ = ("_writers",)

    def __init__(self, engine: Engine) -> None:
        self._writers = _writers(engine) if engine.dialect.name == "sqlite" else None

    def __enter__(self) -> None:
        writers = self._writers
        if writers is None:
            return
        writers.lock.acquire()
        if writers.fd is not None:
            try:
                fcntl.flock(writers.fd, fcntl.LOCK_EX)
            except BaseException:
                writers.lock.release()
                raise

    def __exit__(self, *exc: object) -> None:
        writers = self._writers
        if writers is None:
            return
        try:
            if writers.fd is not None:
                fcntl.flock(writers.fd, fcntl.LOCK_UN)
        finally:
            writers.lock.release()


def write_transaction(
    engine: Engine, held: Connection | None = None
) -> AbstractContextManager[Connection]:
    """One short write transaction on ``engine``, queued behind other writers
    (:func:`writers_lock`); committed at the end, rolled back on any exception.

    ``held``: a connection the caller already holds from :func:`reading`. On SQLite
    the transaction runs on it (``BEGIN IMMEDIATE`` … ``COMMIT`` on its driver
    connection) rather than on a second checkout: a webhook then reads and writes
    on one connection, and that connection keeps its page cache, which SQLite
    empties whenever another connection has committed since its last read. Other
    databases (where ``held`` reads in autocommit), or none held: a connection of
    its own.
    """
    if held is None or held.dialect.name != "sqlite" or held.closed:
        return _own_write_transaction(engine)
    return _HeldWriteTransaction(held, writers_lock(engine))


@contextlib.contextmanager
def _own_write_transaction(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn, writers_lock(engine), conn.begin():  # checkout unlocked
        yield conn


class _HeldWriteTransaction:
    """:func:`write_transaction` on a SQLite connection held for reading."""

    __slots__ = ("_held", "_driver", "_lock")

    def __init__(self, held: Connection, lock: writers_lock) -> None:
        self._held, self._lock = held, lock
        self._driver = held.connection.driver_connection

    def __enter__(self) -> Connection:
        self._lock.__enter__()
        try:
            _driver_sql(self._driver, "BEGIN IMMEDIATE")
        except BaseException:
            self._lock.__exit__()
            raise
        return self._held

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        try:
            if kind is None:
                try:
                    _driver_sql(self._driver, "COMMIT")
                except BaseException:
                    self._roll_back()
                    raise
            else:
                self._roll_back()
        finally:
            self._lock.__exit__()

    def _roll_back(self) -> None:
        driver = self._driver
        if driver.in_transaction:  # type: ignore[union-attr]
            with contextlib.suppress(sqlite3.Error):  # the first error is the one to tell
                driver.rollback()  # type: ignore[union-attr]


def _driver_sql(driver: Any, statement: str) -> None:
    """``statement`` on a SQLite driver connection; its error as SQLAlchemy's."""
    try:
        driver.execute(statement)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(statement, None, exc, sqlite3.Error) from exc


class Prepared:
    """A Core statement that SQLite runs on the driver's own cursor.

    For the few statements a call runs while its caller waits, SQLAlchemy's
    execution layer costs more than SQLite's work. The statement is compiled
    once per set of parameter names; values are converted by the columns' own
    bind and result processors and Python-side column defaults filled in, as
    SQLAlchemy would; driver errors come out as SQLAlchemy's (``DBAPIError``),
    so fail-safes that catch ``SQLAlchemyError`` still hold. It runs in the
    transaction of the Connection it is given. Other databases get plain Core
    execution (psycopg, for one, adapts some types through SQLAlchemy only).
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._forms: dict[tuple[str, tuple[str, ...]], _Form] = {}

    def execute(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[tuple]:
        """Run once; the rows it returns (SELECT, RETURNING), their values converted."""
        params = params or {}
        if conn.dialect.name != "sqlite":
            result = conn.execute(self.statement, params)
            return [tuple(row) for row in result] if result.returns_rows else []
        form = self._form(conn.dialect, tuple(params))
        return form.run(conn, [params], many=False)

    def executemany(self, conn: Connection, rows: list[Mapping[str, Any]]) -> None:
        """Run once per row (all with the same parameter names)."""
        if not rows:
            return
        if conn.dialect.name != "sqlite":
            conn.execute(self.statement, rows)
            return
        self._form(conn.dialect, tuple(rows[0])).run(conn, rows, many=True)

    def _form(self, dialect: Dialect, names: tuple[str, ...]) -> _Form:
        key = (dialect.name, names)
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = _Form.compile(self.statement, dialect, list(names))
        return form


class PreparedList:
    """A :class:`Prepared` statement taking one list of values, a placeholder per value.

    SQLAlchemy renders an ``IN`` with an expanding parameter anew for each
    execution, so such a statement cannot run on the driver's cursor. A caller has
    one to three units: the statement built once per length of the list can.

    :param build: the statement, given one ``bindparam`` per value of the list.
    :param name: the prefix of those parameters' names.
    """

    CACHED_LENGTHS = 16  # longer lists are built for the one execution

    def __init__(self, build: Callable[[list[BindParameter[Any]]], Any], name: str) -> None:
        self._build = build
        self._name = name
        self._by_length: dict[int, Prepared] = {}

    def execute(
        self, conn: Connection, values: Sequence[Any], params: Mapping[str, Any] | None = None
    ) -> list[tuple]:
        """Run once with ``values`` as the list and ``params`` as the other parameters."""
        names = [f"{self._name}_{i}" for i in range(len(values))]
        prepared = self._by_length.get(len(values))
        if prepared is None:
            prepared = Prepared(self._build([bindparam(name) for name in names]))
            if len(values) <= self.CACHED_LENGTHS:
                self._by_length[len(values)] = prepared
        return prepared.execute(conn, {**(params or {}), **dict(zip(names, values, strict=True))})


@dataclasses.dataclass
class _Form:
    """One compiled form of a :class:`Prepared` statement, for one set of parameter names.

    What does not change from one execution to the next is worked out here: the
    values written into the statement itself (``column == 5``), already through
    their bind processors, and which parameters need a processor at all.
    """

    sql: str
    dialect: Dialect
    order: list[str] | None  # positional parameter names; None: named parameters
    fixed: dict[str, Any]  # values bound in the statement, processed
    defaults: dict[str, Any]  # Python-side column defaults: a value, or a callable
    processors: list[tuple[str, Callable[[Any], Any]]]  # for the given and the defaulted
    results: list[Callable[[Any], Any] | None]

    @classmethod
    def compile(cls, statement: Any, dialect: Dialect, names: list[str]) -> _Form:
        compiled = statement.compile(dialect=dialect, column_keys=names or None)
        processors = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[name] = processor
        defaults = {}
        for column in [*compiled.insert_prefetch, *compiled.update_prefetch]:
            default = column.default if column.key not in names else None
            if default is not None:
                defaults[column.key] = default.arg
        fixed = {}
        for name, bind in compiled.binds.items():  # values written into the statement
            if name not in names and name not in defaults and not bind.required:
                value = bind.effective_value
                fixed[name] = processors[name](value) if name in processors else value
        varying = [*names, *defaults]
        columns = list(getattr(statement, "selected_columns", ()))
        results = [c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns]
        order = list(compiled.positiontup or ()) if dialect.positional else None
        return cls(
            compiled.string,
            dialect,
            order,
            fixed,
            defaults,
            [(name, processors[name]) for name in varying if name in processors],
            results,
        )

    def run(self, conn: Connection, rows: list[Mapping[str, Any]], *, many: bool) -> list[tuple]:
        args = [self._bind(row) for row in rows]
        dbapi = self.dialect.loaded_dbapi
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            if many:
                cursor.executemany(self.sql, args)
                return []
            cursor.execute(self.sql, args[0])
            fetched = cursor.fetchall() if cursor.description else []
        except dbapi.Error as exc:
            raise DBAPIError.instance(self.sql, rows[0], exc, dbapi.Error) from exc
        finally:
            cursor.close()
        if not any(self.results):
            return [tuple(row) for row in fetched]
        return [
            tuple(p(v) if p else v for p, v in zip(self.results, row, strict=True))
            for row in fetched
        ]

    def _bind(self, row: Mapping[str, Any]) -> Any:
        values = {**self.fixed, **row}
        for name, default in self.defaults.items():
            values[name] = default(None) if callable(default) else default
        for name, processor in self.processors:
            values[name] = processor(values[name])
        return tuple(values[name] for name in self.order) if self.order is not None else values


_CHECKPOINTED: weakref.WeakSet[Engine] = weakref.WeakSet()
CHECKPOINT_INTERVAL_S = 1.0
WAL_RESTART_FRAMES = 1000  # SQLite's own wal_autocheckpoint


def checkpoint_in_background(
    engine: Engine,
    interval: float = CHECKPOINT_INTERVAL_S,
    restart_frames: int = WAL_RESTART_FRAMES,
) -> None:
    """SQLite: WAL checkpoints by a thread of this process, not by whichever writer commits.

    By default the commit that takes the WAL past 1,000 pages also copies them to
    the database and syncs it to disk, while it still holds the writers' lock
    (:func:`writers_lock`): every writer queued behind it waits for a disk sync,
    tens to hundreds of milliseconds on a busy disk. Here the engine's
    connections do not checkpoint on commit, and a daemon thread runs a PASSIVE
    checkpoint (which waits for no reader or writer) every ``interval`` seconds.

    A WAL is written from its start again only by a writer that finds every
    frame already copied; under steady writes one always comes after the copy
    began, and the WAL would grow without end. So once it holds
    ``restart_frames`` or more, the thread checkpoints again in the writers'
    lock: only the frames written since its first pass, and then no writer of
    ours has come after, so the next one starts the WAL over. That second pass
    still waits for nobody (a reader of an older snapshot only defers the
    restart to a later round).

    Call it before the engine is used, or at least before it writes (its pool
    is emptied, so that every connection is made with the setting); other
    databases: nothing.
    """
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return
    with _WRITE_LOCKS_GUARD:
        if engine in _CHECKPOINTED:
            return
        _CHECKPOINTED.add(engine)

    @event.listens_for(engine, "connect")
    def _no_checkpoint_on_commit(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.execute("PRAGMA wal_autocheckpoint = 0")

    engine.pool.dispose()  # connections made before the listener: closed, made again

    def checkpoint() -> None:
        while True:
            time.sleep(interval)
            try:
                conn = engine.raw_connection()
                try:
                    driver = conn.driver_connection
                    passive = "PRAGMA wal_checkpoint(PASSIVE)"
                    _, frames, _ = driver.execute(passive).fetchone()  # type: ignore[union-attr]
                    if frames >= restart_frames:
                        with writers_lock(engine):
                            driver.execute(passive).fetchall()  # type: ignore[union-attr]
                finally:
                    conn.close()
            except Exception:  # a busy or vanished database: the next round tries again
                log.warning("WAL checkpoint failed; will try again", exc_info=True)

    threading.Thread(target=checkpoint, name="wal-checkpoint", daemon=True).start()


def check_connection(engine: Engine) -> None:
    """Connect once, so that an unreachable server is reported clearly at start-up.

    :raises DatabaseUnavailable: naming the server and the driver's reason.
    """
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        where = engine.url.render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(f"cannot reach the database {where}: {reason}") from exc


def session_factory(engine: Engine) -> sessionmaker:
    """Sessions bound to ``engine`` that keep objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


READS_ONLY = "hotline_reads_only"  # execution option: see reading()


def reading(engine: Engine) -> Engine:
    """``engine`` for reads made while a caller waits: no transaction around them.

    A lookup is one or two SELECTs. On PostgreSQL, without BEGIN and ROLLBACK it is
    one round trip (AUTOCOMMIT). On SQLite it takes no write lock, so lookups never
    queue behind writers (WAL lets them read alongside): no ``BEGIN IMMEDIATE`` is
    sent, and each statement reads on its own. SQLite's AUTOCOMMIT level would do
    the same but costs two statements per checkout (SQLAlchemy sets and resets
    ``read_uncommitted``), more than the lookup itself.
    """
    if engine.dialect.name == "sqlite":
        return engine.execution_options(**{READS_ONLY: True})
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def read_session_factory(engine: Engine) -> sessionmaker:
    """Sessions for reading only, with no transaction around them (:func:`reading`)."""
    return sessionmaker(reading(engine), expire_on_commit=False)


def alembic_config(engine: Engine) -> AlembicConfig:
    """Alembic's configuration, pointing at our migrations and at ``engine``."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database's schema to ``revision`` (the newest by default)."""
    command.upgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@functools.cache
def head_revision() -> str | None:
    """The newest revision the code knows (read once: migrations don't change at run time)."""
    return ScriptDirectory.from_config(
        alembic_config(create_engine("sqlite://"))
    ).get_current_head()
