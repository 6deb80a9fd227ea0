"""Telegram entry point (`policybot serve`): build the PTB Application and run it."""

from __future__ import annotations

import asyncio
import logging
import re
import warnings
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.error import InvalidToken, NetworkError, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.config import ConfigError, Settings, webhook_secret
from bot.dialogue import DialogueService, FloodGate, FloodLimiter
from bot.knowledge import load_knowledge
from bot.store import Store
from bot.understand import Matcher
from handlers import staff, villager
from handlers.confirmations import STAFF_BUTTON_PREFIX
from handlers.errors import drop_invalid_token_traceback, error_handler, redact_token
from handlers.healthz import Health, attach_health
from handlers.inbox import GracefulApplication, Inbox, InboxUpdateProcessor
from handlers.lease import Lease
from handlers.polling import TolerantBot
from handlers.reach import BotApiUnreachable, proxied, reach_bot_api, sending_request, where
from handlers.runtime import RUNTIME_KEY, Callback, Runtime
from handlers.runtime import villager as villager_of
from handlers.transport import ChatRateLimiter
from handlers.upkeep import KnowledgeWatch, upkeep_forever
from handlers.webhook import guard_webhook

logger = logging.getLogger(__name__)

# Edited messages are asked anew: a villager who fixes a typo wants the fixed question answered.
ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]
POLL_TIMEOUT = 10  # seconds Telegram holds getUpdates open when there is nothing new
# Startup tries getMe/deleteWebhook this often (1 s, 1.5 s, … up to 30 s apart) before giving up.
BOOTSTRAP_RETRIES = 10
UPKEEP_INTERVAL = 30.0  # seconds between sweeps: pending editor answers, an edited KB
_VILLAGER_COMMANDS = (("start", "开始"), ("menu", "按分类找政策"), ("help", "怎么用"))

PTBHandler = BaseHandler[Update, ContextTypes.DEFAULT_TYPE, Any]
PTBApplication = Application[Any, ContextTypes.DEFAULT_TYPE, Any, Any, Any, Any]


def serve(settings: Settings) -> int:
    """Run the Telegram bot until SIGTERM/SIGINT; return the exit code."""
    token = settings.require_token()
    redact_token(token)
    # A rejected token is reported below in one line; PTB would log it with a traceback first.
    logging.getLogger("telegram.ext").addFilter(drop_invalid_token_traceback)
    matcher = Matcher(load_knowledge(settings.kb_path))
    app = build_application(settings, matcher)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)  # run_polling/run_webhook carry on in this loop
    try:  # one line per failure and none of PTB's tracebacks when Telegram is out of reach
        loop.run_until_complete(reach_bot_api(settings))
    except BaseException:
        loop.close()
        raise
    try:
        if settings.webhook_url:
            url = urlsplit(settings.webhook_url)
            local = url.hostname in ("127.0.0.1", "localhost", "::1")
            logger.info("serving by webhook on port %s", settings.port)
            guard_webhook()  # the secret before the body, and the body capped
            app.run_webhook(
                # A webhook URL on this host can only be reached locally; anything else is
                # reached through the platform's router, which needs every interface.
                listen="127.0.0.1" if local else "0.0.0.0",
                port=settings.port,
                url_path=url.path.lstrip("/"),
                webhook_url=settings.webhook_url,
                secret_token=webhook_secret(token),
                allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=BOOTSTRAP_RETRIES,
            )
        else:
            logger.info("serving by long polling")
            app.run_polling(
                timeout=POLL_TIMEOUT,
                allowed_updates=ALLOWED_UPDATES,
                bootstrap_retries=BOOTSTRAP_RETRIES,
            )
    except InvalidToken:
        raise ConfigError(
            "TELEGRAM_BOT_TOKEN was rejected by Telegram (check it with @BotFather)"
        ) from None
    except NetworkError as exc:  # reached a moment ago, lost again during PTB's start-up
        raise BotApiUnreachable(f"lost the Bot API at {where(settings)}: {exc.message}") from None
    logger.info("stopped")
    return 0


