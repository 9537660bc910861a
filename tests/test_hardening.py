"""Issue 12, each case through the real command on a real SQLite file (the cases and what
counts as surviving them: reliability/hardening.py, also run by scripts/reliability_report.py):

1. the writer lock reached through a symlink, a hard link or another relative path;
2. bounded work: ingest refuses a file over the crawler's limit and cuts text over the
   tagger's bound (recorded); `rivalry query` stops at its time and memory limits;
3. a damaged store: writers refuse it unchanged, readers say it is damaged;
4. read-only storage (a real read-only bind mount in a private mount namespace: chmod does not
   stop root, EROFS does): writers end in one named line, readers open it immutable;
5. SIGTERM and SIGINT on a nightly: exit 128+n, one line, run interrupted, no child left;
6. odd inputs: .gz, UTF-16 with a BOM, a <meta> charset, binary, an empty sources file, a
   search text with a leading dash.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reliability.hardening import cases, read_only_prefix  # noqa: E402

CASES = cases()


@pytest.mark.parametrize("name", list(CASES))
def test_hardening_case(tmp_path, name):
    kind, item, case = CASES[name]
    if name.startswith("read-only storage") and read_only_prefix() is None:
        reason = ("READ-ONLY STORAGE NOT TESTED: this machine lets this user neither mount a folder "
                  "read-only in a private mount namespace (root) nor in a user namespace")
        if os.environ.get("RIVALRY_REQUIRE_READ_ONLY_MOUNT"):
            pytest.fail(reason)
        pytest.skip(reason)
    result = case(tmp_path)
    assert result["ok"], f"item {item}: {result['outcome']}"
    assert result["rows_lost"] == 0


FORK_DURING_SIGTERM = """
import os, signal, threading, time
from rivalry import shutdown
shutdown.install()
os.register_at_fork(after_in_parent=lambda: time.sleep(0.3))  # the signal lands in here
threading.Timer(0.1, lambda: os.kill(os.getpid(), signal.SIGTERM)).start()
try:
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    time.sleep(2)
    print("swallowed")
except shutdown.Interrupted as exc:
    print("raised:", exc)
"""


def test_a_signal_python_swallows_is_raised_again():
    """SIGTERM during an at-fork callback (logging has one; the site build forks) is only
    printed by Python ("Exception ignored in"); found by the report's SIGTERM during a build,
    which then went on to exit 0 with its run 'ok'. rivalry/shutdown.py raises it again."""
    import subprocess

    result = subprocess.run([sys.executable, "-c", FORK_DURING_SIGTERM], capture_output=True, text=True,
                            timeout=30, cwd=Path(__file__).resolve().parents[1])
    assert result.stdout.strip() == "raised: interrupted by SIGTERM", (result.stdout, result.stderr)
    assert "Exception ignored" not in result.stderr
