"""The crawler's traps, each against 127.0.0.1: failures end with a recorded reason per
source while the other sources finish; politeness; incremental crawls; dedup; canary."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import rivalry
from crawler_site import Site

from crawler import health
from crawler.relevance import is_relevant

FIXTURES = Path(__file__).parent / "fixtures"
TRAPS = FIXTURES / "traps"
BIS = FIXTURES / "sources" / "bis" / "site"
WHITEHOUSE = FIXTURES / "sources" / "whitehouse-sitemap" / "site"

HEAD = """
[defaults]
user_agent = "RivalryTest/1.0"
contact = "tests@example.org"
delay = 0.0
"""


def feed(id, url, **extra):
    lines = [f'[[source]]\nid = "{id}"\nname = "{id}"\nkind = "feed"\nurl = "{url}"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


BIS_LISTING = """
[[source]]
id = "bis"
name = "BIS (test)"
kind = "listing"
url = "{base}/news-updates"
timezone = "America/New_York"
max_pages = 10
{extra}
[source.selectors]
item = "article.news-item"
item_date = "time::attr(datetime)"
item_title = "h3 a::text"
text = "div.article-body p"

[source.paging]
mode = "query"
param = "page"
first = 0
"""


def documents(db_path, where="1=1"):
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute(f"SELECT * FROM documents WHERE {where}")]


def last_run(db_path):
    conn = sqlite3.connect(db_path)
    status, counts, errors = conn.execute(
        "SELECT status, counts, errors FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    return status, json.loads(counts), json.loads(errors)


# --- failure isolation -------------------------------------------------------------------------

def slow(handler):
    time.sleep(2.5)
    handler.reply(200, b"<rss></rss>", {"Content-Type": "application/rss+xml"})


def huge(handler):
    handler.reply(200, b"<html><body>" + b"<p>padding</p>" * 5000 + b"</body></html>",
                  {"Content-Type": "text/html"})


def server_error(handler):
    handler.reply(500, b"oops", {"Content-Type": "text/plain"})


def test_each_failure_has_its_reason_and_the_healthy_source_finishes(tmp_path):
    routes = {"/slow.xml": slow, "/huge.html": huge, "/error.xml": server_error}
    with Site(TRAPS, WHITEHOUSE, routes=routes) as site:
        b = site.base
        sources = tmp_path / "sources.toml"
        sources.write_text(HEAD
            + feed("healthy", f"{b}/feed.xml")
            + feed("dns", "http://no-such-host.invalid/feed.xml")
            + feed("timeout", f"{b}/slow.xml", timeout=1.0)
            + feed("not-found", f"{b}/missing.xml")
            + feed("server-error", f"{b}/error.xml")
            + feed("bad-xml", f"{b}/broken.xml")
            + feed("oversize", f"{b}/huge.html", max_bytes=20000)
            + feed("bot-check", f"{b}/botfeed.xml")
            + f"""
