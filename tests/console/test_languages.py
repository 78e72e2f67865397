"""The console in Chinese or English: from the browser, or as chosen with the switch."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from agent_console.auth.i18n import SOURCES
from tests.console.conftest import log_in

ENGLISH = "Hotline agent console"
CHINESE = "服务热线坐席工作台"


@pytest.mark.parametrize(
    ("accept", "title", "lang"),
    [
        ("en-US,en;q=0.9", ENGLISH, "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", CHINESE, "zh-CN"),
        ("zh-TW", CHINESE, "zh-CN"),
        ("fr-FR,en;q=0.5", ENGLISH, "en"),
        ("", CHINESE, "zh-CN"),  # a browser that says nothing: Chinese
    ],
)
def test_the_language_follows_the_browser(
    client: FlaskClient, accept: str, title: str, lang: str
) -> None:
    page = client.get("/auth/login", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f"<h1>{title}</h1>" in page and f'<html lang="{lang}">' in page


def test_the_switch_overrides_the_browser_and_lasts_across_login(client: FlaskClient) -> None:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'href="/language/en?next=/auth/login"' in page
    response = client.get("/language/en?next=/auth/login")
    assert response.location == "/auth/login"
    assert ENGLISH in client.get("/auth/login").get_data(as_text=True)
    log_in(client, "agent1")
    assert "Communities served" in client.get("/console/").get_data(as_text=True)
    client.get("/language/zh_CN")
    assert "负责的小区" in client.get("/console/").get_data(as_text=True)


def test_an_unknown_language_or_off_site_next_changes_nothing(client: FlaskClient) -> None:
    response = client.get("/language/xx?next=https://evil.example/")
    assert response.location == "/console/"
    with client.session_transaction() as session:
        assert "language" not in session


def test_every_message_of_the_template_is_translated_into_chinese() -> None:
    with (SOURCES / "messages.pot").open("rb") as fh:
        wanted = {m.id for m in read_po(fh) if m.id}
    with (SOURCES / "zh_CN" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert wanted <= translated


def test_the_catalogues_are_compiled_into_the_data_directory(client: FlaskClient) -> None:
    data_dir = Path(client.application.config["HOTLINE"].data_dir)
    assert (data_dir / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo").exists()
