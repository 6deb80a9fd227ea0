"""A Telegram Bot API stand-in on 127.0.0.1 (stdlib http.server in a thread).

It serves getMe, deleteWebhook, getUpdates (from a queue the test fills, honouring `offset`,
`limit` and long-poll `timeout`), records every call (sendMessage, editMessageText,
answerCallbackQuery, sendPhoto, sendDocument, …) with its form-encoded or multipart parameters
(an uploaded file as its bytes), and can be told to answer the next calls of a method with 429
retry_after, 5xx, 403, after a delay or with a garbled body, and can refuse every connection
for a while (`outage`: a Bot API outage, where a request provably never reaches Telegram).
"""

from __future__ import annotations

import email.parser
import email.policy
import itertools
import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "123456789:AAtestTOKENtestTOKENtestTOKENtest123"
BOT_ID = 123456789
BOT_USERNAME = "policy_test_bot"
# Parameters that PTB sends JSON-encoded (everything else stays a string).
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "commands",
        "allowed_updates",
        "scope",
    }
)
_INT_PARAMS = frozenset({"chat_id", "message_id", "offset", "limit", "timeout", "user_id"})


@dataclass(frozen=True)
class Call:
    """One request the bot made: method, decoded parameters, HTTP status we answered."""

    method: str
    params: dict[str, Any]
    status: int
    at: float
    token: str

    @property
    def ok(self) -> bool:
        """Whether the call succeeded (Telegram would have delivered it)."""
        return self.status == 200

    @property
    def chat_id(self) -> int | None:
        """The chat this call went to, if any."""
        value = self.params.get("chat_id")
        return value if isinstance(value, int) else None

    @property
    def text(self) -> str:
        """The message text (sendMessage / editMessageText) or callback answer text."""
        return str(self.params.get("text", ""))

    def buttons(self) -> list[tuple[str, str]]:
        """The inline keyboard as (label, callback_data), row by row flattened."""
        markup = self.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return [(b.get("text", ""), b.get("callback_data", "")) for row in rows for b in row]

    def button_rows(self) -> list[list[tuple[str, str]]]:
        """The inline keyboard as rows of (label, callback_data)."""
        markup = self.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return [[(b.get("text", ""), b.get("callback_data", "")) for b in row] for row in rows]


@dataclass
class Fault:
    """How to answer the next matching calls instead of succeeding."""

    method: str
    times: int
    status: int = 200
    retry_after: int | None = None
    description: str = ""
    delay: float = 0.0
    chat_id: int | None = None
    garbled: bool = False  # answer 200 with a body that is not JSON (the call is delivered)

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        """Whether this fault applies to a call."""
        if self.times <= 0 or method != self.method:
            return False
        return self.chat_id is None or params.get("chat_id") == self.chat_id


@dataclass
class _State:
    updates: list[dict[str, Any]] = field(default_factory=list)
    confirmed: int = 0  # the highest offset getUpdates was called with
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    message_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))
    webhook: dict[str, Any] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many villagers at once: the default backlog of 5 resets them

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the bot hung up (stopped, or gave up after a read timeout)
        super().handle_error(request, client_address)


