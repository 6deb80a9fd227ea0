"""The dialogue core shared by console and Telegram: a villager's message in, a reply out.

`service` runs one turn (match, log, reply), `journal` writes it to the store, `reply` builds
the channel-neutral reply and its buttons (the answer's opening fitted to the question by
bot.knowledge.fit_opening), `context` remembers each chat's topic for
`followup` (with `excerpt`), `chitchat` knows typed menu words, small talk and requests for a
person, `flood` is the per-villager rate limit (`floodgate` counts it in the store that
webhook instances share), `kinds` names what a reply was and what a
tap asks for. Adapters use only these names.
"""

from bot.dialogue.context import CONTEXT_TTL, ContextMemory
from bot.dialogue.flood import FLOOD_LIMIT, FLOOD_WINDOW, FloodLimiter, Verdict
from bot.dialogue.floodgate import FloodGate
from bot.dialogue.journal import CHOSEN_BY_VILLAGER, User
from bot.dialogue.kinds import Said, Tap
from bot.dialogue.reply import Button, Reply, parse_callback
from bot.dialogue.service import DialogueService

__all__ = [
    "CHOSEN_BY_VILLAGER",
    "CONTEXT_TTL",
    "FLOOD_LIMIT",
    "FLOOD_WINDOW",
    "Button",
    "ContextMemory",
    "DialogueService",
    "FloodGate",
    "FloodLimiter",
    "Reply",
    "Said",
    "Tap",
    "User",
    "Verdict",
    "parse_callback",
]
