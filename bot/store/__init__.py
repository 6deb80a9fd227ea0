"""The only package that speaks SQL (aiosqlite, or asyncpg for a postgresql:// URL): the
question log, feedback, the editors' queue and the schema with its migrations."""

from bot.store.boundary import StoreUnavailable
from bot.store.copy import CopyRefused, copy_to_postgres
from bot.store.flood import FloodCount
from bot.store.lease import Held, instance_lease
from bot.store.log import BACKLOG_LIMIT, BUSY_TIMEOUT, RETRY_INTERVAL, Store
from bot.store.migrations import MIGRATIONS, SCHEMA_VERSION
from bot.store.pg import is_postgres_url
from bot.store.probe import StoreUnhealthy, probe
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
