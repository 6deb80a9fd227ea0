"""The private folder where the matcher keeps what it builds once (jieba's trimmed dictionary,
pinyin tables, analysis memos, index snapshots): never a shared temporary path that another
local user could fill first.

Each kind of file there is a family (jieba-*.txt, pinyin-words-*.json, analysis-*.sqlite3,
index-*.bin) whose names carry a digest of what they were built from, so a new knowledge base
or library version adds a file beside the old ones. `prune` keeps a family to the few most
recently used (`touch` marks a file used when it is read), so the folder does not grow without
end.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

# Files of a family kept besides the one in use: a few knowledge bases or versions side by side.
KEEP_FILES = 8


@cache
def cache_dir() -> Path:
    """A folder only this user can write: ~/.cache/policybot, else a fresh private temporary
    folder (made once per process)."""
    folder = Path.home() / ".cache" / "policybot"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
        if st.st_uid == os.getuid() and not st.st_mode & 0o022:
            return folder
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="policybot-"))


def touch(path: Path) -> None:
    """Mark `path` as just used (its modification time), if it can be."""
    with contextlib.suppress(OSError):
        os.utime(path)


def prune(
    current: Path, pattern: str, keep: int = KEEP_FILES, companions: Sequence[str] = ()
) -> None:
    """Remove all but the `keep` most recently used files matching `pattern` (a glob in the
    folder of `current`) besides `current`, each with its `companions` (the same name with
    these suffixes). A file was used when it, or one of its companions, was last modified.

    Never raises: another start may be using or removing the same files at the same time.
    """
    used = []
    with contextlib.suppress(OSError):
        for path in current.parent.glob(pattern):
            group = [path, *(path.with_suffix(s) for s in companions)]
            stamp = _last_used(group) if path != current else None
            if stamp is not None:
                used.append((stamp, path, group))
    for *_, group in sorted(used, reverse=True)[keep:]:
        for old in group:
            with contextlib.suppress(OSError):
                old.unlink(missing_ok=True)


def _last_used(group: Sequence[Path]) -> float | None:
    """The newest modification time of a file and its companions; None if the file is gone."""
    stamps = []
    for path in group:
        try:
            stamps.append(path.stat().st_mtime)
        except OSError:  # removed meanwhile by another start (or a companion never written)
            if path is group[0]:
                return None
    return max(stamps)
