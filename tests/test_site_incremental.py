"""Incremental builds: a build reads again only the rows the store's change log names (the rest
come from the rows the last build saved) and plans pages from a small index; whatever changed,
the site it leaves is exactly the one a build from scratch makes."""

from __future__ import annotations

import os

import pytest
from site_fixtures import (add_stories, event, picker, populate, random_changes_match_fresh_builds,
                           synthetic_store)
from test_site import snapshot

from sitegen import data as sitedata
from sitegen.build import build_site
from sitegen.state import LOAD_CACHE, LOAD_DELTA
from sitegen.index import Changes

FILE_COUNTS = ("written", "unchanged", "removed", "rendered", "search_seconds")
MANY = 70  # more entries than a page lists (PER_PAGE 50): lists get month pages


def _insert(db, *events):
    db["events"].insert_all(events, pk="id")


def _spread(db, docs):
    """70 events over 7 months for one entity, action and country: month pages appear."""
    _insert(db, *(event(f"c0ffee00000000{i:02d}", docs["bis"], "export_control", "us-bis", "h20",
                        f"2024-{1 + i % 7:02d}-{1 + i % 27:02d}", f"BIS controls item {i}.")
                  for i in range(MANY)))


MUTATIONS = [
    ("many events over several months", _spread),
    ("a new event", lambda db, docs: _insert(db, event(
        "a1b2c3d4e5f60101", docs["mofcom"], "tariff", "cn-mofcom", "nvidia", "2025-05-20",
        "MOFCOM raises a tariff."))),
    ("an event's evidence", lambda db, docs: db.execute(
        "UPDATE events SET evidence = 'BIS now requires licences.' WHERE id = 'a1b2c3d4e5f60001'")),
    ("an event moves to another month", lambda db, docs: db.execute(
        "UPDATE events SET event_date = '2024-03-09' WHERE id = 'c0ffee0000000005'")),
    ("an event's action", lambda db, docs: db.execute(
        "UPDATE events SET action = 'sanction' WHERE id = 'c0ffee0000000006'")),
    ("an event is deleted", lambda db, docs: db.execute(
        "DELETE FROM events WHERE id = 'a1b2c3d4e5f60003'")),
    ("a new month", lambda db, docs: _insert(db, event(
        "c0ffee0000009999", docs["bis"], "export_control", "us-bis", "h20", "2023-11-30",
        "BIS controls an older item."))),
    ("a document's title and date", lambda db, docs: db.execute(
        "UPDATE documents SET title = 'BIS: H20 rule', published_at = '2025-04-18T00:00:00+00:00' "
        "WHERE id = ?", [docs["bis"]])),
    ("a document moves to another source", lambda db, docs: db.execute(
        "UPDATE documents SET source_id = 'bis-press' WHERE id = ?", [docs["mofcom"]])),
    ("an entity is renamed", lambda db, docs: db.execute(
        "UPDATE entities SET name = 'NVIDIA Corporation' WHERE id = 'nvidia'")),
    ("an entity changes country", lambda db, docs: db.execute(
        "UPDATE entities SET country = 'TW' WHERE id = 'h20'")),
    ("a source is renamed", lambda db, docs: db.execute(
        "UPDATE sources SET name = 'BIS press releases' WHERE id = 'bis-press'")),
    ("a new entity and an event naming it", lambda db, docs: (
        db["entities"].insert({"id": "smic", "name": "SMIC", "type": "company", "country": "CN",
                               "aliases": "[]"}, pk="id"),
        _insert(db, event("a1b2c3d4e5f60102", docs["bis"], "entity_listing", "us-bis", "smic",
                          "2025-04-20", "BIS adds SMIC.")))),
    ("an event whose id cannot be a page", lambda db, docs: _insert(db, event(
        "../escape", docs["bis"], "tariff", "us-bis", "smic", "2025-04-21", "No page for me."))),
    ("most events leave the month pages", lambda db, docs: db.execute(
        "DELETE FROM events WHERE id LIKE 'c0ffee00000000%' AND CAST(substr(id, 15) AS INT) > 20")),
    ("a document and its events are deleted", lambda db, docs: (
        db.execute("DELETE FROM events WHERE document_id = ?", [docs["evil"]]),
        db.execute("DELETE FROM documents WHERE id = ?", [docs["evil"]]))),
    ("every event changes", lambda db, docs: db.execute("UPDATE events SET confidence = 0.5")),
]

STORY_MUTATIONS = [
    ("a story's title", lambda db, docs: db.execute(
        "UPDATE stories SET title = 'MOFCOM lists Nvidia' WHERE id = '5000000000000001'")),
    ("an event leaves its story", lambda db, docs: db.execute(
        "UPDATE events SET story_id = NULL WHERE id = 'a1b2c3d4e5f60005'")),
    ("a response link is removed", lambda db, docs: db.execute("DELETE FROM event_links")),
]


