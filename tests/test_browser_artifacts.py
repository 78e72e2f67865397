"""The artifacts a failed browser test leaves (tests/browser.py), with stand-in pages."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest

from tests import browser


class FakePage:
    """What :func:`tests.browser.save_pages` uses of a Playwright page."""

    def __init__(self, html: str, broken: bool = False) -> None:
        self.html, self.broken = html, broken
        self.handlers: dict[str, Any] = {}

    def on(self, event: str, handler: Any) -> None:
        self.handlers[event] = handler

    def screenshot(self, path: str, full_page: bool) -> None:
        if self.broken:
            raise RuntimeError("Target page, context or browser has been closed")
        Path(path).write_bytes(b"\x89PNG")

    def content(self) -> str:
        return self.html


def request_for(name: str, **reports: bool) -> Any:
    node = types.SimpleNamespace(name=name)
    for when, did_fail in reports.items():
        setattr(node, f"report_{when}", types.SimpleNamespace(failed=did_fail))
    return types.SimpleNamespace(node=node)


def test_failed_reads_the_setup_and_call_reports() -> None:
    assert browser.failed(request_for("t", setup=False, call=True))
    assert browser.failed(request_for("t", setup=True))
    assert not browser.failed(request_for("t", setup=False, call=False))
    assert not browser.failed(request_for("t"))


def test_each_page_leaves_its_screenshot_html_and_console_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(browser, "ARTIFACTS", tmp_path / "artifacts")
    desk, phone = FakePage("<p>desk</p>"), FakePage("", broken=True)
    logs = {"desk": browser.listen(desk), "phone": browser.listen(phone)}
    desk.handlers["pageerror"]("ReferenceError: x is not defined")

    browser.save_pages(
        request_for("test_pop[sqlite]", call=True), {"desk": desk, "phone": phone}, logs
    )

    files = sorted(p.name for p in (tmp_path / "artifacts").iterdir())
    assert files == [
        "test_pop[sqlite].desk.html", "test_pop[sqlite].desk.log", "test_pop[sqlite].desk.png",
        "test_pop[sqlite].phone.error", "test_pop[sqlite].phone.log",
    ]  # fmt: skip
    log = (tmp_path / "artifacts" / "test_pop[sqlite].desk.log").read_text()
    assert log == "pageerror: ReferenceError: x is not defined"


class FakeContext:
    """What :class:`tests.browser.Pages` uses of a Playwright browser context."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options, self.closed = options, False

    def new_page(self) -> FakePage:
        return FakePage(f"<p>{self.options['base_url']}</p>")

    def close(self) -> None:
        self.closed = True


class FakeBrowser:
    def __init__(self) -> None:
        self.contexts: list[FakeContext] = []

    def new_context(self, **options: Any) -> FakeContext:
        self.contexts.append(FakeContext(options))
        return self.contexts[-1]


@pytest.mark.parametrize("failing", [True, False], ids=["failed", "passed"])
def test_pages_keep_every_page_of_a_failed_test_and_close_their_contexts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: bool
) -> None:
    monkeypatch.setattr(browser, "ARTIFACTS", tmp_path)
    chromium = FakeBrowser()
    pages = browser.Pages(chromium)
    pages.base_url = "http://127.0.0.1:5000"  # as a fixture sets its server's
    desk = pages.open("desk")
    pages.watch("tab", FakePage("<p>tab</p>"))
    pages.open("board", base_url="http://127.0.0.1:6000", locale="en")
    desk.handlers["pageerror"]("TypeError: x is null")

    assert [c.options for c in chromium.contexts] == [
        {"base_url": "http://127.0.0.1:5000", "locale": "zh-CN"},
        {"base_url": "http://127.0.0.1:6000", "locale": "en"},
    ]
    assert pages.errors() == {"desk": ["pageerror: TypeError: x is null"]}
    pages.finish(request_for("test_board", call=failing))

    saved = sorted(p.name for p in tmp_path.iterdir())
    stems = ["test_board.board", "test_board.desk", "test_board.tab"]
    assert saved == (
        sorted(f"{s}.{e}" for s in stems for e in ("html", "log", "png")) if failing else []
    )
    assert all(c.closed for c in chromium.contexts)


def test_only_tests_browser_opens_chromium_so_every_browser_test_keeps_its_pages() -> None:
    """A module launching Chromium or opening contexts of its own would save nothing."""
    root = Path(browser.__file__).parent
    own = [
        str(path.relative_to(root))
        for path in sorted(root.rglob("*.py"))
        if path.name != Path(__file__).name
        and any(
            word in path.read_text(encoding="utf-8")
            for word in ("sync_playwright", ".new_context(")
        )
    ]
    assert own == ["browser.py"]