class FakeBotAPI:
    """The fake server; use as a context manager or call start()/stop()."""

    def __init__(
        self, *, token: str = TOKEN, accept_token: bool = True, keep_alive: bool = True
    ) -> None:
        """Serve the bot with `token`; `accept_token=False` answers every call with 401;
        `keep_alive=False` closes each connection after its answer (so that an `outage`
        refuses every request made during it: none can come on a connection opened before)."""
        self.token = token
        self.accept_token = accept_token
        self.keep_alive = keep_alive
        self.reopened = threading.Event()
        self.reopened.set()
        self._outage_at_batch: float | None = None
        self._state = _State()
        self._cond = threading.Condition()
        self._update_ids = itertools.count(1)
        self._stopping = False
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = self._serving_thread()

    def _serving_thread(self) -> threading.Thread:
        # shutdown() waits for serve_forever to look up, which it does every poll_interval
        return threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeBotAPI:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and wake every long poll."""
        self.reopened.wait(timeout=120)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def outage(self, seconds: float) -> None:
        """Refuse every new connection for `seconds` from now (the listening socket is closed,
        then opened again on the same port); returns at once, `reopened` is set after it.
        Requests already being answered are answered; long polls end empty at once."""
        self.reopened.clear()
        self._server.shutdown()
        self._server.socket.close()
        with self._cond:
            self._cond.notify_all()

        def reopen() -> None:
            time.sleep(seconds)
            self._server.socket = socket.socket(self._server.address_family, socket.SOCK_STREAM)
            self._server.server_bind()  # the same port (SO_REUSEADDR)
            self._server.server_activate()
            self._thread = self._serving_thread()
            self._thread.start()
            self.reopened.set()

        threading.Thread(target=reopen, daemon=True).start()

    def outage_at_next_batch(self, seconds: float) -> None:
        """Begin an `outage` of `seconds` as the next batch of updates is handed out: its
        replies are all refused, deterministically (none could connect before it began)."""
        with self._cond:
            self._outage_at_batch = seconds

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """What to pass to ApplicationBuilder().base_url(…)."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- what the test does ------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queue one update (its update_id is assigned here) and return the id."""
        with self._cond:
            update = {"update_id": next(self._update_ids), **update}
            self._state.updates.append(update)
            self._cond.notify_all()
            return int(update["update_id"])

    def fail(
        self,
        method: str,
        *,
        times: int = 1,
        status: int = 500,
        retry_after: int | None = None,
        description: str = "",
        delay: float = 0.0,
        chat_id: int | None = None,
        garbled: bool = False,
    ) -> None:
        """Answer the next `times` calls of `method` (to `chat_id`, if given) with a fault.

        status 200 with `delay` answers successfully but late (the call is delivered);
        `garbled` answers 200 with a body that is not JSON (delivered too).
        """
        if garbled:
            status = 200
        if status == 429 and retry_after is None:
            retry_after = 1
        if not description:
            description = {
                429: f"Too Many Requests: retry after {retry_after}",
                403: "Forbidden: bot was blocked by the user",
                400: "Bad Request: something is wrong",
                500: "Internal Server Error",
                502: "Bad Gateway",
            }.get(status, f"Error {status}")
        fault = Fault(method, times, status, retry_after, description, delay, chat_id, garbled)
        with self._cond:
            self._state.faults.append(fault)

    def calls(
        self, method: str | None = None, *, chat_id: int | None = None, ok: bool | None = True
    ) -> list[Call]:
        """Recorded calls, oldest first (by default only the successful ones)."""
        with self._cond:
            calls = list(self._state.calls)
        return [
            c
            for c in calls
            if (method is None or c.method == method)
            and (chat_id is None or c.chat_id == chat_id)
            and (ok is None or c.ok == ok)
        ]

    def messages(self, chat_id: int | None = None) -> list[Call]:
        """Delivered sendMessage calls (to one chat, if given)."""
        return self.calls("sendMessage", chat_id=chat_id)

    def pending_updates(self) -> int:
        """How many pushed updates the bot has not confirmed yet."""
        with self._cond:
            return sum(1 for u in self._state.updates if u["update_id"] >= self._state.confirmed)

    @property
    def webhook(self) -> dict[str, Any]:
        """The parameters of the last setWebhook call."""
        with self._cond:
            return dict(self._state.webhook)

    # -- the HTTP side -----------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as api.telegram.org

            def do_POST(self) -> None:
                fake._serve(self)

            def do_GET(self) -> None:
                fake._serve(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        token, _, method = request.path.lstrip("/").partition("/")
        token = token.removeprefix("bot")
        params = _decode(request)
        if not self.accept_token or token != self.token:
            self._respond(
                request, 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
            )
            self._record(method, params, 401, token)
            return
        fault = self._take_fault(method, params)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.status != 200:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": fault.status,
                "description": fault.description,
            }
            if fault.retry_after is not None:
                body["parameters"] = {"retry_after": fault.retry_after}
            self._record(method, params, fault.status, token)
            self._respond(request, fault.status, body)
            return
        if method == "getUpdates":
            result: Any = self._get_updates(params)
            with self._cond:
                seconds, self._outage_at_batch = self._outage_at_batch, None
            if seconds is not None and not result:
                with self._cond:
                    self._outage_at_batch = seconds  # not this one: it is empty
            elif seconds is not None:
                self.outage(seconds)
        else:
            result = self._result(method, params)
        self._record(method, params, 200, token)
        if fault is not None and fault.garbled:
            self._respond(request, 200, b"<html>502 Bad Gateway</html>")  # a proxy's page
            return
        self._respond(request, 200, {"ok": True, "result": result})

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        with self._cond:
            for fault in self._state.faults:
                if fault.matches(method, params):
                    fault.times -= 1
                    return fault
        return None

    def _record(self, method: str, params: dict[str, Any], status: int, token: str) -> None:
        with self._cond:
            self._state.calls.append(Call(method, params, status, time.monotonic(), token))
            self._cond.notify_all()

    def _respond(
        self, request: BaseHTTPRequestHandler, status: int, body: dict[str, Any] | bytes
    ) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()  # \u escapes
        try:
            request.send_response(status)
            request.send_header("Content-Type", "application/json")
            request.send_header("Content-Length", str(len(data)))
            if not self.keep_alive:
                request.send_header("Connection", "close")
                request.close_connection = True
            request.end_headers()
            request.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a read timeout the test asked for)

    def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self._cond:
            self._state.confirmed = max(self._state.confirmed, offset)
            self._state.updates = [u for u in self._state.updates if u["update_id"] >= offset]
            while not self._state.updates and not self._stopping and self.reopened.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(min(left, 0.5))
            return list(self._state.updates[:limit])

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "政策小助手",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method == "setWebhook":
            with self._cond:
                self._state.webhook = dict(params)
            return True
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method in ("sendMessage", "editMessageText", "sendPhoto", "sendDocument"):
            chat_id = params.get("chat_id")
            chat_type = "private" if isinstance(chat_id, int) and chat_id > 0 else "group"
            with self._cond:
                message_id = params.get("message_id") or next(self._state.message_ids)
            message: dict[str, Any] = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": chat_type},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "政策小助手"},
            }
            if "text" in params:
                message["text"] = params["text"]
            if isinstance(params.get("reply_markup"), dict):
                message["reply_markup"] = params["reply_markup"]
            return message
        return True