def build_application(
    settings: Settings,
    matcher: Matcher,
    *,
    read_timeout: float = 10.0,
    upkeep_interval: float = UPKEEP_INTERVAL,
    flood: FloodLimiter | None = None,
    rate_limiter: ChatRateLimiter | None = None,
) -> PTBApplication:
    """Build the Application: handlers, rate limits, retries, store opened in post_init.

    `rate_limiter` defaults to Telegram's real limits; tests that are not about pacing pass a
    fast one so that they do not wait out one message a second per chat.
    """
    # PTB 22 warns from inside RetryAfter.__init__ on every 429 it parses (it reads its own
    # deprecated int `retry_after`); we never read that attribute, so the warning is noise.
    warnings.filterwarnings(
        "ignore", message=r".*`retry_after` will be of type", category=PTBDeprecationWarning
    )
    inbox = Inbox()
    lifecycle = _Lifecycle(
        settings, matcher, upkeep_interval, flood if flood is not None else FloodLimiter(), inbox
    )
    bot = TolerantBot(
        settings.require_token(),
        inbox=inbox,
        **({"base_url": settings.telegram_base_url} if settings.telegram_base_url else {}),
        request=sending_request(settings, read_timeout),
        get_updates_request=proxied(
            HTTPXRequest, settings, read_timeout=read_timeout, connection_pool_size=1
        ),
        rate_limiter=rate_limiter if rate_limiter is not None else ChatRateLimiter(),
    )
    app = (
        ApplicationBuilder()
        .application_class(GracefulApplication, {"stop_grace": settings.stop_grace})
        .bot(bot)
        .concurrent_updates(InboxUpdateProcessor(inbox))
        .post_init(lifecycle.post_init)
        .post_shutdown(lifecycle.post_shutdown)
        .build()
    )
    app.add_handler(flood_gate(), group=-1)
    app.add_handlers(build_handlers())
    app.add_error_handler(error_handler)
    return app


def flood_gate() -> PTBHandler:
    """The per-villager flood limit, in front of every handler (PTB's group -1).

    Counted: messages meant for the bot (private chats, commands, mentions and replies in
    groups) and button taps. Over the limit the first gets 「您发得太快了」, and the update goes
    no further (ApplicationHandlerStop): neither answered nor logged.
    """

    async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = villager_of(update)
        message, query = villager.incoming(update), update.callback_query
        if user is None:
            return
        if message is not None:
            command = (message.text or "").startswith("/")
            if not command and not villager.addressed(message, context):
                return
            chat_id = message.chat_id
        elif query is not None:
            chat_id = int(user.chat_id)
        else:
            return
        if await villager.admit(user, context, chat_id):
            return
        if query is not None:
            await villager.answer_quietly(query)
        raise ApplicationHandlerStop

    return TypeHandler(Update, gate)


def build_handlers() -> list[PTBHandler]:
    """Every handler, in the order PTB must try them."""
    new_messages = filters.UpdateType.MESSAGE
    edited = filters.UpdateType.EDITED_MESSAGE
    media = new_messages & ~filters.TEXT & ~filters.StatusUpdate.ALL
    commands: dict[str, Callback] = {
        "start": villager.start_handler,
        "menu": villager.menu_handler,
        "help": villager.help_handler,
        **staff.STAFF_COMMANDS,
    }
    return [
        *(CommandHandler(name, cb, filters=new_messages) for name, cb in commands.items()),
        _bare_commands(commands, new_messages & filters.ChatType.PRIVATE),
        MessageHandler(new_messages & filters.COMMAND, villager.unknown_command_handler),
        MessageHandler(new_messages & filters.TEXT, villager.question_handler),
        MessageHandler(edited & filters.TEXT & ~filters.COMMAND, villager.question_handler),
        MessageHandler(edited & filters.CAPTION, villager.non_text_handler),
        MessageHandler(media, villager.non_text_handler),
        CallbackQueryHandler(_tap_handler),
    ]


