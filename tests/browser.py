"""What every browser test shares: Chromium, its pages, and artifacts kept when a test fails.

Browser tests take the ``pages`` fixture and open their pages with :meth:`Pages.open`
(or :meth:`Pages.watch` for a tab opened from another page). A failing test leaves, per
page, a full-page screenshot, its HTML and its console log in ``test-artifacts/`` at the
top of the repository (or ``$HOTLINE_TEST_ARTIFACTS``), which CI keeps.

``tests/conftest.py`` imports the fixtures ``browser`` (Debian's Chromium, driven by the
``playwright`` package: a missing one skips the test locally and fails it under
``CI=true``) and ``pages``, and :func:`pytest_runtest_makereport`, so every test knows
whether it failed when its fixtures are torn down.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

CHROMIUM = os.environ.get("HOTLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(
    os.environ.get("HOTLINE_TEST_ARTIFACTS")
    or Path(__file__).resolve().parents[1] / "test-artifacts"
)


def unavailable(reason: str) -> None:
    """Skip the browser test; under ``CI=true`` fail it instead."""
    from tests.conftest import IN_CI  # not at the top: tests.conftest imports this module

    if IN_CI:
        pytest.fail(f"CI=true and {reason}: the browser tests may not be skipped")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium for a module's tests."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed")
    if not Path(CHROMIUM).exists():
        unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test (``report_setup``, ``report_call``)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def failed(request: pytest.FixtureRequest) -> bool:
    """Whether the test using this fixture failed (its setup or its body)."""
    reports = (getattr(request.node, f"report_{when}", None) for when in ("setup", "call"))
    return any(r is not None and r.failed for r in reports)


def listen(page: Any) -> list[str]:
    """The page's console messages and uncaught errors, collected from now on."""
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    return messages


def save_pages(
    request: pytest.FixtureRequest, pages: Mapping[str, Any], logs: Mapping[str, list[str]]
) -> list[Path]:
    """Screenshot, HTML and console log of each page, named after the test; the files."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^\w.\[\]-]+", "_", request.node.name)
    saved = []
    for name, page in pages.items():
        stem = ARTIFACTS / (test if name == "" else f"{test}.{name}")
        try:
            page.screenshot(path=f"{stem}.png", full_page=True)
            Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
        except Exception as exc:  # a closed or crashed page: keep what the others have
            Path(f"{stem}.error").write_text(str(exc), encoding="utf-8")
        Path(f"{stem}.log").write_text("\n".join(logs.get(name, [])), encoding="utf-8")
        saved.append(stem)
    return saved


class Pages:
    """Browser contexts opened by one test, each page saved if the test fails.

    ``base_url`` and ``locale`` are those of the pages :meth:`open` opens unless it is
    given others; a fixture may set them for its tests (a page with no base URL is given
    its content by the test).
    """

    def __init__(self, browser: Any, base_url: str | None = None, locale: str = "zh-CN") -> None:
        self.browser, self.base_url, self.locale = browser, base_url, locale
        self.pages: dict[str, Any] = {}
        self.logs: dict[str, list[str]] = {}
        self._contexts: list[Any] = []

    def open(self, name: str, *, base_url: str | None = None, locale: str | None = None) -> Any:
        """A new page in a context of its own (its own cookies: one person's browser)."""
        context = self.browser.new_context(
            base_url=base_url or self.base_url, locale=locale or self.locale
        )
        self._contexts.append(context)
        return self.watch(name, context.new_page())

    def watch(self, name: str, page: Any) -> Any:
        """Save ``page`` too on failure (a tab opened from another page)."""
        self.pages[name] = page
        self.logs[name] = listen(page)
        return page

    def errors(self) -> dict[str, list[str]]:
        """Uncaught script errors, by page."""
        found = {n: [m for m in log if m.startswith("pageerror")] for n, log in self.logs.items()}
        return {n: errors for n, errors in found.items() if errors}

    def finish(self, request: pytest.FixtureRequest) -> None:
        """Save the pages if the test failed, then close every context."""
        if failed(request):
            save_pages(request, self.pages, self.logs)
        for context in self._contexts:
            context.close()


@pytest.fixture
def pages(browser: Any, request: pytest.FixtureRequest) -> Iterator[Pages]:
    """The test's browser pages, each saved in test-artifacts/ if it fails.

    A fixture giving the server's URL takes ``pages`` after its server, so that the pages
    are saved and closed before the server stops.
    """
    opened = Pages(browser)
    try:
        yield opened
    finally:
        opened.finish(request)


def log_in(page: Any, login: str, then: str, timeout_ms: float = 10_000) -> None:
    """Through the login page, as a person would, as a demo agent (password ``<login>-demo``);
    returns once ``then`` is open."""
    page.goto(f"/auth/login?next={quote(then, safe='/')}")
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill(f"{login}-demo")
    page.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(re.escape(then) + "$"), timeout=timeout_ms)
