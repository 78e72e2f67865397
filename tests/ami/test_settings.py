"""HOTLINE_AMI_URL: the manager port and the credentials of one manager.conf user."""

from __future__ import annotations

import pytest

from hotline.exceptions import ConfigError
from ivr.ami.settings import AMISettings, parse_ami_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "ami://hotline:secret@127.0.0.1:5038",
            AMISettings("127.0.0.1", 5038, "hotline", "secret"),
        ),
        (
            "ami://hotline:secret@pbx.example.cn",
            AMISettings("pbx.example.cn", 5038, "hotline", "secret"),
        ),
        (
            "ami://hotline:s%40cr%3At%2F@10.0.0.5:15038/",
            AMISettings("10.0.0.5", 15038, "hotline", "s@cr:t/"),
        ),
        ("  ami://hotline:secret@[::1]:5038 ", AMISettings("::1", 5038, "hotline", "secret")),
    ],
)
def test_given_an_ami_url_then_host_port_user_and_secret_are_read(
    url: str, expected: AMISettings
) -> None:
    assert parse_ami_url(url) == expected


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hotline:secret@127.0.0.1:5038", "not 'ami'"),
        ("127.0.0.1:5038", "not 'ami'"),
        ("ami://hotline:secret@:5038", "no host"),
        ("ami://127.0.0.1:5038", "no user"),
        ("ami://hotline@127.0.0.1:5038", "no secret"),
        ("ami://hotline:secret@127.0.0.1:99999", "out of range"),
        ("ami://hotline:secret@127.0.0.1:port", "ami://"),
        ("ami://hotline:se/cret@127.0.0.1:5038", "ami://"),
        ("ami://hotline:secret@127.0.0.1:5038/asterisk?x=1", "path, query or fragment"),
    ],
)
def test_given_a_bad_ami_url_then_the_error_says_why_and_how_to_write_it(
    url: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_ami_url(url)
    message = str(caught.value)
    assert "HOTLINE_AMI_URL" in message
    assert reason in message
    assert "ami://USER:SECRET@HOST:5038" in message


def test_the_secret_is_never_repeated_in_errors_or_logs() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_ami_url("ami://hotline:topsecret@127.0.0.1:5038/oops")
    assert "topsecret" not in str(caught.value)
    settings = parse_ami_url("ami://hotline:topsecret@127.0.0.1:5038")
    assert "topsecret" not in str(settings) + repr(settings)
    assert str(settings) == "ami://hotline@127.0.0.1:5038"
