"""Real Scrapy crawls against fixture pages served on 127.0.0.1, written to a real SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import rivalry


def write_sources(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(f"""
[defaults]
user_agent = "RivalryTest/1.0"
contact = "tests@example.org"
delay = 0.0

[[source]]
id = "ministry"
name = "Test Ministry"
kind = "feed"
url = "{base}/feed.xml"
timezone = "America/New_York"

[[source]]
id = "fedreg"
name = "Test Federal Register"
kind = "api"
url = "{base}/fedreg.json"
timezone = "America/New_York"

[source.fields]
results = "results"
url = "html_url"
title = "title"
text = "abstract"
published = "publication_date"
identifier = "document_number"
type = "type"
next = "next_page_url"
""")
    return path


def documents(db_path):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    return {row["canonical_url"]: dict(row) for row in conn.execute("SELECT * FROM documents")}


@pytest.fixture
def crawled(tmp_path, local_site):
    sources = write_sources(tmp_path, local_site.base)
    db_path = tmp_path / "crawl.db"
    first = rivalry("crawl", "--db", db_path, "--sources", sources, "--archive", tmp_path / "warc")
    return {"db": db_path, "sources": sources, "site": local_site, "tmp": tmp_path, "output": first.stdout}


def test_feed_and_api_documents_are_stored(crawled):
    docs = documents(crawled["db"])
    base = crawled["site"].base.replace("http://", "https://")
    by_title = {d["title"]: d for d in docs.values()}
    assert len(docs) == 6  # 3 feed articles (robots.txt blocks the 4th) + 3 API results over 2 pages
    entity_list = by_title["Commerce adds chip firms to the Entity List"]
    # Tracking parameters and the trailing slash are gone from the canonical URL.
    assert entity_list["canonical_url"] == f"{base}/news/2025/01/entity-list-additions"
    # The page's own timestamp (with its time zone) wins, converted to UTC.
    assert entity_list["published_at"] == "2025-01-15T15:30:00+00:00"
    assert entity_list["date_source"] == "meta"
    assert "WASHINGTON — The Department of Commerce" in entity_list["text"]
    assert not entity_list["text"].startswith(entity_list["title"])
    assert "About us" not in entity_list["text"] and "FOIA" not in entity_list["text"]
    # No date on the page: the feed's date is used and said so.
    opposes = by_title["Ministry opposes new US chip rules"]
    assert opposes["published_at"] == "2025-01-16T03:00:00+00:00"
    assert opposes["date_source"] == "feed"
    # No date anywhere: left empty, never the crawl time.
    assert by_title["Undated statement"]["published_at"] is None
    # API: text from the API field, a date-only value read in the source's time zone.
    rule = by_title["Additions to the Entity List"]
    assert rule["text"].startswith("In this rule, the Bureau of Industry and Security")
    assert rule["published_at"] == "2025-01-15T05:00:00+00:00"
    assert '"2025-00001"' in rule["extra"]
    assert "Rescission of the AI Diffusion Rule" in by_title  # reached through next_page_url
    assert "/private/secret" not in crawled["site"].requests  # robots.txt obeyed


def test_second_crawl_adds_nothing_and_skips_stored_articles(crawled):
    before = documents(crawled["db"])
    site = crawled["site"]
    site.requests.clear()
    rivalry("crawl", "--db", crawled["db"], "--sources", crawled["sources"])
    assert documents(crawled["db"]) == before
    # Only the feed, the API pages and robots.txt are asked for again; no stored article.
    assert not [path for path in site.requests if path.startswith("/news/")]


def test_replay_from_the_written_archive_needs_no_server(crawled):
    warcs = list((crawled["tmp"] / "warc").glob("*.warc.gz"))
    assert warcs, "the crawl wrote no WARC file"
    crawled["site"].__exit__(None, None, None)  # the network is gone
    assert {w.name.rsplit("-", 1)[1] for w in warcs} == {"ministry.warc.gz", "fedreg.warc.gz"}
    replay_db = crawled["tmp"] / "replay.db"
    # --replay takes the folder: every WARC in it is read.
    rivalry("crawl", "--db", replay_db, "--sources", crawled["sources"], "--replay", crawled["tmp"] / "warc")
    original, replayed = documents(crawled["db"]), documents(replay_db)
    assert set(replayed) == set(original)
    for url, doc in original.items():
        assert replayed[url]["text"] == doc["text"]
        assert replayed[url]["published_at"] == doc["published_at"]


def test_crawl_run_is_recorded_per_source(crawled):
    conn = sqlite3.connect(crawled["db"])
    status, counts = conn.execute("SELECT status, counts FROM runs WHERE command='crawl'").fetchone()
    assert status == "ok"
    assert '"ministry"' in counts and '"fedreg"' in counts


def test_unreachable_source_fails_loudly_but_others_finish(tmp_path, local_site):
    sources = write_sources(tmp_path, local_site.base)
    text = sources.read_text() + f"""
[[source]]
id = "gone"
name = "Nothing listens here"
kind = "feed"
url = "{local_site.base}/missing-feed.xml"
"""
    sources.write_text(text)
    db_path = tmp_path / "partial.db"
    result = rivalry("crawl", "--db", db_path, "--sources", sources, check=False)
    assert result.returncode != 0
    assert "gone" in result.stderr.splitlines()[-1]
    assert len(documents(db_path)) == 6  # the healthy sources still finished
