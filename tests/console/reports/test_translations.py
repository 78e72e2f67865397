"""Every message of the reports area reads in Chinese; the README defines every figure."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir

from agent_console.auth.i18n import SOURCES, merge_catalogues

AREA = Path(__file__).resolve().parents[3] / "agent_console"
METHODS = [("**.py", "python"), ("**.html", "jinja2")]


def _messages(folder: Path) -> set[str]:
    found = extract_from_dir(str(folder), METHODS, keywords={"_l": None, "_": None,
                                                              "lazy_gettext": None})  # fmt: skip
    return {m[2] if isinstance(m[2], str) else m[2][0] for m in found}


def test_every_message_of_the_reports_is_translated_into_chinese() -> None:
    wanted = _messages(AREA / "reports") | _messages(AREA / "templates" / "reports")
    folder = SOURCES / "zh_CN" / "LC_MESSAGES"
    catalog = merge_catalogues(sorted(folder.glob("*.po")), "zh_CN")
    translated = {m.id for m in catalog if m.id and m.string}
    assert len(wanted) > 100
    assert wanted - translated == set()


def test_the_readme_defines_every_figure_as_the_help_page_does() -> None:
    from agent_console.reports.definitions import FIGURES, MORNING

    readme = (AREA.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Reports") : readme.index("## Configuration")]
    for figure in FIGURES:
        assert f"| {figure.label} |" in section and str(figure.definition) in section
    for name, words in MORNING:
        assert f"**{name}**: {words}" in section
