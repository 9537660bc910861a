"""Network faults (issue 7), short setting: a crawl of several sources against a local fault
server mixing slow responses, hangs, resets, truncated bodies, redirect chains and cycles,
429/503 with Retry-After and flapping availability. Every URL that recovers is stored, every
one that fails is recorded in the run record, the crawl stays within its configured limits.
The full run (1,000+ requests) is scripts/reliability_report.py."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reliability.faults import run_harness  # noqa: E402


def test_every_fault_is_survived_and_accounted_for(tmp_path):
    figures = run_harness(tmp_path, sources=4, articles=30, seed=3, log=lambda *a: None)
    assert figures["problems"] == [], figures["problems"]
    assert figures["requests"] >= 200
    assert figures["unaccounted"] == 0 and figures["missing"] == 0 and figures["wrongly_stored"] == 0
    assert figures["duplicates"] == 0
    assert figures["run_status"] == "failed" and figures["down_source_error"]  # the down source, named
    # Every kind of fault was served at least once.
    assert set(figures["faults_by_kind"]) >= {"slow", "hang", "reset", "reset_once", "truncated",
                                              "redirect_chain", "redirect_cycle", "rate_limited_once",
                                              "unavailable_retry_after", "unavailable_twice",
                                              "server_error", "source_down"}
