"""Stories (one timeline entry per real-world action), responses, and tagging with workers."""

from __future__ import annotations

import json

import pytest

from conftest import add_document
from nlp import gazetteer
from nlp.pipeline import load_nlp
from nlp.story_cues import identifiers_in, stated_cue
from nlp.tagger import tag_documents

from test_nlp import FALLBACK_GAZETTEER


@pytest.fixture(scope="module")
def gaz_path(tmp_path_factory):
    if gazetteer.GAZETTEER_PATH.exists():
        return gazetteer.GAZETTEER_PATH
    path = tmp_path_factory.mktemp("gaz") / "entities.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in FALLBACK_GAZETTEER), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def nlp(gaz_path):
    return load_nlp(gaz_path)


@pytest.fixture
def tag(nlp, gaz_path):
    def run(db, **kw):
        return tag_documents(db, nlp=nlp, gazetteer_path=gaz_path, **kw)
    return run


def story_of(db, doc_id, action):
    rows = db.execute("SELECT story_id FROM events WHERE document_id = ? AND action = ?",
                      [doc_id, action]).fetchall()
    assert rows, (doc_id, action)
    return rows[0][0]


def test_identifiers_in_sentences():
    assert identifiers_in("MOFCOM Announcement No. 61 of 2025 takes effect") == ["mofcom:2025-61"]
    assert identifiers_in("Senators introduced H.R. 1234 and S. 77.") == ["bill:hr-1234",
                                                                        "bill:s-77"]
    assert identifiers_in("the U.S. 5 companies") == []
    assert identifiers_in("United States v. Ding, No. 3:24-cr-00141") == ["case:3:24-cr-00141"]
    assert identifiers_in("see FR Doc. 2025-00636 filed") == ["fr:2025-00636"]


def test_stated_cue_needs_an_act_not_a_party():
    assert stated_cue("China imposed tariffs in response to the U.S. decision to raise duties.")
    assert not stated_cue("China suspended its countermeasures against U.S. companies.")


US_RULE = ("On December 2, 2024, the Bureau of Industry and Security added 140 Chinese entities "
           "to the Entity List.")
US_NEWS = "Washington on Monday added 140 Chinese companies to the Entity List."
US_OTHER = "The Commerce Department added Huawei to the Entity List."
CN_ANSWER = ("China imposed tariffs of 15 percent on U.S. coal in response to the U.S. decision "
             "to add Chinese firms to the Entity List.")


def test_reports_of_one_action_are_one_story_official_source_first(db, tag):
    fr = add_document(db, url="https://fr.example/2024-28267", title="Additions to the Entity List",
                      text=US_RULE, published_at="2024-12-05T00:00:00+00:00",
                      source_id="federal-register",
                      extra=json.dumps({"identifier": "2024-28267"}))
    news = add_document(db, url="https://news.example/a", title="US blacklists 140",
                        text=US_NEWS, published_at="2024-12-03T08:00:00+00:00",
                        source_id="news")
    later = add_document(db, url="https://news.example/b", title="Huawei",
                         text=US_OTHER, published_at="2025-03-20T08:00:00+00:00",
                         source_id="news")
    counts = tag(db)
    assert counts["stories"] >= 2
    s_fr, s_news = story_of(db, fr, "entity_listing"), story_of(db, news, "entity_listing")
    assert s_fr == s_news  # same action, same side, within the window, joins the FR story
    assert story_of(db, later, "entity_listing") != s_fr  # months later: another story
    story = db["stories"].get(s_fr)
    assert story["key"] == "fr:2024-28267" and story["key_kind"] == "identifier"
    assert story["primary_document_id"] == fr
    assert story["document_count"] == 2 and story["event_count"] == 2
    assert story["action"] == "entity_listing"
    assert story["first_date"] == "2024-12-02"


def test_window_key_and_idempotent_retag(db, tag):
    add_document(db, url="https://news.example/c", title="x", text=US_OTHER,
                 published_at="2025-03-20T08:00:00+00:00")
    add_document(db, url="https://news.example/d", title="y",
                 text="The Commerce Department on Tuesday put Huawei on the Entity List.",
                 published_at="2025-03-19T08:00:00+00:00")
    tag(db)
    stories = [dict(r) for r in db.query("SELECT * FROM stories ORDER BY id")]
    assert len(stories) == 1 and stories[0]["document_count"] == 2
    assert stories[0]["key"].split("|")[1] == "entity_listing"
    assignment = db.execute("SELECT id, story_id FROM events ORDER BY id").fetchall()
    again = tag(db, retag=True)
    assert again["stories_changed"] == 0
    assert db.execute("SELECT id, story_id FROM events ORDER BY id").fetchall() == assignment
    assert [dict(r) for r in db.query("SELECT * FROM stories ORDER BY id")] == stories


