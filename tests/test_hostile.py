"""Hostile and broken input (issue 7): every command and every way in.

- hostile web content crawled from 127.0.0.1 (script tags, event handlers, javascript:/data:
  URLs, bidi overrides and zero-width characters, overlong strings, broken nesting, a path
  traversal URL, a gzip bomb, bodies far over the size limit) and hostile rows in the store
  (path-traversal entity, source and event ids) go through crawl, tag, build, snapshot, search
  and export: refused with a recorded reason, or stored intact and inert in the site;
- a database file that is not SQLite, is cut short, or is from a newer schema: every command
  answers with one named line, exit 1, and leaves the file byte for byte as it was;
- a malformed sources file: every command that reads it names the file and the field.

The site-level escaping of hostile rows is tests/test_site.py and tests/test_site_browser.py;
the sources validator itself is tests/test_sources_config.py; these extend them end to end."""

from __future__ import annotations

import hashlib
import sqlite3
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import rivalry

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from reliability.common import SAMPLE  # noqa: E402
from reliability.hostile import run_harness  # noqa: E402


def test_hostile_content_is_refused_with_a_reason_or_stored_and_inert(tmp_path):
    figures = run_harness(tmp_path / "work", long_chars=100_000, log=lambda *a: None)
    assert figures["problems"] == [], figures["problems"]
    assert figures["hostile_neutralised"] == figures["hostile_tried"] >= 15
    outcomes = figures["outcomes"]
    assert outcomes["gzip bomb"] == "refused: article oversize body (decompressed)"
    assert outcomes["body far over the size limit (streamed)"] == "refused: article oversize body"
    assert figures["peak_child_rss_mb"] < 1500  # the bomb was never inflated


def every_command(db, tmp_path):
    """Each command with the arguments it needs to reach the database (no network)."""
    note = tmp_path / "note.txt"
    note.write_text("A note\nNvidia and the H20.\n")
    out = tmp_path / "public"
    return {
        "crawl": ["crawl", "--replay", SAMPLE, "--source", "whitehouse"],
        "nightly": ["nightly", "--replay", SAMPLE, "--source", "whitehouse", "--out", out],
        "tag": ["tag"], "build": ["build", "--out", out], "ingest": ["ingest", note],
        "query": ["query", "SELECT 1"], "search": ["search", "export"], "export": ["export"],
        "snapshot": ["snapshot", "--out", tmp_path / "snap.db"], "status": ["status"],
        "sources": ["sources"], "datasette": ["datasette", "--port", "0"], "digest": ["digest"],
    }


def newer_schema(path):
    from rivalry import store

    store.open_db(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 999")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def newer_schema_rollback_journal(path):
    """A newer rivalry's file in rollback-journal mode: setting WAL would rewrite its header."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE future (x)")
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()


BAD_FILES = {
    "not SQLite": (lambda p: p.write_text("this is not a database\n" * 10), "is not an SQLite database"),
    "cut short": (lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\x10\x00\x01\x01" + b"\x00" * 80),
                  "database"),
    "newer schema": (newer_schema, "newer than this rivalry"),
    "newer schema, rollback journal": (newer_schema_rollback_journal, "newer than this rivalry"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_database_file_every_command_one_line_file_untouched(tmp_path, kind):
    make, message = BAD_FILES[kind]
    db = tmp_path / "rivalry.db"
    make(db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    commands = every_command(db, tmp_path)

    writers = {"crawl", "nightly", "tag", "build", "ingest"}  # one at a time: they take the lock

    def attempt(names):
        return [(n, rivalry(*commands[n], "--db", db, check=False, timeout=120)) for n in names]

    batches = [sorted(writers)] + [[n] for n in commands if n not in writers]
    with ThreadPoolExecutor(4) as pool:
        results = dict(pair for batch in pool.map(attempt, batches) for pair in batch)
    for name, result in results.items():
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1, (name, result.returncode, result.stderr[-2000:])
        assert "Traceback" not in result.stderr, (name, result.stderr[-2000:])
        assert lines and lines[-1].startswith("Error: ") and message in lines[-1], (name, lines[-3:])
        assert str(db) in lines[-1], (name, lines[-1])
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before  # not converted, not "repaired"
    assert not (tmp_path / "public").exists() and not (tmp_path / "snap.db").exists()


GOOD = """
[[source]]
id = "ministry"
name = "Test Ministry"
kind = "feed"
url = "http://127.0.0.1:9/feed.xml"
"""

BAD_CONFIGS = {
    "bad TOML": ("[[source]\nid = ", "not valid TOML"),
    "unknown field": (GOOD + 'colour = "red"\n', "unknown field 'colour'"),
    "wrong type": (GOOD + "timeout = \"soon\"\n", "field 'timeout'"),
    "path traversal id": (GOOD.replace('id = "ministry"', 'id = "../../etc/passwd"'), "field 'id'"),
    "javascript: URL": (GOOD.replace("http://127.0.0.1:9/feed.xml", "javascript:alert(1)"), "field 'url'"),
    "binary junk": ("\x00\x01\xff" * 50, "sources.toml"),
}


@pytest.mark.parametrize("kind", list(BAD_CONFIGS))
def test_malformed_sources_file_every_command_names_file_and_field(tmp_path, kind):
    text, message = BAD_CONFIGS[kind]
    config = tmp_path / "sources.toml"
    config.write_text(text, errors="surrogateescape")
    db = tmp_path / "rivalry.db"
    for args in (["crawl", "--sources", config], ["nightly", "--sources", config, "--out", tmp_path / "public"],
                 ["sources", "--sources", config]):
        result = rivalry(*args, "--db", db, check=False)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1 and "Traceback" not in result.stderr, (args, result.stderr[-2000:])
        assert len(lines) == 1 and message in lines[0] and str(config) in lines[0], (args, lines)
    assert not (tmp_path / "etc").exists() and not (tmp_path / "public").exists()