@pytest.mark.parametrize("with_stories", [False, True], ids=["events", "stories"])
def test_every_incremental_build_equals_a_build_from_scratch(db, tmp_path, with_stories, monkeypatch):
    partial = []  # builds that read again only the changed rows
    real = sitedata._stale_rows

    def stale_rows(*args):
        got = real(*args)
        partial.append(got is not None)
        return got
    monkeypatch.setattr(sitedata, "_stale_rows", stale_rows)
    planned_partly = []  # builds that planned only the pages the changes can touch
    between = Changes.between
    monkeypatch.setattr(Changes, "between",
                        classmethod(lambda cls, *a: planned_partly.append(1) or between(*a)))
    docs = populate(db)
    mutations = MUTATIONS
    if with_stories:
        add_stories(db, docs)
        mutations = STORY_MUTATIONS[:1] + MUTATIONS + STORY_MUTATIONS[1:]
    out = tmp_path / "public"
    build_site(db, out, search_index=False)
    month_pages = set()
    for step, (name, change) in enumerate(mutations):
        with db.conn:
            change(db, docs)
        counts = build_site(db, out, search_index=False)
        fresh = tmp_path / f"fresh-{step}"
        made = build_site(db, fresh, search_index=False)
        assert snapshot(out) == snapshot(fresh), name
        assert {k: v for k, v in counts.items() if k not in FILE_COUNTS} == \
            {k: v for k, v in made.items() if k not in FILE_COUNTS}, name
        assert counts["rendered"] < made["rendered"] or name == "every event changes", name
        month_pages |= {kind for kind in ("timeline_months", "entity_months") if made.get(kind)}
    assert month_pages == {"timeline_months", "entity_months"}  # lists with month pages were tested
    assert sum(partial) >= len(mutations) - 4  # most went the incremental way (fresh builds don't count)
    if not with_stories:
        # The others read a changed entity or source, or more than 5 % of this small store's
        # rows: those plan every page (test_random_changes_to_a_larger_store goes further).
        assert len(planned_partly) >= 7


def test_a_build_reads_again_only_the_rows_that_changed(db):
    docs = populate(db)
    with db.conn:
        _spread(db, docs)  # enough rows that a few changes are read again, not everything
    first = sitedata.read(db).rows
    with db.conn:
        db.execute("UPDATE events SET evidence = 'changed' WHERE id = 'a1b2c3d4e5f60001'")
        db.execute("UPDATE entities SET name = 'Ministry of Commerce (PRC)' WHERE id = 'cn-mofcom'")
        _insert(db, event("a1b2c3d4e5f60201", docs["bis"], "tariff", "us-bis", "nvidia",
                          "2025-04-30", "new"))
    again = sitedata.read(db, first).rows
    fresh = sitedata.read(db).rows
    assert again.events == fresh.events and again.documents == fresh.documents
    assert again.bad_events == fresh.bad_events and again.seq == fresh.seq
    kept = {k for k, row in again.events.items() if row is first.events.get(k)}
    # Read again: the edited event, the new one, and the two naming the renamed ministry.
    assert kept == set(first.events) - {"a1b2c3d4e5f60001", "a1b2c3d4e5f60002", "a1b2c3d4e5f60003"}
    assert all(again.documents[k] is first.documents[k] for k in first.documents)


