"""One writer at a time: `rivalry nightly`, crawl, tag, build and ingest hold an exclusive lock
on ``<database>.lock`` while they run. The lock is an OS file lock (flock), so the kernel drops
it when the holder dies — a run killed with SIGKILL leaves no stale lock behind. Readers
(query, search, Datasette) take no lock: WAL lets them read while a writer writes."""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

# EX_TEMPFAIL from sysexits.h: "try again later", which is what cron should read from it.
EXIT_BUSY = 75


class Busy(Exception):
    """Another rivalry process holds the database for writing."""

    exit_code = EXIT_BUSY


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


@contextmanager
def exclusive(db_path: Path, command: str):
    path = lock_path(Path(db_path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            raise Busy(f"{db_path} is busy: {holder} is writing to it; try again later") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"rivalry {command} (pid {os.getpid()})".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
