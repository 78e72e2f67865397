"""``hotline prompts build`` and ``check``: the catalogue as files for Asterisk and the web.

Layout under the prompts directory (``HOTLINE_PROMPTS_DIR``, default
``<data dir>/prompts``)::

    asterisk/zh/hotline/greeting-morning.{wav,sln,ulaw,gsm}   copy asterisk/* into
    asterisk/en/hotline/…                                      /var/lib/asterisk/sounds/
    web/zh-CN/greeting-morning.mp3                             Twilio <Play>, the simulator
    manifest.json                                              what was built, from what

Each entry is: its master (any format ffmpeg reads) or synthesised speech → mono →
leading and trailing silence trimmed → one gain to the loudness target → resampled
by ffmpeg (SoX resampler) to 8 kHz 16-bit for the telephone formats and 22.05 kHz
for the MP3.

Loudness: the target is the RMS level of the trimmed speech measured at 8 kHz
(``-20 dBFS`` by default), reached with one linear gain, lowered if it would push a
sample peak above ``-1 dBFS``. EBU R128 (ffmpeg's ``loudnorm``) was not used: its
400 ms gating cannot measure a 0.3 s digit, and digits must sit at the level of the
sentences around them; a single gain also leaves the speech's dynamics untouched.

Rebuilds only what changed: each entry's digest covers its words, its master's
bytes and the build settings; an entry whose digest matches the manifest and whose
files exist is skipped.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import math
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from audio.catalogue import (
    ASTERISK_LANGUAGES,
    LANGUAGES,
    SOUND_FOLDER,
    Catalogue,
    Entry,
    message_entry,
    web_urls,
)
from audio.exceptions import AudioError
from audio.speak import sequence
from audio.tools import AudioTools, Level, Outputs
from hotline.config import Config
from ivr.flow import Say
from ivr.prompt_texts import TEXTS, ZH

PIPELINE_VERSION = 1  # change it when the conversion changes: every entry is rebuilt
MANIFEST = "manifest.json"
ASTERISK_FORMATS = ("wav", "sln", "ulaw", "gsm")


def prompts_dir(config: Config) -> Path:
    """The configured prompts directory, else ``prompts`` in the data directory."""
    configured = getattr(config, "prompts_dir", "")
    return Path(configured).expanduser() if configured else config.data_dir / "prompts"


@dataclasses.dataclass(frozen=True)
class Built:
    """The manifest's record of one entry: its digest, files and measured level."""

    digest: str
    files: list[str]  # relative to the prompts directory
    rms_db: float
    peak_db: float
    seconds: float


@dataclasses.dataclass
class BuildReport:
    """What a build did: built, skipped as unchanged, removed as no longer in the catalogue."""

    built: list[str] = dataclasses.field(default_factory=list)
    skipped: list[str] = dataclasses.field(default_factory=list)
    removed: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class CheckReport:
    """Entries with no files (missing), built from other words or settings (stale), unused."""

    missing: list[str] = dataclasses.field(default_factory=list)
    stale: list[str] = dataclasses.field(default_factory=list)
    unused: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale)


def key(entry: Entry) -> str:
    """An entry's name in the manifest and in reports: ``zh-CN/greeting.morning``."""
    return f"{entry.language}/{entry.name}"


