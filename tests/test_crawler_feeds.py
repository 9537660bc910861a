"""Feeds parsed as served (issue 13): the HTTP charset and the feed's URL count, an entry
without a link is skipped with a counted reason, "invalid XML" is only said of broken XML, and a
Google News item is its publisher's article, with the outlet in its own field. One real crawl of
tests/fixtures/feeds (written for the project, shaped like the real feeds) on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import rivalry
from crawler_site import Site

from crawler.urls import canonical_url

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
HEAD = '[defaults]\nuser_agent = "RivalryTest/1.0"\ncontact = "tests@example.org"\ndelay = 0.0\n'


def feed(id, url, **extra):
    lines = [f'[[source]]\nid = "{id}"\nname = "{id}"\nkind = "feed"\nurl = "{url}"\nrelevance = false']
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("feeds")
    with Site(FEEDS) as site:
        b = site.base
        sources = tmp / "sources.toml"
        sources.write_text(HEAD
                           + feed("charset", f"{b}/charset.xml", content="snippet")
                           + feed("google-news", f"{b}/google-news.xml", content="snippet")
                           + feed("wire", f"{b}/wire.xml", content="snippet")
                           + feed("nolinks", f"{b}/nolinks.xml")
                           + feed("not-a-feed", f"{b}/not-a-feed.html"))
        db = tmp / "feeds.db"
        rivalry("crawl", "--db", db, "--sources", sources, check=False)
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    docs = [dict(r) for r in conn.execute("SELECT * FROM documents")]
    counts, errors = conn.execute("SELECT counts, errors FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    conn.close()
    return {"base": b, "docs": docs, "report": json.loads(counts)["crawl"], "errors": json.loads(errors)}


def test_the_http_charset_is_honoured_and_relative_links_resolve(crawled):
    [doc] = [d for d in crawled["docs"] if d["source_id"] == "charset"]
    assert doc["title"] == "China\u2019s ministry answers US chip controls"   # cp1252 0x92, not "â€™"
    assert "\u2014 fixture text \u2014" in doc["text"]
    assert doc["url"] == f"{crawled['base']}/news/2025/04/ministry-chips"


def test_an_entry_without_a_link_is_skipped_and_counted(crawled):
    for source_id in ("charset", "nolinks"):
        report = crawled["report"][source_id]
        assert report["note_counts"] == {"feed entry without a link": 1}, report
        assert source_id not in crawled["errors"]  # a valid feed: not "invalid XML"


def test_invalid_xml_is_not_said_of_a_page_that_is_no_feed(crawled):
    assert crawled["errors"]["not-a-feed"].startswith("not an RSS or Atom feed")


def test_google_news_items_are_their_publishers_articles_with_the_outlet_apart(crawled):
    article = canonical_url(f"{crawled['base']}/wire/2025/04/15/us-adds-chinese-chip-firms/")
    same = [d for d in crawled["docs"] if d["canonical_url"] == article]
    assert len(same) == 1, same  # from Google News and from the wire's own feed: one document
    assert same[0]["title"] == "US adds Chinese chip firms to the Entity List"
    [post] = [d for d in crawled["docs"] if d["source_id"] == "google-news" and d["canonical_url"] != article]
    # The outlet's home page is no article: the Google link stays the key.
    assert post["url"] == "https://news.google.com/rss/articles/CBMiFIXTUREpost2?oc=5"
    assert post["title"] == "China answers with rare earth export controls"
    assert json.loads(post["extra"]) == {"outlet": "Example Post - Asia"}
    assert not [d for d in crawled["docs"] if d["title"] and d["title"].endswith("Example Wire")]