def test_changed_document_leaves_no_stale_story(db, tag):
    url = "https://news.example/e"
    doc = add_document(db, url=url, title="x", text=US_OTHER)
    tag(db)
    old = story_of(db, doc, "entity_listing")
    add_document(db, url=url, title="x",
                 text="The Bureau of Industry and Security imposed new export controls on "
                      "Nvidia.")
    tag(db)
    assert db["stories"].count == 1 and db.execute(
        "SELECT 1 FROM stories WHERE id = ?", [old]).fetchone() is None


def test_stated_response_links_chinese_countermeasure_to_us_rule(db, tag):
    us = add_document(db, url="https://news.example/f", title="x", text=US_RULE,
                      published_at="2024-12-02T20:00:00+00:00")
    cn = add_document(db, url="https://news.example/g", title="y", text=CN_ANSWER,
                      published_at="2024-12-10T08:00:00+00:00")
    tag(db)
    links = [dict(r) for r in db.query("SELECT * FROM event_links")]
    assert len(links) == 1, links
    link = links[0]
    assert link["kind"] == "response" and link["basis"] == "stated"
    assert link["from_story"] == story_of(db, cn, "tariff")
    assert link["to_story"] == story_of(db, us, "entity_listing")
    assert "in response to" in link["evidence"]


def test_inferred_response_is_marked_inferred(db, tag):
    add_document(db, url="https://news.example/h", title="x",
                 text="The Commerce Department added Skydio to the Entity List.",
                 published_at="2025-01-10T08:00:00+00:00")
    add_document(db, url="https://news.example/i", title="y",
                 text="China's Ministry of Commerce added Skydio to its Unreliable Entity List.",
                 published_at="2025-01-20T08:00:00+00:00")
    tag(db)
    links = [dict(r) for r in db.query("SELECT * FROM event_links")]
    assert [(x["basis"], x["kind"]) for x in links] == [("inferred", "response")]
    assert "skydio" in links[0]["evidence"]


def test_two_workers_write_what_one_writes(db_file, gaz_path, nlp):
    from rivalry import store

    texts = [US_RULE, US_NEWS, US_OTHER, CN_ANSWER,
             "商务部决定将美国无人机公司列入不可靠实体清单，禁止其从事与中国有关的进出口活动。",
             "The Bureau of Industry and Security imposed new export controls on Huawei."] * 3
    db = store.open_db(db_file)
    for i, t in enumerate(texts):
        add_document(db, url=f"https://example.gov/w{i}", title="x", text=t,
                     published_at=f"2025-01-{1 + i:02d}T10:00:00+00:00")
    one = tag_documents(db, nlp=nlp, gazetteer_path=gaz_path)
    snap = lambda: (db.execute("SELECT * FROM events ORDER BY id").fetchall(),  # noqa: E731
                    db.execute("SELECT * FROM stories ORDER BY id").fetchall(),
                    db.execute("SELECT document_id, status, reason FROM taggings "
                               "ORDER BY document_id").fetchall())
    first = snap()
    two = tag_documents(db, nlp=nlp, gazetteer_path=gaz_path, retag=True, workers=2,
                        batch_size=2)
    assert (one["tagged"], one["skipped"], one["events"]) == \
        (two["tagged"], two["skipped"], two["events"])
    assert snap() == first
    db.close()


def test_workers_start_fresh_processes_when_threads_run(db, gaz_path, nlp):
    """With another thread alive (a crawl's reactor), workers are spawned, not forked."""
    import threading

    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        add_document(db, url="https://example.gov/t1", title="x", text=US_OTHER)
        # published the day after the rule: a rule a month old is background, not news
        add_document(db, url="https://example.gov/t2", title="y", text=US_RULE,
                     published_at="2024-12-03T15:00:00+00:00")
        counts = tag_documents(db, gazetteer_path=gaz_path, workers=2, batch_size=1)
    finally:
        stop.set()
    assert counts["tagged"] == 2 and counts["events"] >= 2