[[source]]
id = "bad-json"
name = "bad-json"
kind = "api"
url = "{b}/broken.json"
[source.fields]
results = "results"
url = "url"
title = "title"
published = "date"
""")
        db_path = tmp_path / "traps.db"
        result = rivalry("crawl", "--db", db_path, "--sources", sources, check=False)
    assert result.returncode != 0
    status, counts, errors = last_run(db_path)
    assert status == "failed"
    expected = {"dns": "DNS lookup failed", "timeout": "timeout", "not-found": "HTTP 404",
                "server-error": "HTTP 500", "bad-xml": "invalid XML feed", "bad-json": "invalid JSON",
                "oversize": "oversize body", "bot-check": "bot-check page"}
    for source_id, reason in expected.items():
        assert reason in (errors.get(source_id) or ""), (source_id, errors.get(source_id))
    assert "healthy" not in errors
    docs = documents(db_path)
    assert [d["source_id"] for d in docs] == ["healthy"]  # nothing from a bot-check page
    assert not [d for d in docs if "robot" in (d["text"] or "")]
    assert "1 source(s) failed" not in result.stderr and "bot-check" in result.stderr


def test_bot_check_listing_is_an_error_not_an_empty_page(tmp_path):
    with Site(TRAPS) as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(HEAD + BIS_LISTING.format(base=site.base, extra="").replace(
            "/news-updates", "/botcheck.html"))
        result = rivalry("crawl", "--db", tmp_path / "b.db", "--sources", sources, check=False)
    assert result.returncode != 0 and "bot-check page" in result.stdout


# --- politeness ----------------------------------------------------------------------------------

def test_user_agent_names_a_contact_and_the_source_delay_is_kept(tmp_path):
    with Site(BIS) as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(HEAD + BIS_LISTING.format(base=site.base, extra="delay = 0.6"))
        rivalry("crawl", "--db", tmp_path / "p.db", "--sources", sources)
    agents = {h.get("User-Agent") for h in site.headers}
    assert agents == {"RivalryTest/1.0 contact: tests@example.org"}
    pages = [t for p, t in zip(site.requests, site.times) if p != "/robots.txt"]
    gaps = [b - a for a, b in zip(pages, pages[1:])]
    assert len(gaps) >= 4 and min(gaps) >= 0.6 * 0.5  # Scrapy randomises the delay in [0.5, 1.5]x


def test_429_waits_for_retry_after_then_succeeds(tmp_path):
    calls = []

    def limited(handler):
        calls.append(time.monotonic())
        if len(calls) == 1:
            handler.reply(429, b"slow down", {"Retry-After": "1", "Content-Type": "text/plain"})
        else:
            body = (TRAPS / "feed.xml").read_bytes().replace(b"{{BASE}}", site.base.encode())
            handler.reply(200, body, {"Content-Type": "application/rss+xml"})

    def never(handler):
        handler.reply(429, b"come back tomorrow", {"Retry-After": "86400"})

    with Site(WHITEHOUSE, routes={"/limited.xml": limited, "/never.xml": never}) as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(HEAD + feed("limited", f"{site.base}/limited.xml")
                           + feed("never", f"{site.base}/never.xml"))
        result = rivalry("crawl", "--db", tmp_path / "r.db", "--sources", sources, check=False)
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.95  # waited as asked
    assert len(documents(tmp_path / "r.db", "source_id = 'limited'")) == 1
    _, _, errors = last_run(tmp_path / "r.db")
    assert "HTTP 429" in errors["never"] and "limited" not in errors
    assert result.returncode != 0


# --- incremental, conditional GET, paging stop, --since, versions ----------------------------------

@pytest.fixture
def bis_site(tmp_path):
    root = tmp_path / "bis-site"
    shutil.copytree(BIS, root)
    with Site(root) as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(HEAD + BIS_LISTING.format(base=site.base, extra=""))
        yield {"site": site, "root": root, "sources": sources, "db": tmp_path / "bis.db"}


def test_second_crawl_uses_conditional_get_and_fetches_no_article(bis_site):
    site, db_path = bis_site["site"], bis_site["db"]
    rivalry("crawl", "--db", db_path, "--sources", bis_site["sources"])
    first = list(site.requests)
    assert "/news-updates?page=2" in first  # ran to the end of the listing (a 404 there is fine)
    site.requests.clear()
    site.headers.clear()
    out = rivalry("crawl", "--db", db_path, "--sources", bis_site["sources"]).stdout
    assert site.requests == ["/robots.txt", "/news-updates"], site.requests
    assert site.headers[1].get("If-None-Match")
    assert "not modified (304)" in out
    assert len(documents(db_path)) == 3


def test_listing_stops_paging_at_a_page_of_known_items(bis_site):
    site, root, db_path = bis_site["site"], bis_site["root"], bis_site["db"]
    rivalry("crawl", "--db", db_path, "--sources", bis_site["sources"])
    listing = root / "news-updates" / "index.html"
    listing.write_text(listing.read_text().replace(
        '<div class="news-list">',
        '<div class="news-list"><article class="news-item"><h3><a href="/news-updates/bis-adds-chip-firms-entity-list'
        '?utm_source=newsletter">New: BIS tightens controls on AI chips</a></h3><time datetime="2025-06-01">x</time></article>'
        '<article class="news-item"><h3><a href="/news-updates/new-rule">BIS rule on chips</a></h3>'
        '<time datetime="2025-06-02">x</time></article>'))
    (root / "news-updates" / "new-rule").write_text(
        "<html><body><h1>BIS rule on chips</h1><div class='article-body'><p>New export controls on "
        "advanced chips (test fixture).</p></div></body></html>")
    site.requests.clear()
    rivalry("crawl", "--db", db_path, "--sources", bis_site["sources"])
    # page 0 changed (one new item): fetched, the new article too; page 1 holds only known items: no page 2.
    assert "/news-updates/new-rule" in site.requests
    assert "/news-updates/bis-adds-chip-firms-entity-list" not in site.requests  # known via another URL
    assert "/news-updates?page=1" in site.requests and "/news-updates?page=2" not in site.requests
    assert len(documents(db_path)) == 4


def test_since_skips_older_items(bis_site):
    rivalry("crawl", "--db", bis_site["db"], "--sources", bis_site["sources"], "--since", "2025-03-01")
    titles = {d["title"] for d in documents(bis_site["db"])}
    assert titles == {"BIS Adds Advanced Chip Firms to the Entity List", "BIS Issues Guidance on Huawei Ascend Chips"}


def test_changed_page_keeps_its_earlier_version(bis_site):
    root, db_path = bis_site["root"], bis_site["db"]
    rivalry("crawl", "--db", db_path, "--sources", bis_site["sources"])
    page = root / "news-updates" / "bis-issues-guidance-huawei-ascend"
    page = root / "news-updates" / "bis-guidance-huawei-ascend"
    page.write_text(page.read_text().replace("may violate", "is likely to violate"))
    rivalry("crawl", "--db", db_path, "--sources", bis_site["sources"], "--refresh")
    conn = sqlite3.connect(db_path)
    (text,) = conn.execute("SELECT text FROM documents WHERE url LIKE '%huawei-ascend'").fetchone()
    versions = conn.execute("SELECT text FROM document_versions").fetchall()
    assert "is likely to violate" in text
    assert len(versions) == 1 and "may violate" in versions[0][0]


def test_same_item_by_two_routes_is_stored_once(tmp_path):
    with Site(TRAPS, WHITEHOUSE) as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(HEAD + feed("wh-feed", f"{site.base}/feed.xml") + f"""
