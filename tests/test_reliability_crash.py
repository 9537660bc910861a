"""Crash safety (issue 7), short setting: SIGKILL `rivalry` at random moments of crawl, tag,
build, snapshot and nightly; after each kill the store is intact, nothing is duplicated or
half-written, the site and snapshot are the old ones or complete new ones, and a re-run
completes with no row lost. The full run (40 kills) is scripts/reliability_report.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reliability.crash import run_harness  # noqa: E402


def test_sigkill_at_random_moments_loses_and_mixes_nothing(tmp_path):
    seed = int(os.environ.get("RIVALRY_CRASH_SEED", "11"))
    figures = run_harness(tmp_path, kills=int(os.environ.get("RIVALRY_CRASH_KILLS", "6")), seed=seed,
                          log=lambda *a: None)
    failures = [(t["stage"], t["landed"], t["problems"]) for t in figures["failures"]]
    assert failures == [], f"seed {seed}: {failures}"
    assert figures["kills_tried"] >= 5  # a command that finished before its kill is not counted
    assert figures["rows_lost"] == 0 and figures["rows_extra"] == 0 and figures["duplicates"] == 0
    # Every stage was hit at least once.
    assert all(figures["per_stage"][s]["tried"] for s in ("nightly", "tag", "crawl", "build", "snapshot"))


def _feed(tmp_path, name, entries):
    body = "".join(f"<entry>\n<id>{e}</id>\n<updated>2026-12-0{i + 1}T00:00:00Z</updated>\n</entry>\n"
                   for i, e in enumerate(entries))
    path = tmp_path / name
    path.write_text(f'<feed xmlns="http://www.w3.org/2005/Atom">\n<title>t</title>\n{body}</feed>\n')
    return path


def test_feeds_compare_by_their_entries_in_any_order(tmp_path):
    """Seed 11 once failed CI on this: the same entries fetched in another order put another
    entry last, next to </feed>, and the comparison saw a different feed."""
    from reliability.crash import feed_entries

    a = feed_entries(_feed(tmp_path, "a.xml", ["story:1", "story:2", "story:3"]))
    assert a == feed_entries(_feed(tmp_path, "b.xml", ["story:3", "story:1", "story:2"]))
    assert a != feed_entries(_feed(tmp_path, "c.xml", ["story:1", "story:2", "story:4"]))
    assert a != feed_entries(_feed(tmp_path, "d.xml", ["story:1", "story:2"]))
