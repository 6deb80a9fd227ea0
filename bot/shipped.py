"""The knowledge base shipped with the program: where it is, and a copy of it for editors.

An installed wheel carries `knowledge/` as the package data `bot/data/` (pyproject.toml maps
it), read through importlib.resources; a source checkout or an editable install reads the
checkout's own `knowledge/`. Only a stat happens here at import, no file is read.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

KB_NAME = "policies.yaml"
LEXICON_NAME = "lexicon.yaml"
FILES = (KB_NAME, LEXICON_NAME)
_CHECKOUT = Path(__file__).resolve().parent.parent / "knowledge"


class ShippedCopyError(Exception):
    """The shipped knowledge base cannot be copied out; nothing was left half-copied."""

    def __init__(self, path: Path, *, exists: bool, reason: str = "") -> None:
        super().__init__(f"{path} already exists" if exists else f"cannot write {path}: {reason}")
        self.path, self.exists = path, exists


def shipped_file(name: str) -> Path:
    """The shipped file `name` (policies.yaml or lexicon.yaml) as a path on disk."""
    packaged = resources.files("bot").joinpath("data", name)
    # A wheel is always installed unpacked, so the package data is a real file.
    if isinstance(packaged, Path) and packaged.is_file():
        return packaged
    checkout = _CHECKOUT / name
    return checkout if checkout.is_file() else Path(str(packaged))


def copy_shipped(target: Path) -> list[Path]:
    """Copy the shipped policies.yaml and lexicon.yaml into `target` (made if missing).

    Raises ShippedCopyError, before writing anything, when either file already exists there,
    and when `target` cannot be made or written.
    """
    copies = [target / name for name in FILES]
    existing = [path for path in copies if path.exists() or path.is_symlink()]
    if existing:
        raise ShippedCopyError(existing[0], exists=True)
    written: list[Path] = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name, copy in zip(FILES, copies, strict=True):
            with shipped_file(name).open("rb") as src, copy.open("xb") as dst:
                written.append(copy)
                shutil.copyfileobj(src, dst)
    except OSError as exc:
        for path in written:
            path.unlink(missing_ok=True)
        raise ShippedCopyError(target, exists=False, reason=exc.strerror or str(exc)) from exc
    return copies
