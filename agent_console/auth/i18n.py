"""The console's languages: Simplified Chinese and English, from the browser or a chosen link.

The catalogues are kept as ``.po`` sources in ``agent_console/translations``; at app start
they are compiled to ``.mo`` files in the data directory, which Flask-Babel reads. So a
fresh ``pip install -e .`` needs no build step, and the package directory is never written.
English is the source language: it needs no catalogue.
"""

from __future__ import annotations

import os
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel, get_locale

SOURCES = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES = {"zh_CN": "中文", "en": "English"}  # locale → the language's own name
DEFAULT_LANGUAGE = "zh_CN"
SESSION_LANGUAGE = "language"  # the language chosen by the switch, in the session


def compile_catalogues(sources: Path, target: Path) -> None:
    """Compile each ``<locale>/LC_MESSAGES/*.po`` under ``sources`` into that locale's
    ``messages.mo`` in ``target``.

    Every area of the console keeps its own ``.po`` file (``messages.po``, ``desk.po``,
    ``work_orders.po`` …); they are merged into the one ``messages`` domain, so two areas
    never edit one file. A message translated in two files must read the same in both.
    Each ``.mo`` replaces the old one atomically: workers starting together never read half.
    Babel expands ``zh_CN`` to ``zh_Hans_CN`` and looks for that directory: the ``.mo``
    goes under the expanded name.

    :raises ValueError: a message translated differently in two files.
    """
    for folder in sorted(sources.glob("*/LC_MESSAGES")):
        locale = folder.parent.name
        merged = merge_catalogues(sorted(folder.glob("*.po")), locale)
        mo = target / str(Locale.parse(locale)) / "LC_MESSAGES" / "messages.mo"
        mo.parent.mkdir(parents=True, exist_ok=True)
        partial = mo.with_name(f".{mo.name}.{os.getpid()}")
        with partial.open("wb") as fh:
            write_mo(fh, merged)
        os.replace(partial, mo)


def merge_catalogues(files: list[Path], locale: str) -> Catalog:
    """One catalogue holding the messages of every ``.po`` in ``files``."""
    merged = Catalog(locale=locale)
    origin: dict[object, Path] = {}
    for po in files:
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            if not message.id:
                continue
            earlier = merged.get(message.id, message.context)
            if earlier is not None and earlier.string != message.string:
                raise ValueError(
                    f"{po.name} and {origin[message.id].name} translate {message.id!r} differently"
                )
            merged[message.id] = message
            origin[message.id] = po
    return merged


def select_language() -> str:
    """The language chosen with the switch, else the browser's preference, else Chinese."""
    chosen = session.get(SESSION_LANGUAGE)
    if chosen in LANGUAGES:
        return str(chosen)
    best = request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT_LANGUAGE)
    return str(best)


def current_language() -> str:
    """The current request's language as a key of :data:`LANGUAGES` (``zh_CN`` or ``en``)."""
    locale = get_locale()
    for code in LANGUAGES:
        if locale == Locale.parse(code):
            return code
    return DEFAULT_LANGUAGE


def init_app(app: Flask, data_dir: Path) -> None:
    """Compile the catalogues into ``data_dir/translations`` and set up Flask-Babel."""
    compiled = data_dir / "translations"
    compile_catalogues(SOURCES, compiled)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(compiled)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    Babel(app, locale_selector=select_language)

    @app.context_processor
    def languages() -> dict[str, object]:
        lang = current_language()
        return {"languages": LANGUAGES, "language": lang, "html_lang": lang.replace("_", "-")}
