"""Settings built from a mapping of environment variables (pure: entry points pass os.environ)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot.shipped import KB_NAME, shipped_file

# The wheel's bundled knowledge base (or a checkout's knowledge/); POLICYBOT_KB overrides it.
DEFAULT_KB = shipped_file(KB_NAME)
DEFAULT_DB = Path("policybot.sqlite3")
# POLICYBOT_DB values that name a PostgreSQL database instead of an SQLite file
POSTGRES_SCHEMES = ("postgresql", "postgres")
DEFAULT_TELEGRAM_BASE_URL = "https://api.telegram.org/bot"
# Bot API tokens look like "123456789:AA…" (numeric bot id, colon, 30+ url-safe characters).
_TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{30,100}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# What httpx (python-telegram-bot's client) can tunnel through; socks5h resolves names remotely.
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
# How long `serve` keeps trying to reach the Bot API at start before it gives up (seconds).
DEFAULT_CONNECT_WINDOW = 120.0
# How long a SIGTERM'd `serve` goes on handling the updates in hand (Heroku kills after 30 s);
# those left are answered at the next start.
DEFAULT_STOP_GRACE = 20.0
# How long a reply whose connection never opened (Bot API unreachable) is retried, with capped
# exponential backoff, before it is given up.
DEFAULT_SEND_WINDOW = 180.0


class ConfigError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""


@dataclass(frozen=True)
class Settings:
    """Everything the bot reads from its environment."""

    kb_path: Path = DEFAULT_KB
    db_path: Path = DEFAULT_DB
    admins: frozenset[int] = frozenset()
    log_level: str = "WARNING"
    token: str | None = None
    telegram_base_url: str | None = None
    webhook_url: str | None = None
    port: int = 8443
    proxy: str | None = None
    connect_window: float = DEFAULT_CONNECT_WINDOW
    web_host: str = "127.0.0.1"
    web_port: int = 8080
    stop_grace: float = DEFAULT_STOP_GRACE
    send_window: float = DEFAULT_SEND_WINDOW
    db_url: str | None = None  # a postgresql:// URL: the shared store instead of db_path

    @property
    def database(self) -> Path | str:
        """What the store opens: the PostgreSQL URL when one is set, else the SQLite file."""
        return self.db_url or self.db_path

    @property
    def database_label(self) -> str:
        """The database as logs and messages show it: never a password."""
        if not self.db_url:
            return str(self.db_path)
        url = urlsplit(self.db_url)
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{url.hostname or ''}{port}{url.path}"  # as store.pg's label

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Build settings from `env`, raising ConfigError on an invalid value."""
        level = env.get("POLICYBOT_LOG_LEVEL", "WARNING").strip().upper() or "WARNING"
        if level not in _LOG_LEVELS:
            raise ConfigError(f"POLICYBOT_LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)}")
        port = _port(env, "PORT", 8443)
        web_port = _port(env, "POLICYBOT_WEB_PORT", 8080)
        db = (env.get("POLICYBOT_DB") or "").strip()
        db_url = db if urlsplit(db).scheme.lower() in POSTGRES_SCHEMES else None
        return cls(
            kb_path=Path(env.get("POLICYBOT_KB") or DEFAULT_KB),
            db_path=Path(env.get("POLICYBOT_DB") or DEFAULT_DB) if db_url is None else DEFAULT_DB,
            db_url=db_url,
            admins=parse_admins(env.get("POLICYBOT_ADMINS", "")),
            log_level=level,
            token=(env.get("TELEGRAM_BOT_TOKEN") or "").strip() or None,
            telegram_base_url=(env.get("POLICYBOT_TELEGRAM_BASE_URL") or "").strip() or None,
            webhook_url=(env.get("POLICYBOT_WEBHOOK_URL") or "").strip() or None,
            port=port,
            proxy=parse_proxy(env.get("POLICYBOT_PROXY", "")),
            connect_window=_seconds(env, "POLICYBOT_CONNECT_WINDOW", DEFAULT_CONNECT_WINDOW),
            web_host=(env.get("POLICYBOT_WEB_HOST") or "").strip() or "127.0.0.1",
            web_port=web_port,
            stop_grace=_seconds(env, "POLICYBOT_STOP_GRACE", DEFAULT_STOP_GRACE),
            send_window=_seconds(env, "POLICYBOT_SEND_WINDOW", DEFAULT_SEND_WINDOW),
        )

    def require_token(self) -> str:
        """Return the Telegram token, or raise ConfigError when it is missing or malformed."""
        if not self.token:
            raise ConfigError("TELEGRAM_BOT_TOKEN is not set (get one from @BotFather)")
        if not _TOKEN_RE.match(self.token):
            raise ConfigError("TELEGRAM_BOT_TOKEN is malformed (expected '<digits>:<secret>')")
        return self.token


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    text = env.get(name, "").strip() or str(default)
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ConfigError(f"{name} must be a TCP port number (1-65535)")
    return int(text)


def parse_admins(text: str) -> frozenset[int]:
    """Parse a comma-separated list of Telegram user ids."""
    ids: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise ConfigError(f"POLICYBOT_ADMINS must be comma-separated user ids, got {part!r}")
        ids.add(int(part))
    return frozenset(ids)


def webhook_secret(token: str) -> str:
    """The secret Telegram sends with every webhook call (derived, so nothing else to set)."""
    return hashlib.sha256(f"policybot-webhook:{token}".encode()).hexdigest()


def log_secrets(token: str) -> dict[str, str]:
    """What no log line may show, each with what to write instead (none without a token).

    The token, then its secret half alone (the part after the bot id: a URL-encoded token,
    `123%3AAA…`, still contains it), and the webhook secret derived from the token.
    """
    if not token:
        return {}
    half = token.partition(":")[2]
    return {token: "<token>", half: "<token>", webhook_secret(token): "<webhook secret>"}


def parse_proxy(text: str) -> str | None:
    """Check a proxy URL (http, https, socks5 or socks5h://[user:pass@]host:port)."""
    text = text.strip()
    if not text:
        return None
    url = urlsplit(text)
    try:
        port = url.port
    except ValueError:
        port = None
    if url.scheme.lower() not in PROXY_SCHEMES or not url.hostname or port is None:
        raise ConfigError(
            "POLICYBOT_PROXY must be a URL like http://127.0.0.1:3128 or socks5://127.0.0.1:1080"
            f" (schemes: {', '.join(PROXY_SCHEMES)})"
        )
    return text


def proxy_label(proxy: str) -> str:
    """The proxy as logs show it: scheme, host and port, never its password."""
    url = urlsplit(proxy)
    return f"{url.scheme}://{url.hostname}:{url.port}"


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 86400:
        raise ConfigError(f"{name} must be a number of seconds (0-86400)")
    return value
