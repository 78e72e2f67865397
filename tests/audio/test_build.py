"""`hotline prompts build` rebuilds only what changed; `check` lists what is missing or stale."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from audio.build import MANIFEST, PromptBuilder
from audio.catalogue import Catalogue, Entry, message_name
from audio.exceptions import ToolFailed
from audio.tools import AudioTools
from hotline.cli import cli
from models.db import make_engine, upgrade
from models.outbound import Campaign, CampaignStatus, JobPurpose
from tests import factories
from tests.audio.conftest import tone


@pytest.fixture
def builder(tools: AudioTools, tmp_path: Path) -> PromptBuilder:
    return PromptBuilder(tools=tools, prompts_dir=tmp_path / "prompts")


@pytest.fixture
def master(tmp_path: Path) -> Path:
    return tone(tmp_path / "master.wav", hz=800, rate=48000, seconds=0.4, channels=2, pad_s=0.2)


def small(master: Path, text: str = "Sorry.") -> Catalogue:
    return Catalogue(
        [
            Entry("menu.invalid", "en", text),
            Entry("digit.1", "zh-CN", "一"),
            Entry("menu.main", "en", "ignored: there is a master", master=master),
            Entry("silence.1", "zh-CN", "", silence_s=1.0),
        ]
    )


def mtimes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*.*")}


def test_given_a_built_catalogue_when_built_again_then_nothing_is_rebuilt(
    builder: PromptBuilder, master: Path
) -> None:
    first = builder.build(small(master))
    assert len(first.built) == 4 and first.skipped == []
    assert builder.check(small(master)).ok
    before = mtimes(builder.root)
    assert len([name for name in before if name != MANIFEST]) == 4 * 5

    again = builder.build(small(master))
    assert again.built == [] and len(again.skipped) == 4
    assert mtimes(builder.root) == before


def test_changed_words_make_one_prompt_stale_and_only_it_is_rebuilt(
    builder: PromptBuilder, master: Path
) -> None:
    builder.build(small(master))
    changed = small(master, text="Sorry, that is not a valid choice.")
    report = builder.check(changed)
    assert (report.missing, report.stale) == ([], ["en/menu.invalid"])
    assert builder.build(changed).built == ["en/menu.invalid"]
    assert builder.check(changed).ok
    record = json.loads((builder.root / MANIFEST).read_text())["prompts"]["en/menu.invalid"]
    assert record["seconds"] > 1.0  # the longer sentence


def test_a_changed_master_or_setting_makes_prompts_stale(
    builder: PromptBuilder, master: Path, tools: AudioTools
) -> None:
    builder.build(small(master))
    tone(master, hz=900, rate=48000, seconds=0.4)
    assert builder.check(small(master)).stale == ["en/menu.main"]
    louder = PromptBuilder(tools=tools, prompts_dir=builder.root, loudness_db=-16.0)
    assert len(louder.check(small(master)).stale) == 3  # not the silence


def test_a_deleted_file_is_missing_and_rebuilt(builder: PromptBuilder, master: Path) -> None:
    builder.build(small(master))
    gone = builder.root / "asterisk/zh/hotline/digit-1.gsm"
    gone.unlink()
    assert builder.check(small(master)).missing == ["zh-CN/digit.1"]
    assert builder.build(small(master)).built == ["zh-CN/digit.1"]
    assert gone.exists()


def test_prompts_no_longer_in_the_catalogue_are_listed_and_pruned(
    builder: PromptBuilder, master: Path
) -> None:
    builder.build(small(master))
    fewer = Catalogue(e for e in small(master) if e.name != "digit.1")
    assert builder.check(fewer).unused == ["zh-CN/digit.1"]
    assert builder.build(fewer, prune=True).removed == ["zh-CN/digit.1"]
    assert not (builder.root / "asterisk/zh/hotline/digit-1.wav").exists()
    assert builder.check(fewer).unused == []


def test_cli_builds_one_prompt_and_check_lists_the_rest(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_PROMPTS_DIR": str(tmp_path / "p")}
    built = runner.invoke(
        cli, ["prompts", "build", "--only", "route.repair", "--language", "en"], env=env
    )
    assert built.exit_code == 0, built.output
    assert "1 built, 0 unchanged" in built.output
    assert (tmp_path / "p/asterisk/en/hotline/route-repair.ulaw").exists()
    assert (tmp_path / "p/web/en/route-repair.mp3").exists()

    checked = runner.invoke(cli, ["prompts", "check"], env=env)
    assert checked.exit_code == 1
    lines = checked.output.splitlines()
    assert "missing  zh-CN/route.repair" in lines
    assert "missing  en/route.repair" not in lines
    assert "missing  en/digit.7" in lines


def test_a_failure_stops_the_build_and_keeps_what_was_built(
    builder: PromptBuilder, master: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not audio")
    entries = [*small(master), Entry("menu.no_input", "en", "x", master=broken)]
    with pytest.raises(ToolFailed):
        builder.build(Catalogue(entries), jobs=1)
    # One at a time, in catalogue order: two built and kept, then the failure, then none.
    missing = builder.check(Catalogue(entries)).missing
    assert missing == ["en/menu.no_input", "zh-CN/digit.1", "zh-CN/silence.1"]


def test_a_notices_words_are_built_once_for_every_language_in_their_own_voice(
    tmp_path: Path,
) -> None:
    voices = tmp_path / "voices.log"
    tts = tmp_path / "tts.sh"
    tts.write_text(f'#!/bin/sh\necho "$1" >> {voices}\nexec espeak-ng -v "$1" -w "$2" "$3"\n')
    tts.chmod(0o755)
    builder = PromptBuilder(
        tools=AudioTools(tts_command=f"{tts} {{voice}} {{output}} {{text}}"),
        prompts_dir=tmp_path / "prompts",
    )
    text = "明天9点到12点停水。"

    report = builder.build_messages([text])
    again = builder.build_messages([text])

    name = message_name(text).replace(".", "-")
    assert len(report.built) == 2 and again.built == [] and len(again.skipped) == 2
    for folder in ("zh", "en"):
        assert (
            (tmp_path / "prompts" / "asterisk" / folder / "hotline" / f"{name}.ulaw").stat().st_size
        )
    assert voices.read_text().split() == ["cmn", "cmn"]  # Mandarin words, Mandarin voice


def test_check_lists_the_words_of_notices_being_sent_and_not_of_those_done(
    tmp_path: Path,
) -> None:
    env = {"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_PROMPTS_DIR": str(tmp_path / "p")}
    engine = make_engine(f"sqlite:///{tmp_path / 'hotline.db'}")
    upgrade(engine)
    with Session(engine) as s:
        c = factories.community(s)
        sent = ((CampaignStatus.RUNNING, "明天停水。"), (CampaignStatus.FINISHED, "昨天停电。"))
        for status, words in sent:
            s.add(Campaign(community_id=c.id, purpose=JobPurpose.NOTICE, name=words,
                           message=words, status=status))  # fmt: skip
        s.commit()
    engine.dispose()

    lines = CliRunner().invoke(cli, ["prompts", "check"], env=env).output.splitlines()

    assert f"missing  en/{message_name('明天停水。')}" in lines
    assert not [line for line in lines if message_name("昨天停电。") in line]