[[source]]
id = "wh-sitemap"
name = "wh-sitemap"
kind = "sitemap"
url = "{site.base}/sitemap_index.xml"
url_pattern = "/presidential-actions/20"
""")
        db_path = tmp_path / "d.db"
        rivalry("crawl", "--db", db_path, "--sources", sources, "--source", "wh-feed")
        rivalry("crawl", "--db", db_path, "--sources", sources, "--source", "wh-sitemap")
        article = "/presidential-actions/2025/07/promoting-the-export-of-the-american-ai-technology-stack"
        fetched = [p for p in site.requests if p.startswith(article)]
    docs = documents(db_path)
    assert len([d for d in docs if d["canonical_url"].endswith(article)]) == 1
    assert len(fetched) == 1  # the sitemap route knew it already: not fetched again
    assert len(docs) == 2


# --- API date windows over a capped API ------------------------------------------------------------

def test_capped_api_window_is_split_until_under_the_cap(tmp_path):
    from urllib.parse import parse_qs, urlsplit

    asked = []

    def documents_json(handler):
        query = parse_qs(urlsplit(handler.path).query)
        gte, lte = query["conditions[publication_date][gte]"][0], query["conditions[publication_date][lte]"][0]
        asked.append((gte, lte))
        days = (int(lte[-2:]) - int(gte[-2:])) + 1
        if days > 8:  # "too many results": more than the cap, results stop silently
            body = {"count": 12000, "results": []}
        else:
            body = {"count": 1, "results": [{"title": f"AI chip rule {gte}", "publication_date": gte,
                                             "html_url": f"{site.base}/documents/{gte}", "abstract": "Export controls on chips."}]}
        handler.reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

    with Site(TRAPS, routes={"/api/v1/documents.json": documents_json}) as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(HEAD + f"""
