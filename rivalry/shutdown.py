"""A clean stop on SIGTERM (systemd, cron's timeout, `kill`) and SIGINT (Ctrl-C).

The signal becomes an ``Interrupted`` exception in the main thread, so everything a command
holds unwinds as it would on an error: open transactions roll back, the run is recorded as
'interrupted' (store.recorded_run), the writer lock is released, child processes started with
``subprocess`` are killed and worker pools terminated. Whatever child is still alive after
that is stopped here; then one line is printed and the process exits 128 + the signal number,
as a shell reports a process killed by it.

A forked child (the tagger's pool workers, the site build's background work) inherits the
handler: there the signal keeps its default action, the child's stop is its parent's business.
A signal that lands where Python swallows exceptions (see ``_unraisable``) is raised again.
"""

from __future__ import annotations

import os
import signal
import sys
import time

HANDLED = (signal.SIGTERM, signal.SIGINT)


class Interrupted(BaseException):
    """The process was asked to stop (BaseException: no `except Exception` swallows it)."""

    def __init__(self, signum: int):
        self.signum = signum
        self.run_id: int | None = None  # the run it interrupted (store.recorded_run sets it)
        super().__init__(f"interrupted by {signal.Signals(signum).name}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_OWNER: list[int] = []
_STOPPING: list[int] = []  # the signal being handled, once one arrived


def _handler(signum, frame):
    if os.getpid() != _OWNER[0]:  # a forked child: die as the signal says
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    if _STOPPING:  # a second signal during the clean-up must not interrupt the clean-up itself
        return
    _STOPPING.append(signum)
    raise Interrupted(signum)


def _unraisable(hook):
    """Where Python cannot propagate an exception (a finalizer, an at-fork callback such as
    logging's while the site build forks) it only prints it: then raise it again a moment
    later, from wherever the main thread is by then."""
    if isinstance(hook.exc_value, Interrupted) and os.getpid() == _OWNER[0]:
        signum = hook.exc_value.signum

        def raise_again(_alarm, _frame):
            raise Interrupted(signum)

        signal.signal(signal.SIGALRM, raise_again)
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        return
    _PREVIOUS_HOOK[0](hook)


_PREVIOUS_HOOK: list = []


def install() -> None:
    _OWNER[:] = [os.getpid()]
    for sig in HANDLED:
        signal.signal(sig, _handler)
    _PREVIOUS_HOOK[:] = [sys.unraisablehook]
    sys.unraisablehook = _unraisable


def children() -> list[int]:
    """Live child processes of this one (Linux /proc)."""
    pids = []
    try:
        for task in os.listdir(f"/proc/{os.getpid()}/task"):
            with open(f"/proc/{os.getpid()}/task/{task}/children") as fh:
                pids += [int(p) for p in fh.read().split()]
    except OSError:
        pass
    return pids


def stop_children(grace: float = 2.0) -> None:
    """SIGTERM every child left, SIGKILL those still there after ``grace`` seconds; reap them."""
    pids = children()
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if not _reaped(pid)]
        time.sleep(0.05)
    for pid in pids:
        _signal(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _reaped(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return True
