"""Leases in the store, taken at the start and renewed: one long poller per bot token, and
each webhook instance's own (while it is alive, nobody adopts the updates it claimed).

Telegram lets one getUpdates run per token; a second poller makes it end the other's poll with
409 Conflict, both instances then keep getting it, and each update goes to whichever asked
last. A second `serve` in polling mode on the same store finds the first's lease, says so in
one line and exits (before its first getUpdates: the first never notices). The lease names
the token by a hash (never the token) and its holder by host and process id. It is dropped at
a clean stop and expires LEASE_SECONDS after its last renewal: an instance killed with SIGKILL
holds up a start on another host that long at most, and none on its own host (a restart by
systemd or docker), where its process is seen to be gone.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable

from bot.config import ConfigError
from bot.store import Store, StoreUnavailable, instance_lease

logger = logging.getLogger(__name__)

LEASE_SECONDS = 30
RENEW_EVERY = 10.0  # seconds: two renewals may fail before the lease runs out


class AnotherPoller(ConfigError):
    """Another instance is polling the same bot token (its lease is alive)."""


class Lease:
    """One lease this instance takes and renews: long polling's for a token, or its own."""

    def __init__(self, name: str, holder: str) -> None:
        """The lease `name`, held by `holder` (this process) once taken."""
        self.name = name
        self.holder = holder
        self.held = False

    @classmethod
    def polling(cls, token: str) -> Lease:
        """The lease on long polling `token` (named by a hash of it)."""
        return cls(f"polling:{hashlib.sha256(token.encode()).hexdigest()[:16]}", _holder())

    @classmethod
    def instance(cls) -> Lease:
        """A webhook instance's own lease: alive while it is held."""
        holder = _holder()
        return cls(instance_lease(holder), holder)

    async def take(self, store: Store) -> None:
        """Take the lease; raise AnotherPoller when another live instance holds it.

        When the store cannot be asked, the bot starts anyway (with a warning): villagers
        come first, and Telegram's own conflict errors still show two pollers.
        """
        try:
            held = await store.take_lease(self.name, self.holder, LEASE_SECONDS)
            if held is not None and _gone(held.holder):
                logger.warning("taking over long polling from %s (no longer running)", held.holder)
                held = await store.take_lease(
                    self.name, self.holder, LEASE_SECONDS, replacing=held.holder
                )
        except StoreUnavailable as exc:
            logger.warning("cannot check for another polling instance: %s", exc)
            self.held = True  # renewed as soon as the store is back
            return
        self.held = held is None
        if held is not None:
            raise AnotherPoller(
                f"another policybot serve ({held.holder}) is already long polling this bot's"
                f" token on this database; run one poller per token (several instances need"
                f" webhook mode). If it was killed, its lease runs out in {held.expires_in} s"
            )

    async def keep(
        self,
        store: Store,
        lost: Callable[[], object],
        renewed: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """Renew the lease every RENEW_EVERY seconds until cancelled (and then await
        `renewed`); call `lost` when another instance took it (this one was stalled past its
        expiry). Returns at once if not held."""
        failing = False
        while self.held:
            await asyncio.sleep(RENEW_EVERY)
            try:
                held = await store.take_lease(self.name, self.holder, LEASE_SECONDS)
            except StoreUnavailable as exc:
                if not failing:
                    logger.warning("cannot renew the polling lease: %s", exc)
                failing = True
                continue
            failing = False
            if held is not None:
                logger.error("another instance (%s) took over long polling: stopping", held.holder)
                self.held = False
                lost()
            elif renewed is not None:
                await renewed()

    async def drop(self, store: Store) -> None:
        """Give the lease up at a clean stop, so that the next start need not wait."""
        if not self.held:
            return
        self.held = False
        try:
            await store.drop_lease(self.name, self.holder)
        except StoreUnavailable as exc:
            logger.warning("cannot drop the polling lease (it runs out by itself): %s", exc)


def _holder() -> str:
    """This process's name in leases and the inbox: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _gone(holder: str) -> bool:
    """Whether `holder` was a process on this host that is no longer running (or whose id
    this process has now: a container's restarted process is pid 1 again)."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # someone else's process: alive
        return False
    return False