class PromptBuilder:
    """Builds catalogue entries into files and keeps the manifest."""

    def __init__(
        self,
        *,
        tools: AudioTools,
        prompts_dir: Path,
        loudness_db: float = -20.0,
        peak_db: float = -1.0,
    ) -> None:
        self.tools = tools
        self.root = prompts_dir
        self.loudness_db = loudness_db
        self.peak_db = peak_db

    @classmethod
    def from_config(cls, config: Config) -> PromptBuilder:
        """The builder ``hotline prompts build`` uses: the configured TTS, folder, level."""
        return cls(
            tools=AudioTools(tts_command=config.tts_command),
            prompts_dir=prompts_dir(config),
            loudness_db=config.prompt_loudness_db,
        )

    def build_messages(self, texts: Iterable[str]) -> BuildReport:
        """Notices' words built now (a campaign being started), for callers of every
        language; those already built are left alone."""
        return self.build(
            Catalogue(message_entry(text, lang) for text in texts for lang in LANGUAGES)
        )

    def outputs(self, entry: Entry) -> Outputs:
        """Where an entry's files go."""
        folder = self.root / "asterisk" / ASTERISK_LANGUAGES[entry.language] / SOUND_FOLDER
        tel = {fmt: folder / f"{entry.file_name}.{fmt}" for fmt in ASTERISK_FORMATS}
        web = self.root / "web" / entry.language / f"{entry.file_name}.mp3"
        return Outputs(web=web, **tel)

    def digest(self, entry: Entry) -> str:
        """A hash of everything an entry's files are made from."""
        master = hashlib.sha256(entry.master.read_bytes()).hexdigest() if entry.master else None
        made_from = {
            "pipeline": PIPELINE_VERSION,
            "text": entry.text,
            "master": master,
            "silence_s": entry.silence_s,
            "loudness_db": None if entry.silence_s else self.loudness_db,
            "peak_db": None if entry.silence_s else self.peak_db,
            "tts": None if master or entry.silence_s else self.tools.tts_command,
            "voice": self.tools.voices.get(voice := entry.voice or entry.language, voice),
        }
        return hashlib.sha256(json.dumps(made_from, sort_keys=True).encode()).hexdigest()

    def check(self, catalogue: Catalogue) -> CheckReport:
        """Which entries are missing or stale, and which built files nothing uses any more."""
        manifest = self.load_manifest()
        report = CheckReport()
        for entry in catalogue:
            built = manifest.get(key(entry))
            if built is None or not all((self.root / f).exists() for f in built.files):
                report.missing.append(key(entry))
            elif built.digest != self.digest(entry):
                report.stale.append(key(entry))
        report.unused = sorted(set(manifest) - {key(e) for e in catalogue})
        return report

    def build(
        self,
        catalogue: Catalogue,
        *,
        force: bool = False,
        prune: bool = False,
        jobs: int = 2,
        progress: Callable[[str], None] | None = None,
    ) -> BuildReport:
        """Build every entry that is missing or stale (all of them with ``force``).

        :param prune: also delete the files of manifest entries not in ``catalogue``
            (only when ``catalogue`` is the whole catalogue).
        """
        manifest = self.load_manifest()
        report = CheckReport() if force else self.check(catalogue)
        todo = {*report.missing, *report.stale} if not force else {key(e) for e in catalogue}
        done = BuildReport(skipped=sorted(key(e) for e in catalogue if key(e) not in todo))
        try:
            self._build_all(
                [e for e in catalogue if key(e) in todo], manifest, done, jobs, progress
            )
        finally:
            if prune:
                done.removed = self._prune(manifest, {key(e) for e in catalogue})
            if done.built or done.removed:
                self.save_manifest(manifest)
        return done

    def _build_all(
        self,
        entries: list[Entry],
        manifest: dict[str, Built],
        done: BuildReport,
        jobs: int,
        progress: Callable[[str], None] | None,
    ) -> None:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(self.build_entry, entry): entry for entry in entries}
            try:
                for future in concurrent.futures.as_completed(futures):
                    name = key(futures[future])
                    manifest[name] = future.result()
                    done.built.append(name)
                    if progress:
                        progress(name)
            except BaseException:
                pool.shutdown(cancel_futures=True)  # the first failure stops the build
                raise
        done.built.sort()

    def build_entry(self, entry: Entry) -> Built:
        """Make one entry's files; its manifest record."""
        outputs = self.outputs(entry)
        for path in outputs.all():
            path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="hotline-prompt-") as tmp:
            trimmed = Path(tmp) / "trimmed.wav"
            level = self._source(entry, Path(tmp), trimmed)
            if level.seconds <= 0:
                raise AudioError(f"{key(entry)}: nothing left to hear after trimming silence")
            gain = 0.0
            if math.isfinite(level.rms_db):
                gain = min(self.loudness_db - level.rms_db, self.peak_db - level.peak_db)
            self.tools.render(trimmed, gain, outputs)
        return Built(
            digest=self.digest(entry),
            files=[str(p.relative_to(self.root)) for p in outputs.all()],
            rms_db=round(level.rms_db + gain, 2) if math.isfinite(level.rms_db) else -math.inf,
            peak_db=round(level.peak_db + gain, 2) if math.isfinite(level.peak_db) else -math.inf,
            seconds=round(level.seconds, 3),
        )

    def _source(self, entry: Entry, tmp: Path, trimmed: Path) -> Level:
        """The entry's sound, mono and trimmed, and its level: master, silence or speech."""
        if entry.master is not None:
            return self.tools.trim(entry.master, trimmed)
        if entry.silence_s > 0:
            return self.tools.silence(entry.silence_s, trimmed)
        spoken = tmp / "tts.wav"
        self.tools.synthesise(entry.text, entry.voice or entry.language, spoken)
        return self.tools.trim(spoken, trimmed)

    def _prune(self, manifest: dict[str, Built], keep: set[str]) -> list[str]:
        removed = sorted(set(manifest) - keep)
        for name in removed:
            for rel in manifest.pop(name).files:
                (self.root / rel).unlink(missing_ok=True)
        return removed

    def load_manifest(self) -> dict[str, Built]:
        """The manifest's records by entry key (empty when nothing was built)."""
        return read_manifest(self.root)

    def save_manifest(self, manifest: dict[str, Built]) -> None:
        """Write the manifest atomically."""
        self.root.mkdir(parents=True, exist_ok=True)
        data = {
            "pipeline": PIPELINE_VERSION,
            "prompts": {k: dataclasses.asdict(v) for k, v in sorted(manifest.items())},
        }
        path = self.root / MANIFEST
        partial = path.with_suffix(".json.partial")
        partial.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        partial.replace(path)


