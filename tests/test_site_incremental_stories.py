"""Incremental builds with stories in use (the tagger has clustered the events into stories):
the build derives again only the stories a change can touch (sitegen/stories.py) and plans only
their pages; whatever changed, the site it leaves, down to the saved stories state, is exactly
the one a build from scratch makes."""

from __future__ import annotations

import pytest
from site_fixtures import (add_stories, event, picker, populate, random_changes_match_fresh_builds,
                           synthetic_store)
from test_site import snapshot
from test_site_incremental import FILE_COUNTS, MANY, _insert, _spread

from sitegen import stories
from sitegen.build import build_site

SPREAD_STORIES = MANY // 2  # the spread's events, two to a story


def _spread_story(i: int) -> str:
    return f"60000000000000{i:02d}"


def _add_spread_stories(db, docs) -> None:
    """The spread's 70 BIS -> H20 events in 35 stories of two: one actor-target pair whose
    stories are each other's related stories, with a response to the H20 licence story."""
    with db.conn:
        _spread(db, docs)
        rows = []
        for i in range(SPREAD_STORIES):
            a, b = (f"c0ffee00000000{n:02d}" for n in (2 * i, 2 * i + 1))
            days = sorted(r[0] for r in db.execute(
                "SELECT event_date FROM events WHERE id IN (?, ?)", [a, b]))
            rows.append({"id": _spread_story(i), "key": f"spread-{i}", "key_kind": "window",
                         "action": "export_control", "actor_id": "us-bis", "target_id": "h20",
                         "object_id": None, "first_date": days[0], "last_date": days[1],
                         "title": f"BIS controls items {2 * i} and {2 * i + 1}",
                         "summary": f"BIS controls two more items ({i}).",
                         "primary_document_id": docs["bis"], "primary_event_id": a,
                         "event_count": 2, "document_count": 1, "pipeline_version": "t"})
        db["stories"].insert_all(rows, pk="id")
        for i in range(SPREAD_STORIES):
            db.execute("UPDATE events SET story_id = ? WHERE id IN (?, ?)",
                       [_spread_story(i), f"c0ffee00000000{2 * i:02d}", f"c0ffee00000000{2 * i + 1:02d}"])
        _link(db, _spread_story(3), "5000000000000002", "stated")


def _link(db, answer: str, answered: str, basis: str = "inferred") -> None:
    events = [db.execute("SELECT id FROM events WHERE story_id = ? ORDER BY id", [s]).fetchone()[0]
              for s in (answer, answered)]
    db["event_links"].insert({"from_event": events[0], "from_story": answer, "to_event": events[1],
                              "to_story": answered, "kind": "response", "basis": basis,
                              "evidence": f"{answer} answers {answered}"})


def _new_story(db, docs) -> None:
    doc = db.execute("SELECT id FROM documents WHERE id = ?", [docs["mofcom"]]).fetchone()[0]
    _insert(db, event("d00d000000000001", doc, "tariff", "cn-mofcom", "nvidia", "2025-05-10",
                      "MOFCOM raises tariffs on Nvidia chips."),
            event("d00d000000000002", doc, "tariff", "cn-mofcom", "nvidia", "2025-05-11",
                  "China's tariff on Nvidia takes effect."))
    db["stories"].insert({"id": "7000000000000001", "key": "tariff-1", "key_kind": "window",
                          "action": "tariff", "actor_id": "cn-mofcom", "target_id": "nvidia",
                          "object_id": None, "first_date": "2025-05-10", "last_date": "2025-05-11",
                          "title": "MOFCOM raises tariffs", "summary": None,
                          "headline": "China raises tariffs on Nvidia",
                          "primary_document_id": doc, "primary_event_id": "d00d000000000001",
                          "event_count": 2, "document_count": 1, "pipeline_version": "t"}, pk="id")
    db.execute("UPDATE events SET story_id = '7000000000000001' WHERE id LIKE 'd00d%'")


def _sql(*statements):
    def change(db, docs):
        for sql in statements:
            db.execute(sql)
    return change


