"""The indexed knowledge base kept between starts, so a restart of a large one need not redo it.

With the analysis memo (memo.py) a warm start of 10,000 entries still spent most of its ten
seconds rebuilding the index from the memo's rows: a million postings appended one by one,
a Query object per text, a credit dict per entry. The snapshot keeps what build.py makes
(build.Built) as flat arrays and string tables in one file of the private cache folder, read
back with array.frombytes: no Python object per posting.

A snapshot belongs to one build: its name and header carry a digest of everything the build
depends on (the memo's key: the code, the libraries, the segmenter's words; the weights and
options the indexing reads; every entry's id and texts, in order), so an edited entry, a new
setting or new code builds anew and never reads an old file. The file ends with a SHA-256 of
all before it; a file that is truncated, damaged or someone else's is removed and rebuilt.
Any trouble (unreadable, disk full) is logged at DEBUG and the matcher builds as if there
were no snapshot.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import struct
import sys
import tempfile
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from itertools import accumulate, chain, pairwise
from pathlib import Path
from typing import IO, Any

from bot.knowledge import Entry
from bot.understand.build import Built, Doc
from bot.understand.cache import prune, touch
from bot.understand.index import TokenIndex

log = logging.getLogger(__name__)

# Smaller knowledge bases build as fast as a snapshot loads: warm starts of tests/data/mini_kb's
# 8 entries gained nothing, the shipped knowledge base's 76 entries 0.41 → 0.37 s, 1,000
# entries 1.4 → 0.45 s, 10,000 entries 11.3 → 1.06 s (medians when this was added).
SNAPSHOT_MIN = 50
# The format, and the machine's (byte order, item sizes): a file of another is not read.
VERSION = 1
_LAYOUT = f"{sys.byteorder} " + " ".join(f"{c}{array(c).itemsize}" for c in "Bhiqd")
_MAGIC = b"policybot-index\n"
_HEAD = struct.Struct("<16sI64s")
_SECTION = struct.Struct("<cQ")  # an array's typecode and its number of items
_DIGEST = hashlib.sha256().digest_size


def snapshot_key(memo_key: str, topic_examples: float, entries: Iterable[Entry]) -> str:
    """The digest of a build: the analysis (`memo_key`), the weights and options indexing
    reads besides it (normalize, domain_dict and synonyms are in the memo key, referrals in
    which entries come), and each entry's id and texts in order."""
    h = hashlib.sha256(f"{VERSION}\0{_LAYOUT}\0{memo_key}\0{topic_examples!r}".encode())
    strings: list[str] = []
    counts = array("q")  # each entry's questions and keywords: with the lengths, one reading
    for e in entries:
        strings += (e.id, e.title, *e.questions, *e.keywords)
        counts += array("q", (len(e.questions), len(e.keywords)))
    h.update(counts)
    h.update(array("q", map(len, strings)))
    h.update("".join(strings).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def snapshot_path(folder: Path, key: str) -> Path:
    """Where the snapshot of `key` lives in `folder`."""
    return folder / f"index-{key[:24]}.bin"


def load(path: Path, key: str) -> Built | None:
    """The build kept in `path` for `key`; None (and the file removed) if it is not that."""
    try:
        with path.open("rb") as f:
            built = _parse(_Reader(f, os.fstat(f.fileno()).st_size), key)
    except FileNotFoundError:
        return None
    except (ValueError, EOFError, UnicodeDecodeError, struct.error) as exc:
        log.debug("index snapshot %s not used, removed: %s", path, exc)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    except OSError as exc:
        log.debug("index snapshot %s unreadable: %s", path, exc)
        return None
    touch(path)  # most recently used: the last to be pruned
    return built


def save(path: Path, key: str, built: Built) -> None:
    """Write `built` as the snapshot of `key` at `path` (whole or not at all), then prune.

    Not synced to disk: a file a crash left incomplete fails its digest and is built anew.
    """
    tmp: Path | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "wb", dir=path.parent, prefix=".index-", suffix=".tmp", delete=False
        ) as f:
            tmp = Path(f.name)
            _write(f, key, built)
        os.replace(tmp, path)
        tmp = None
        prune(path, "index-*.bin")
    except OSError as exc:
        log.debug("index snapshot %s not saved: %s", path, exc)
    finally:
        if tmp is not None:  # not written whole
            with contextlib.suppress(OSError):
                tmp.unlink()


# What the file holds after its header, in order: "s" a list of strings, else a list of
# arrays of that typecode (see _fields): the tokens; the index's state (TokenIndex.state); each
# doc's number of examples, its entry id, its example texts; every example's tokens and their
# ends; the keywords and their entries; each entry's texts.
_SCHEMA = ("s", *"idihiiiBd", "i", "s", "s", "i", "s", "i", "s")


