"""A real, throw-away PostgreSQL server for the store tests: `initdb` into a temporary folder,
`pg_ctl start` on 127.0.0.1 on a free port, one fresh database per test.

`python3 -m tests.pg` starts one by hand and prints its URL (Ctrl-C stops it); the test
fixtures start their own and need nothing but Debian's `postgresql` package.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)  # newest first
_names = count(1)


def pg_bin() -> Path | None:
    """The folder with initdb and pg_ctl (Debian's layout, or on PATH), or None."""
    for folder in BIN_DIRS:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_owner() -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` user (or nobody)."""
    if os.geteuid() != 0:
        return []
    for user in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            import pwd

            pwd.getpwnam(user)
            return ["runuser", "-u", user, "--"]
    raise RuntimeError("running as root with neither a postgres nor a nobody user")


@dataclass(frozen=True)
class PgServer:
    """A running server: where it listens and how to make a database on it."""

    bin: Path
    folder: Path
    port: int
    owner: tuple[str, ...] = ()

    def start(self) -> None:
        """Start (or start again) the server on its port; wait until it accepts connections."""
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        run = [*self.owner, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data")]
        log = ["-l", str(self.folder / "log")]
        subprocess.run([*run, "-o", options, "-w", *log, "start"], check=True, capture_output=True)

    def stop(self) -> None:
        """Stop the server (fast: open connections are cut, as a crash or a restart does)."""
        run = [*self.owner, str(self.bin / "pg_ctl"), "-D", str(self.folder / "data")]
        subprocess.run([*run, "-m", "fast", "-w", "stop"], check=False, capture_output=True)

    def url(self, database: str = "postgres") -> str:
        """The asyncpg URL of `database` on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """Create a fresh, empty database and return its URL."""
        name = f"t{os.getpid()}_{next(_names)}"
        subprocess.run(
            [
                self.bin / "createdb",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                name,
            ],
            check=True,
            capture_output=True,
        )
        return self.url(name)


@contextlib.contextmanager
def running_server() -> Iterator[PgServer]:
    """Start a PostgreSQL server in a temporary folder; stop it and delete the folder after."""
    binaries = pg_bin()
    if binaries is None:
        raise FileNotFoundError("initdb/pg_ctl not found (apt-get install postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="policybot-pg-"))
    data, port, owner = folder / "data", _free_port(), _as_owner()
    if owner:
        shutil.chown(folder, user=owner[2])
    run = [*owner, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"]
    subprocess.run([*run, "--locale=C.UTF-8", "-E", "UTF8"], check=True, capture_output=True)
    server = PgServer(binaries, folder, port, tuple(owner))
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    with running_server() as server:
        print(server.url(), flush=True)  # the URL is this command's output
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