# name, change, the page that must show it (path or glob, text), whether the saved stories can be used
STORY_CHANGES = [
    ("new events join an existing story", lambda db, docs: (
        _insert(db, event("e00e000000000001", docs["bis"], "export_control", "us-bis", "h20",
                          "2024-03-20", "BIS controls one more item."),
                event("e00e000000000002", docs["bis"], "export_control", "us-bis", "h20",
                      "2024-03-21", "BIS controls another item.")),
        db.execute(f"UPDATE events SET story_id = '{_spread_story(5)}' WHERE id LIKE 'e00e%'")),
     (f"stories/{_spread_story(5)}.html", "BIS controls another item."), True),
    ("a new story", _new_story,
     ("timeline/all/all.html", "China raises tariffs on Nvidia"), True),
    ("a story's headline (a story answering it shows it)", _sql(
        "UPDATE stories SET headline = 'BIS widens the H20 licence rule' WHERE id = '5000000000000002'"),
     (f"stories/{_spread_story(3)}.html", "BIS widens the H20 licence rule"), True),
    ("a related story's headline (its neighbours show it)", _sql(
        f"UPDATE stories SET headline = 'BIS controls the tenth pair' WHERE id = '{_spread_story(10)}'"),
     ("stories/*.html", "BIS controls the tenth pair"), True),
    ("a response link is added", lambda db, docs: _link(db, "5000000000000001", _spread_story(20)),
     (f"stories/{_spread_story(20)}.html", "Responses"), True),
    ("a response link is removed", _sql(
        f"DELETE FROM event_links WHERE from_story = '{_spread_story(3)}'"),
     ("stories/5000000000000002.html", "MOFCOM announces countermeasures"), True),
    ("a story's date moves it among its related stories", _sql(
        f"UPDATE stories SET first_date = '2023-12-01' WHERE id = '{_spread_story(7)}'"),
     (f"stories/{_spread_story(7)}.html", "2023"), True),
    ("a report's document is retitled (its story lists it)", lambda db, docs: db.execute(
        "UPDATE documents SET title = 'Nvidia is put on the list' WHERE source_id = 'news'"),
     ("stories/5000000000000001.html", "Nvidia is put on the list"), True),
    ("an event leaves its story", _sql(
        "UPDATE events SET story_id = NULL WHERE id = 'a1b2c3d4e5f60005'"),
     ("events/a1b2c3d4e5f60005.html", "China"), True),
    ("an event moves to another story", _sql(
        f"UPDATE events SET story_id = '{_spread_story(1)}' WHERE id = 'c0ffee0000000004'"),
     (f"stories/{_spread_story(1)}.html", "BIS controls item 4."), True),
    ("a story is left with no report (a linked story still names it)", _sql(
        f"UPDATE events SET story_id = '{_spread_story(21)}' WHERE story_id = '{_spread_story(20)}'"),
     (f"stories/{_spread_story(21)}.html", "BIS controls item 41."), True),
    ("a story disappears (its reports stand alone)", _sql(
        f"UPDATE events SET story_id = NULL WHERE story_id = '{_spread_story(30)}'",
        f"DELETE FROM stories WHERE id = '{_spread_story(30)}'"),
     ("events/c0ffee0000000060.html", "BIS controls item 60."), True),
    ("an event's evidence", _sql(
        "UPDATE events SET evidence = 'BIS controls item 33, say officials.' WHERE id = 'c0ffee0000000033'"),
     (f"stories/{_spread_story(16)}.html", "BIS controls item 33, say officials."), True),
    ("an event is deleted", _sql("DELETE FROM events WHERE id = 'c0ffee0000000050'"),
     (f"stories/{_spread_story(25)}.html", "1 source"), True),
    ("an entity is renamed (every story is derived again)", _sql(
        "UPDATE entities SET name = 'Nvidia Corporation' WHERE id = 'nvidia'"),
     ("stories/5000000000000001.html", "Nvidia Corporation"), False),
    ("every story's summary (too many to derive again)", _sql(
        "UPDATE stories SET summary = 'Summarised again.'"),
     ("timeline/all/all.html", "Summarised again."), False),
]


@pytest.fixture
def taken(monkeypatch):
    """The builds that went the incremental stories way (derive_again gave the stories)."""
    got: list[bool] = []
    real = stories.derive_again

    def derive_again(*args):
        result = real(*args)
        got.append(result is not None)
        return result
    monkeypatch.setattr(stories, "derive_again", derive_again)
    return got


def _built_with_stories(db, tmp_path):
    """The store with stories in use (and a spread of them), built once from scratch."""
    docs = populate(db)
    add_stories(db, docs)
    _add_spread_stories(db, docs)
    out = tmp_path / "public"
    build_site(db, out, search_index=False)
    return docs, out


def test_every_incremental_build_with_stories_equals_a_build_from_scratch(db, tmp_path, taken):
    docs, out = _built_with_stories(db, tmp_path)
    assert (out / ".stories.state").exists()
    for step, (name, change, (page, shown), incremental) in enumerate(STORY_CHANGES):
        del taken[:]
        with db.conn:
            change(db, docs)
        counts = build_site(db, out, search_index=False)
        assert any(taken) == incremental, name  # the way this change was meant to go
        fresh = tmp_path / f"fresh-{step}"
        made = build_site(db, fresh, search_index=False)
        assert snapshot(out) == snapshot(fresh), name
        assert {k: v for k, v in counts.items() if k not in FILE_COUNTS} == \
            {k: v for k, v in made.items() if k not in FILE_COUNTS}, name
        # The change shows where it should: on that page (or, for a glob, on 6 pages: its
        # story's own and its five related stories' at least).
        pages = list(out.glob(page))
        assert sum(shown in p.read_text() for p in pages) >= (6 if "*" in page else 1), name
        if incremental:
            assert counts["rendered"] < made["rendered"] / 2, name
        assert made["stories"] > SPREAD_STORIES - 5, name  # stories still in use


