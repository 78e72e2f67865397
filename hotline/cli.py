"""The ``hotline`` command: one entry point for operators and for every daemon."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from agent_console.auth.commands import agent as agent_commands
from agent_console.reports.commands import report as report_commands
from audio.commands import prompts as prompts_commands
from audio.commands import recordings as recordings_commands
from hotline.config import Config, load_config
from hotline.exceptions import HotlineError, ImportRejected
from models.db import check_connection, current_revision, head_revision, make_engine, upgrade


class Context:
    """What every subcommand needs: the configuration and, on demand, the database."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._engine: Engine | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(self.config.effective_database_url)
            check_connection(self._engine)
        return self._engine

    def close(self) -> None:
        """Give back the database connections (click calls this when the command ends)."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def require_schema(self) -> None:
        """Stop with advice when the database is not at the code's schema revision."""
        have, want = current_revision(self.engine), head_revision()
        if have != want:
            raise click.ClickException(
                f"the database is at schema revision {have or 'none'}, the code needs {want}: "
                "run `hotline db upgrade`"
            )


pass_ctx = click.make_pass_decorator(Context)


@click.group()
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="TOML file.")
@click.option("--database-url", help="Overrides HOTLINE_DATABASE_URL.")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None, database_url: str | None) -> None:
    """Hotline: the service hotline for property-management companies."""
    import os

    env = dict(os.environ)
    if config_file:
        env["HOTLINE_CONFIG"] = config_file
    overrides = {"database_url": database_url} if database_url else {}
    ctx.obj = Context(load_config(env=env, overrides=overrides))
    ctx.call_on_close(ctx.obj.close)


@cli.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(obj: Context) -> None:
    """Bring the database to the newest schema (creates it when empty)."""
    before = current_revision(obj.engine)
    upgrade(obj.engine)
    after = current_revision(obj.engine)
    where = obj.engine.url.render_as_string(hide_password=True)
    if before == after:
        click.echo(f"{where}: already at revision {after}")
    else:
        click.echo(f"{where}: upgraded from {before or 'empty'} to {after}")


@db.command("current")
@pass_ctx
def db_current(obj: Context) -> None:
    """Print the database's schema revision and the newest the code knows."""
    click.echo(f"database: {current_revision(obj.engine) or 'empty'}; code: {head_revision()}")


@cli.command()
@click.argument("number")
@pass_ctx
def lookup(obj: Context, number: str) -> None:
    """Print the residents reachable on NUMBER; exit 1 when there are none."""
    from models.lookup import lookup_caller

    obj.require_schema()
    with obj.session() as session:
        matches = lookup_caller(session, number, obj.config.default_region)
    if not matches:
        click.echo(f"no resident has the number {number}", err=True)
        sys.exit(1)
    for match in matches:
        flags = [
            f
            for f, on in (
                ("primary", match.primary),
                ("senior-care", match.senior_care),
                ("do-not-call", match.do_not_call),
            )
            if on
        ]
        click.echo(f"{match.name}" + (f"  [{', '.join(flags)}]" if flags else ""))
        for unit in match.units:
            click.echo(
                f"    {unit.role.value:<9} {unit.address:<16} {unit.community_name} "
                f"({unit.community_code})"
            )
        if not match.units:
            click.echo("    (no unit on file)")


@cli.group("import")
def import_() -> None:
    """Bring records in from files."""


@import_.command("residents")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def import_residents_cmd(obj: Context, file: Path) -> None:
    """Import residents from a .csv or .xlsx file: all rows, or none and a list of what's wrong."""
    from models.importer import import_residents

    obj.require_schema()
    with obj.session() as session:
        try:
            report = import_residents(
                session,
                file,
                region=obj.config.default_region,
                progress=_progress_bar if sys.stderr.isatty() else None,
            )
        except ImportRejected as exc:
            for problem in exc.problems:
                click.echo(f"{file.name}: {problem}", err=True)
            raise click.ClickException(str(exc)) from exc
    click.echo(report.summary())


@contextmanager
def _progress_bar(total: int, label: str) -> Iterator[Any]:
    """A progress bar on standard error (the import asks for it on a terminal only)."""
    with click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True) as bar:
        yield bar


@cli.command()
@click.option("--seed", default=2026, show_default=True, help="Same seed, same estate.")
@click.option("--force", is_flag=True, help="Add the demo estate even if the database has data.")
@pass_ctx
def demo(obj: Context, seed: int, force: bool) -> None:
    """Fill the database with a realistic demo estate, residents and agents."""
    from models.demo import DEMO_PASSWORDS, build_demo, has_data

    obj.require_schema()
    with obj.session() as session:
        if has_data(session) and not force:
            raise click.ClickException("the database already has communities; use --force to add")
        summary = build_demo(session, seed=seed)
        session.commit()
    click.echo(summary)
    click.echo("demo logins: " + ", ".join(f"{k} / {v}" for k, v in DEMO_PASSWORDS.items()))


def _daemon_logging() -> None:
    """Log lines for operators; SIGTERM stops a daemon as Ctrl-C does."""
    import logging
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    signal.signal(signal.SIGTERM, interrupt)