def test_the_rows_cache_is_a_full_file_and_a_small_delta(db, tmp_path):
    """A build after a small change rewrites only the delta (the full file stays the same
    inode); a damaged delta or full file costs a full read, never a wrong page."""
    docs = populate(db)
    with db.conn:
        _spread(db, docs)  # one change in 80 rows: under the delta's limit
    out = tmp_path / "public"
    build_site(db, out, search_index=False)
    full_inode = os.stat(out / LOAD_CACHE).st_ino
    with db.conn:
        _insert(db, event("a1b2c3d4e5f60301", docs["bis"], "tariff", "us-bis", "nvidia",
                          "2025-04-30", "one more"))
    build_site(db, out, search_index=False)
    assert os.stat(out / LOAD_CACHE).st_ino == full_inode
    assert b"one more" in (out / LOAD_DELTA).read_bytes()
    assert b"one more" not in (out / LOAD_CACHE).read_bytes()
    for damaged, change in ((LOAD_DELTA, "delta damaged"), (LOAD_CACHE, "full file damaged")):
        with db.conn:
            db.execute("UPDATE events SET evidence = ? WHERE id = 'a1b2c3d4e5f60301'", [change])
        path = out / damaged
        data = path.read_bytes()
        path.unlink()  # a new file: the old one is hard-linked into the spare copy
        path.write_bytes(data[: len(data) // 2])
        build_site(db, out, search_index=False)
        fresh = tmp_path / f"fresh-{damaged}"
        build_site(db, fresh, search_index=False)
        assert snapshot(out) == snapshot(fresh)
        assert change in (out / "events/a1b2c3d4e5f60301.html").read_text()


def test_entity_summary_counts_roles_and_partners(db, tmp_path):
    """What an entity did, what was done to it and with whom, counted from its events the
    plain way; events with an unknown actor or target count for neither."""
    from collections import Counter

    docs = populate(db)
    with db.conn:
        _insert(db, event("a1b2c3d4e5f60401", docs["bis"], "tariff", None, "nvidia", "2025-04-01",
                          "Someone put a tariff on Nvidia."),
                event("a1b2c3d4e5f60402", docs["bis"], "tariff", "nvidia", None, "2025-04-02",
                      "Nvidia answered.", obj="h20"))
    out = tmp_path / "public"
    build_site(db, out, search_index=False)
    site = sitedata.load(db)
    for ent in site.entities.values():
        if not ent["href"]:
            continue
        took = Counter(ev["action_label"] for ev in ent["events"] if ev["actor"] is ent)
        against = Counter(ev["action_label"] for ev in ent["events"] if ev["target"] is ent)
        page = (out / ent["href"]).read_text()
        for label, n in took.items():
            assert f'{label} <span class="n">{n}</span>' in page.split("Actions it took")[1], ent["id"]
        if not against:
            assert "Actions taken against it" not in page, ent["id"]
        for label, n in against.items():
            assert f'{label} <span class="n">{n}</span>' in page.split("Actions taken against it")[1], ent["id"]
    nvidia = (out / "entities/nvidia.html").read_text()
    took = nvidia.split("Actions it took")[1].split("</ul>")[0]
    assert took.count("<li>") == 1 and 'Tariff <span class="n">1</span>' in took
    against = nvidia.split("Actions taken against it")[1].split("</ul>")[0]
    assert 'Tariff <span class="n">1</span>' in against  # the event with no actor counts once
    partners = nvidia.split("Most often appears with")[1].split("</ul>")[0]
    assert 'H20</a> <span class="n">2</span>' in partners  # object of two of its events


def test_random_changes_to_a_larger_store(tmp_path, monkeypatch):
    """Random small changes to a synthetic store (bench/make_synthetic_db.py: 200 documents,
    600 events, long lists with month pages): after each, the incremental build, which plans
    only the pages the changes can touch, leaves the site a build from scratch makes."""
    import random

    db = synthetic_store(tmp_path)
    rnd = random.Random(5)
    some = picker(db, rnd)
    planned_partly = []
    between = Changes.between
    monkeypatch.setattr(Changes, "between",
                        classmethod(lambda cls, *a: planned_partly.append(1) or between(*a)))

    def new_event(i):
        doc = some("SELECT id FROM documents")[0]
        actor, target = some("SELECT id FROM entities", 2)
        day = f"{rnd.choice(['2021', '2023', '2025'])}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        return event(f"f{i:015d}", doc, rnd.choice(["tariff", "sanction", "export_control"]),
                     actor, target, day, f"random event {i}")

    operations = [
        lambda i: _insert(db, new_event(i)),
        lambda i: db.execute("UPDATE events SET evidence = ? WHERE id = ?",
                             [f"edited {i}", some("SELECT id FROM events")[0]]),
        lambda i: db.execute("UPDATE events SET event_date = ? WHERE id = ?",
                             [f"2022-{rnd.randint(1, 12):02d}-15", some("SELECT id FROM events")[0]]),
        lambda i: db.execute("UPDATE events SET action = 'diplomacy' WHERE id = ?",
                             some("SELECT id FROM events")),
        lambda i: db.execute("DELETE FROM events WHERE id = ?", some("SELECT id FROM events")),
        lambda i: db.execute("UPDATE documents SET title = ? WHERE id = ?",
                             [f"retitled {i}", some("SELECT id FROM documents")[0]]),
        lambda i: db.execute("UPDATE events SET actor_id = ? WHERE id = ?",
                             [some("SELECT id FROM entities")[0], some("SELECT id FROM events")[0]]),
    ]
    steps = 12
    random_changes_match_fresh_builds(db, tmp_path, rnd, operations, steps)
    assert len(planned_partly) >= steps - 2


def test_a_failing_background_job_fails_the_build_and_keeps_the_live_site(db, tmp_path, monkeypatch):
    """The downloads are made by a forked child (sitegen/background.py): its error reaches the
    build, which leaves the live site and its spare copy as they were, and the next build works."""
    import sitegen.build as b

    docs = populate(db)
    out = tmp_path / "public"
    build_site(db, out, search_index=False)
    before = snapshot(out)
    with db.conn:
        _insert(db, event("a1b2c3d4e5f60501", docs["bis"], "tariff", "us-bis", "nvidia",
                          "2025-04-30", "after the failure"))

    def broken(*args):
        raise RuntimeError("disk full while writing the downloads")
    real = b._write_files
    monkeypatch.setattr(b, "_write_files", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        build_site(db, out, search_index=False)
    assert snapshot(out) == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".public.") and p.name.endswith(".new")]
    monkeypatch.setattr(b, "_write_files", real)
    build_site(db, out, search_index=False)
    assert "after the failure" in (out / "events/a1b2c3d4e5f60501.html").read_text()
    fresh = tmp_path / "fresh"
    build_site(db, fresh, search_index=False)
    assert snapshot(out) == snapshot(fresh)
