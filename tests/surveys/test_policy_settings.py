"""Survey settings: the domain rules by default, each one overridable in the configuration."""

from __future__ import annotations

import datetime as dt

import pytest

from hotline.config import load_config
from hotline.exceptions import ConfigError
from models.survey_policy import SurveySettings, active_settings, configure, settings_from_config

HOUR = dt.timedelta(hours=1)


def test_the_defaults_are_the_domain_rules() -> None:
    rules = settings_from_config(load_config(env={}))
    assert rules == SurveySettings()
    assert (rules.safety_window, rules.leak_window, rules.repair_window) == (
        48 * HOUR,
        72 * HOUR,
        48 * HOUR,
    )
    assert (rules.difficult_callback, rules.follow_up_due) == (24 * HOUR, 24 * HOUR)
    assert (rules.max_attempts, rules.calling_from, rules.calling_until) == (
        3,
        dt.time(9),
        dt.time(20),
    )
    assert rules.sample_tiers == ((301, 10), (100, 20), (0, 30))
    assert rules.inquiry_window is None


def test_every_rule_can_be_configured() -> None:
    config = load_config(
        env={
            "HOTLINE_SURVEY_MAX_ATTEMPTS": "5",
            "HOTLINE_SURVEY_RETRY_MINUTES": "45",
            "HOTLINE_SURVEY_DUE_HOURS": "safety=24, leak=96,repair=36,complaint=12,"
            "inquiry=48,difficult=12,follow_up=8,home=72",
            "HOTLINE_SURVEY_SAMPLE_PERCENT": "0=50,500=5",
        }
    )
    rules = settings_from_config(config)
    assert (rules.max_attempts, rules.retry_spacing) == (5, dt.timedelta(minutes=45))
    assert [
        rules.safety_window,
        rules.leak_window,
        rules.repair_window,
        rules.complaint_window,
        rules.inquiry_window,
        rules.difficult_callback,
        rules.follow_up_due,
        rules.home_service_window,
    ] == [h * HOUR for h in (24, 96, 36, 12, 48, 12, 8, 72)]
    assert rules.sample_tiers == ((500, 5), (0, 50))
    assert (rules.sample_size(499), rules.sample_size(500)) == (250, 25)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HOTLINE_SURVEY_DUE_HOURS", "safety"),
        ("HOTLINE_SURVEY_DUE_HOURS", "lifts=3"),
        ("HOTLINE_SURVEY_DUE_HOURS", "safety=two"),
        ("HOTLINE_SURVEY_SAMPLE_PERCENT", "many=10"),
        ("HOTLINE_SURVEY_SAMPLE_PERCENT", "100=120"),
        ("HOTLINE_SURVEY_MAX_ATTEMPTS", "0"),
    ],
)
def test_a_malformed_setting_is_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigError):
        settings_from_config(load_config(env={name: value}))


def test_configure_installs_the_settings_the_rules_use() -> None:
    try:
        configure(SurveySettings(max_attempts=7))
        assert active_settings().max_attempts == 7
    finally:
        configure(None)
    assert active_settings() == SurveySettings()