[[source]]
id = "fr"
name = "fr"
kind = "api"
url = "{site.base}/api/v1/documents.json?per_page=1000"
[source.fields]
results = "results"
url = "html_url"
title = "title"
text = "abstract"
published = "publication_date"
total = "count"
[source.window]
start_param = "conditions[publication_date][gte]"
end_param = "conditions[publication_date][lte]"
days = 31
start = "2025-01-01"
end = "2025-01-31"
cap = 10000
""")
        rivalry("crawl", "--db", tmp_path / "w.db", "--sources", sources)
    assert ("2025-01-01", "2025-01-31") in asked
    small = [w for w in asked if int(w[1][-2:]) - int(w[0][-2:]) + 1 <= 8]
    assert len(small) == 4  # 31 -> 16 + 15 -> 8 + 8 + 8 + 7 days
    assert len(documents(tmp_path / "w.db")) == 4


# --- canary ------------------------------------------------------------------------------------------

def test_canary_flags_a_source_that_suddenly_yields_nothing(bis_site, tmp_path):
    root, db_path = bis_site["root"], bis_site["db"]
    rivalry("crawl", "--db", db_path, "--sources", bis_site["sources"])
    # The site is redesigned: the listing's markup no longer matches the configured selectors.
    listing = root / "news-updates" / "index.html"
    listing.write_text(listing.read_text().replace("news-item", "card"))
    result = rivalry("nightly", "--db", db_path, "--sources", bis_site["sources"],
                     "--out", tmp_path / "public", check=False)
    assert result.returncode != 0
    assert "CANARY: yields nothing" in result.stdout and "flagged by the canary" in result.stderr
    assert "listing selector item = 'article.news-item' matched nothing" in result.stdout  # named
    status = rivalry("status", "--db", db_path).stdout
    assert "FLAGGED SOURCES (1)" in status and "yields nothing" in status
    listing_out = rivalry("sources", "--db", db_path, "--sources", bis_site["sources"]).stdout
    assert "CANARY" in listing_out
    run_status, _, errors = last_run(db_path)
    assert run_status == "flagged" and errors["bis"].startswith("canary:")


def test_canary_rules():
    base = {"error": None, "not_modified": 0, "entries": 5, "new": 3, "changed": 0, "unchanged": 0,
            "no_date": 0, "no_text": 0}
    assert health.canary(base, 5, 10, 10) is None
    assert "yields nothing" in health.canary({**base, "entries": 0, "new": 0}, 5, 10, 10)
    assert health.canary({**base, "entries": 0, "new": 0}, 0, 0, 0) is None  # never yielded: nothing to compare
    assert health.canary({**base, "entries": 0, "not_modified": 1}, 5, 10, 10) is None  # 304
    assert "no date" in health.canary({**base, "no_date": 3}, 5, 10, 10)
    assert "no text" in health.canary({**base, "no_text": 3}, 5, 10, 10)
    assert health.canary({**base, "no_text": 3}, 5, 10, 0) is None  # a titles-only source


def test_sources_command_shows_kind_last_success_items_and_last_error(bis_site):
    rivalry("crawl", "--db", bis_site["db"], "--sources", bis_site["sources"])
    out = rivalry("sources", "--db", bis_site["db"], "--sources", bis_site["sources"]).stdout
    line = next(l for l in out.splitlines() if l.startswith("bis "))
    assert "listing" in line and "never" not in line and " 3 " in line


# --- relevance -----------------------------------------------------------------------------------------

def test_relevance_keywords():
    # Two signals: a Chinese party and a contested technology or measure (tests/test_crawler_relevance.py
    # has real snippets).
    assert is_relevant("Commerce adds Chinese chip firms to the Entity List", "")
    assert is_relevant("", "The rule covers AI model weights exported to China")
    assert not is_relevant("", "The rule covers AI model weights")  # one signal is not evidence
    assert not is_relevant("National Park Week, 2025", "He said the park in China is beautiful.")  # 'said' is not 'AI'
    assert not is_relevant("Fishery disaster determinations", "Salmon fisheries in Alaska")
    assert is_relevant("Fishery disaster", "salmon from China", extra=["salmon"])


def test_a_failed_index_page_gets_no_304_next_time(tmp_path):
    with Site(TRAPS) as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(HEAD + BIS_LISTING.format(base=site.base, extra="").replace(
            "/news-updates", "/botcheck.html"))
        for _ in range(2):
            result = rivalry("crawl", "--db", tmp_path / "v.db", "--sources", sources, check=False)
            assert "bot-check page" in result.stdout  # asked again in full, failed again: still loud
    conn = sqlite3.connect(tmp_path / "v.db")
    assert conn.execute("SELECT count(*) FROM http_cache").fetchone()[0] == 0


def test_valid_feed_with_quirks_is_recognised(tmp_path):
    # Atom, a byte-order mark and leading spaces, served as text/plain: still a feed.
    with Site(TRAPS, WHITEHOUSE) as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(HEAD + feed("atom", f"{site.base}/atom.xml"))
        rivalry("crawl", "--db", tmp_path / "a.db", "--sources", sources)
    (doc,) = documents(tmp_path / "a.db")
    assert doc["title"] == "Promoting the Export of the American AI Technology Stack"
    assert doc["published_at"] == "2025-07-23T20:14:00+00:00"


def test_a_healthy_crawl_is_quiet_on_stderr_off_a_terminal(tmp_path):
    # Under cron every byte of output is mailed: progress lines only on a terminal.
    with Site(TRAPS, WHITEHOUSE) as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(HEAD + feed("wh", f"{site.base}/feed.xml"))
        result = rivalry("crawl", "--db", tmp_path / "q.db", "--sources", sources,
                         env={"RIVALRY_PROGRESS_INTERVAL": ""})
    assert result.stderr == ""


def test_a_crawl_that_failed_half_way_keeps_no_validators(bis_site):
    # Page 1 of the listing fails: the next run must read page 0 in full again (no 304), or the
    # items the failed run never reached would stay hidden behind "not modified" (resume).
    root, db_path = bis_site["root"], bis_site["db"]
    (root / "news-updates__page=1").rename(root / "saved-page-1")
    (root / "news-updates__page=1").write_text("oops")
    (root / "news-updates__page=1.headers").write_text("Status: 500\n")
    rivalry("crawl", "--db", db_path, "--sources", bis_site["sources"], check=False)
    (root / "news-updates__page=1.headers").unlink()
    (root / "saved-page-1").replace(root / "news-updates__page=1")
    bis_site["site"].requests.clear()
    rivalry("crawl", "--db", db_path, "--sources", bis_site["sources"])
    assert "/news-updates/bis-export-enforcement-conference" in bis_site["site"].requests
    assert len(documents(db_path)) == 3


def test_invalid_json_once_is_asked_again(tmp_path):
    calls = []

    def flaky(handler):
        calls.append(1)
        body = b'{"results": [' if len(calls) == 1 else json.dumps({"results": [
            {"title": "Chip export rule", "url": f"{site.base}/doc/1", "date": "2025-01-15"}]}).encode()
        handler.reply(200, body, {"Content-Type": "application/json"})

    with Site(TRAPS, routes={"/flaky.json": flaky}) as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(HEAD + f"""
