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
