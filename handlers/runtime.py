"""What the handlers share at run time, kept in `Application.bot_data` (set in post_init)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.dialogue import DialogueService, FloodGate, User
from bot.store import Store
from handlers.confirmations import Confirmations

RUNTIME_KEY = "policybot.runtime"
# What every PTB callback of ours looks like.
Callback = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
CHANNEL = "telegram"


@dataclass(frozen=True)
class Runtime:
    """The dialogue service (with its store), the flood limit and who the staff are."""

    service: DialogueService
    flood: FloodGate  # shared by the instances on one store in webhook mode
    admins: frozenset[int]
    kb_path: Path
    # One delivery of editors' answers at a time: /reply and the periodic sweep would
    # otherwise both send an answer that is still pending.
    delivery_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # /reply and /ignore previews waiting for their 确认 button
    confirmations: Confirmations = field(default_factory=Confirmations)


def store_of(rt: Runtime) -> Store:
    """The question log behind the service (the bot always runs with one)."""
    if rt.service.store is None:
        raise RuntimeError("the bot runs without a store")
    return rt.service.store


def runtime(context: ContextTypes.DEFAULT_TYPE) -> Runtime:
    """Return the runtime stored by post_init."""
    value = context.bot_data.get(RUNTIME_KEY)
    if not isinstance(value, Runtime):
        raise RuntimeError("the bot is not initialised (post_init did not run)")
    return value


def villager(update: Update) -> User | None:
    """Who sent `update` and where replies go; None for updates without a chat or sender."""
    chat = update.effective_chat
    if chat is None:
        if update.callback_query is None:
            return None
        # An old or inline message: the villager's private chat has their user id.
        user_id = update.callback_query.from_user.id
        return User(CHANNEL, str(user_id), str(user_id))
    sender = update.effective_user
    user_id = sender.id if sender is not None else chat.id
    return User(CHANNEL, str(user_id), str(chat.id))
