"""The tagging stage with the real spaCy model and the real data files (no mocks)."""

from __future__ import annotations

import json

import pytest

from conftest import add_document
from nlp import gazetteer
from nlp.pipeline import load_nlp
from nlp.tagger import PIPELINE_VERSION, pipeline_version, tag_documents

# A few gazetteer lines used only while nlp/data/entities.jsonl does not exist yet.
FALLBACK_GAZETTEER = [
    {"id": "us-doc", "name": "U.S. Department of Commerce", "type": "agency", "country": "US",
     "aliases": ["Department of Commerce", "Commerce Department"]},
    {"id": "us-bis", "name": "Bureau of Industry and Security", "type": "agency", "country": "US",
     "aliases": ["BIS"]},
    {"id": "cn-mofcom", "name": "Ministry of Commerce", "type": "agency", "country": "CN",
     "aliases": ["MOFCOM", "China's Ministry of Commerce"]},
    {"id": "us", "name": "United States", "type": "country", "country": "US",
     "aliases": ["US", "U.S."]},
    {"id": "cn", "name": "China", "type": "country", "country": "CN", "aliases": ["PRC"]},
    {"id": "nvidia", "name": "Nvidia", "type": "company", "country": "US", "aliases": []},
    {"id": "huawei", "name": "Huawei", "type": "company", "country": "CN", "aliases": []},
    {"id": "skydio", "name": "Skydio", "type": "company", "country": "US", "aliases": []},
    {"id": "h20", "name": "H20", "type": "chip", "country": "US", "aliases": []},
    {"id": "entity-list", "name": "Entity List", "type": "law", "country": "US", "aliases": []},
    {"id": "unreliable-entity-list", "name": "Unreliable Entity List", "type": "law",
     "country": "CN", "aliases": []},
]


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
    """tag_documents with the module's already-loaded pipeline (loading costs seconds)."""
    def run(db, **kw):
        return tag_documents(db, nlp=nlp, gazetteer_path=gaz_path, **kw)
    return run


def ids(doc):
    return [(e.text, e.ent_id_) for e in doc.ents if e.ent_id_]


def events(db, doc_id=None):
    sql = "SELECT * FROM events" + (" WHERE document_id = ?" if doc_id else "") + " ORDER BY id"
    return [dict(r) for r in db.query(sql, [doc_id] if doc_id else [])]


# --- pipeline ------------------------------------------------------------------------------

def test_pipeline_order(nlp):
    names = nlp.pipe_names
    assert names.index("entity_ruler") < names.index("ner")
    assert names[-1] == "rivalry_actions"


def test_commerce_aliases_share_one_id(nlp):
    a = dict(ids(nlp("The Department of Commerce issued a rule.")))
    b = dict(ids(nlp("The Commerce Department issued a rule.")))
    assert a["Department of Commerce"] == b["Commerce Department"]
    assert a["Department of Commerce"]


def test_multiword_alias_case_insensitive_acronym_case_sensitive(nlp):
    doc = nlp("the commerce department told us that BIS acted.")
    found = dict(ids(doc))
    assert "commerce department" in found
    assert "us" not in found  # the pronoun is not the United States
    assert found.get("BIS") == "us-bis"


def test_action_triggers_come_from_data(nlp):
    doc = nlp("The Commerce Department added 80 entities to the Entity List.")
    assert {s.label_ for s in doc.spans["actions"]} == {"entity_listing"}


def test_pipeline_version_names_model_data_code():
    assert PIPELINE_VERSION.startswith("en_core_web_sm-")
    assert "+data." in PIPELINE_VERSION and "+code." in PIPELINE_VERSION


# --- tagging into the store --------------------------------------------------------------

def test_export_control_event_has_action_actor_target(db, tag, gaz_path):
    doc_id = add_document(db, url="https://example.gov/a", title="Rule",
                          text="The Bureau of Industry and Security imposed new export controls "
                               "on Huawei.")
    counts = tag(db)
    assert counts["tagged"] == 1 and counts["events"] >= 1
    ev = [e for e in events(db, doc_id) if e["action"] == "export_control"]
    assert ev, events(db, doc_id)
    assert ev[0]["actor_id"] == "us-bis"
    assert ev[0]["target_id"] == "huawei"
    assert ev[0]["modality"] == "asserted"
    assert ev[0]["pipeline_version"] == pipeline_version(gaz_path)
    text = db["documents"].get(doc_id)["text"]
    assert text[ev[0]["evidence_start"]:ev[0]["evidence_end"]] == ev[0]["evidence"]


def test_chinese_countermeasure_is_entity_listing_by_mofcom(db, tag):
    doc_id = add_document(db, url="https://example.cn/b", title="Announcement",
                          text="China's Ministry of Commerce added Skydio to its Unreliable "
                               "Entity List.")
    tag(db)
    ev = [e for e in events(db, doc_id) if e["action"] == "entity_listing"]
    assert ev and ev[0]["actor_id"] == "cn-mofcom"
    assert ev[0]["target_id"] == "skydio"


