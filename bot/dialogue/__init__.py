"""The dialogue core shared by console and Telegram: a villager's message in, a reply out.

`service` runs one turn (match, log, reply), `reply` builds the channel-neutral reply and its
buttons, `flood` is the per-villager rate limit. Adapters use only these names.
"""

from bot.dialogue.flood import FLOOD_LIMIT, FLOOD_WINDOW, FloodLimiter, Verdict
from bot.dialogue.reply import Button, Reply, parse_callback
from bot.dialogue.service import CHOSEN_BY_VILLAGER, DialogueService, User

__all__ = [
    "CHOSEN_BY_VILLAGER",
    "FLOOD_LIMIT",
    "FLOOD_WINDOW",
    "Button",
    "DialogueService",
    "FloodLimiter",
    "Reply",
    "User",
    "Verdict",
    "parse_callback",
]
