"""Story clustering after new events decides again only what they can change
(nlp/stories_incremental.py); whatever changed, the stories, their events and the response
links are exactly the ones clustering every event from scratch gives, on real store files."""

from __future__ import annotations

import json
import random
import sqlite3

import pytest

from nlp import stories_incremental
from nlp.stories import cluster_stories
from rivalry import store

ENTITIES = [("us", "country", "US"), ("cn", "country", "CN"), ("tw", "country", "TW"),
            ("us-bis", "agency", "US"), ("us-ustr", "agency", "US"), ("cn-mofcom", "agency", "CN"),
            ("nvidia", "company", "US"), ("huawei", "company", "CN"), ("smic", "company", "CN"),
            ("h20", "chip", "US"), ("tsmc", "company", "TW")]
GOVERNMENTS = ["us", "cn", "us-bis", "us-ustr", "cn-mofcom", None]
THINGS = ["nvidia", "huawei", "smic", "h20", "tsmc", "cn", "us", None]
ACTIONS = ["export_control", "entity_listing", "tariff", "sanction", "investigation"]
SOURCES = [("us-gov", "Commerce Department", "US"), ("cn-gov", "MOFCOM", "CN"),
           ("news", "Reuters news agency", None)]


def _store(path):
    db = store.open_db(path)
    with db.conn:
        db["entities"].insert_all([{"id": i, "name": i.upper(), "type": t, "country": c,
                                    "aliases": "[]"} for i, t, c in ENTITIES], pk="id")
        for sid, owner, country in SOURCES:
            store.upsert_source(db, {"id": sid, "name": sid, "owner": owner, "country": country,
                                     "kind": "feed"})
    return db


def _add(db, rnd: random.Random, n: int, first: int, days: tuple[int, int]):
    """n documents published on days[0]..days[1] of 2024 (day numbers), with 1-3 events each:
    official identifiers, negations, undated events and stated responses among them."""
    with db.conn:
        for i in range(first, first + n):
            day = rnd.randint(*days)
            published = f"{_date(day)}T12:00:00+00:00"
            source = rnd.choice(SOURCES)[0]
            url = f"https://example.org/{i}"
            extra = json.dumps({"identifier": f"2024-{rnd.randint(1, 6):05d}"}) \
                if source == "us-gov" and rnd.random() < 0.2 else None
            text = f"Document {i}."
            store.upsert_document(db, {"source_id": source, "url": url, "canonical_url": url,
                                       "title": f"Report {i} on {rnd.choice(THINGS)}", "text": text,
                                       "published_at": published, "language": "en",
                                       **({"extra": extra} if extra else {})})
            doc = store.document_id(url)
            for j in range(rnd.randint(1, 3)):
                actor, target = rnd.choice(GOVERNMENTS), rnd.choice(THINGS)
                when = None if rnd.random() < 0.05 else _date(day - rnd.randint(0, 12))
                evidence, trigger = f"{actor} acted on {target} in case {i}-{j}.", "acted"
                roll = rnd.random()
                if roll < 0.1:
                    evidence = f"The rule FR Doc. 2024-{rnd.randint(1, 6):05d} acted on {target}."
                elif roll < 0.15:
                    evidence = f"Announcement No. {rnd.randint(1, 4)} of 2024 acted on {target}."
                elif roll < 0.3:
                    evidence = f"{actor} acted in response to the U.S. decision on {target}."
                evid = f"{i:05d}{j:02d}"
                db["events"].insert({
                    "id": evid, "document_id": doc, "action": rnd.choice(ACTIONS),
                    "actor_id": actor, "target_id": target,
                    "object_id": rnd.choice(THINGS) if rnd.random() < 0.3 else None,
                    "event_date": when, "date_source": "stated",
                    "modality": "negated" if rnd.random() < 0.05 else "asserted",
                    "status": "announced", "trigger": trigger, "evidence": evidence,
                    "evidence_start": 0, "evidence_end": len(evidence), "confidence": 0.9,
                    "pipeline_version": "t"})
                cue = evidence.find("response to")
                if cue >= 0:  # what the sentence names after its cue
                    for entity in ("us", target):
                        if entity:
                            db["mentions"].insert({"document_id": doc, "entity_id": entity,
                                                   "start": cue + 15, "end": cue + 20,
                                                   "surface": entity})


def _date(day: int) -> str:
    from datetime import date, timedelta
    return (date(2024, 1, 1) + timedelta(days=day)).isoformat()


def _result(path) -> tuple:
    conn = sqlite3.connect(path)
    try:
        return (conn.execute("SELECT id, key, key_kind, action, actor_id, target_id, object_id, "
                             "first_date, last_date, headline, title, summary, primary_document_id, "
                             "primary_event_id, event_count, document_count FROM stories "
                             "ORDER BY id").fetchall(),
                conn.execute("SELECT id, story_id FROM events ORDER BY id").fetchall(),
                conn.execute("SELECT from_event, from_story, to_event, to_story, kind, basis, "
                             "evidence FROM event_links ORDER BY from_story, to_story").fetchall())
    finally:
        conn.close()


