"""One writer at a time, readers alongside, and no stale lock after a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from conftest import add_document, rivalry

from rivalry.store.lock import EXIT_BUSY, lock_path


def hold_lock(db_file):
    """A real second process that takes the writer lock and keeps it until killed."""
    code = ("import sys, time; from pathlib import Path; from rivalry.store.lock import exclusive\n"
            "with exclusive(Path(sys.argv[1]), 'build'):\n"
            "    print('locked', flush=True); time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(db_file)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_writer_exits_at_once_with_a_distinct_code(db_file, db):
    add_document(db, url="https://example.org/a", title="A", text="Some text.")
    holder = hold_lock(db_file)
    try:
        for args in (["tag"], ["build", "--out", db_file.parent / "public"], ["nightly", "--replay", db_file],
                     ["ingest", __file__]):
            started = time.monotonic()
            result = rivalry(*args, "--db", db_file, check=False)
            assert result.returncode == EXIT_BUSY, (args, result.stderr)
            assert "is busy: rivalry build (pid" in result.stderr
            assert time.monotonic() - started < 15  # at once: no waiting for the holder
        # Readers are not blocked by the writer.
        out = rivalry("query", "--db", db_file, "SELECT count(*) AS n FROM documents")
        assert "1" in out.stdout
    finally:
        holder.kill()
        holder.wait()


def test_lock_of_a_killed_run_does_not_block_the_next(db_file):
    holder = hold_lock(db_file)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    assert lock_path(db_file).exists()  # the file stays; the kernel dropped the lock
    result = rivalry("build", "--db", db_file, "--out", db_file.parent / "public", check=False)
    assert result.returncode == 0, result.stderr
