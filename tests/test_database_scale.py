"""Reads that stay fast at a million documents (issue 16) give the same rows as the slower ones
they replace: the entity timeline (event_entities + the timeline_by_entity view), its keyset pages,
and search snippets made in one pass. Checked on a small synthetic store (bench/make_synthetic_db)
and on a store upgraded from schema version 7."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest
import sqlite_utils

from rivalry import store
from rivalry.reading import entity_timeline_page, search_documents

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from make_synthetic_db import make  # noqa: E402

# The query the entity timeline was asked with before event_entities (three index ranges).
OLD_TIMELINE = ("SELECT * FROM timeline WHERE (actor_id = :entity OR target_id = :entity "
                "OR object_id = :entity) AND date >= :start AND date < :end")
NEW_TIMELINE = ("SELECT * FROM timeline_by_entity WHERE entity_id = :entity AND date >= :start "
                "AND date < :end ORDER BY date DESC, event_id DESC")
EXPECTED_PAIRS = """
    SELECT DISTINCT entity_id, event_date, id FROM (
        SELECT actor_id AS entity_id, event_date, id FROM events
        UNION ALL SELECT target_id, event_date, id FROM events
        UNION ALL SELECT object_id, event_date, id FROM events)
    WHERE entity_id IS NOT NULL ORDER BY 1, 2, 3"""


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    path = tmp_path_factory.mktemp("scale") / "rivalry.db"
    make(path, documents=300, events=1200, entities=40)
    return path


def as_set(rows):
    return sorted(rows, key=repr)


def test_entity_timeline_has_the_rows_of_the_three_role_query(synthetic):
    conn = store.open_readonly(synthetic)
    checked = 0
    for entity in ("entity-0", "entity-1", "entity-7", "entity-39"):
        for year in (2021, 2023, 2025):
            params = {"entity": entity, "start": f"{year}-01-01", "end": f"{year + 1}-01-01"}
            old = conn.execute(OLD_TIMELINE, params).fetchall()
            new = conn.execute(NEW_TIMELINE, params).fetchall()
            assert as_set(old) == as_set([row[1:] for row in new])
            assert [row[0] for row in new] == [entity] * len(new)
            assert [row[1] for row in new] == sorted((row[1] for row in new), reverse=True)
            checked += len(new)
    # entity-0 is often actor and target of one event: it must come once, not twice.
    assert conn.execute("SELECT count(*) FROM events WHERE actor_id = target_id").fetchone()[0] > 0
    assert checked > 200


def test_keyset_pages_walk_the_whole_timeline_once_in_order(synthetic):
    conn = store.open_readonly(synthetic)
    params = {"entity": "entity-0", "start": "2023-01-01", "end": "2024-01-01"}
    whole = conn.execute(NEW_TIMELINE, params).fetchall()
    pages, after = [], None
    while True:
        columns, rows = entity_timeline_page(conn, "entity-0", since="2023-01-01",
                                             until="2024-01-01", after=after, limit=7)
        if not rows:
            break
        pages.append(rows)
        after = (rows[-1][columns.index("date")], rows[-1][columns.index("event_id")])
    assert len(pages) > 3 and all(len(page) == 7 for page in pages[:-1])
    assert [row for page in pages for row in page] == whole


def test_entity_timeline_reads_one_index_range_in_date_order(synthetic):
    conn = store.open_readonly(synthetic)
    plan = " | ".join(row[3] for row in conn.execute(
        "EXPLAIN QUERY PLAN " + NEW_TIMELINE + " LIMIT 50",
        {"entity": "entity-0", "start": "2023-01-01", "end": "2024-01-01"}))
    assert "SEARCH x USING COVERING INDEX" in plan and "TEMP B-TREE" not in plan, plan


def test_triggers_keep_event_entities_equal_to_the_events(synthetic, tmp_path):
    path = tmp_path / "copy.db"
    with sqlite3.connect(synthetic) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    db = store.open_db(path)
    with db.conn:
        db.execute("UPDATE events SET target_id = actor_id WHERE rowid % 7 = 0")
        db.execute("UPDATE events SET object_id = NULL, event_date = NULL WHERE rowid % 11 = 0")
        db.execute("UPDATE events SET event_date = '2020-02-02', object_id = 'entity-5' WHERE rowid % 13 = 0")
        db.execute("DELETE FROM events WHERE rowid % 5 = 0")
        db["events"].insert({"id": "new-1", "document_id": db.execute("SELECT id FROM documents").fetchone()[0],
                             "action": "tariff", "actor_id": "entity-2", "target_id": "entity-2",
                             "object_id": "entity-3", "event_date": None, "evidence": "x",
                             "evidence_start": 0, "evidence_end": 1, "pipeline_version": "t"})
    pairs = db.execute("SELECT entity_id, event_date, event_id FROM event_entities ORDER BY 1, 2, 3").fetchall()
    assert pairs == db.execute(EXPECTED_PAIRS).fetchall()
    assert ("entity-2", None, "new-1") in pairs and ("entity-3", None, "new-1") in pairs
    db.close()


def test_a_filled_version_7_store_upgrades_to_the_same_timeline(synthetic, tmp_path):
    """A store at version 7 with events in it: the migration fills event_entities from them."""
    path = tmp_path / "old.db"
    with sqlite3.connect(synthetic) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    conn = sqlite3.connect(path)
    with conn:  # back to version 7, as a store written by the previous rivalry
        for name in ("event_entities_insert", "event_entities_delete", "event_entities_update"):
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP VIEW timeline_by_entity")
        conn.execute("DROP TABLE event_entities")
        conn.execute("DROP TABLE taxonomy")  # and migration 9's tables
        conn.execute("DROP TABLE evaluations")
        conn.execute("DROP TABLE story_clustering")  # and migration 10's
        conn.execute("PRAGMA user_version = 7")
    conn.close()
    store.open_db(path).close()
    conn = store.open_readonly(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    assert conn.execute("SELECT entity_id, event_date, event_id FROM event_entities "
                        "ORDER BY 1, 2, 3").fetchall() == conn.execute(EXPECTED_PAIRS).fetchall()
    params = {"entity": "entity-1", "start": "2022-01-01", "end": "2023-01-01"}
    old = conn.execute(OLD_TIMELINE, params).fetchall()
    assert old and as_set(old) == as_set([r[1:] for r in conn.execute(NEW_TIMELINE, params)])


def old_search(conn, text, limit=20):
    """search_documents before issue 16: one snippet query per hit."""
    rows = conn.execute(
        "SELECT d.rowid, d.id, hits.rank FROM (SELECT rowid, bm25(documents_fts, 10.0, 1.0) AS rank "
        "FROM documents_fts WHERE documents_fts MATCH :q ORDER BY rank LIMIT :limit) hits "
        "JOIN documents d ON d.rowid = hits.rowid ORDER BY hits.rank", {"q": text, "limit": limit}).fetchall()
    return [(doc_id, rank, conn.execute(
        "SELECT snippet(documents_fts, 1, '[', ']', '…', 16) FROM documents_fts "
        "WHERE documents_fts MATCH :q AND rowid = :rowid", {"q": text, "rowid": rowid}).fetchone()[0])
        for rowid, doc_id, rank in rows]


@pytest.mark.parametrize("text", ["export", "licen*", "semicon*", '"entity list"',
                                  "chip NOT tariff", "nothingmatches"])
def test_search_snippets_in_one_pass_are_the_snippets_per_hit(synthetic, text):
    conn = store.open_readonly(synthetic)
    new = [(hit["id"], hit["rank"], hit["snippet"]) for hit in search_documents(conn, text, limit=20)]
    assert new == old_search(conn, text)
    assert bool(new) == (text != "nothingmatches")


OLD_CANNED = {  # rivalry/datasette/metadata.json before timeline_by_entity
    "entity_timeline": "SELECT date, actor, action, target, object, modality, evidence, document_url "
                       "FROM timeline WHERE actor_id = :entity OR target_id = :entity OR object_id = :entity "
                       "ORDER BY date DESC",
    "actions_touching_chip": "SELECT date, actor, action, target, object, evidence, document_url FROM timeline "
                             "WHERE actor_id = :chip OR target_id = :chip OR object_id = :chip OR event_id IN "
                             "(SELECT e.id FROM events e JOIN mentions m ON m.document_id = e.document_id AND "
                             "m.start >= e.evidence_start AND m.end <= e.evidence_end WHERE m.entity_id = :chip) "
                             "ORDER BY date DESC",
}


def test_datasette_canned_queries_give_the_rows_they_gave_before(synthetic, tmp_path):
    import json

    metadata = json.loads((Path(__file__).resolve().parent.parent / "rivalry" / "datasette"
                           / "metadata.json").read_text())
    queries = metadata["databases"]["rivalry"]["queries"]
    path = tmp_path / "with-mentions.db"
    with sqlite3.connect(synthetic) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    db = store.open_db(path)
    with db.conn:  # entity-9 named inside some evidence sentences, not only as a party
        db.execute("INSERT INTO mentions (document_id, entity_id, start, end, surface) "
                   "SELECT document_id, 'entity-9', evidence_start, evidence_start + 1, 'E9' "
                   "FROM events WHERE rowid % 17 = 0")
    db.close()
    conn = store.open_readonly(path)
    for name, old in OLD_CANNED.items():
        for entity in ("entity-0", "entity-9", "entity-30"):
            params = {"entity": entity, "chip": entity}
            before = conn.execute(old, params).fetchall()
            after = conn.execute(queries[name]["sql"], params).fetchall()
            assert before and as_set(before) == as_set(after), (name, entity)
            assert [r[0] for r in after] == sorted((r[0] for r in after), reverse=True)


def test_a_failed_migration_to_version_8_leaves_the_store_at_version_7(synthetic, tmp_path):
    """The migration is one transaction: here its third statement fails (a trigger name taken),
    after the table was made and filled; nothing of it stays, and the version is still 7."""
    path = tmp_path / "old.db"
    with sqlite3.connect(synthetic) as src, sqlite3.connect(path) as dst:
        src.backup(dst)
    conn = sqlite3.connect(path)
    with conn:
        for name in ("event_entities_insert", "event_entities_delete", "event_entities_update"):
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP VIEW timeline_by_entity")
        conn.execute("DROP TABLE event_entities")
        conn.execute("DROP TABLE taxonomy")  # and migration 9's tables
        conn.execute("DROP TABLE evaluations")
        conn.execute("DROP TABLE story_clustering")  # and migration 10's
        conn.execute("CREATE TRIGGER event_entities_insert AFTER INSERT ON runs BEGIN SELECT 1; END")
        conn.execute("PRAGMA user_version = 7")
    conn.close()
    with pytest.raises(store.StoreError, match="event_entities_insert already exists"):
        store.open_db(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 7
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'event_entities'").fetchall()


def newest_ranked(conn, text, cap, limit=20, since=None):
    """The search contract written out plainly: bm25 of the newest ``cap`` matches (those
    published since ``since``), the best ``limit`` of them, ties by rowid."""
    where = " AND rowid IN (SELECT rowid FROM documents WHERE published_at >= :since)" if since else ""
    rows = conn.execute(
        f"SELECT rowid, bm25(documents_fts, 10.0, 1.0) FROM documents_fts WHERE documents_fts MATCH :q{where} "
        "ORDER BY rowid DESC LIMIT :cap", {"q": text, "cap": cap, "since": since}).fetchall()
    ids = dict(conn.execute("SELECT rowid, id FROM documents"))
    return [(ids[rowid], rank) for rowid, rank in sorted(rows, key=lambda r: (r[1], r[0]))[:limit]]


@pytest.mark.parametrize("text", ["export", "licen*", "control OR rule"])
def test_a_search_with_more_matches_than_it_ranks_ranks_the_newest(synthetic, monkeypatch, text):
    from rivalry import reading

    conn = store.open_readonly(synthetic)
    matches = conn.execute("SELECT count(*) FROM documents_fts WHERE documents_fts MATCH ?", [text]).fetchone()[0]
    cap = matches // 3
    assert cap > 20
    monkeypatch.setattr(reading, "RANKED_MATCHES", cap)
    new = [(hit["id"], hit["rank"]) for hit in search_documents(conn, text, limit=20)]
    assert new == newest_ranked(conn, text, cap)
    assert new != [(doc_id, rank) for doc_id, rank, _ in old_search(conn, text)]  # the contract changed
    # The cap counts the matches that pass the filters, not all matches.
    since = [(h["id"], h["rank"]) for h in search_documents(conn, text, since="2024-01-01", limit=20)]
    assert since == newest_ranked(conn, text, cap, since="2024-01-01")
    # Fewer matches than the cap: every one is ranked, as before.
    monkeypatch.setattr(reading, "RANKED_MATCHES", matches)
    assert [(h["id"], h["rank"], h["snippet"]) for h in search_documents(conn, text)] == old_search(conn, text)


def test_rivalry_timeline_pages_by_key_through_the_whole_list(synthetic):
    import json

    from conftest import rivalry

    params = {"entity": "entity-1", "start": "2022-01-01", "end": "2023-01-01"}
    conn = store.open_readonly(synthetic)
    whole = [row[-3] for row in conn.execute(NEW_TIMELINE, params)]  # event_id
    seen, after, pages = [], [], 0
    while True:
        result = rivalry("timeline", "--db", synthetic, "entity-1", "--since", "2022-01-01",
                         "--until", "2023-01-01", "--limit", 15, "--jsonl", *after)
        seen += [json.loads(line)["event_id"] for line in result.stdout.splitlines()]
        pages += 1
        if "next page: --after " not in result.stderr:
            break
        after = ["--after", result.stderr.split("--after ")[1].strip()]
    assert pages > 2 and seen == whole
    bad = rivalry("timeline", "--db", synthetic, "entity-1", "--after", "2022-01-01", check=False)
    assert bad.returncode == 2 and "DATE/EVENT_ID" in bad.stderr
