"""What every harness shares: running the real `rivalry` command in a subprocess, and the
store invariants checked after every kill or fault (integrity, duplicates, orphans, text)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from http.server import BaseHTTPRequestHandler
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "sample.warc.gz"
# The sources the bundled sample archive holds responses for.
SAMPLE_SOURCES = ("whitehouse", "commerce", "state", "xinhua", "federal-register")


def command(*args) -> list[str]:
    return [sys.executable, "-m", "rivalry.cli", *map(str, args)]


def run(*args, timeout: float = 600, env: dict | None = None, cwd: Path | None = None):
    """Run `rivalry ARGS` to the end; returns the CompletedProcess."""
    return subprocess.run(command(*args), capture_output=True, text=True, timeout=timeout,
                          cwd=str(cwd or REPO), env={**os.environ, **(env or {})})


def start(*args, env: dict | None = None, cwd: Path | None = None, log: Path | None = None):
    """Start `rivalry ARGS` in its own process group (so a kill reaches any worker it forks)."""
    out = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(command(*args), stdout=out, stderr=subprocess.STDOUT if log else out,
                            cwd=str(cwd or REPO), env={**os.environ, **(env or {})},
                            start_new_session=True)
    if log:
        out.close()
    return proc


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- store invariants ------------------------------------------------------------------------

DUPLICATE_QUERIES = {
    "documents": "SELECT count(*) FROM (SELECT canonical_url FROM documents GROUP BY canonical_url HAVING count(*) > 1)",
    "mentions": "SELECT count(*) FROM (SELECT 1 FROM mentions GROUP BY document_id, entity_id, start, end HAVING count(*) > 1)",
    "events": "SELECT count(*) FROM (SELECT 1 FROM events GROUP BY document_id, action, evidence_start, evidence_end, trigger, actor_id, target_id, object_id HAVING count(*) > 1)",
    "stories": "SELECT count(*) FROM (SELECT key FROM stories GROUP BY key HAVING count(*) > 1)",
    "taggings": "SELECT count(*) FROM (SELECT document_id FROM taggings GROUP BY document_id HAVING count(*) > 1)",
}

# Rows that must never exist, whatever moment a run was killed at.
BROKEN_QUERIES = {
    "document without text (status ok)":
        "SELECT count(*) FROM documents WHERE status = 'ok' AND (text IS NULL OR trim(text) = '')",
    "mention of a missing document":
        "SELECT count(*) FROM mentions WHERE document_id NOT IN (SELECT id FROM documents)",
    "event of a missing document":
        "SELECT count(*) FROM events WHERE document_id NOT IN (SELECT id FROM documents)",
    "mentions/events of an untagged document":
        "SELECT count(*) FROM (SELECT document_id FROM mentions UNION SELECT document_id FROM events) "
        "WHERE document_id NOT IN (SELECT document_id FROM taggings)",
    "event in a missing story":
        "SELECT count(*) FROM events WHERE story_id IS NOT NULL AND story_id NOT IN (SELECT id FROM stories)",
    "FTS row count differs from documents":
        "SELECT (SELECT count(*) FROM documents) != (SELECT count(*) FROM documents_fts)",
}


def _tables(conn) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


def store_problems(db_path: Path) -> tuple[list[str], int]:
    """(problems, duplicate groups) of a store: integrity, duplicates, broken rows."""
    if not Path(db_path).exists():
        return [], 0
    problems, duplicates = [], 0
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        check = conn.execute("PRAGMA integrity_check").fetchall()
        if [r[0] for r in check] != ["ok"]:
            problems.append(f"integrity_check: {check[:3]}")
        tables = _tables(conn)
        for table, sql in DUPLICATE_QUERIES.items():
            if table in tables:
                n = conn.execute(sql).fetchone()[0]
                if n:
                    duplicates += n
                    problems.append(f"{n} duplicate group(s) in {table}")
        for name, sql in BROKEN_QUERIES.items():
            try:
                n = conn.execute(sql).fetchone()[0]
            except sqlite3.OperationalError:
                continue  # table not there (yet): nothing broken in it
            if n:
                problems.append(f"{n} × {name}")
    finally:
        conn.close()
    return problems, duplicates


FINGERPRINT_QUERIES = {
    "documents": "SELECT canonical_url, content_hash, status FROM documents",
    "mentions": "SELECT d.canonical_url, m.entity_id, m.start, m.end FROM mentions m JOIN documents d ON d.id = m.document_id",
    "events": "SELECT id, action, actor_id, target_id, object_id, event_date FROM events",
    "stories": "SELECT key, event_count, document_count FROM stories",
    "taggings": "SELECT document_id, status, pipeline_version FROM taggings",
}


def fingerprint(db_path: Path) -> dict[str, list]:
    """Every row that matters, per table, as sorted tuples: two stores with equal fingerprints
    hold the same documents, mentions, events, stories and taggings."""
    conn = sqlite3.connect(db_path, timeout=30)
    try:
        tables = _tables(conn)
        return {t: sorted(map(tuple, conn.execute(sql)), key=repr)
                for t, sql in FINGERPRINT_QUERIES.items() if t in tables}
    finally:
        conn.close()


def compare(expected: dict, actual: dict) -> tuple[int, int]:
    """(rows lost, rows extra) of a store's fingerprint against the expected one."""
    from collections import Counter

    lost = extra = 0
    for table, rows in expected.items():
        want, got = Counter(rows), Counter(actual.get(table, []))
        lost += sum((want - got).values())
        extra += sum((got - want).values())
    return lost, extra


def run_record(db_path: Path) -> list[dict]:
    conn = sqlite3.connect(db_path, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        rows = [dict(r) for r in conn.execute("SELECT * FROM runs ORDER BY id")]
    finally:
        conn.close()
    for r in rows:
        for key in ("counts", "errors"):
            r[key] = json.loads(r[key]) if r.get(key) else {}
    return rows


class QuietHandler(BaseHTTPRequestHandler):
    """Request handler of the harnesses' local servers: no access log, and a client that hangs
    up mid-response (the crawler under test gave up on purpose) is not an error."""

    def log_message(self, *args):
        pass

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
