"""The site's Atom feeds as a subscriber's reader sees them (feedparser), across two builds:
an entry is published when the project first saw it and updated when it last changed."""

from __future__ import annotations

import feedparser
from conftest import add_document, rivalry
from site_fixtures import add_stories, event, populate

from sitegen.build import build_site

SITE = "https://tracker.example.org/"
FIRST, SECOND = "2025-06-10T08:00:00+00:00", "2025-07-01T09:30:00+00:00"


def entries(out) -> dict:
    feed = feedparser.parse((out / "feeds" / "all.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    return {e.id.rsplit(":", 1)[-1]: e for e in feed.entries}, feed


def test_first_seen_and_last_changed_across_two_builds(db, tmp_path):
    docs = populate(db)
    add_stories(db, docs)
    with db.conn:
        db.execute("UPDATE documents SET fetched_at = ?", [FIRST])
    out = tmp_path / "public"
    build_site(db, out, search_index=False, site_url=SITE)
    before, _ = entries(out)
    story = "5000000000000001"  # MOFCOM's listing of Nvidia, reported by MOFCOM and a news outlet
    assert before[story].published == before[story].updated == "2025-06-10T08:00:00Z"

    # The next night: a newly found report of an older event (January 2024) and a third
    # source for the story.
    old = add_document(db, url="https://www.state.gov/2024/01/chips", title="State on chips",
                       text="The State Department said...", published_at="2025-06-30T00:00:00+00:00",
                       source_id="state", fetched_at=SECOND)
    third = add_document(db, url="https://news.example.net/nvidia-listed", title="Nvidia listed",
                         text="China listed Nvidia.", published_at="2025-05-04T00:00:00+00:00",
                         source_id="news", fetched_at=SECOND)
    with db.conn:
        db["events"].insert_all([
            event("c0ffee0000000001", old, "export_control", "us-bis", "nvidia", "2024-01-10",
                  "BIS restricted exports of the H20 in January 2024."),
            {**event("c0ffee0000000002", third, "entity_listing", "cn-mofcom", "nvidia",
                     "2025-05-02", "China listed Nvidia."), "story_id": story}], pk="id")
        db.execute("UPDATE stories SET document_count = document_count + 1, event_count = "
                   "event_count + 1 WHERE id = ?", [story])
    build_site(db, out, search_index=False, site_url=SITE)
    after, feed = entries(out)

    found = after["c0ffee0000000001"]  # an event of 2024, first seen now: it reaches subscribers
    assert found.published == found.updated == "2025-07-01T09:30:00Z"
    assert feed.entries[0].id.endswith(("c0ffee0000000001", story))  # the newest changes first
    assert after[story].published == "2025-06-10T08:00:00Z"  # first seen with its first report
    assert after[story].updated == "2025-07-01T09:30:00Z"  # it gained a source
    for ident, entry in before.items():  # nothing else moved
        if ident != story:
            assert (after[ident].published, after[ident].updated) == (entry.published, entry.updated)
    assert feed.feed.updated == "2025-07-01T09:30:00Z"
    assert all(e.link.startswith(SITE) for e in feed.entries)


def test_build_warns_when_feed_links_cannot_be_absolute(db, db_file, tmp_path):
    populate(db)
    out = tmp_path / "public"
    result = rivalry("build", "--db", db_file, "--out", out, env={"RIVALRY_SITE_URL": ""})
    assert "warning: RIVALRY_SITE_URL is not set" in result.stderr
    feed = feedparser.parse((out / "feeds" / "all.xml").read_bytes())
    assert feed.entries and all(e.link.startswith("../events/") for e in feed.entries)
    result = rivalry("build", "--db", db_file, "--out", out, env={"RIVALRY_SITE_URL": SITE})
    assert "warning" not in result.stderr
    feed = feedparser.parse((out / "feeds" / "all.xml").read_bytes())
    assert all(e.link.startswith(SITE + "events/") for e in feed.entries)