@cli.command()
@click.option("--host", help="Address to listen on (default HOTLINE_AGI_HOST).")
@click.option("--port", type=int, help="Port to listen on (default HOTLINE_AGI_PORT, 4573).")
@click.option("--no-ami", is_flag=True, help="Do not listen to AMI even if HOTLINE_AMI_URL is set.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Processes serving calls on the one port (default: one per CPU; 1: this process).",
)
@pass_ctx
def agi(
    obj: Context, host: str | None, port: int | None, no_ami: bool, workers: int | None
) -> None:
    """Run the FastAGI server Asterisk calls with AGI(agi://host:4573/hotline)."""
    from hotline.daemons import Daemons
    from ivr.agi.workers import default_workers

    _daemon_logging()
    obj.require_schema()
    speech = bool(obj.config.vosk_model)
    workers = workers or (1 if speech else default_workers())
    with Daemons(obj.config, obj.engine) as daemons:
        daemons.start_spool()
        if workers == 1:
            daemons.start_audiosocket()  # the model, then the server, before any call
        daemons.start_recordings()
        if workers == 1:
            served_on = daemons.start_agi(host, port).port
        else:
            if speech:
                click.echo(
                    "warning: spoken menus need the one process that loads the model "
                    f"(--workers 1): {workers} worker processes take the keypad only",
                    err=True,
                )
            served_on = daemons.start_agi_workers(workers, host, port).port
        listener = None if no_ami else daemons.start_ami()
        if listener is not None:
            click.echo(f"AMI listener for {listener.settings}")
        click.echo(
            f"FastAGI on {host or obj.config.agi_host}:{served_on} (scripts: hotline;"
            f" {workers} worker process{'es' if workers > 1 else ''})",
        )
        daemons.wait()


@cli.command()
@pass_ctx
def ami(obj: Context) -> None:
    """Listen to Asterisk's manager interface (HOTLINE_AMI_URL): queue events onto calls."""
    from hotline.daemons import Daemons

    _daemon_logging()
    obj.require_schema()
    with Daemons(obj.config, obj.engine) as daemons:
        listener = daemons.start_ami()
        if listener is None:
            raise click.ClickException("HOTLINE_AMI_URL is not set: nothing to listen to")
        click.echo(f"AMI listener for {listener.settings}")
        daemons.wait()


@cli.command()
@pass_ctx
def dialer(obj: Context) -> None:
    """Place the calls of due surveys and campaigns (several may run against one PostgreSQL)."""
    from hotline.daemons import Daemons
    from ivr.dialer.plugin import provider_kind

    _daemon_logging()
    obj.require_schema()
    with Daemons(obj.config, obj.engine) as daemons:
        thread = daemons.start_dialer()
        click.echo(f"dialer {thread.dialer.name} through {provider_kind(obj.config)}")
        daemons.wait()


@cli.command()
@click.option("--host", help="Address to listen on (default from configuration).")
@click.option("--port", type=int, help="Port to listen on (default from configuration).")
@click.option("--no-demo", is_flag=True, help="Do not add the demo estate to an empty database.")
@pass_ctx
def serve(obj: Context, host: str | None, port: int | None, no_demo: bool) -> None:
    """Run the whole hotline in one process on the embedded defaults.

    Brings the database to the newest schema, adds the demo estate to an empty
    database, and runs the web app (console, Twilio webhooks, simulator) with the
    FastAGI server, the AMI listener (when HOTLINE_AMI_URL is set), the queue
    dispatcher and the call spool.
    """
    from werkzeug.serving import run_simple

    from agent_console import create_app
    from hotline.daemons import Daemons
    from hotline.process import serving
    from models.demo import build_demo, has_data

    _daemon_logging()
    upgrade(obj.engine)
    if not no_demo:
        with obj.session() as session:
            if not has_data(session):
                click.echo("empty database: adding the demo estate (hotline demo)")
                click.echo(str(build_demo(session)))
                session.commit()
    with Daemons(obj.config, obj.engine) as daemons:
        daemons.start_spool()
        daemons.start_audiosocket()  # the speech model, then AudioSocket, before FastAGI
        daemons.start_recordings()
        agi_server = daemons.start_agi()
        daemons.start_ami()
        app = create_app(config=obj.config, bus=daemons.bus)
        app.extensions["hotline.ami"] = daemons.ami
        app.extensions["hotline.speech"] = daemons.speech  # /healthz, transcription
        daemons.start_dispatcher(app)
        daemons.start_dialer(app)
        host, port = host or obj.config.web_host, port or obj.config.web_port
        where = obj.engine.url.render_as_string(hide_password=True)
        click.echo(
            f"Hotline on http://{host}:{port}/ (FastAGI on port {agi_server.port}; "
            f"database {where})\nTry a call: http://{host}:{port}/simulator/"
        )
        serving(app)
        try:
            run_simple(host, port, app, threaded=True, use_reloader=False)
        except KeyboardInterrupt:
            pass


cli.add_command(agent_commands)
cli.add_command(prompts_commands)
cli.add_command(recordings_commands)
cli.add_command(report_commands)


def main() -> None:
    """Run the CLI, turning Hotline's own errors into one clear line and exit status 2."""
    try:
        cli(standalone_mode=True)
    except HotlineError as exc:
        click.echo(f"hotline: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
