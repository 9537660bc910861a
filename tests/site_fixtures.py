"""A small store for the site tests: real rows inserted the way the tagger will write them."""

from __future__ import annotations

import json

from conftest import add_document

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'
JS_URL = "javascript:alert(3)"

ENTITIES = [
    {"id": "us-bis", "name": "Bureau of Industry and Security", "type": "agency", "country": "US",
     "aliases": json.dumps(["BIS", "Commerce BIS"])},
    {"id": "nvidia", "name": "Nvidia", "type": "company", "country": "US", "aliases": "[]"},
    {"id": "h20", "name": "H20", "type": "chip", "country": "US", "aliases": "[]"},
    {"id": "cn-mofcom", "name": "Ministry of Commerce", "type": "agency", "country": "CN",
     "aliases": json.dumps(["MOFCOM"])},
    {"id": "evil", "name": HOSTILE, "type": "company", "country": "CN",
     "aliases": json.dumps([HOSTILE, "x onerror=alert(4)"])},
    {"id": "../../etc/passwd", "name": "Path escape", "type": "company", "country": "US",
     "aliases": None},
]


def event(evid, doc, action, actor, target, date, evidence, obj=None, modality="asserted"):
    return {"id": evid, "document_id": doc, "action": action, "actor_id": actor,
            "target_id": target, "object_id": obj, "event_date": date, "date_source": "stated",
            "modality": modality, "status": "announced", "evidence": evidence,
            "evidence_start": 0, "evidence_end": len(evidence), "confidence": 0.9,
            "pipeline_version": "test-1"}


def populate(db):
    """Three documents (one hostile), six entities, five events over three months."""
    d1 = add_document(db, url="https://www.bis.gov/press/h20-license",
                      title="BIS requires a license for the H20",
                      text="BIS requires a license for the H20 exports to China.",
                      published_at="2025-04-16T12:00:00+00:00", source_id="bis-press")
    d2 = add_document(db, url="https://english.mofcom.gov.cn/countermeasures",
                      title="MOFCOM announces countermeasures",
                      text="MOFCOM added Nvidia to the unreliable entity list.",
                      published_at="2025-05-02T08:00:00+00:00", source_id="mofcom")
    d3 = add_document(db, url=JS_URL, title=HOSTILE, text=HOSTILE,
                      published_at="2025-06-01T00:00:00+00:00", source_id="evil-source")
    with db.conn:
        db["entities"].insert_all(ENTITIES, pk="id")
        db["events"].insert_all([
            event("a1b2c3d4e5f60001", d1, "license_action", "us-bis", "nvidia", "2025-04-15",
                  "BIS requires a license for the H20 exports to China.", obj="h20"),
            event("a1b2c3d4e5f60002", d2, "entity_listing", "cn-mofcom", "nvidia", "2025-05-02",
                  "MOFCOM added Nvidia to the unreliable entity list."),
            event("a1b2c3d4e5f60003", d2, "accusation", "cn-mofcom", "us-bis", None,
                  "MOFCOM firmly opposes the abuse of export controls."),
            event("a1b2c3d4e5f60004", d3, "sanction", "evil", "nvidia", "2025-06-01", HOSTILE),
            event("BAD/../../x", d3, "sanction", "evil", "../../etc/passwd", "2025-06-01",
                  "an event whose id must never become a path"),
        ], pk="id")
    return {"bis": d1, "mofcom": d2, "evil": d3}


def add_stories(db, docs):
    """The tagger's clustering (nlp/stories.py): MOFCOM's listing of Nvidia reported by MOFCOM and
    by a news outlet is one story, answering BIS's H20 licence rule (inferred)."""
    news = add_document(db, url="https://news.example.com/mofcom-nvidia",
                        title="China puts Nvidia on its unreliable entity list",
                        text="China's commerce ministry added Nvidia to the unreliable entity list.",
                        published_at="2025-05-03T09:00:00+00:00", source_id="news")
    with db.conn:
        db["events"].insert(event("a1b2c3d4e5f60005", news, "entity_listing", "cn-mofcom", "nvidia",
                                  "2025-05-02", "China's commerce ministry added Nvidia to the "
                                  "unreliable entity list."), pk="id")
        story = lambda sid, key, action, actor, target, first, title, summary, doc, ev, n, d: {  # noqa: E731
            "id": sid, "key": key, "key_kind": "window", "action": action, "actor_id": actor,
            "target_id": target, "object_id": None, "first_date": first, "last_date": first,
            "title": title, "summary": summary, "primary_document_id": doc,
            "primary_event_id": ev, "event_count": n, "document_count": d, "pipeline_version": "t"}
        db["stories"].insert_all([
            story("5000000000000001", "mofcom:2025-61", "entity_listing", "cn-mofcom", "nvidia",
                  "2025-05-02", "MOFCOM announces countermeasures",
                  "MOFCOM added Nvidia to the unreliable entity list.", docs["mofcom"],
                  "a1b2c3d4e5f60002", 2, 2),
            story("5000000000000002", "us-bis|license_action|nvidia|2025-04-15", "license_action",
                  "us-bis", "nvidia", "2025-04-15", "BIS requires a license for the H20",
                  "BIS requires a license for the H20 exports to China.", docs["bis"],
                  "a1b2c3d4e5f60001", 1, 1),
        ], pk="id")
        db.execute("UPDATE events SET story_id = '5000000000000001' WHERE id IN "
                   "('a1b2c3d4e5f60002', 'a1b2c3d4e5f60005')")
        db.execute("UPDATE events SET story_id = '5000000000000002' WHERE id = 'a1b2c3d4e5f60001'")
        db["event_links"].insert({"from_event": "a1b2c3d4e5f60002", "from_story": "5000000000000001",
                                  "to_event": "a1b2c3d4e5f60001", "to_story": "5000000000000002",
                                  "kind": "response", "basis": "inferred",
                                  "evidence": "within 30 days, same target"})
    return news


# --- random changes against fresh builds (test_site_incremental*.py) --------------------------

def synthetic_store(tmp_path, documents: int = 200, events: int = 600):
    """bench/make_synthetic_db.py's store, opened: long lists with month pages."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from make_synthetic_db import make

    from rivalry import store

    path = tmp_path / "synthetic.db"
    make(path, documents, events)
    return store.open_db(path)


def picker(db, rnd):
    """some(sql, n): n ids the query lists, chosen by the seeded generator (the same run every
    time: the query's rows are sorted by their first column)."""
    def some(sql: str, n: int = 1) -> list:
        return rnd.sample([r[0] for r in db.execute(sql + " ORDER BY 1")], n)
    return some


def random_changes_match_fresh_builds(db, tmp_path, rnd, operations, steps: int) -> None:
    """Build, then `steps` times: 1-3 random operations (each called with a number unique to the
    run), an incremental build, and a build from scratch that must give the same site."""
    from sitegen.build import build_site
    from test_site import snapshot

    out = tmp_path / "public"
    build_site(db, out, search_index=False, snapshot=False)
    for step in range(steps):
        with db.conn:
            for i in range(rnd.randint(1, 3)):
                rnd.choice(operations)(step * 10 + i)
        build_site(db, out, search_index=False, snapshot=False)
        fresh = tmp_path / f"fresh-{step}"
        build_site(db, fresh, search_index=False, snapshot=False)
        assert snapshot(out) == snapshot(fresh), f"step {step}"
