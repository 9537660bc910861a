"""Work a build does beside the pages (the downloads, the database snapshot), in a forked child.

A thread would share the interpreter lock with the planning it should overlap; a forked child
runs on the other core, sees the store as it was read (copy-on-write) and sends back only its
small result through a pipe. No thread may be running when a build forks: so these are
processes, not threads.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal


class BackgroundError(Exception):
    pass


def _die_with_parent() -> None:
    # A killed build must not leave a child writing into the folder the next build cleans.
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Forked:
    """Runs fn() in a forked child now; result() waits and returns what it returned, or raises
    the error it raised."""

    def __init__(self, name: str, fn):
        self.name = name
        self._read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: do the work, report, and leave without cleanup handlers
            try:
                os.close(self._read)
                _die_with_parent()
                # The parent's planning and rendering is what the build waits for: when both
                # want the same core, it goes first (the children have time to spare).
                os.nice(10)
                try:
                    payload = pickle.dumps((True, fn()))
                except BaseException as exc:  # noqa: BLE001 - reported to the parent
                    try:
                        payload = pickle.dumps((False, exc))
                    except Exception:  # noqa: BLE001 - an error that cannot be pickled
                        payload = pickle.dumps((False, BackgroundError(f"{type(exc).__name__}: {exc}")))
                with os.fdopen(write, "wb") as fh:
                    fh.write(payload)
            finally:
                os._exit(0)
        os.close(write)
        self._done = False

    def result(self):
        try:
            with os.fdopen(self._read, "rb") as fh:
                payload = fh.read()
        finally:
            self._reap()
        if not payload:
            raise BackgroundError(f"{self.name}: the child process died before it finished")
        ok, value = pickle.loads(payload)
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child (a build that failed elsewhere) and wait until it is gone."""
        if not self._done:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                os.close(self._read)
            except OSError:
                pass
            self._reap()

    def _reap(self) -> None:
        if not self._done:
            self._done = True
            os.waitpid(self.pid, 0)
