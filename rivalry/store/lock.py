"""One writer at a time: `rivalry nightly`, crawl, tag, build and ingest hold an exclusive lock
on the database file while they run.

The lock is an OS file lock (flock) taken on the database file itself, so it belongs to the
file, not to the name it was reached by: a relative path, a symlink or a hard link to the same
file meet the same lock (the kernel keys it on the inode). flock and SQLite's own POSIX
(fcntl) locks are independent on Linux, so it never blocks SQLite or a reader. The kernel drops
it when the holder dies — a run killed with SIGKILL leaves no stale lock behind.

Beside the database, ``<real path>.lock`` names the holder ("rivalry nightly (pid 12)") for the
busy message; it is a note, not the lock. Readers (query, search, Datasette) take no lock: WAL
lets them read while a writer writes."""

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


class LockError(Exception):
    """The database cannot be locked (read-only storage, a folder that cannot be made)."""


def lock_path(db_path: Path) -> Path:
    """The holder note beside the real file (symlinks resolved)."""
    real = Path(os.path.realpath(db_path))
    return real.with_name(real.name + ".lock")


# Descriptors of locked database files, kept open until the process exits: closing any
# descriptor of a file drops every POSIX lock this process holds on it, SQLite's included
# (https://sqlite.org/howtocorrupt.html#_posix_advisory_locks_canceled_by_a_separate_thread_doing_close_).
# Releasing is LOCK_UN; one descriptor per file, reused by the next lock of the same file.
_DESCRIPTORS: dict[tuple[int, int], int] = {}
_HELD: set[int] = set()  # descriptors locked by this process now


def _descriptor(path: Path) -> int:
    try:
        st = os.stat(path)  # a stat, not an open: an open and close here would be that close
        if (st.st_dev, st.st_ino) in _DESCRIPTORS:
            return _DESCRIPTORS[(st.st_dev, st.st_ino)]
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    st = os.fstat(fd)
    return _DESCRIPTORS.setdefault((st.st_dev, st.st_ino), fd)


@contextmanager
def exclusive(db_path: Path, command: str, *, create: bool = True):
    """Hold the writer lock of the database file for the block.

    A missing file is created empty (SQLite takes an empty file for a new database) so there
    is something to lock; with ``create=False`` a missing file is left missing and the block
    runs unlocked: the command refuses it before writing anything."""
    path = Path(db_path)
    if not create and not path.exists():
        yield
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = _descriptor(path)
    except OSError as exc:
        raise LockError(f"{path}: cannot open the database to lock it for writing: "
                        f"{exc.strerror}") from None
    try:
        if fd in _HELD:  # flock on the descriptor already holding it would simply succeed
            raise BlockingIOError
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise Busy(f"{db_path} is busy: {_holder(path)} is writing to it; try again later") from None
    _HELD.add(fd)
    try:
        _note_holder(path, f"rivalry {command} (pid {os.getpid()})")
        yield
    finally:
        _note_holder(path, "")  # a hard link's next busy message must not name a finished run
        _HELD.discard(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)


def _note_holder(path: Path, holder: str) -> None:
    try:
        lock_path(path).write_text(holder)
    except OSError:
        pass  # a note only: read-only storage is refused by the store with a clear line


def _holder(path: Path) -> str:
    try:
        note = lock_path(path).read_text("utf-8", "replace").strip()
    except OSError:
        note = ""
    # A hard link has its own name, so the note may be another file's: say so plainly then.
    return note or "another rivalry process"
