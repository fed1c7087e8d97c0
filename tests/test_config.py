"""Configuration: defaults that run a bare checkout, and one clear line naming a broken variable."""

import pytest

from bot.config import ConfigError, load_settings
from tests.conftest import PROGRAMS_DIR

BASE = {"PROGRAMS_DIR": str(PROGRAMS_DIR)}


def test_defaults_run_without_any_credentials():
    settings = load_settings(BASE)
    assert settings.port == 3978
    assert settings.database_url == "sqlite+aiosqlite:///coaching.db"
    assert settings.slack is None
    assert settings.teams.app_id is None


def test_slack_over_http_and_socket_mode():
    http = load_settings(
        {**BASE, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "http://127.0.0.1:9/api"}
    )
    assert http.slack is not None and http.slack.app_token is None
    assert http.slack.api_url == "http://127.0.0.1:9/api/"
    socket = load_settings(
        {**BASE, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xapp-1"}
    )
    assert socket.slack is not None and socket.slack.app_token == "xapp-1"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url at all"}, "DATABASE_URL"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-user", "SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "ftp://x"}, "SLACK_API_URL"),
        ({"MICROSOFT_APP_PASSWORD": "p"}, "MICROSOFT_APP_ID"),
        ({"MICROSOFT_APP_ID": "id"}, "MICROSOFT_APP_PASSWORD"),
        ({"MICROSOFT_APP_TYPE": "Other"}, "MICROSOFT_APP_TYPE"),
        (
            {"MICROSOFT_APP_ID": "id", "MICROSOFT_APP_PASSWORD": "p", "MICROSOFT_APP_TYPE": "SingleTenant"},
            "MICROSOFT_APP_TENANT_ID",
        ),
        ({"PROGRAMS_DIR": "/nonexistent/programs"}, "PROGRAMS_DIR"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"LOG_FORMAT": "yaml"}, "LOG_FORMAT"),
    ],
)
def test_a_broken_setting_names_its_variable(env, variable):
    with pytest.raises(ConfigError) as error:
        load_settings({**BASE, **env})
    message = str(error.value)
    assert message.startswith(variable) or f" {variable} " in f" {message} "
    assert "\n" not in message


def test_log_format_is_text_by_default_or_json():
    assert load_settings(BASE).log_format == "text"
    assert load_settings({**BASE, "LOG_FORMAT": " JSON "}).log_format == "json"
    with pytest.raises(ConfigError, match=r"^LOG_FORMAT must be text or json, got 'logfmt'$"):
        load_settings({**BASE, "LOG_FORMAT": "logfmt"})


@pytest.mark.parametrize("typed", ["0", "3651", "thirty", "-5", "2.5", "３０"])
def test_dialog_idle_days_is_a_whole_number_from_1_to_3650(typed):
    assert load_settings(BASE).dialog_idle_days == 30
    assert load_settings({**BASE, "DIALOG_IDLE_DAYS": " 7 "}).dialog_idle_days == 7
    assert load_settings({**BASE, "DIALOG_IDLE_DAYS": "3650"}).dialog_idle_days == 3650
    with pytest.raises(ConfigError) as error:
        load_settings({**BASE, "DIALOG_IDLE_DAYS": typed})
    assert str(error.value) == f"DIALOG_IDLE_DAYS must be a whole number of days from 1 to 3650, got '{typed}'"
