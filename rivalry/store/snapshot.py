"""The publication snapshot: a consistent, read-only-friendly copy of the store for Datasette
and the site's download."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from contextlib import closing
from pathlib import Path

from rivalry.store.connection import READER_MMAP_BYTES, connect
from rivalry.store.errors import StoreError
from rivalry.store.writes import utc_now


def snapshot(source: Path, target: Path, finished_run: dict | None = None) -> Path:
    """A consistent copy of the store (SQLite's online backup), swapped in atomically.

    The copy is taken from a read transaction, so a crawl writing at the same time neither
    blocks it nor leaks half a change into it. The snapshot is a plain rollback-journal file
    (no WAL) so it can be opened read-only and immutable by Datasette or a download.

    One snapshot at a time per folder (a lock on the folder itself, so no lock file lands in a
    published folder); holding it, a snapshot removes the temporary files of one that was
    killed, which would otherwise pile up, a store's size each.

    finished_run ({"id", "status", "counts", "errors"}): the run taking the snapshot, recorded
    in the copy as finished with that outcome. A nightly publishes its snapshots before it
    finishes; a copy saying "running" would be wrong for as long as it is published."""
    target.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        for stale in target.parent.glob(f".{target.name}.*.tmp*"):
            stale.unlink(missing_ok=True)
        return _snapshot(source, target, finished_run)
    finally:
        os.close(folder)  # releases the lock


def _finish_run_in_copy(conn, run: dict) -> None:
    with conn:
        conn.execute("UPDATE runs SET finished = ?, status = ?, counts = ?, errors = ? WHERE id = ?",
                     [utc_now(), run["status"], json.dumps(run.get("counts") or {}, sort_keys=True),
                      json.dumps(run.get("errors") or {}, sort_keys=True), run["id"]])


def _snapshot(source: Path, target: Path, finished_run: dict | None = None) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        with closing(connect(source, mode="mode=ro")) as src, closing(connect(tmp)) as dst:
            # Pages are read through a memory map, not one read() each, and the copy is written
            # without a journal and unsynced: it is a temporary file no one else sees, checked
            # and synced once below before it replaces the snapshot (a crash leaves only the
            # temporary file, removed by the next snapshot). One step (pages=-1): a copy in
            # steps restarts whenever a crawl writes in between.
            src.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}")
            dst.execute("PRAGMA journal_mode=OFF")
            dst.execute("PRAGMA synchronous=OFF")
            with dst:
                src.backup(dst)
            if finished_run is not None:
                _finish_run_in_copy(dst, finished_run)
            dst.execute("PRAGMA journal_mode=DELETE")
            dst.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}")
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise StoreError(f"snapshot of {source} failed its check: {check}")
        with open(tmp, "rb+") as copy:
            os.fsync(copy.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
