"""The database as a product: views, read-only query, search filters, export and snapshot."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
from conftest import add_document, rivalry

from rivalry import store
from rivalry.store.views import VIEWS


@pytest.fixture
def filled(db_file, db):
    """Two documents, three entities, two events: enough to tell filters apart."""
    us = add_document(db, url="https://www.commerce.gov/news/h20", title="Commerce requires H20 licence",
                      text="The Bureau of Industry and Security informed Nvidia that the H20 requires a licence.",
                      published_at="2025-04-15T21:40:00+00:00", source_id="commerce")
    cn = add_document(db, url="https://english.news.cn/20251009/rare-earths/c.html",
                      title="China tightens export controls on rare earths",
                      text="MOFCOM announced export controls on rare earth technologies. Export licences are required.",
                      published_at="2025-10-09T09:20:00+00:00", source_id="xinhua")
    with db.conn:
        db["sources"].update("commerce", {"country": "US"})
        db["sources"].update("xinhua", {"country": "CN"})
        db["entities"].insert_all([
            {"id": "us-bis", "name": "Bureau of Industry and Security", "type": "agency", "country": "US"},
            {"id": "nvidia", "name": "Nvidia", "type": "company", "country": "US"},
            {"id": "h20", "name": "H20", "type": "chip", "country": "US"},
            {"id": "cn-mofcom", "name": "Ministry of Commerce", "type": "agency", "country": "CN"},
        ])
        db["mentions"].insert_all([
            {"document_id": us, "entity_id": "us-bis", "start": 4, "end": 35, "surface": "Bureau of Industry and Security"},
            {"document_id": us, "entity_id": "nvidia", "start": 45, "end": 51, "surface": "Nvidia"},
            {"document_id": cn, "entity_id": "cn-mofcom", "start": 0, "end": 6, "surface": "MOFCOM"},
        ])
        db["events"].insert_all([
            {"id": "e1", "document_id": us, "action": "license_action", "actor_id": "us-bis", "target_id": "nvidia",
             "object_id": "h20", "event_date": "2025-04-15", "evidence": "x", "evidence_start": 0,
             "evidence_end": 1, "pipeline_version": "t"},
            {"id": "e2", "document_id": cn, "action": "export_control", "actor_id": "cn-mofcom",
             "event_date": "2025-10-09", "evidence": "y", "evidence_start": 0, "evidence_end": 1,
             "pipeline_version": "t"},
        ])
        db["stories"].insert({"id": "s1", "key": "bis|license_action|nvidia|2025-04-15", "key_kind": "window",
                              "action": "license_action", "actor_id": "us-bis", "target_id": "nvidia",
                              "object_id": "h20", "first_date": "2025-04-15", "last_date": "2025-04-15",
                              "title": "Commerce requires H20 licence", "primary_document_id": us,
                              "event_count": 1, "document_count": 1})
        db["events"].update("e1", {"story_id": "s1"})
    return db_file


def test_story_timeline_lists_each_story_once_with_its_sources(filled):
    conn = sqlite3.connect(filled)
    rows = conn.execute("SELECT date, actor, action, target, object, sources, source_ids, primary_url "
                        "FROM story_timeline").fetchall()
    assert rows == [("2025-04-15", "Bureau of Industry and Security", "license_action", "Nvidia", "H20",
                     1, "commerce", "https://www.commerce.gov/news/h20")]
    assert conn.execute("SELECT story_id FROM timeline WHERE event_id = 'e1'").fetchone() == ("s1",)


def test_views_answer_the_common_questions(filled):
    conn = sqlite3.connect(filled)
    assert set(VIEWS) <= {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='view'")}
    timeline = conn.execute("SELECT date, actor, action, target, object FROM timeline ORDER BY date").fetchall()
    assert timeline == [("2025-04-15", "Bureau of Industry and Security", "license_action", "Nvidia", "H20"),
                        ("2025-10-09", "Ministry of Commerce", "export_control", None, None)]
    activity = dict(conn.execute("SELECT entity_id, events_as_actor FROM entity_activity"))
    assert activity["us-bis"] == 1 and activity["nvidia"] == 0
    assert conn.execute("SELECT month, country, action, events FROM actions_per_month ORDER BY month").fetchall() == [
        ("2025-04", "US", "license_action", 1), ("2025-10", "CN", "export_control", 1)]
    assert conn.execute("SELECT count(*) FROM document_entities").fetchone()[0] == 3


def test_changed_view_sql_is_recreated_on_open(filled):
    conn = sqlite3.connect(filled)
    conn.execute("DROP VIEW timeline")
    conn.execute("CREATE VIEW timeline AS SELECT 1 AS stale")
    conn.commit()
    store.open_db(filled).close()
    assert "actor" in [c[1] for c in sqlite3.connect(filled).execute("PRAGMA table_info(timeline)")]


@pytest.mark.parametrize("sql", [
    "ATTACH DATABASE '/tmp/evil.db' AS evil",
    "PRAGMA journal_mode = DELETE",
    "PRAGMA writable_schema = 1",
    "UPDATE documents SET title = 'x'",
    "CREATE TABLE t (x)",
    "VACUUM",
])
def test_query_refuses_anything_that_changes_state(filled, sql, tmp_path):
    result = rivalry("query", "--db", filled, sql, check=False)
    assert result.returncode == 1, sql
    assert result.stderr.startswith("Error: "), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "evil.db").exists()


def test_query_allows_reading_pragmas_and_prints_jsonl(filled):
    out = rivalry("query", "--db", filled, "--jsonl", "SELECT name FROM pragma_table_info('events') LIMIT 2")
    assert [json.loads(line) for line in out.stdout.splitlines()] == [{"name": "id"}, {"name": "document_id"}]
    out = rivalry("query", "--db", filled, "PRAGMA user_version")
    assert str(store.SCHEMA_VERSION) in out.stdout


def search(db_file, *args):
    out = rivalry("search", "--db", db_file, "--json", *args)
    return [hit["title"] for hit in json.loads(out.stdout)]


def test_search_filters_phrases_and_prefixes(filled):
    assert len(search(filled, "export OR licence")) == 2
    assert search(filled, "licen*", "--action", "license_action") == ["Commerce requires H20 licence"]
    assert search(filled, "licen*", "--entity", "cn-mofcom") == ["China tightens export controls on rare earths"]
    assert search(filled, "licen*", "--country", "cn") == ["China tightens export controls on rare earths"]
    assert search(filled, "licen*", "--since", "2025-06-01") == ["China tightens export controls on rare earths"]
    assert search(filled, '"rare earth technologies"') == ["China tightens export controls on rare earths"]
    assert search(filled, '"earth rare technologies"') == []
    bad = rivalry("search", "--db", filled, "AND OR (", check=False)
    assert bad.returncode == 1 and bad.stderr.startswith("Error: bad search")


def test_export_formats_tables_and_views(filled, tmp_path):
    out = rivalry("export", "--db", filled, "--format", "csv")  # the timeline view by default
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert {r["event_id"] for r in rows} == {"e1", "e2"}
    target = tmp_path / "entities.jsonl"
    rivalry("export", "--db", filled, "--format", "jsonl", "--table", "entities", "--out", target)
    assert {json.loads(line)["id"] for line in target.read_text().splitlines()} == {"us-bis", "nvidia", "h20", "cn-mofcom"}
    out = rivalry("export", "--db", filled, "--format", "json", "--view", "actions_per_month")
    assert len(json.loads(out.stdout)) == 2
    bad = rivalry("export", "--db", filled, "--table", "documents; DROP TABLE events", check=False)
    assert bad.returncode == 1 and "no table named" in bad.stderr
    assert sqlite3.connect(filled).execute("SELECT count(*) FROM events").fetchone()[0] == 2


def test_snapshot_is_a_consistent_standalone_copy(filled, tmp_path):
    target = tmp_path / "pub" / "rivalry.db"
    rivalry("snapshot", "--db", filled, "--out", target)
    copy = sqlite3.connect(f"file:{target}?mode=ro&immutable=1", uri=True)
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("SELECT count(*) FROM events").fetchone()[0] == 2
    assert copy.execute("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH 'rare'").fetchone()[0] == 1
    assert [p.name for p in target.parent.iterdir()] == ["rivalry.db"]  # no temporary left behind


def test_csv_export_neutralises_formulas_unless_raw(db_file, db):
    add_document(db, url="https://example.org/f", title="=HYPERLINK(\"http://evil\")", text="-5 is text")
    out = rivalry("export", "--db", db_file, "--table", "documents", "--format", "csv")
    row = next(csv.DictReader(io.StringIO(out.stdout)))
    assert row["title"] == "'=HYPERLINK(\"http://evil\")" and row["text"] == "'-5 is text"
    raw = rivalry("export", "--db", db_file, "--table", "documents", "--format", "csv", "--raw")
    assert next(csv.DictReader(io.StringIO(raw.stdout)))["title"] == '=HYPERLINK("http://evil")'
    as_json = rivalry("export", "--db", db_file, "--table", "documents", "--format", "json")
    assert json.loads(as_json.stdout)[0]["title"] == '=HYPERLINK("http://evil")'  # JSON is data, unchanged
