"""The command line: read-only query, search, ingest, status, and one-line errors."""

from __future__ import annotations

import json
import sqlite3

from conftest import add_document, rivalry


def test_query_prints_rows_and_refuses_writes(db_file, db):
    add_document(db, url="https://example.org/a", title="Entity List additions",
                 text="BIS added 25 entities to the Entity List.")
    out = rivalry("query", "--db", db_file, "--json", "SELECT title FROM documents")
    assert json.loads(out.stdout) == [{"title": "Entity List additions"}]
    for sql in ("DELETE FROM documents", "DROP TABLE documents",
                "INSERT INTO sources (id, name, kind) VALUES ('x', 'x', 'feed')",
                "PRAGMA user_version = 99"):
        result = rivalry("query", "--db", db_file, sql, check=False)
        assert result.returncode != 0, sql
        assert "read-only" in result.stderr or "readonly" in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    conn = sqlite3.connect(db_file)
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] >= 1


def test_query_csv(db_file, db):
    add_document(db, url="https://example.org/a", title="A, with comma", text="x")
    out = rivalry("query", "--db", db_file, "--csv", "SELECT title FROM documents")
    assert out.stdout.splitlines() == ["title", '"A, with comma"']


def test_search_weights_titles_and_reports_bad_syntax(db_file, db):
    add_document(db, url="https://example.org/body", title="Weekly briefing",
                 text="The spokesperson also mentioned the H20 chip in passing.")
    add_document(db, url="https://example.org/title", title="H20 licence requirement",
                 text="Commerce now requires a licence for the chip.")
    out = rivalry("search", "--db", db_file, "H20")
    lines = out.stdout.splitlines()
    assert "H20 licence requirement" in lines[0]  # the title match ranks first
    assert "[H20]" in out.stdout
    assert "2 result(s)" in out.stdout
    bad = rivalry("search", "--db", db_file, '"unbalanced', check=False)
    assert bad.returncode != 0 and "bad search" in bad.stderr and "Traceback" not in bad.stderr


def test_ingest_local_files(tmp_path, db_file):
    note = tmp_path / "note.txt"
    note.write_text("Analyst note on the H20\nNvidia said the licence requirement cost it $5.5 billion.\n")
    page = tmp_path / "page.html"
    page.write_text("<html><head><title>Saved page</title>"
                    "<meta property='article:published_time' content='2025-04-15T20:00:00-04:00'></head>"
                    "<body><article><h1>Saved page</h1><p>" + "China's MOFCOM announced export controls "
                    "on seven rare earth elements in response to US tariffs. " * 3 + "</p></article></body></html>")
    rivalry("ingest", "--db", db_file, "--date", "2025-04-16", note, page)
    rivalry("ingest", "--db", db_file, note)  # again: no duplicate
    conn = sqlite3.connect(db_file)
    rows = dict(conn.execute("SELECT title, published_at FROM documents WHERE source_id='manual'"))
    assert rows == {"Analyst note on the H20": "2025-04-16T00:00:00+00:00",
                    "Saved page": "2025-04-16T00:00:00+00:00"}


def test_status_and_sources(db_file, db):
    add_document(db, url="https://example.org/a", title="t", text="x", source_id="whitehouse")
    out = rivalry("status", "--db", db_file)
    assert "documents" in out.stdout
    out = rivalry("sources", "--db", db_file)
    assert "federal-register" in out.stdout and "whitehouse" in out.stdout


def test_bad_database_file_is_one_clear_line(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("this is not a database")
    for args in (["status"], ["query", "SELECT 1"], ["tag"]):
        result = rivalry(*args, "--db", junk, check=False)
        assert result.returncode == 1
        assert result.stderr.strip() == f"Error: {junk} is not an SQLite database"
    assert junk.read_text() == "this is not a database"


def test_newer_schema_is_refused(db_file):
    conn = sqlite3.connect(db_file)
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    result = rivalry("status", "--db", db_file, check=False)
    assert result.returncode == 1 and "newer than this rivalry" in result.stderr


def test_missing_replay_archive(tmp_path):
    result = rivalry("crawl", "--db", tmp_path / "x.db", "--replay", tmp_path / "nope.warc.gz", check=False)
    assert result.returncode == 1 and "replay archive not found" in result.stderr


def test_tag_with_two_workers_writes_what_one_worker_writes(tmp_path):
    texts = ["On Monday the Bureau of Industry and Security added 12 Chinese companies to the Entity List.",
             "China's Ministry of Commerce said it firmly opposes the US export controls on chips.",
             "The Justice Department charged two men with smuggling Nvidia H100 chips to China."]
    results = []
    for workers in (1, 2):
        db_path = tmp_path / f"w{workers}.db"
        paths = []
        for i, text in enumerate(texts):
            path = tmp_path / f"doc{i}.txt"
            path.write_text(f"Statement {i}\n{text}\n")
            paths.append(path)
        rivalry("ingest", "--db", db_path, "--date", "2025-03-03", *paths)
        rivalry("tag", "--db", db_path, "--workers", workers)
        conn = sqlite3.connect(db_path)
        results.append(conn.execute("SELECT id, action, actor_id, target_id FROM events ORDER BY id").fetchall())
    assert results[0] and results[0] == results[1]


def test_a_command_that_raises_is_recorded_as_failed_with_what_it_had(db):
    from rivalry import store

    counts, errors = {"crawl": {"whitehouse": {"new": 3}}}, {"state": "HTTP 503"}
    try:
        with store.recorded_run(db, "nightly", counts, errors):
            raise RuntimeError("disk full")
    except RuntimeError:
        pass
    status, saved_counts, saved_errors = db.execute(
        "SELECT status, counts, errors FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    assert status == "failed"
    assert json.loads(saved_counts) == counts
    assert json.loads(saved_errors) == {"state": "HTTP 503", "nightly": "disk full"}


def test_bad_ingest_date_records_no_run(tmp_path, db_file):
    note = tmp_path / "n.txt"
    note.write_text("t\nx\n")
    result = rivalry("ingest", "--db", db_file, "--date", "someday", note, check=False)
    assert result.returncode == 1 and "is not a date" in result.stderr
    assert sqlite3.connect(db_file).execute("SELECT count(*) FROM runs").fetchone()[0] == 0


def test_db_before_the_command(tmp_path, db_file, db):
    add_document(db, url="https://example.org/a", title="Before", text="x")
    out = rivalry("--db", db_file, "query", "--csv", "SELECT title FROM documents")
    assert out.stdout.splitlines() == ["title", "Before"]
    assert "documents" in rivalry("--db", db_file, "status").stdout
    # after the command it wins: the missing file is the one read
    missing = tmp_path / "missing.db"
    result = rivalry("--db", db_file, "status", "--db", missing, check=False)
    assert result.returncode == 1 and str(missing) in result.stderr
