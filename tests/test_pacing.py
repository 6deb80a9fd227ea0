"""Telegram's limits as the README states them (issue 14.4): sliding windows overall and per
group, a 429 pausing only its chat, and a flooding chat's backlog bounded."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

from telegram import Chat, Update
from telegram.error import RetryAfter

from handlers.transport import ChatRateLimiter, PerChatUpdateProcessor, SlidingWindow


def most_in_any_window(times: list[float], period: float) -> int:
    times = sorted(times)
    return max(
        (sum(1 for u in times[i:] if u - t < period) for i, t in enumerate(times)), default=0
    )


async def _send_all(limiter: ChatRateLimiter, chats: list[int]) -> list[tuple[int, float]]:
    loop = asyncio.get_running_loop()
    sent: list[tuple[int, float]] = []

    async def callback(chat: int) -> bool:
        sent.append((chat, loop.time()))
        return True

    await asyncio.gather(
        *(
            limiter.process_request(callback, (c,), {}, "sendMessage", {"chat_id": c}, None)
            for c in chats
        )
    )
    return sent


async def test_the_overall_limit_holds_over_any_one_second_window() -> None:
    # a token bucket of 10/s let 20 through in the first second; the README promises the rate
    limiter = ChatRateLimiter(overall_per_second=10, chat_burst=100, chat_period=1)
    sent = await _send_all(limiter, list(range(1, 36)))
    assert len(sent) == 35
    assert most_in_any_window([t for _, t in sent], 1.0) <= 10


async def test_a_group_gets_at_most_its_limit_in_any_window() -> None:
    limiter = ChatRateLimiter(
        overall_per_second=1000, chat_burst=100, chat_period=1, group_per_minute=4, group_period=1
    )
    sent = await _send_all(limiter, [-100777] * 10 + list(range(1, 11)))
    group = [t for c, t in sent if c == -100777]
    assert len(group) == 10
    assert most_in_any_window(group, 1.0) <= 4
    # private chats are not held to the group's window
    assert max(t for c, t in sent if c > 0) < max(group)


async def test_a_429_pauses_its_own_chat_only() -> None:
    limiter = ChatRateLimiter(overall_per_second=1000, chat_burst=100, chat_period=1)
    order: list[str] = []
    tries = {"a": 0}

    async def callback(chat: str) -> bool:
        if chat == "a":
            tries["a"] += 1
            order.append(f"a{tries['a']}")
            if tries["a"] == 1:
                with warnings.catch_warnings():  # PTB 22 warns inside RetryAfter.__init__
                    warnings.simplefilter("ignore")
                    error = RetryAfter(1)
                raise error
        else:
            order.append(chat)
        return True

    async def send(chat: str, chat_id: int) -> Any:
        return await limiter.process_request(
            callback, (chat,), {}, "sendMessage", {"chat_id": chat_id}, None
        )

    first = asyncio.ensure_future(send("a", 1))
    await asyncio.sleep(0)  # chat a is told to wait first
    others = [send(f"b{i}", 100 + i) for i in range(10)]
    results = await asyncio.gather(first, *others)
    assert all(results)
    assert order[0] == "a1"
    assert order[-1] == "a2"  # everyone else went while chat a waited out its retry_after
    assert order.count("a2") == 1


async def test_a_flooding_chat_is_shed_beyond_its_share_and_others_go_first() -> None:
    processor = PerChatUpdateProcessor(max_concurrent_updates=4096, max_per_chat=5)
    release = asyncio.Event()
    done: list[int] = []

    async def handle(chat: int) -> None:
        if chat == 1:
            await release.wait()
        done.append(chat)

    def update(chat: int) -> Update:
        return Update(0, message=None)._replace_chat(chat)  # type: ignore[attr-defined]

    flood = [
        asyncio.ensure_future(processor.do_process_update(_Upd(1), handle(1))) for _ in range(200)
    ]
    other = asyncio.ensure_future(processor.do_process_update(_Upd(2), handle(2)))
    await asyncio.wait_for(other, timeout=30)  # not behind the flood
    assert done == [2]
    release.set()
    await asyncio.gather(*flood)
    assert done.count(1) == 5  # the flooder's share; the rest was shed
    assert processor.shed == 195


class _Upd(Update):
    """An Update whose effective chat is a given private chat."""

    def __init__(self, chat: int) -> None:
        super().__init__(update_id=chat)
        self._chat = Chat(chat, "private")

    @property
    def effective_chat(self) -> Chat:  # type: ignore[override]
        return self._chat


async def test_the_sliding_window_never_admits_more_than_its_limit() -> None:
    loop = asyncio.get_running_loop()
    window = SlidingWindow(3, 0.5)
    times = []
    for _ in range(9):
        await window.acquire()
        times.append(loop.time())
    assert most_in_any_window(times, 0.5) <= 3
