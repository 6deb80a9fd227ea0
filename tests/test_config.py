from pathlib import Path

import pytest

from bot.config import DEFAULT_KB, ConfigError, Settings

TOKEN = "123456789:" + "A" * 35


def test_defaults_work_locally_without_any_variable() -> None:
    s = Settings.from_env({})
    assert s.kb_path == DEFAULT_KB
    assert s.db_path == Path("policybot.sqlite3")
    assert s.admins == frozenset()
    assert s.token is None


def test_variables_are_read() -> None:
    s = Settings.from_env(
        {
            "POLICYBOT_KB": "/x/kb.yaml",
            "POLICYBOT_DB": "/x/db.sqlite3",
            "POLICYBOT_ADMINS": " 12, 34 ,",
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "POLICYBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",
            "POLICYBOT_LOG_LEVEL": "debug",
        }
    )
    assert s.kb_path == Path("/x/kb.yaml")
    assert s.db_path == Path("/x/db.sqlite3")
    assert s.admins == frozenset({12, 34})
    assert s.require_token() == TOKEN
    assert s.telegram_base_url == "http://127.0.0.1:9/bot"
    assert s.log_level == "DEBUG"


def test_stop_grace_defaults_to_20_seconds_and_is_read() -> None:
    assert Settings.from_env({}).stop_grace == 20.0
    assert Settings.from_env({"POLICYBOT_STOP_GRACE": "2.5"}).stop_grace == 2.5


def test_send_window_defaults_to_3_minutes_and_is_read() -> None:
    assert Settings.from_env({}).send_window == 180.0
    assert Settings.from_env({"POLICYBOT_SEND_WINDOW": "30"}).send_window == 30.0


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"POLICYBOT_ADMINS": "12,bob"}, "POLICYBOT_ADMINS"),
        ({"POLICYBOT_LOG_LEVEL": "LOUD"}, "POLICYBOT_LOG_LEVEL"),
        ({"PORT": "http"}, "PORT"),
        ({"POLICYBOT_STOP_GRACE": "soon"}, "POLICYBOT_STOP_GRACE"),
        ({"POLICYBOT_SEND_WINDOW": "-1"}, "POLICYBOT_SEND_WINDOW"),
    ],
)
def test_invalid_values_name_their_variable(env: dict[str, str], name: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(env)


@pytest.mark.parametrize("token", [None, "", "abc", "123:short", "12345:" + "x" * 40 + " y"])
def test_missing_or_malformed_token_is_a_config_error(token: str | None) -> None:
    env = {} if token is None else {"TELEGRAM_BOT_TOKEN": token}
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN"):
        Settings.from_env(env).require_token()


def test_a_postgresql_url_is_kept_whole_and_shown_without_its_password() -> None:
    url = "postgresql://bot:s3cret@db.example:5433/policybot"
    s = Settings.from_env({"POLICYBOT_DB": url})
    assert (s.db_url, s.database) == (url, url)
    assert s.database_label == "postgresql://db.example:5433/policybot"
    file = Settings.from_env({"POLICYBOT_DB": "/data/log.sqlite3"})
    assert (file.db_url, file.database, file.database_label) == (
        None,
        Path("/data/log.sqlite3"),
        "/data/log.sqlite3",
    )
