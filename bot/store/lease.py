"""Leases: a named right one instance holds for a while and renews (long polling's, one per
bot token), so that a second instance on the same store can tell that the first is alive.

A lease names its holder and when it expires; the holder renews it well before, and drops it
at a clean stop. An instance killed without dropping it holds it until it expires: the next
start waits that long at most, never for ever.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from bot.store.connection import Connection

INSTANCE = "instance:"  # a running instance's own lease: INSTANCE + its holder name
_READ = "SELECT holder, expires_at FROM leases WHERE name = ?"
_TAKE = "INSERT OR IGNORE INTO leases (name, holder, expires_at) VALUES (?, ?, ?)"
# compare and set: of two instances taking an expired lease at once, one changes the row
_MOVE = (
    "UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND holder = ? AND expires_at = ?"
)


@dataclass(frozen=True)
class Held:
    """A lease someone else holds: who, and seconds until it expires unless renewed."""

    holder: str
    expires_in: int


class LeaseStore(Connection):
    """Named leases (a part of Store)."""

    async def take_lease(
        self,
        name: str,
        holder: str,
        seconds: int,
        *,
        replacing: str | None = None,
        now: float | None = None,
    ) -> Held | None:
        """Take or renew the lease `name` for `seconds`; None when `holder` has it now.

        A lease another holder renewed and that has not expired yet is not taken (unless that
        holder is `replacing`, known dead): its holder and time left come back instead.
        """
        at = int(time.time() if now is None else now)
        async with self._transaction():
            row = await self._db.fetchone(_READ, (name,))
            if row is None:
                if await self._db.execute(_TAKE, (name, holder, at + seconds)):
                    return None
                row = await self._db.fetchone(_READ, (name,))  # another took it meanwhile
                if row is None:
                    return Held("?", seconds)
            was, until = str(row[0]), int(str(row[1]))
            if was not in (holder, replacing) and until > at:
                return Held(was, until - at)
            moved = await self._db.execute(_MOVE, (holder, at + seconds, name, was, until))
        return None if moved else Held("?", seconds)

    async def drop_lease(self, name: str, holder: str) -> None:
        """Give the lease up, if `holder` still has it (the next instance need not wait)."""
        async with self._transaction():
            await self._db.execute(
                "DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)
            )


def instance_lease(holder: str) -> str:
    """The name of the lease showing that instance `holder` is running."""
    return f"{INSTANCE}{holder}"
