"""No log line shows the bot token or the webhook secret: in any form, under any command."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from urllib.parse import quote

import pytest

from bot.cli import main
from bot.config import log_secrets, webhook_secret
from bot.privacy import SecretFilter
from tests.fakes.botapi import TOKEN

SECRET = webhook_secret(TOKEN)
HALF = TOKEN.split(":")[1]


def scrubbed(record: logging.LogRecord) -> str:
    """The line a handler with the secret filter writes for `record`."""
    handler = logging.StreamHandler(stream := io.StringIO())
    handler.addFilter(SecretFilter(log_secrets(TOKEN)))
    handler.handle(record)
    return stream.getvalue()


def record(msg: str, *args: object, error: BaseException | None = None) -> logging.LogRecord:
    info = (type(error), error, error.__traceback__) if error is not None else None
    return logging.LogRecord("telegram.Bot", logging.DEBUG, __file__, 1, msg, args, info)


@pytest.mark.parametrize(
    "line",
    [
        record("Set Bot API URL: %s", f"https://api.telegram.org/bot{TOKEN}"),
        record(f"Set Bot API File URL: https://api.telegram.org/file/bot{TOKEN}"),
        record("GET %s", f"https://api.telegram.org/bot{quote(TOKEN, safe='')}/getMe"),
        record("GET https://api.telegram.org/bot%s", TOKEN.replace(":", "%3a")),
        record("the secret half alone: %s", HALF),
        record("setWebhook with parameters %s", {"url": "https://x/hook", "secret_token": SECRET}),
        record("failed", error=ValueError(f"The token `{TOKEN}` was rejected")),
    ],
    ids=["url", "file url", "percent-encoded", "lower-case %3a", "half", "setWebhook", "trace"],
)
def test_the_token_and_the_secret_are_scrubbed_in_every_form(line: logging.LogRecord) -> None:
    text = scrubbed(line)
    assert HALF not in text
    assert SECRET not in text
    assert "<token>" in text or "<webhook secret>" in text  # the line is kept, not dropped


def test_without_a_token_nothing_is_scrubbed() -> None:
    assert log_secrets("") == {}
    assert "" not in SecretFilter(log_secrets(""))._secrets


COMMANDS = [
    ["chat", "--no-greeting"],
    ["match"],
    ["health"],
    ["kb", "check"],
    ["log", "stats"],
    ["log", "unanswered"],
]


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_keeps_secrets_out_of_its_log(
    argv: list[str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # issue 14.6: the redaction was installed by `serve` alone, so `log resolve` (and any
    # command that builds a Bot, or logs a URL) printed the token at DEBUG
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "POLICYBOT_DB": str(tmp_path / "bot.sqlite3"),
        "POLICYBOT_LOG_LEVEL": "DEBUG",
    }
    out, err = io.StringIO(), io.StringIO()
    main(argv, env=env, stdin=io.StringIO(""), stdout=out, stderr=err)
    # what a library would log later in the same command (PTB, httpx at WARNING)
    logging.getLogger("telegram.Bot").warning("Set Bot API URL: %s", f"http://h/bot{TOKEN}")
    logging.getLogger("httpx").warning("POST http://h/bot%s/setWebhook %s", TOKEN, SECRET)
    logged = caplog.text + err.getvalue() + out.getvalue()
    assert "Set Bot API URL: http://h/bot<token>" in logged
    assert "<webhook secret>" in logged
    assert HALF not in logged
    assert SECRET not in logged