def _copy(path, to):
    with sqlite3.connect(path) as src, sqlite3.connect(to) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _edit(db, rnd: random.Random, kind: str) -> None:
    """A change that is not a new event: the clustering must notice and cluster everything."""
    ids = [r[0] for r in db.execute("SELECT id FROM events ORDER BY id")]
    evid = rnd.choice(ids)
    with db.conn:
        if kind == "an event's date":
            db.execute("UPDATE events SET event_date = '2024-03-03' WHERE id = ?", [evid])
        elif kind == "an event deleted":
            db.execute("DELETE FROM event_links WHERE from_event = ? OR to_event = ?", [evid, evid])
            db.execute("DELETE FROM events WHERE id = ?", [evid])
        elif kind == "an event retagged under its id":
            row = db.execute("SELECT * FROM events WHERE id = ?", [evid]).fetchone()
            cols = [c[1] for c in db.execute("PRAGMA table_info(events)")]
            db.execute("DELETE FROM event_links WHERE from_event = ? OR to_event = ?", [evid, evid])
            db.execute("DELETE FROM events WHERE id = ?", [evid])
            new = dict(zip(cols, row), story_id=None)
            db["events"].insert(new)
        elif kind == "a document's title":
            db.execute("UPDATE documents SET title = 'Renamed' WHERE id = "
                       "(SELECT document_id FROM events WHERE id = ?)", [evid])
        elif kind == "an entity's country":
            db.execute("UPDATE entities SET country = 'TW' WHERE id = 'smic'")


@pytest.mark.parametrize("seed", range(6))
def test_clustering_new_events_again_equals_clustering_everything(tmp_path, seed, monkeypatch):
    # In a store this small, a week's events are a large share: place them again whatever the
    # share (above REPLAY_LIMIT the full pass is quicker, and gives the same by construction).
    monkeypatch.setattr(stories_incremental, "REPLAY_LIMIT", 1.0)
    rnd = random.Random(seed)
    path = tmp_path / "rivalry.db"
    db = _store(path)
    _add(db, rnd, 150, 0, (0, 330))
    cluster_stories(db, incremental=False)
    first, placed_less = 150, 0
    for step in range(6):
        recent = (300 + step * 6, 306 + step * 6) if step % 3 else (20, 340)
        _add(db, rnd, rnd.randint(3, 12), first, recent)
        first += 20
        scratch = tmp_path / f"scratch-{step}.db"
        _copy(path, scratch)
        got = cluster_stories(db)
        other = store.open_db(scratch)
        want = cluster_stories(other, incremental=False)
        other.close()
        assert _result(path) == _result(scratch), step
        total = db.execute("SELECT count(*) FROM events WHERE role = 'new'").fetchone()[0]
        assert got["stories"] == want["stories"] and got["links"] == want["links"]
        placed_less += got["events_placed"] < total
    assert placed_less >= 3  # most took the incremental way
    links = db.execute("SELECT count(*), sum(basis = 'stated') FROM event_links").fetchone()
    assert links[0] > 0 and links[1] > 0  # responses of both kinds were tested
    kinds = {r[0] for r in db.execute("SELECT key_kind FROM stories")}
    assert kinds == {"identifier", "window"}
    db.close()


EDITS = ["an event's date", "an event deleted", "an event retagged under its id",
         "a document's title", "an entity's country"]


@pytest.mark.parametrize("edit", EDITS)
def test_anything_but_new_events_clusters_every_event(tmp_path, edit, monkeypatch):
    monkeypatch.setattr(stories_incremental, "REPLAY_LIMIT", 1.0)
    rnd = random.Random(7)
    path = tmp_path / "rivalry.db"
    db = _store(path)
    _add(db, rnd, 120, 0, (0, 330))
    cluster_stories(db)
    _add(db, rnd, 5, 500, (325, 330))
    _edit(db, rnd, edit)
    scratch = tmp_path / "scratch.db"
    _copy(path, scratch)
    got = cluster_stories(db)
    total = db.execute("SELECT count(*) FROM events WHERE role = 'new'").fetchone()[0]
    assert got["events_placed"] == total, edit  # every event clustered again
    other = store.open_db(scratch)
    cluster_stories(other, incremental=False)
    other.close()
    assert _result(path) == _result(scratch), edit
    # and the next new events go the incremental way again
    _add(db, rnd, 4, 600, (328, 330))
    assert cluster_stories(db)["events_placed"] < total
    db.close()


def test_a_new_event_that_joins_nothing(tmp_path, monkeypatch):
    """A negated report ("did not add") in a store with no story near it: nothing to decide."""
    monkeypatch.setattr(stories_incremental, "REPLAY_LIMIT", 1.0)
    path = tmp_path / "rivalry.db"
    db = _store(path)
    _add(db, random.Random(3), 40, 0, (0, 100))
    with db.conn:  # no undated report either (each is placed again, as its own story)
        db.execute("UPDATE events SET event_date = '2024-01-05' WHERE event_date IS NULL")
    cluster_stories(db)
    before = _result(path)
    url = "https://example.org/negated"
    with db.conn:
        store.upsert_document(db, {"source_id": "news", "url": url, "canonical_url": url,
                                   "title": "No listing", "text": "x", "language": "en",
                                   "published_at": "2024-12-30T00:00:00+00:00"})
        db["events"].insert({"id": "negated0001", "document_id": store.document_id(url),
                             "action": "tariff", "actor_id": "us", "target_id": "cn",
                             "event_date": "2024-12-30", "date_source": "stated",
                             "modality": "negated", "status": "announced", "trigger": "did",
                             "evidence": "The US did not add a tariff.", "evidence_start": 0,
                             "evidence_end": 28, "confidence": 0.9, "pipeline_version": "t"})
    got = cluster_stories(db)
    assert got["events_placed"] == 1 and got["stories_changed"] == 0
    assert _result(path)[0] == before[0] and _result(path)[2] == before[2]
    scratch = tmp_path / "scratch.db"
    _copy(path, scratch)
    other = store.open_db(scratch)
    cluster_stories(other, incremental=False)
    other.close()
    assert _result(path) == _result(scratch)
    db.close()