def _decode(request: BaseHTTPRequestHandler) -> dict[str, Any]:
    length = int(request.headers.get("Content-Length") or 0)
    body = request.rfile.read(length) if length else b""
    ctype = request.headers.get("Content-Type", "")
    raw: dict[str, str] = {}
    files: dict[str, bytes] = {}
    if ctype.startswith("application/x-www-form-urlencoded"):
        raw = dict(parse_qsl(body.decode(), keep_blank_values=True))
    elif ctype.startswith("multipart/form-data"):
        head = f"Content-Type: {ctype}\r\n\r\n".encode()
        parsed = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in parsed.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str):
                payload = part.get_payload(decode=True)
                if part.get_filename() is not None and isinstance(payload, bytes):
                    files[name] = payload  # an uploaded photo or document: its bytes
                    continue
                raw[name] = payload.decode(errors="replace") if isinstance(payload, bytes) else ""
    elif ctype.startswith("application/json") and body:
        loaded = json.loads(body)
        raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in loaded.items()}
    params: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _JSON_PARAMS:
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
        elif key in _INT_PARAMS and value.lstrip("-").isdigit():
            params[key] = int(value)
        else:
            params[key] = value
    return params | files


# -- updates as Telegram sends them ------------------------------------------------------------

_message_ids = itertools.count(1)


def private_chat(user_id: int) -> dict[str, Any]:
    """The chat object of a villager's private chat with the bot."""
    return {"id": user_id, "type": "private", "first_name": f"村民{user_id}"}


def sender(user_id: int) -> dict[str, Any]:
    """The `from` object of a villager."""
    return {"id": user_id, "is_bot": False, "first_name": f"村民{user_id}", "language_code": "zh"}


# A regular sticker as Telegram sends it inside a message ("sticker" field).
STICKER = {
    "sticker": {
        "file_id": "s",
        "file_unique_id": "u",
        "type": "regular",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
    }
}


def message_update(
    user_id: int,
    *,
    text: str | None = None,
    chat: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    reply_to: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
    kind: str = "message",
) -> dict[str, Any]:
    """An update carrying one message from `user_id` (text, or `extra` fields for media)."""
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat or private_chat(user_id),
        "from": sender(user_id),
    }
    if text is not None:
        message["text"] = text
    if entities:
        message["entities"] = entities
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    message.update(extra or {})
    return {kind: message}


def command_update(
    user_id: int, command: str, *, chat: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An update with a bot command such as "/start" or "/reply 12 答案"."""
    name = command.split()[0]
    entity = {"type": "bot_command", "offset": 0, "length": len(name.encode("utf-16-le")) // 2}
    return message_update(user_id, text=command, chat=chat, entities=[entity])


def callback_update(
    user_id: int, data: str, *, message_id: int = 1, chat: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An update for a tap on an inline button of the bot's message `message_id`."""
    return {
        "callback_query": {
            "id": f"cb{next(_message_ids)}",
            "from": sender(user_id),
            "chat_instance": f"ci{user_id}",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat or private_chat(user_id),
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "政策小助手"},
                "text": "…",
            },
        }
    }


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll `predicate` from a synchronous test until it holds or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


@contextmanager
def running_fake(**kwargs: Any) -> Iterator[FakeBotAPI]:
    """A started fake, stopped on exit."""
    fake = FakeBotAPI(**kwargs).start()
    try:
        yield fake
    finally:
        fake.stop()