def test_a_story_page_is_re_keyed_when_a_linked_or_related_story_changes(db, tmp_path):
    """Only the pages of the stories a change can touch are rendered: a headline changed on
    one story of the pair renders it and its related stories (the five on each side), the
    reports' pages, and none of the other stories' pages."""
    docs, out = _built_with_stories(db, tmp_path)
    before = {p.name: p.stat().st_mtime_ns for p in (out / "stories").iterdir()}
    with db.conn:
        db.execute(f"UPDATE stories SET headline = 'A new headline' WHERE id = '{_spread_story(17)}'")
    build_site(db, out, search_index=False)
    after = {p.name: p.stat().st_mtime_ns for p in (out / "stories").iterdir()}
    rewritten = {name for name in after if after[name] != before.get(name)}
    assert f"{_spread_story(17)}.html" in rewritten
    pages = {name for name in rewritten if "A new headline" in (out / "stories" / name).read_text()}
    assert pages == rewritten  # every story page written shows the change
    assert 5 <= len(rewritten) - 1 <= 10  # its related stories (nearest of the pair, in date order)


def test_a_damaged_or_foreign_stories_state_costs_a_full_derivation(db, tmp_path, taken):
    docs, out = _built_with_stories(db, tmp_path)
    state = out / ".stories.state"
    data = state.read_bytes()
    state.unlink()  # a new file: the old one is hard-linked into the spare copy
    state.write_bytes(data[: len(data) // 2])
    with db.conn:
        db.execute(f"UPDATE stories SET headline = 'After the damage' WHERE id = '{_spread_story(2)}'")
    build_site(db, out, search_index=False)
    assert taken == []  # the damaged file was not used: every story was derived again
    fresh = tmp_path / "fresh"
    build_site(db, fresh, search_index=False)
    assert snapshot(out) == snapshot(fresh)
    with db.conn:
        db.execute(f"UPDATE stories SET headline = 'And again' WHERE id = '{_spread_story(2)}'")
    build_site(db, out, search_index=False)
    assert taken == [True]  # the state the full build saved is used by the next
    fresh = tmp_path / "fresh-2"
    build_site(db, fresh, search_index=False)
    assert snapshot(out) == snapshot(fresh)


def test_random_changes_with_stories_in_use(tmp_path, taken):
    """Random small changes to a synthetic store clustered by the tagger's clustering
    (nlp/stories.py; clustered again after new events, as a nightly does), and direct changes
    to its stories and links: after each, the incremental build leaves the site a build from
    scratch makes."""
    import random

    from nlp.stories import cluster_stories

    db = synthetic_store(tmp_path)
    cluster_stories(db)
    rnd = random.Random(15)
    some = picker(db, rnd)

    def new_events(i):
        doc = some("SELECT id FROM documents")[0]
        actor, target = some("SELECT id FROM entities", 2)
        action = rnd.choice(["tariff", "sanction", "export_control"])
        day = f"2025-{rnd.randint(1, 12):02d}-{rnd.randint(1, 26):02d}"
        _insert(db, *(event(f"f{i:013d}{k:02d}", doc, action, actor, target, day, f"random {i} {k}")
                      for k in range(rnd.randint(1, 3))))
        cluster_stories(db)  # as the nightly's tag run does

    def move_event(i):
        (story,) = some("SELECT id FROM stories")
        db.execute("UPDATE events SET story_id = ? WHERE id = ?", [story, some("SELECT id FROM events")[0]])

    def add_link(i):
        a, b = some("SELECT id FROM stories WHERE id IN (SELECT story_id FROM events)", 2)
        db.execute("INSERT OR IGNORE INTO event_links (from_story, to_story, kind, basis, evidence) "
                   "VALUES (?, ?, 'response', 'inferred', ?)", [a, b, f"random link {i}"])

    operations = [
        new_events,
        move_event,
        add_link,
        lambda i: db.execute("UPDATE stories SET headline = ? WHERE id = ?",
                             [f"headline {i}", some("SELECT id FROM stories")[0]]),
        lambda i: db.execute("UPDATE stories SET first_date = ? WHERE id = ?",
                             [f"2022-{rnd.randint(1, 12):02d}-15", some("SELECT id FROM stories")[0]]),
        lambda i: db.execute("DELETE FROM event_links WHERE id = ?",
                             some("SELECT id FROM event_links")),
        lambda i: db.execute("UPDATE events SET story_id = NULL WHERE id = ?",
                             some("SELECT id FROM events WHERE story_id IS NOT NULL")),
        lambda i: db.execute("UPDATE events SET evidence = ? WHERE id = ?",
                             [f"edited {i}", some("SELECT id FROM events")[0]]),
        lambda i: db.execute("DELETE FROM events WHERE id = ?", some("SELECT id FROM events")),
    ]
    steps = 14
    random_changes_match_fresh_builds(db, tmp_path, rnd, operations, steps)
    assert sum(taken) >= steps - 2  # most went the incremental stories way
