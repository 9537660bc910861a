"""The main job on the bundled sample: `rivalry nightly --replay samples/sample.warc.gz`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import rivalry

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "sample.warc.gz"
TABLES = ("documents", "entities", "mentions", "events", "sources")


def counts(db_path) -> dict:
    conn = sqlite3.connect(db_path)
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.fixture(scope="module")
def nightly(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nightly")
    db_path, out = tmp / "rivalry.db", tmp / "public"
    first = rivalry("nightly", "--db", db_path, "--replay", SAMPLE, "--out", out)
    return {"db": db_path, "out": out, "stdout": first.stdout, "counts": counts(db_path)}


def test_sample_fills_the_database(nightly):
    c = nightly["counts"]
    assert c["documents"] >= 30 and c["events"] >= 15 and c["entities"] >= 20, c
    assert c["sources"] == 5
    conn = sqlite3.connect(nightly["db"])
    # Events carry an action and an actor that is a known entity, with their evidence sentence.
    rows = conn.execute("""SELECT e.action, a.id, e.evidence, d.text, d.title FROM events e
                           JOIN entities a ON a.id = e.actor_id JOIN documents d ON d.id = e.document_id""").fetchall()
    assert len(rows) >= 15
    actions = {r[0] for r in rows}
    assert {"export_control", "entity_listing"} <= actions, actions
    for _, _, evidence, text, title in rows:
        # the evidence is a real sentence of its document, or its title when the act is read
        # from the title alone
        assert evidence in text or evidence == title
    actors = {r[1] for r in rows}
    assert actors & {"us-bis", "us-commerce", "united-states"}, actors  # the US voice
    assert actors & {"cn-mofcom", "cn-mfa", "china"}, actors  # and China's


def test_nightly_is_recorded_and_prints_where_things_are(nightly):
    assert f"database: {nightly['db']}" in nightly["stdout"]
    assert "snapshot" in nightly["stdout"]
    assert "rivalry serve" in nightly["stdout"]
    conn = sqlite3.connect(nightly["db"])
    status, stage_counts = conn.execute(
        "SELECT status, counts FROM runs WHERE command = 'nightly'").fetchone()
    assert status == "ok"
    assert set(json.loads(stage_counts)) == {"crawl", "tag", "build", "snapshot"}
    snapshot = nightly["db"].parent / "snapshot" / "rivalry.db"
    copy = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    assert copy.execute("SELECT count(*) FROM documents").fetchone()[0] == nightly["counts"]["documents"]


def test_site_pages_are_on_disk(nightly):
    out = nightly["out"]
    index = (out / "index.html").read_text()
    conn = sqlite3.connect(nightly["db"])
    event_id, = conn.execute("SELECT id FROM events ORDER BY event_date DESC LIMIT 1").fetchone()
    assert (out / "events" / f"{event_id}.html").is_file()
    assert (out / "entities" / "us-bis.html").is_file() or (out / "entities" / "cn-mofcom.html").is_file()
    assert "<html" in index


def test_query_on_the_result(nightly):
    out = rivalry("query", "--db", nightly["db"], "--json",
                  "SELECT count(*) AS n FROM events WHERE action = 'entity_listing'")
    assert json.loads(out.stdout)[0]["n"] >= 1


def test_second_run_leaves_the_same_counts(nightly):
    rivalry("nightly", "--db", nightly["db"], "--replay", SAMPLE, "--out", nightly["out"])
    assert counts(nightly["db"]) == nightly["counts"]


def test_sample_replays_real_white_house_documents_with_readable_headlines(nightly):
    conn = sqlite3.connect(nightly["db"])
    real = conn.execute("SELECT count(*) FROM documents WHERE source_id = 'whitehouse' AND "
                        "url LIKE 'https://www.whitehouse.gov/presidential-actions/%'").fetchone()[0]
    assert real >= 40  # real documents at their real URLs (pages rebuilt from the CC0 corpus)
    manifest = (SAMPLE.parent / "web" / "manifest-whitehouse.toml").read_text()
    page = next((SAMPLE.parent / "web" / "whitehouse" / "real").glob("*.html")).read_text()
    assert manifest.count("[[response]]") >= 41 and "brian14708/wh-briefings" in page
    headlines = [h for (h,) in conn.execute("SELECT headline FROM stories")]
    assert headlines and all(h and "unknown" not in h.lower() for h in headlines), headlines
    # context entries (background the documents mention) are kept, never as stories
    assert conn.execute("SELECT count(*) FROM events WHERE role = 'context' AND story_id IS NOT "
                        "NULL").fetchone()[0] == 0


def test_published_copies_show_the_nightly_that_made_them_as_finished(nightly):
    live = sqlite3.connect(nightly["db"])
    run_id, status = live.execute("SELECT id, status FROM runs WHERE command = 'nightly' "
                                  "ORDER BY id DESC LIMIT 1").fetchone()
    assert status == "ok"
    for copy_path in (nightly["db"].parent / "snapshot" / "rivalry.db",
                      nightly["out"] / "downloads" / "rivalry.db"):
        copy = sqlite3.connect(f"file:{copy_path}?mode=ro", uri=True)
        row = copy.execute("SELECT status, finished, counts FROM runs WHERE id = ?", [run_id]).fetchone()
        assert row[0] == "ok" and row[1], (copy_path, row)
        assert {"crawl", "tag"} <= set(json.loads(row[2]))
        assert copy.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0] == 0


def test_skipped_sources_say_why(nightly):
    assert "no saved page in the replay archive" in nightly["stdout"]
    assert "sources skipped: the replay archive holds no page of theirs (the bundled sample covers 5)" \
        in nightly["stdout"]
