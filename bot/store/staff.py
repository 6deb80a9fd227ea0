"""The workbench's accounts and its audit log of who answered, ignored or edited what."""

from __future__ import annotations

from bot.store.connection import Connection
from bot.store.driver import INTEGRITY_ERRORS
from bot.store.records import AuditEntry


class StaffStore(Connection):
    """Staff accounts and the audit log (a part of Store)."""

    async def add_staff(self, name: str, password_hash: str, at: str) -> bool:
        """Create the account `name`; return False when it exists already (nothing changes)."""
        try:
            async with self._transaction():
                await self._db.execute(
                    "INSERT INTO staff (name, password_hash, created_at) VALUES (?, ?, ?)",
                    (name, password_hash, at),
                )
        except INTEGRITY_ERRORS:
            return False
        return True

    async def set_staff_password(self, name: str, password_hash: str) -> bool:
        """Replace the password hash of `name`; return False when there is no such account."""
        async with self._transaction():
            changed = await self._db.execute(
                "UPDATE staff SET password_hash = ? WHERE name = ?", (password_hash, name)
            )
        return changed > 0

    async def staff_password_hash(self, name: str) -> str | None:
        """Return the stored password hash of `name`, or None when there is no such account."""
        row = await self._db.fetchone("SELECT password_hash FROM staff WHERE name = ?", (name,))
        return str(row[0]) if row else None

    async def record_audit(
        self, at: str, staff: str, action: str, target: str = "", detail: str = ""
    ) -> None:
        """Append one line to the audit log (it is never changed afterwards)."""
        async with self._transaction():
            await self._db.execute(
                "INSERT INTO audit (at, staff, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                (at, staff, action, target, detail),
            )

    async def audit_entries(self, *, limit: int = 100) -> list[AuditEntry]:
        """Return the latest `limit` lines of the audit log, newest first."""
        rows = await self._db.fetchall(
            "SELECT id, at, staff, action, target, detail FROM audit ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            AuditEntry(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]))
            for r in rows
        ]