async def _tap_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Staff buttons ("s:…") to the staff handler, every other tap (even empty) to villagers'."""
    data = update.callback_query.data if update.callback_query else None
    for_staff = isinstance(data, str) and STAFF_BUTTON_PREFIX.match(data)
    await (staff.staff_button_handler if for_staff else villager.button_handler)(update, context)


def _bare_commands(commands: dict[str, Callback], only: filters.BaseFilter) -> PTBHandler:
    """Route "/start" sent without a bot_command entity (some clients, bridges) like a command.

    PTB's PrefixHandler would do, but it fails on whitespace-only text.
    """
    pattern = re.compile(rf"^/({'|'.join(commands)})(?:@\w+)?(?:\s|$)", re.IGNORECASE)

    async def bare_command_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        found = pattern.match(update.message.text or "") if update.message else None
        if found:
            await commands[found[1].lower()](update, context)

    return MessageHandler(only & filters.Regex(pattern), bare_command_handler)


class _Lifecycle:
    """Open the store when the bot starts, close it when it stops, deliver editor answers."""

    def __init__(
        self,
        settings: Settings,
        matcher: Matcher,
        upkeep_interval: float,
        flood: FloodLimiter,
        inbox: Inbox,
    ) -> None:
        self._inbox = inbox
        self._settings = settings
        self._matcher = matcher
        self._upkeep_interval = upkeep_interval
        self._flood = flood
        self._store: Store | None = None
        self._tasks: list[asyncio.Task[None]] = []
        webhook = bool(settings.webhook_url)
        self._lease = Lease.instance() if webhook else Lease.polling(settings.require_token())

    async def post_init(self, app: PTBApplication) -> None:
        # recover: a corrupt log is moved aside and a fresh one started; villagers come first
        self._store = await Store.open(self._settings.database, recover=True)
        webhook = bool(self._settings.webhook_url)
        await self._lease.take(self._store)  # polling: before the first getUpdates
        rt = app.bot_data[RUNTIME_KEY] = Runtime(
            # hand-offs only where someone reads them: the admins get each in a private chat
            service=DialogueService(
                self._matcher, self._store, handoff=bool(self._settings.admins)
            ),
            flood=FloodGate(self._flood, self._store if webhook else None),
            admins=self._settings.admins,
            kb_path=self._settings.kb_path,
        )
        logger.info("database %s open", self._settings.database_label)
        attach_health(app.bot, Health(self._settings, rt.service))  # GET /healthz (webhook)
        # webhook mode: each posted update is claimed by its id, so that of several instances
        # behind a load balancer one handles it; those of an instance that stopped (or was
        # killed: its lease ran out) are adopted by one survivor, never resumed at a start
        self._inbox.bind(self._store, self._lease.holder if webhook else None)
        await (self._inbox.adopt(app) if webhook else self._inbox.resume(app))
        try:
            await app.bot.set_my_commands([BotCommand(c, d) for c, d in _VILLAGER_COMMANDS])
        except TelegramError as exc:
            logger.warning("could not set the command menu: %s", exc)
        watch = await asyncio.to_thread(KnowledgeWatch, self._settings.kb_path)
        upkeep = upkeep_forever(app.bot, rt, watch, self._upkeep_interval)
        adopt = (lambda: self._inbox.adopt(app)) if webhook else None
        renew = self._lease.keep(self._store, app.stop_running, adopt)
        self._tasks = [
            asyncio.create_task(upkeep, name="policybot-upkeep"),
            asyncio.create_task(renew, name="policybot-lease"),
        ]

    async def post_shutdown(self, app: PTBApplication) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._store is not None:
            self._inbox.bind(None)
            attach_health(app.bot, None)
            await self._lease.drop(self._store)
            await self._store.close()
            self._store = None
            logger.info("database closed")
