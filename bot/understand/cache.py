"""The private folder where the matcher keeps what it builds once (jieba's trimmed dictionary,
pinyin tables): never a shared temporary path that another local user could fill first."""

from __future__ import annotations

import os
import tempfile
from functools import cache
from pathlib import Path


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
