"""Console adapter (`policybot chat`): the same dialogue core as Telegram, line by line."""

from __future__ import annotations

import asyncio
from typing import TextIO

from bot import messages
from bot.dialogue import Button, DialogueService, Reply, User

CONSOLE_USER = User("console", "local", "console")
_QUIT = {"/quit", "/exit", "退出"}
MAX_CHOICE_DIGITS = 2


def _stray_choice(text: str) -> bool:
    """A number of one or two digits that picks no button: meant as a choice, not a question.

    Longer numbers are left to the matcher (12317 is the 举报 line).
    """
    return text.isdigit() and len(text) <= MAX_CHOICE_DIGITS


def render(reply: Reply) -> tuple[str, list[Button]]:
    """Format a reply as text with numbered choices; return the text and the choices."""
    choices = [b for row in reply.buttons for b in row]
    lines = [reply.text]
    if choices:
        lines += [f"  {i}. {b.label}" for i, b in enumerate(choices, 1)]
        lines.append(messages.CONSOLE_CHOICE_HINT)
    return "\n".join(lines), choices


async def run_console(
    service: DialogueService,
    stdin: TextIO,
    stdout: TextIO,
    *,
    greet: bool = True,
    user: User = CONSOLE_USER,
) -> int:
    """Read questions from `stdin` until EOF and print each reply to `stdout`."""
    choices: list[Button] = []

    def show(reply: Reply) -> None:
        nonlocal choices
        text, choices = render(reply)
        stdout.write(text + "\n\n")
        stdout.flush()

    if greet:
        show(service.start())
    while True:
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            return 0
        text = line.strip()
        if not text:
            continue
        if text in _QUIT:
            return 0
        if text.isdigit() and choices and 1 <= int(text) <= len(choices):
            show(await service.press(choices[int(text) - 1].data, user))
        elif _stray_choice(text):  # not a question: a hint, not logged; the buttons stay
            hint = messages.CONSOLE_CHOICE_RANGE.format(n=len(choices)) if choices else None
            stdout.write((hint or messages.CONSOLE_NO_CHOICE) + "\n\n")
            stdout.flush()
        elif text in ("/start", "/menu", "/help"):
            show({"/start": service.start, "/menu": service.menu, "/help": service.help}[text]())
        else:
            show(await service.ask(text, user))
