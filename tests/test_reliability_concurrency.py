"""Readers alongside a writer (issue 7): `rivalry query`, `search`, `status`, `export`,
`snapshot` and Datasette keep answering, quickly and consistently, while `rivalry nightly`
crawls, tags and builds (WAL). The writer lock itself (a second writer exits 75, no stale lock
after a kill) is tests/test_lock.py."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
from pathlib import Path

from conftest import rivalry

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reliability.common import SAMPLE, SAMPLE_SOURCES, start  # noqa: E402


def sources(ids):
    return [a for sid in ids for a in ("--source", sid)]


def datasette_count(db: Path) -> int:
    from datasette.app import Datasette

    async def ask():
        ds = Datasette([str(db)])  # mutable mode: Datasette opens it read-only
        response = await ds.client.get(f"/{db.stem}.json?sql=select+count(*)+as+n+from+documents&_shape=array")
        assert response.status_code == 200, response.text
        return response.json()[0]["n"]

    return asyncio.run(ask())


def test_readers_work_while_nightly_writes(tmp_path):
    db = tmp_path / "rivalry.db"
    rivalry("crawl", "--db", db, "--replay", SAMPLE, *sources(SAMPLE_SOURCES[:1]))
    writer = start("nightly", "--db", db, "--replay", SAMPLE, *sources(SAMPLE_SOURCES),
                   "--out", tmp_path / "public", log=tmp_path / "nightly.log")
    seen, during, slowest = [], 0, 0.0
    readers = [
        ("query", lambda: rivalry("query", "--db", db, "--json", "SELECT count(*) AS n FROM documents")),
        ("search", lambda: rivalry("search", "--db", db, "export", "--json")),
        ("status", lambda: rivalry("status", "--db", db)),
        ("export", lambda: rivalry("export", "--db", db, "--table", "documents", "--format", "jsonl",
                                   "--out", tmp_path / "documents.jsonl")),
        ("snapshot", lambda: rivalry("snapshot", "--db", db, "--out", tmp_path / "snap.db")),
        ("datasette", lambda: datasette_count(db)),
    ]
    try:
        i = 0
        while writer.poll() is None and i < 200:
            name, read = readers[i % len(readers)]
            started = time.monotonic()
            result = read()  # raises on a non-zero exit
            slowest = max(slowest, time.monotonic() - started)
            if name == "query":
                seen.append(json.loads(result.stdout)[0]["n"])
            if name == "snapshot":
                conn = sqlite3.connect(tmp_path / "snap.db")
                assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
                conn.close()
            if writer.poll() is None:
                during += 1
            i += 1
    finally:
        writer.wait(timeout=300)
    assert writer.returncode == 0, (tmp_path / "nightly.log").read_text()[-3000:]
    assert during >= 4, f"only {during} read(s) overlapped the writer"
    assert seen == sorted(seen), f"document counts went backwards: {seen}"
    assert slowest < 15, f"a reader waited {slowest:.1f}s"
    final = json.loads(rivalry("query", "--db", db, "--json", "SELECT count(*) AS n FROM documents").stdout)[0]["n"]
    assert final >= max(seen or [0]) and datasette_count(db) == final
