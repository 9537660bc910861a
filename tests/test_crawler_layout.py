"""When the real structure differs from the config (issue 13): a next page that is missing or
broken ends paging without failing a source whose documents were stored, and a configured
selector that matches nothing flags the source by the canary, naming the selector, not an
empty success.
One real crawl on 127.0.0.1 of fixtures written for the project (Federal Register-shaped API
pages in tests/fixtures/paging, the BIS listing of tests/fixtures/sources/bis)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import rivalry
from crawler_site import Site

FIXTURES = Path(__file__).parent / "fixtures"
HEAD = '[defaults]\nuser_agent = "RivalryTest/1.0"\ncontact = "tests@example.org"\ndelay = 0.0\n'

FEDERAL_REGISTER = """
[[source]]
id = "{id}"
name = "{id}"
kind = "api"
url = "{url}"
relevance = false
[source.fields]
results = "results"
url = "html_url"
title = "title"
text = "abstract"
published = "publication_date"
next = "next_page_url"
identifier = "document_number"
"""

BIS = """
[[source]]
id = "{id}"
name = "{id}"
kind = "listing"
url = "{base}/news-updates"
timezone = "America/New_York"
relevance = false
[source.selectors]
item = "{item}"
item_date = "{item_date}"
item_title = "h3 a::text"
text = "{text}"
[source.paging]
mode = "query"
param = "page"
first = 0
"""


def server_error(handler):
    handler.reply(500, b"upstream error", {"Content-Type": "text/plain"})


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("layout")
    with Site(FIXTURES / "paging", FIXTURES / "sources" / "bis" / "site",
              routes={"/fr500/next-page.json": server_error}) as site:
        b = site.base
        sources = tmp / "sources.toml"
        sources.write_text(
            HEAD
            + FEDERAL_REGISTER.format(id="fr-404", url=f"{b}/fr404/documents.json?per_page=2")
            + FEDERAL_REGISTER.format(id="fr-500", url=f"{b}/fr500/documents.json")
            + BIS.format(id="bis-moved-list", base=b, item="div.news-list li",
                         item_date="time::attr(datetime)", text="div.article-body p")
            + BIS.format(id="bis-moved-body", base=b, item="article.news-item",
                         item_date="span.date::text", text="div.story-body p"))
        db = tmp / "layout.db"
        result = rivalry("crawl", "--db", db, "--sources", sources, check=False)
    conn = sqlite3.connect(db)
    per_source = dict(conn.execute("SELECT source_id, count(*) FROM documents GROUP BY source_id"))
    counts, errors = conn.execute("SELECT counts, errors FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    health = {r[0]: r[1] for r in conn.execute("SELECT source_id, canary FROM source_health")}
    conn.close()
    return {"docs": per_source, "report": json.loads(counts)["crawl"], "errors": json.loads(errors),
            "health": health, "stdout": result.stdout}


@pytest.mark.parametrize("source_id,status", [("fr-404", "HTTP 404"), ("fr-500", "HTTP 500")])
def test_a_missing_or_broken_next_page_ends_paging(crawled, source_id, status):
    assert crawled["docs"][source_id] == 2            # the first page's documents are stored
    assert source_id not in crawled["errors"]          # and the source did not fail
    assert f"paging ended: next page {status}" in crawled["report"][source_id]["notes"]


def test_a_listing_selector_that_matches_nothing_is_flagged_by_name(crawled):
    # A first crawl too (no earlier yield to compare with): the canary names the selector.
    error = crawled["errors"]["bis-moved-list"]
    assert error == "canary: listing selector item = 'div.news-list li' matched nothing"
    assert crawled["health"]["bis-moved-list"] == "listing selector item = 'div.news-list li' matched nothing"
    assert "bis-moved-list" not in crawled["docs"]
    assert "CANARY: listing selector item" in crawled["stdout"]


def test_an_article_selector_that_matches_nothing_is_flagged_by_name(crawled):
    error = crawled["errors"]["bis-moved-body"]
    assert "article selector text = 'div.story-body p' matched nothing on 3 page(s)" in error
    assert "listing selector item_date = 'span.date::text' matched nothing" in error
    # The pages are still stored, with the text trafilatura found: nothing is lost.
    assert crawled["docs"]["bis-moved-body"] == 3