def test_negated_sentence(db, tag):
    doc_id = add_document(db, url="https://example.gov/c", title="No",
                          text="The Commerce Department did not add Huawei to the Entity List.")
    tag(db)
    ev = events(db, doc_id)
    assert ev and ev[0]["modality"] == "negated"


def test_relative_date_resolves_against_published_at(db, tag):
    # Published Wednesday 2025-01-15: "on Tuesday" is the day before.
    doc_id = add_document(db, url="https://example.gov/d", title="Tuesday",
                          published_at="2025-01-15T15:00:00+00:00",
                          text="The Commerce Department on Tuesday added 12 Chinese companies "
                               "to the Entity List.")
    tag(db)
    ev = events(db, doc_id)[0]
    assert (ev["event_date"], ev["date_source"]) == ("2025-01-14", "stated")
    assert ev["magnitude"] == "12 companies"


def test_no_stated_date_uses_published(db, tag):
    doc_id = add_document(db, url="https://example.gov/e", title="x",
                          published_at="2025-03-02T09:00:00+00:00",
                          text="The Bureau of Industry and Security imposed export controls "
                               "on Huawei.")
    tag(db)
    ev = events(db, doc_id)[0]
    assert (ev["event_date"], ev["date_source"]) == ("2025-03-02", "published")


def test_tagging_twice_writes_nothing_new(db, tag):
    add_document(db, url="https://example.gov/f", title="x",
                 text="BIS imposed export controls on Huawei. China firmly opposes the move.")
    first = tag(db)
    snapshot = (events(db), db.execute("SELECT COUNT(*) FROM mentions").fetchone()[0],
                db.execute("SELECT tagged_at FROM taggings").fetchall())
    second = tag(db)
    assert first["tagged"] == 1 and second["tagged"] == 0 and second["events"] == 0
    assert snapshot == (events(db), db.execute("SELECT COUNT(*) FROM mentions").fetchone()[0],
                        db.execute("SELECT tagged_at FROM taggings").fetchall())


def test_retag_gives_same_ids(db, tag):
    add_document(db, url="https://example.gov/g", title="x",
                 text="The Commerce Department added Huawei to the Entity List.")
    tag(db)
    before = [e["id"] for e in events(db)]
    assert tag(db, retag=True)["tagged"] == 1
    assert [e["id"] for e in events(db)] == before


def test_changed_text_replaces_events(db, tag):
    url = "https://example.gov/h"
    doc_id = add_document(db, url=url, title="x",
                          text="The Commerce Department added Huawei to the Entity List.")
    tag(db)
    assert {e["action"] for e in events(db, doc_id)} == {"entity_listing"}
    add_document(db, url=url, title="x",
                 text="The Bureau of Industry and Security imposed new export controls on "
                      "Nvidia.")
    # Until it is tagged again, nothing read from the old text is left (reliability/common.py:
    # no mentions or events of an untagged document, even if the run is killed here).
    assert [db.execute(f"SELECT COUNT(*) FROM {t} WHERE document_id = ?", [doc_id]).fetchone()[0]
            for t in ("events", "mentions", "taggings")] == [0, 0, 0]
    assert tag(db)["tagged"] == 1
    evs = events(db, doc_id)
    assert {e["action"] for e in evs} == {"export_control"}
    assert db.execute("SELECT COUNT(*) FROM mentions WHERE document_id = ? AND surface = "
                      "'Huawei'", [doc_id]).fetchone()[0] == 0


def test_skipped_documents_get_reason(db, tag):
    empty = add_document(db, url="https://example.gov/i", title="x", text="   ")
    irrelevant = add_document(db, url="https://example.gov/j", title="x",
                              text="BIS imposed export controls on Huawei.", status="irrelevant")
    counts = tag(db)
    assert counts["skipped"] == 2 and counts["tagged"] == 0
    rows = {r["document_id"]: r for r in db.query("SELECT * FROM taggings")}
    assert rows[empty]["status"] == "skipped" and rows[empty]["reason"] == "empty text"
    assert rows[irrelevant]["reason"] == "document status: irrelevant"
    assert not events(db)


def test_unknown_people_and_orgs_are_kept_as_model_entities(db, tag):
    doc_id = add_document(db, url="https://example.gov/k", title="x",
                          text="Prosecutors charged Linwei Ding, a former engineer, with "
                               "stealing trade secrets from Google.")
    tag(db)
    origin = {r["id"]: r["origin"] for r in db.query("SELECT id, origin FROM entities")}
    assert origin.get("linwei-ding") == "model"
    ev = [e for e in events(db, doc_id) if e["action"] == "criminal_charge"]
    assert ev and ev[0]["target_id"] == "linwei-ding"


