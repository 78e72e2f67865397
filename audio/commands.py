"""``hotline prompts build``, ``hotline prompts check`` and ``hotline recordings collect``."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from audio.build import BuildReport, PromptBuilder
from audio.catalogue import LANGUAGES, Catalogue, CommunityName, build_catalogue
from audio.fetch import RecordingSource
from audio.recordings import Collected, StoredRecording, collect_recordings
from audio.speech.recognizer import SpeechService
from audio.tools import AudioTools
from hotline.config import Config
from hotline.exceptions import HotlineError
from models import utcnow

log = logging.getLogger(__name__)


@click.group("prompts")
def prompts() -> None:
    """The IVR's recorded prompts: build them for Asterisk and the web, check them."""


@prompts.command("build")
@click.option("--force", is_flag=True, help="Rebuild every prompt, changed or not.")
@click.option("--jobs", type=int, default=2, show_default=True, help="Prompts built at once.")
@click.option("--language", "languages", multiple=True, type=click.Choice(LANGUAGES))
@click.option("--only", "names", multiple=True, help="Just this prompt (repeatable).")
@click.pass_obj
def build_cmd(
    obj: Any, force: bool, jobs: int, languages: tuple[str, ...], names: tuple[str, ...]
) -> None:
    """Build the prompts that are missing or changed (masters, else synthesised speech)."""
    catalogue = _catalogue(obj)
    whole = not (languages or names)
    chosen = catalogue.select(names, languages)
    if names and len(chosen) == 0:
        raise click.ClickException(f"no such prompt: {', '.join(names)}")
    builder = _builder(obj)
    started = time.monotonic()
    with click.progressbar(length=len(chosen), label="prompts", file=sys.stderr) as bar:
        report = builder.build(
            chosen, force=force, prune=whole, jobs=jobs, progress=lambda _name: bar.update(1)
        )
    click.echo(_summary(report, time.monotonic() - started, builder))


@prompts.command("check")
@click.pass_obj
def check_cmd(obj: Any) -> None:
    """List prompts whose files are missing or stale; exit 1 when there are any."""
    builder = _builder(obj)
    report = builder.check(_catalogue(obj))
    for label, names in (("missing", report.missing), ("stale", report.stale)):
        for name in names:
            click.echo(f"{label:8} {name}")
    for name in report.unused:
        click.echo(f"unused   {name} (removed by the next full build)")
    if not report.ok:
        raise SystemExit(1)
    click.echo(f"all prompts built and current in {builder.root}")


def _builder(obj: Any) -> PromptBuilder:
    return PromptBuilder.from_config(obj.config)


def _catalogue(obj: Any) -> Catalogue:
    """The catalogue, with the communities' names and the messages of notices being sent
    when the database can be read."""
    communities, messages = _from_database(obj)
    return build_catalogue(communities, messages=messages)


def _from_database(obj: Any) -> tuple[list[CommunityName], list[str]]:
    from models import Community
    from models.outbound import Campaign, CampaignStatus, JobPurpose

    live = (CampaignStatus.DRAFT, CampaignStatus.RUNNING, CampaignStatus.PAUSED)
    try:
        obj.require_schema()
        with obj.session() as session:
            rows = session.execute(select(Community.code, Community.name, Community.name_en))
            communities = [CommunityName(code, name, name_en or "") for code, name, name_en in rows]
            messages = session.scalars(
                select(Campaign.message).where(
                    Campaign.purpose == JobPurpose.NOTICE, Campaign.status.in_(live)
                )
            )
            return communities, [m for m in messages if m.strip()]
    except (HotlineError, SQLAlchemyError, click.ClickException) as exc:
        click.echo(
            f"warning: community names and notices left out (database unreadable: {exc})",
            err=True,
        )
        return [], []


def _summary(report: BuildReport, seconds: float, builder: PromptBuilder) -> str:
    size = sum(p.stat().st_size for p in builder.root.rglob("*") if p.is_file())
    return (
        f"{len(report.built)} built, {len(report.skipped)} unchanged, "
        f"{len(report.removed)} removed in {seconds:.1f} s; "
        f"{builder.root} holds {size / 1e6:.1f} MB"
    )


@click.group("recordings")
def recordings() -> None:
    """Callers' recordings (voicemail), kept with their calls for the console."""


@recordings.command("collect")
@click.pass_obj
def collect_cmd(obj: Any) -> None:
    """Fetch and convert every recording a call left that is not kept yet; exit 1 on failures."""
    obj.require_schema()
    config = obj.config
    speech = SpeechService.from_config(config, workers=1)  # off (and said once) without a model
    try:
        with obj.session() as session:
            done = collect(session, config, speech)
    finally:
        speech.close()
    for call_id, reason in done.failed:
        click.echo(f"call {call_id}: {reason}", err=True)
    click.echo(f"{len(done.stored)} recording(s) kept, {len(done.failed)} not")
    if speech.enabled:
        click.echo(f"{done.transcribed} transcribed")
    if done.failed:
        raise SystemExit(1)


def comment_to_survey(session: Session, kept: StoredRecording) -> None:
    """A survey comment's transcript also becomes the survey's written comment (committed)."""
    from ivr.campaign_calls import COMMENT, copy_comment  # the survey side, loaded when needed

    if kept.kind == COMMENT:
        copy_comment(session, kept.call_id, now=utcnow())
        session.commit()


def collect(session: Session, config: Config, speech: SpeechService | None) -> Collected:
    """Keep (and transcribe, with ``speech`` on) every recording not kept yet."""
    source = RecordingSource(
        asterisk_sounds_dir=Path(config.asterisk_sounds_dir),
        twilio_account_sid=config.twilio_account_sid,
        twilio_auth_token=config.twilio_auth_token,
    )
    return collect_recordings(
        session,
        tools=AudioTools(),
        source=source,
        data_dir=config.data_dir,
        speech=speech,
        on_transcript=comment_to_survey,
    )