def _fields(built: Built) -> list[Sequence[array[Any]] | Sequence[str]]:
    """The parts of `built`, each a list of arrays or of strings, as _SCHEMA lists them."""
    docs = built.docs
    return [
        list(built.index.ids),
        *built.index.state(),
        [array("i", (len(d.example_texts) for d in docs))],
        [d.entry_id for d in docs],
        [t for d in docs for t in d.example_texts],
        [built.tokens, built.ends],
        list(built.keyword_entries),
        [array("i", sorted(s)) for s in built.keyword_entries.values()],
        built.texts,
    ]


def _write(f: IO[bytes], key: str, built: Built) -> None:
    h = hashlib.sha256()

    def put(code: str, size: int, chunks: Iterable[bytes | array[Any]]) -> None:
        for chunk in chain((_SECTION.pack(code.encode(), size),), chunks):
            f.write(chunk)
            h.update(chunk)

    head = _HEAD.pack(_MAGIC, VERSION, key.encode("ascii"))
    f.write(head)
    h.update(head)
    for code, field in zip(_SCHEMA, _fields(built), strict=True):
        ends = array("q", accumulate(map(len, field), initial=0))
        put("q", len(ends), (ends,))
        if code == "s":
            strings: Sequence[str] = field  # type: ignore[assignment]
            put("B", sum(map(len, _encoded(strings))), _encoded(strings))
        else:
            put(code, ends[-1], field)  # type: ignore[arg-type]
    f.write(h.digest())


def _encoded(strings: Sequence[str], size: int = 256) -> Iterator[bytes]:
    """`strings` run together in UTF-8, a few at a time (not one more copy of them all)."""
    for start in range(0, len(strings), size):
        yield "".join(strings[start : start + size]).encode("utf-8", "surrogatepass")


class _Reader:
    """The sections of a snapshot file, in order, each read straight into its arrays."""

    def __init__(self, f: IO[bytes], size: int) -> None:
        self.f, self.left, self.digest = f, size - _DIGEST, hashlib.sha256()

    def bytes(self, size: int) -> bytes:
        if size > self.left:
            raise ValueError(f"{size} bytes wanted, {self.left} left before the digest")
        data = self.f.read(size)
        if len(data) != size:
            raise EOFError("the file ends early")
        self.left -= size
        self.digest.update(data)
        return data

    def section(self, code: str) -> int:
        """The number of items of the next section, which must be of typecode `code`."""
        kind, n = _SECTION.unpack(self.bytes(_SECTION.size))
        if kind != code.encode() or n * array(code).itemsize > self.left:
            raise ValueError(f"section {kind!r} of {n} items where {code} was due")
        return int(n)

    def arrays(self, code: str, ends: Sequence[int]) -> list[array[Any]]:
        """The arrays of the section begun (typecode `code`), each ending at its `ends`."""
        out = []
        for a, b in pairwise(ends):
            part = array(code)
            part.fromfile(self.f, b - a)  # EOFError if the file ends early
            self.digest.update(part)
            out.append(part)
        self.left -= ends[-1] * array(code).itemsize
        return out

    def field(self, code: str) -> list[Any]:
        """One part of the build (see _SCHEMA): its offsets, then its arrays or strings."""
        (ends,) = self.arrays("q", (0, self.section("q")))
        if not ends or ends[0] != 0:
            raise ValueError("offsets that do not start at 0")
        if code != "s":
            if self.section(code) != ends[-1]:
                raise ValueError("a section of another length than its offsets")
            return self.arrays(code, ends)
        text = self.bytes(self.section("B")).decode("utf-8", "surrogatepass")
        if len(text) != ends[-1]:
            raise ValueError("strings of another length than their offsets")
        return [text[a:b] for a, b in pairwise(ends)]

    def end(self) -> None:
        """Check that the file ends with the digest of all before it."""
        if self.left != 0 or self.f.read(_DIGEST + 1) != self.digest.digest():
            raise ValueError("damaged: its digest does not match")


def _parse(read: _Reader, key: str) -> Built:
    magic, version, stored = _HEAD.unpack(read.bytes(_HEAD.size))
    if magic != _MAGIC or version != VERSION or stored != key.encode("ascii"):
        raise ValueError(f"another snapshot (version {version}, key {stored[:24]!r})")
    tokens, *state, (counts,), ids, texts, (example_tokens, ends), keywords, entries, spread = [
        read.field(code) for code in _SCHEMA
    ]
    read.end()
    if not len(ids) == len(counts) == len(spread):
        raise ValueError("sections that do not fit together")
    if not sum(counts) == len(texts) == len(ends) or (ends and ends[-1] != len(example_tokens)):
        raise ValueError("docs that do not fit their examples")
    index = TokenIndex.restore(tokens, state)
    starts = accumulate(counts, initial=0)
    docs = [
        Doc(i, texts[a : a + n], array("d")) for i, a, n in zip(ids, starts, counts, strict=False)
    ]
    keyword_entries: dict[str, set[int]] = defaultdict(set)
    keyword_entries.update(zip(keywords, map(set, entries), strict=True))
    return Built(index, docs, example_tokens, ends, keyword_entries, spread)