def read_manifest(root: Path) -> dict[str, Built]:
    """The manifest's records by entry key (empty when nothing was built)."""
    path = root / MANIFEST
    if not path.exists():
        return {}
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if data.get("pipeline") != PIPELINE_VERSION:
        return {}
    return {name: Built(**record) for name, record in data["prompts"].items()}


class WebPrompts:
    """Which prompts ``hotline prompts build`` made for the web, as ``<Play>`` URLs.

    A prompt is played from its recordings only when every piece of it (words and
    values, :func:`audio.speak.sequence`) is built; otherwise the caller of
    :meth:`urls` speaks it as text (``<Say>``). The manifest is read again when
    it changes (looked at no more than every ``recheck_s`` seconds), so a build
    while the app runs is picked up without a restart.
    """

    def __init__(self, root: Path, *, recheck_s: float = 5.0) -> None:
        self.root = root
        self.recheck_s = recheck_s
        self._built: frozenset[str] = frozenset()
        self._stamp: float | None = None
        self._checked = -math.inf
        self._lock = threading.Lock()

    def urls(self, say: Say, community_code: str = "", base_url: str = "") -> list[str] | None:
        """The MP3 URLs that say ``say`` in order, or None when any piece is not built."""
        built = self.built()
        if not built:  # nothing built (yet): every prompt is spoken
            return None
        language = say.language if say.language in TEXTS else ZH
        try:
            names = sequence(say, community_code)
        except AudioError:
            return None
        if not names or any(f"{language}/{name}" not in built for name in names):
            return None
        return web_urls(names, language, base_url)

    def built(self) -> frozenset[str]:
        """The keys (``zh-CN/greeting.morning``) of the entries built with a web file."""
        now = time.monotonic()
        if now - self._checked < self.recheck_s:
            return self._built
        with self._lock:
            self._checked = now
            try:
                stamp: float | None = (self.root / MANIFEST).stat().st_mtime
            except OSError:
                stamp = None
            if stamp != self._stamp:
                self._stamp = stamp
                manifest = read_manifest(self.root) if stamp is not None else {}
                self._built = frozenset(
                    name
                    for name, record in manifest.items()
                    if any(f.startswith("web/") for f in record.files)
                )
        return self._built
