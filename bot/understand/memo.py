"""What analysing the knowledge base's texts gave last time, kept so a restart need not redo it.

Building the matcher is mostly analysing every example question (normalise, then cut with
jieba): 0.8 s of the shipped knowledge base's start-up and most of a minute at 10,000 entries,
the same work at every start for texts that rarely change. The memo keeps, for each text, the
normalised text, its tokens and its compact form, in an SQLite file of the private cache folder.

A memo file belongs to one analysis: its name is a digest of everything the result depends on
(the understanding code itself, the jieba and OpenCC versions, the dictionary and the words,
synonyms and fillers added to it), so a changed lexicon or a code change starts a new file and
an old one can never answer for it. Texts are looked up one entry at a time and new analyses
written BATCH at a time, so memory stays flat however large the knowledge base. The memo is
only a shortcut: any trouble with the file (locked, corrupt, read-only, disk full) is logged
at DEBUG and the text is analysed as if there were no memo.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from bot.understand.analyze import Query
from bot.understand.cache import cache_dir, prune, touch

log = logging.getLogger(__name__)

# New analyses are written this many at a time while the matcher is built, so a cold build of
# a large knowledge base does not hold them all until save.
BATCH = 5000
# Texts looked up in one query. They go in as one JSON array, so every lookup is the same
# statement: an `IN (?, ?, …)` of each length was one more compiled statement held in the
# connection's cache (40 MB at 10,000 entries).
LOOKUP_MAX = 5000
_LOOKUP = (
    "SELECT text, norm, tokens, compact FROM analysed"
    " WHERE text IN (SELECT value FROM json_each(?))"
)
# Tokens are stored joined by this character, which analysis never leaves inside a token (it
# is whitespace to str.split, and normalisation turns it into a space).
_SEP = "\x1f"
_SCHEMA = "CREATE TABLE IF NOT EXISTS analysed (text TEXT PRIMARY KEY, norm TEXT, tokens TEXT, compact TEXT) WITHOUT ROWID"  # noqa: E501


def code_digest() -> str:
    """A digest of the understanding code (every module of this package) and its libraries."""
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in ("jieba", "opencc"):
        h.update(f"{name}={_version(name)}".encode())
    return h.hexdigest()


def _version(name: str) -> str:
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "?"


class AnalysisMemo:
    """The memo of one analysis (`key`): look texts up, add what was analysed anew, save."""

    def __init__(self, key: str, folder: Path | None = None) -> None:
        """Open (or start) the memo file of `key`; a memo that cannot be opened stays empty."""
        self._pending: list[tuple[str, str, str, str]] = []
        # read ahead by `prefetch`: the rows found, and every text it asked for
        self._ready: dict[str, Query] = {}
        self._asked: set[str] = set()
        self._db: sqlite3.Connection | None = None
        self.path = (folder or cache_dir()) / f"analysis-{key[:24]}.sqlite3"
        try:
            self._open()
        except sqlite3.DatabaseError as exc:  # not an SQLite file (truncated, overwritten)
            log.debug("analysis memo %s unreadable, started anew: %s", self.path, exc)
            self._close()
            try:
                self.path.unlink(missing_ok=True)
                self._open()
            except (sqlite3.Error, OSError) as again:
                self._drop(again)
        except (sqlite3.Error, OSError) as exc:
            self._drop(exc)

    def _open(self) -> None:
        fresh = not self.path.exists()
        self._db = sqlite3.connect(self.path, timeout=2.0, isolation_level=None)
        self._db.execute(_SCHEMA)
        if fresh:
            prune(self.path, "analysis-*.sqlite3")  # other KBs' words, older code
        else:
            touch(self.path)  # most recently used: the last to be pruned

    def prefetch(self, texts: Iterable[str]) -> None:
        """Read the rows of `texts` ahead, in a few queries, for the `analysed` calls to come
        (at 10,000 entries, one query per entry was a sixth of a warm start)."""
        self._ready, self._asked = {}, set(texts)
        wanted = list(self._asked)
        for start in range(0, len(wanted), LOOKUP_MAX):
            self._ready.update(self._lookup(wanted[start : start + LOOKUP_MAX]))

    def analysed(self, texts: Sequence[str], analyse: Callable[[str], Query]) -> list[Query]:
        """The analysis of each of `texts`: from the memo, else `analyse` (then remembered)."""
        ready = self._ready
        rest = [t for t in texts if t not in ready and t not in self._asked]
        known = self._lookup(rest) if rest else {}
        known.update((t, ready[t]) for t in texts if t in ready)
        out = []
        for text in texts:
            query = known.get(text)
            if query is None:
                query = known[text] = analyse(text)
                if not any(_SEP in t for t in query.tokens):
                    row = (text, query.text, _SEP.join(query.tokens), query.compact)
                    self._pending.append(row)
            out.append(query)
        if len(self._pending) >= BATCH:
            self._flush()
        return out

    def _lookup(self, texts: Sequence[str]) -> dict[str, Query]:
        if self._db is None or not texts:
            return {}
        try:
            rows = self._db.execute(_LOOKUP, (json.dumps(texts, ensure_ascii=False),)).fetchall()
        except sqlite3.Error as exc:
            self._drop(exc)
            return {}
        return {t: Query(n, tuple(k.split(_SEP)) if k else (), c) for t, n, k, c in rows}

    def save(self) -> None:
        """Write what is still pending and close the file."""
        self._flush()
        try:
            self._close()
        except sqlite3.Error as exc:
            log.debug("analysis memo %s not closed: %s", self.path, exc)

    def _flush(self) -> None:
        """Write what was analysed anew (one transaction); on trouble, stop using the memo."""
        pending, self._pending = self._pending, []
        if self._db is None or not pending:
            return
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("INSERT OR IGNORE INTO analysed VALUES (?, ?, ?, ?)", pending)
        except sqlite3.Error as exc:
            log.debug("analysis memo %s not saved: %s", self.path, exc)
            self._close()

    def _drop(self, exc: BaseException) -> None:
        log.debug("analysis memo %s not used: %s", self.path, exc)
        self._close()

    def _close(self) -> None:
        db, self._db = self._db, None
        if db is not None:
            db.close()


def analyse_each(texts: Sequence[str], analyse: Callable[[str], Query]) -> list[Query]:
    """`analyse` each of `texts`: what AnalysisMemo.analysed does, without a memo."""
    return [analyse(t) for t in texts]


def memo_key(parts: Iterable[str]) -> str:
    """The digest naming the memo of an analysis described by `parts` (plus the code's)."""
    h = hashlib.sha256(code_digest().encode())
    for part in parts:
        h.update(b"\0" + part.encode("utf-8", "surrogatepass"))
    return h.hexdigest()