# --- hygiene -------------------------------------------------------------------------------

def test_mojibake_repaired_offsets_point_into_stored_text(db, tag):
    # UTF-8 read as cp1252: "Commerce Department’s" stored as "Commerce Departmentâ€™s"
    text = ("Skip to main content\n"
            "The Commerce Department\u00e2\u20ac\u2122s Bureau of Industry and Security "
            "added Huawei to the Entity List.")
    doc_id = add_document(db, url="https://example.gov/moji", title="x", text=text)
    tag(db)
    ev = events(db, doc_id)
    assert [e["action"] for e in ev] == ["entity_listing"]
    assert "\u2019" in ev[0]["evidence"] and "\u00e2\u20ac" not in ev[0]["evidence"]
    assert text[ev[0]["evidence_start"]:ev[0]["evidence_end"]].endswith("Entity List.")
    for m in db.query("SELECT * FROM mentions WHERE document_id = ?", [doc_id]):
        assert text[m["start"]:m["end"]].replace("\u00e2\u20ac\u2122", "\u2019") == m["surface"]


def test_non_english_document_stored_but_skipped(db, tag):
    doc_id = add_document(db, url="https://example.cn/zh", title="公告",
                          text="商务部决定将美国无人机公司列入不可靠实体清单，禁止其从事与中国有关的进出口活动。"
                               "商务部新闻发言人表示，中方坚决反对美方的错误做法。")
    counts = tag(db)
    assert counts["skipped"] == 1
    row = db["taggings"].get(doc_id)
    assert row["status"] == "skipped" and row["reason"] == "language: zh"
    assert db["documents"].get(doc_id)["text"].startswith("商务部")


def test_boilerplate_lines_and_headings_not_tagged(db, tag):
    text = ("Home | News | Export Controls\n"
            "Share\n"
            "Export Controls and Sanctions\n"
            "• The Bureau of Industry and Security imposed export controls on Huawei.\n"
            "Follow us on Twitter")
    doc_id = add_document(db, url="https://example.gov/bp", title="x", text=text)
    tag(db)
    ev = events(db, doc_id)
    assert len(ev) == 1 and ev[0]["evidence"].startswith("The Bureau")
    surfaces = {m["surface"] for m in db.query("SELECT surface FROM mentions")}
    assert not any(s.startswith("•") for s in surfaces)


def test_ai_is_never_an_entity(db, tag):
    add_document(db, url="https://example.gov/ai", title="x",
                 text="AI is reshaping the rivalry. The AI race between America and China "
                      "accelerated as AI labs raced ahead.")
    tag(db)
    names = {r["name"].lower() for r in db.query("SELECT name FROM entities WHERE origin='model'")}
    assert "ai" not in names
    assert not db.execute("SELECT 1 FROM mentions WHERE surface = 'AI'").fetchall()


def test_a_document_is_tagged_in_one_transaction(db, monkeypatch):
    """Mentions, events and the tagging row are written together: if the last write fails (or
    the process dies before it), none of them is stored (sqlite-utils commits each statement on
    its own unless a transaction is open: nlp/tagger.py opens one)."""
    from types import SimpleNamespace

    import sqlite_utils

    import nlp.tagger as tagger
    from site_fixtures import event

    doc_id = add_document(db, url="https://example.gov/atomic", title="x",
                          text="The Commerce Department added Huawei to the Entity List.")
    db["entities"].insert_all([{"id": "huawei", "name": "Huawei", "type": "company"},
                               {"id": "us-commerce", "name": "Department of Commerce",
                                "type": "agency"}], pk="id")
    found = SimpleNamespace(  # what the extractor returns for the document
        new_entities={},
        mentions=[{"document_id": doc_id, "entity_id": "huawei", "start": 32, "end": 38,
                   "surface": "Huawei", "sentence": "The Commerce Department added Huawei."}],
        events=[event("a7a7a7a7a7a70001", doc_id, "entity_listing", "us-commerce", "huawei",
                      "2025-01-15", "The Commerce Department added Huawei to the Entity List.")])

    def killed(*args, **kwargs):
        raise RuntimeError("killed before the tagging row")
    monkeypatch.setattr(sqlite_utils.db.Table, "upsert", killed)
    with pytest.raises(RuntimeError):
        tagger._write(db, doc_id, "v", result=found)
    monkeypatch.undo()
    assert [db.execute(f"SELECT COUNT(*) FROM {t} WHERE document_id = ?", [doc_id]).fetchone()[0]
            for t in ("events", "mentions", "taggings")] == [0, 0, 0]
    tagger._write(db, doc_id, "v", result=found)  # and without the failure, all three
    assert [db.execute(f"SELECT COUNT(*) FROM {t} WHERE document_id = ?", [doc_id]).fetchone()[0]
            for t in ("events", "mentions", "taggings")] == [1, 1, 1]
