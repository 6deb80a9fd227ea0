"""Who may use the workbench: scrypt password hashes, server-side sessions with a CSRF token
each, and a limit on failed logins per account and per address."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

# scrypt with OWASP's minimum (N=2^17, r=8, p=1 costs 128 MiB; 2^15 keeps 32 MiB per login,
# ~0.1 s): a stolen database does not give passwords away cheaply.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
SCRYPT_MAXMEM = 64 * 1024 * 1024
MIN_PASSWORD = 8
SESSION_SECONDS = 8 * 3600  # one working day, then log in again
MAX_FAILURES = 5
# Bounds on what strangers can make this process remember (each GET /login makes a session,
# each failed login remembers a name and an address).
MAX_SESSIONS = 10_000
MAX_LIMITED_KEYS = 10_000
LOCKOUT_SECONDS = 15 * 60


def hash_password(password: str) -> str:
    """The password's scrypt hash with a fresh salt, as `scrypt$N$r$p$salt$hash` (base64)."""
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return "$".join(
        ("scrypt", str(SCRYPT_N), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest))
    )


def verify_password(password: str, stored: str) -> bool:
    """Whether `password` matches a hash made by `hash_password` (constant-time compare)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(got, expected)


@functools.cache
def dummy_hash() -> str:
    """A hash to check unknown accounts against, so that timing does not tell which exist."""
    return hash_password(secrets.token_urlsafe(16))


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=SCRYPT_MAXMEM, dklen=32
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass
class Session:
    """One browser's session: its CSRF token and, once logged in, the staff member's name."""

    csrf: str
    expires: float
    staff: str | None = None
    notice: str = ""

    def take_notice(self) -> str:
        """The message for the next page (shown once)."""
        notice, self.notice = self.notice, ""
        return notice


@dataclass
class Sessions:
    """Sessions by random id, in this process's memory (a restart logs everybody out)."""

    lifetime: float = SESSION_SECONDS
    _by_id: dict[str, Session] = field(default_factory=dict)

    def new(self, staff: str | None = None) -> tuple[str, Session]:
        """A fresh session (a new id on every login: no session fixation)."""
        self._expire()
        if len(self._by_id) >= MAX_SESSIONS:
            self._drop_anonymous()
        sid = secrets.token_urlsafe(32)
        session = Session(secrets.token_urlsafe(32), time.monotonic() + self.lifetime, staff)
        self._by_id[sid] = session
        return sid, session

    def get(self, sid: str | None) -> Session | None:
        """The live session with id `sid`, or None."""
        session = self._by_id.get(sid or "")
        if session is None or session.expires < time.monotonic():
            return None
        return session

    def end(self, sid: str | None) -> None:
        """Forget session `sid` (log out)."""
        self._by_id.pop(sid or "", None)

    def _drop_anonymous(self) -> None:
        """Forget the sessions nobody logged in with (a login form open then asks once more)."""
        for sid in [sid for sid, session in self._by_id.items() if session.staff is None]:
            del self._by_id[sid]

    def _expire(self) -> None:
        now = time.monotonic()
        for sid in [s for s, session in self._by_id.items() if session.expires < now]:
            del self._by_id[sid]


def csrf_ok(session: Session, token: str) -> bool:
    """Whether a form's token is the session's (constant-time compare)."""
    return bool(token) and hmac.compare_digest(session.csrf.encode(), token.encode())


@dataclass
class LoginLimiter:
    """Refuse logins for an account or an address after `max_failures` failures within
    `window` seconds, until the window has passed (a success does not clear the address)."""

    max_failures: int = MAX_FAILURES
    window: float = LOCKOUT_SECONDS
    _failures: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def locked(self, *keys: str) -> bool:
        """Whether any of `keys` (account name, address) is locked out now."""
        return any(len(self._recent(key)) >= self.max_failures for key in keys)

    def failed(self, *keys: str) -> None:
        """Count one failed login against each of `keys`."""
        if len(self._failures) >= MAX_LIMITED_KEYS:
            for stale in [k for k in self._failures if not self._recent(k)]:
                del self._failures[stale]
        for key in keys:
            self._recent(key).append(time.monotonic())

    def succeeded(self, name_key: str) -> None:
        """Forget an account's failures after a good login."""
        self._failures.pop(name_key, None)

    def _recent(self, key: str) -> deque[float]:
        times = self._failures[key]
        while times and times[0] < time.monotonic() - self.window:
            times.popleft()
        return times
