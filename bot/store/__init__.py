"""The only package that speaks SQL (aiosqlite, or asyncpg for a postgresql:// URL): the
question log, feedback, the editors' queue and the schema with its migrations.

Each name is imported from its module on first use (PEP 562): a command that never opens the
log (`policybot match`, `kb check`, `--help`) does not load its drivers and SQL.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.store.boundary import StoreUnavailable
    from bot.store.checkup import StoreUnhealthy, probe
    from bot.store.copy import CopyRefused, copy_to_postgres
    from bot.store.flood import FloodCount
    from bot.store.lease import Held, instance_lease
    from bot.store.log import BACKLOG_LIMIT, BUSY_TIMEOUT, RETRY_INTERVAL, Store
    from bot.store.migrations import MIGRATIONS, SCHEMA_VERSION
    from bot.store.pg import is_postgres_url
    from bot.store.records import (
        CHOSEN_BY_VILLAGER,
        FAILED,
        IGNORED,
        OPEN,
        PENDING,
        QUEUE_STATES,
        RESOLVED,
        SENT,
        SKIPPED,
        AuditEntry,
        Logged,
        LoggedQuestion,
        OutcomeCounts,
        QuestionRecord,
        storable,
    )
    from bot.store.retention import Purge
    from bot.store.schema import CorruptDatabase, NotOurDatabase, migrate

# the module of each public name
_HOME = {
    "AuditEntry": "records",
    "BACKLOG_LIMIT": "log",
    "BUSY_TIMEOUT": "log",
    "CHOSEN_BY_VILLAGER": "records",
    "CopyRefused": "copy",
    "CorruptDatabase": "schema",
    "FAILED": "records",
    "FloodCount": "flood",
    "Held": "lease",
    "IGNORED": "records",
    "Logged": "records",
    "LoggedQuestion": "records",
    "MIGRATIONS": "migrations",
    "NotOurDatabase": "schema",
    "OPEN": "records",
    "OutcomeCounts": "records",
    "PENDING": "records",
    "Purge": "retention",
    "QUEUE_STATES": "records",
    "QuestionRecord": "records",
    "RESOLVED": "records",
    "RETRY_INTERVAL": "log",
    "SCHEMA_VERSION": "migrations",
    "SENT": "records",
    "SKIPPED": "records",
    "Store": "log",
    "StoreUnavailable": "boundary",
    "StoreUnhealthy": "checkup",
    "copy_to_postgres": "copy",
    "instance_lease": "lease",
    "is_postgres_url": "pg",
    "migrate": "schema",
    "probe": "checkup",
    "storable": "records",
}

__all__ = [
    "BACKLOG_LIMIT",
    "BUSY_TIMEOUT",
    "CHOSEN_BY_VILLAGER",
    "FAILED",
    "IGNORED",
    "MIGRATIONS",
    "OPEN",
    "PENDING",
    "QUEUE_STATES",
    "RESOLVED",
    "RETRY_INTERVAL",
    "SCHEMA_VERSION",
    "SENT",
    "SKIPPED",
    "AuditEntry",
    "CopyRefused",
    "CorruptDatabase",
    "FloodCount",
    "Held",
    "Logged",
    "LoggedQuestion",
    "NotOurDatabase",
    "OutcomeCounts",
    "Purge",
    "QuestionRecord",
    "Store",
    "StoreUnavailable",
    "StoreUnhealthy",
    "copy_to_postgres",
    "instance_lease",
    "is_postgres_url",
    "migrate",
    "probe",
    "storable",
]


def __getattr__(name: str) -> object:
    """A public name, imported from its module the first time it is asked for."""
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