[[source]]
id = "flaky"
name = "flaky"
kind = "api"
url = "{site.base}/flaky.json"
[source.fields]
results = "results"
url = "url"
title = "title"
text = "title"
published = "date"
""")
        rivalry("crawl", "--db", tmp_path / "j.db", "--sources", sources)
    assert len(calls) == 2 and len(documents(tmp_path / "j.db")) == 1


def test_killing_rivalry_stops_the_crawl_and_the_next_run_resumes(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    def hang(handler):
        time.sleep(30)

    root = tmp_path / "bis-site"
    shutil.copytree(BIS, root)
    with Site(root, routes={"/news-updates/bis-guidance-huawei-ascend": hang}) as site:
        sources = tmp_path / "sources.toml"
        sources.write_text(HEAD + BIS_LISTING.format(base=site.base, extra=""))
        db_path = tmp_path / "k.db"
        proc = subprocess.Popen([sys.executable, "-m", "rivalry.cli", "crawl", "--db", str(db_path),
                                 "--sources", str(sources)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while "/news-updates/bis-guidance-huawei-ascend" not in site.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)  # cron's timeout, the OOM killer...
        proc.wait()
        time.sleep(1.5)
        # The crawl child died with its parent: nothing is still running against the store,
        # and the source is marked incomplete, so the next run walks every page again.
        assert not processes_holding(db_path)
        conn = sqlite3.connect(db_path)
        assert conn.execute("SELECT complete FROM source_health WHERE source_id = 'bis'").fetchone() == (0,)
        conn.close()
    with Site(root) as site:
        sources.write_text(HEAD + BIS_LISTING.format(base=site.base, extra=""))
        rivalry("crawl", "--db", db_path, "--sources", sources)
    assert len(documents(db_path)) == 3


def processes_holding(path: Path) -> list[int]:
    """Processes with the file open: an orphaned crawl would still hold the database."""
    found = []
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            if Path(fd.readlink()) == path.resolve():
                found.append(int(fd.parent.parent.name))
        except OSError:
            continue
    return found
