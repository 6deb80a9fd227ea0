"""POLICYBOT_PROXY and an unreachable Bot API: the bot's traffic goes through the proxy, and
a Bot API out of reach is one line, backed-off retries and a non-zero exit, no traceback."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from bot.config import ConfigError, Settings, parse_proxy, proxy_label
from bot.review import Recipient
from bot.understand import Matcher
from handlers.outbox import bot_api_sender
from handlers.reach import HINT, BotApiUnreachable, reach_bot_api
from tests.fakes.botapi import TOKEN, message_update, running_fake, wait_until
from tests.fakes.proxy import running_proxy
from tests.fakes.telegram_app import running_bot
from tests.test_telegram_serve import free_port, serve_env, serve_once, serving, stop


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:3128", "https://proxy.lan:443", "socks5://u:p@127.0.0.1:1080"]
)
def test_proxy_urls_of_each_scheme_are_accepted(url: str) -> None:
    assert Settings.from_env({"POLICYBOT_PROXY": url}).proxy == url


@pytest.mark.parametrize("url", ["127.0.0.1:3128", "ftp://h:21", "http://h", "socks4://h:1"])
def test_a_proxy_that_is_no_proxy_url_is_a_config_error_naming_the_variable(url: str) -> None:
    with pytest.raises(ConfigError, match="POLICYBOT_PROXY must be a URL"):
        parse_proxy(url)


def test_the_proxy_password_never_reaches_a_log_line() -> None:
    assert proxy_label("socks5://villager:s3cret@10.0.0.1:1080") == "socks5://10.0.0.1:1080"


@pytest.mark.parametrize("scheme", ["http", "socks5"])
async def test_the_bot_reaches_the_bot_api_through_the_proxy(
    tmp_path: Path, matcher: Matcher, scheme: str
) -> None:
    with running_proxy() as proxy:
        url = proxy.url(scheme)
        async with running_bot(tmp_path, matcher, proxy=url) as bot:
            bot.fake.push(message_update(7001, text="低保咋申请"))
            await bot.wait_for(lambda: bool(bot.fake.messages(7001)))
        seen = proxy.methods()
    assert "低保" in bot.fake.messages(7001)[0].text
    assert {"getMe", "getUpdates", "sendMessage"} <= set(seen)
    assert {hop.target for hop in proxy.hops} == {f"127.0.0.1:{bot.fake.port}"}


async def test_editors_answers_sent_from_the_command_line_use_the_proxy_too() -> None:
    with running_fake() as fake, running_proxy() as proxy:
        settings = Settings(token=TOKEN, telegram_base_url=fake.base_url, proxy=proxy.url())
        done = await bot_api_sender(settings)([Recipient(1, "7002", "路灯归村委会管")])
        seen = proxy.methods()
    assert done.sent == (1,)
    assert "sendMessage" in seen


async def test_the_start_up_check_backs_off_until_the_bot_api_answers() -> None:
    with running_fake() as fake:
        fake.fail("getMe", times=3, status=502)
        settings = Settings(token=TOKEN, telegram_base_url=fake.base_url, connect_window=30)
        await reach_bot_api(settings, first_wait=0.1)
        tries = [c.at for c in fake.calls("getMe", ok=None)]
    waits = [b - a for a, b in itertools.pairwise(tries)]
    assert len(tries) == 4
    assert waits[0] >= 0.1
    assert waits[1] >= 0.2
    assert waits[2] >= 0.4


async def test_the_start_up_check_gives_up_after_its_window() -> None:
    settings = Settings(
        token=TOKEN, telegram_base_url=f"http://127.0.0.1:{free_port()}/bot", connect_window=0.5
    )
    started = time.monotonic()
    with pytest.raises(BotApiUnreachable, match="ConnectError") as info:
        await reach_bot_api(settings, first_wait=0.1)
    assert time.monotonic() - started < 5
    assert str(info.value).endswith(HINT)


@pytest.mark.slow  # a real `policybot serve` process
def test_serve_with_the_bot_api_refused_says_so_in_one_line_and_exits_3(tmp_path: Path) -> None:
    port = free_port()
    env = serve_env(tmp_path, None, POLICYBOT_CONNECT_WINDOW="1", POLICYBOT_LOG_LEVEL="INFO")
    env["POLICYBOT_TELEGRAM_BASE_URL"] = f"http://127.0.0.1:{port}/bot"
    done = serve_once(env)
    assert done.returncode == 3
    assert "Traceback" not in done.stderr + done.stdout
    warned = [line for line in done.stderr.splitlines() if "cannot reach the Bot API" in line]
    assert len(warned) == 2, done.stderr  # the first failure, then giving up
    last = done.stderr.splitlines()[-1]
    assert last.startswith(f"policybot: cannot reach the Bot API at 127.0.0.1:{port}: ")
    assert "ConnectError" in last
    assert "gave up after 1 s" in last
    assert last.endswith("set POLICYBOT_PROXY if Telegram is filtered here")
    assert TOKEN.split(":")[1] not in done.stderr


@pytest.mark.slow  # a real `policybot serve` process
def test_serve_through_a_refused_proxy_names_the_proxy_but_not_its_password(
    tmp_path: Path,
) -> None:
    port = free_port()
    with running_fake() as fake:
        env = serve_env(
            tmp_path,
            fake,
            POLICYBOT_CONNECT_WINDOW="0.5",
            POLICYBOT_PROXY=f"http://county:s3cret@127.0.0.1:{port}",
        )
        done = serve_once(env)
    assert done.returncode == 3
    assert "Traceback" not in done.stderr
    assert f"via http://127.0.0.1:{port}: " in done.stderr.splitlines()[-1]
    assert "s3cret" not in done.stderr
    assert fake.calls(ok=None) == []


@pytest.mark.slow  # a real `policybot serve` process
def test_serve_as_a_process_goes_through_the_proxy(tmp_path: Path) -> None:
    with running_fake() as fake, running_proxy() as proxy:
        env = serve_env(tmp_path, fake, POLICYBOT_PROXY=proxy.url("socks5"))
        with serving(tmp_path, env) as proc:
            fake.push(message_update(7003, text="雨露计划补多少钱"))
            assert wait_until(lambda: bool(fake.messages(7003)), timeout=60)
            code = stop(proc)
        seen = proxy.methods()
    assert code == 0
    assert seen[0] == "getMe"  # the start-up check, before PTB's own start
    assert {"getUpdates", "sendMessage"} <= set(seen)
    assert "Traceback" not in (tmp_path / "serve.log").read_text(encoding="utf-8")
