"""Whole-output checks: every internal link resolves, feeds parse, downloads round-trip,
filters and pagination are pre-rendered pages."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import pytest

from sitegen import plan, render
from sitegen.build import build_site
from site_fixtures import event, populate


class Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        for name in ("href", "src"):
            if attrs.get(name) is not None:
                self.links.append((tag, attrs[name], attrs.get("rel") or ""))

    handle_startendtag = handle_starttag


def check_links(out: Path) -> int:
    """Follow every href/src in every page and feed; return how many internal links resolved."""
    broken, checked = [], 0
    for page in sorted(out.rglob("*")):
        if page.suffix not in (".html", ".xml") or page.relative_to(out).parts[0] == "pagefind":
            continue
        if page.name == "404.html" and page.parent == out:
            continue  # served at any depth: its links start at the site's root (test_404_page)
        parser = Links()
        text = page.read_text("utf-8")
        if page.suffix == ".xml":  # Atom: <link href="..."/> is the only kind of link
            import re
            parser.links = [("link", h, "") for h in re.findall(r'<link[^>]*href="([^"]*)"', text)]
        else:
            parser.feed(text)
        for tag, href, rel in parser.links:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https"):
                assert tag == "a" and "noopener" in rel, (page, href)  # only links out, safely
                continue
            assert not parts.scheme and not parts.netloc, (page, href)  # relative links only
            if not parts.path:
                assert not parts.fragment or parts.fragment in parser.ids, (page, href)
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            checked += 1
            if not target.is_file() or out.resolve() not in target.parents:
                broken.append((page.relative_to(out).as_posix(), href))
    assert not broken, broken[:20]
    return checked


@pytest.fixture
def big(db, tmp_path, monkeypatch):
    """The small store plus 120 events, with 50 per page: lists need several pages."""
    docs = populate(db)
    with db.conn:
        db["events"].insert_all(
            [event(f"b0000000000{i:05d}", docs["bis"], "export_control", "us-bis", "cn-mofcom",
                   f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}", f"BIS tightened rule number {i}.")
             for i in range(120)], pk="id")
    out = tmp_path / "public"
    return out, build_site(db, out), docs


def test_every_internal_link_resolves(big):
    out, counts, _ = big
    assert check_links(out) > 500
    assert counts["search_seconds"] > 0 and (out / "pagefind" / "pagefind.js").is_file()


def test_filters_and_pagination_are_pages(big):
    out, _, _ = big
    # 124 events in all, more than a page: the front page shows the newest 50 and an index of
    # month pages, which are the pagination (stable: a new event only changes its own month).
    front = (out / "timeline/all/all.html").read_text()
    assert front.count('<li class="event">') == plan.PER_PAGE
    assert 'href="../../timeline/all/all/2024-03.html">Mar <span class="n">10</span>' in front
    months = sorted(p.name for p in (out / "timeline/all/all").iterdir())
    assert months == [f"2024-{m:02d}.html" for m in range(1, 13)] + [
        "2025-04.html", "2025-05.html", "2025-06.html"]
    march = (out / "timeline/all/all/2024-03.html").read_text()
    assert march.count('<li class="event">') == 10
    assert 'rel="prev" href="../../../timeline/all/all/2024-04.html"' in march
    assert 'rel="next" href="../../../timeline/all/all/2024-02.html"' in march
    first = (out / "timeline/all/all/2024-01.html").read_text()
    assert 'rel="next"' not in first
    # A filtered month links to the same month without each filter.
    cn_march = (out / "timeline/cn/export-control/2024-03.html").read_text()
    assert 'href="../../../timeline/all/export-control/2024-03.html">all countries' in cn_march
    assert 'href="../../../timeline/cn/all/2024-03.html">all actions' in cn_march
    # The BIS -> MOFCOM export controls count for both countries; MOFCOM's accusation only CN/US.
    cn_export = (out / "timeline/cn/export-control.html").read_text()
    assert "BIS tightened rule number" in cn_export and "firmly opposes" not in cn_export
    cn_all = (out / "timeline/cn/all.html").read_text()
    assert 'href="../../timeline/cn/export-control.html">Export control' in cn_all
    assert not (out / "timeline/cn/license-action.html").exists()  # no such event: no page, no link
    assert "timeline/cn/license-action.html" not in cn_all
    # Short lists get no month pages.
    assert not (out / "timeline/all/accusation").exists()
    # The entity with 121 events gets month pages too.
    assert (out / "entities/us-bis/2024-03.html").is_file()
    assert "BIS tightened rule number" in (out / "entities/us-bis/2024-03.html").read_text()


def test_a_new_event_rewrites_only_its_month(big, db):
    out, counts, docs = big
    from site_fixtures import event
    with db.conn:
        db["events"].insert(event("c000000000000001", docs["bis"], "export_control", "us-bis",
                                  "cn-mofcom", "2024-03-20", "BIS tightened one more rule."))
    again = build_site(db, out)
    assert again["rendered"] < 60, again
    march = (out / "timeline/all/all/2024-03.html").read_text()
    assert march.count('<li class="event">') == 11
    # Months without the new event were not rewritten (same inode as before: hard links).
    # (and the site-wide files: events and stories, their spreadsheet copies, the sitemap)
    assert again["written"] < 50, again
    assert again["unchanged"] > counts["pages"] - 50


def test_feeds_parse(big):
    out, _, _ = big
    feeds = sorted((out / "feeds").rglob("*.xml"))
    assert {f.relative_to(out).as_posix() for f in feeds} >= {
        "feeds/all.xml", "feeds/actions/export-control.xml", "feeds/countries/cn.xml",
        "feeds/entities/nvidia.xml"}
    for f in feeds:
        parsed = feedparser.parse(f.read_bytes())
        assert not parsed.bozo, (f, parsed.get("bozo_exception"))
        assert parsed.version == "atom10" and parsed.entries, f
        for entry in parsed.entries:
            assert entry.id.startswith("tag:") and entry.updated_parsed and entry.link
    allfeed = feedparser.parse((out / "feeds/all.xml").read_bytes())
    assert len(allfeed.entries) == plan.FEED_SIZE
    assert allfeed.entries[0].title.startswith("<script>")  # text, escaped in the XML
    nvidia = feedparser.parse((out / "feeds/entities/nvidia.xml").read_bytes())
    assert {e.link.rsplit("/", 1)[-1] for e in nvidia.entries} == {
        "a1b2c3d4e5f60001.html", "a1b2c3d4e5f60002.html", "a1b2c3d4e5f60004.html"}
    home = (out / "index.html").read_text()
    assert 'type="application/atom+xml"' in home and 'href="feeds/all.xml"' in home


def test_downloads_round_trip(big, db):
    out, _, docs = big
    rows = list(csv.DictReader(io.StringIO((out / "downloads/events.csv").read_text("utf-8"))))
    data = json.loads((out / "downloads/events.json").read_text("utf-8"))
    assert len(rows) == len(data) == 124
    first = next(r for r in data if r["event_id"] == "a1b2c3d4e5f60001")
    assert first["actor_id"] == "us-bis" and first["object"] == "H20"
    assert first["document_url"] == "https://www.bis.gov/press/h20-license"
    assert first["date"] == "2025-04-15" and first["published_at"] == "2025-04-16"
    assert [r["event_id"] for r in rows] == [r["event_id"] for r in data]
    # The column names of `rivalry export` (its timeline and story_timeline views), in order.
    def view_columns(view):
        return [d[0] for d in db.conn.execute(f"SELECT * FROM {view} LIMIT 0").description]
    assert list(rows[0]) == list(data[0]) == view_columns("timeline")
    stories = (out / "downloads/stories.csv").read_bytes()
    assert stories.split(b"\r\n")[0].decode().split(",") == view_columns("story_timeline")
    # The spreadsheet copies: the same bytes after a UTF-8 byte-order mark.
    assert (out / "downloads/events-excel.csv").read_bytes() == (
        b"\xef\xbb\xbf" + (out / "downloads/events.csv").read_bytes())
    assert (out / "downloads/stories-excel.csv").read_bytes() == b"\xef\xbb\xbf" + stories
    # (Each filter's and entity's own download is made in the browser from stories.json:
    # test_site_browser.py, test_each_page_downloads_what_it_lists.)
    assert len(json.loads((out / "downloads/stories.json").read_text("utf-8"))) == 124


def test_formula_cells_are_defused():
    from sitegen.downloads import to_csv
    ev = {"id": "x", "event_date": None, "published": None, "action": "tariff", "actor": None,
          "precision": None,
          "target": None, "object": None, "modality": None, "status": None, "confidence": None,
          "evidence": "=HYPERLINK(\"http://evil\")", "document": None}
    assert "'=HYPERLINK" in to_csv([ev]).decode()


def test_home_chart_counts_months(big):
    out, _, _ = big
    home = (out / "index.html").read_text()
    assert "<svg" in home and "Stories per month" in home
    # 2024-01 gets events i = 0, 12, ..., 108: ten export controls (each a story of one report).
    assert "<title>2024-01: 10 Export control</title>" in home
    assert home.count("<rect") >= 12


def test_database_snapshot_download(big):
    import sqlite3
    out, _, _ = big
    snap = out / "downloads/rivalry.db"
    conn = sqlite3.connect(f"{snap.resolve().as_uri()}?mode=ro", uri=True)
    assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 125  # the bad id too
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    page = (out / "downloads.html").read_text()
    assert 'href="downloads/rivalry.db"' in page and "<code>mentions</code>" in page


def test_feeds_use_the_absolute_site_url_when_given(db, tmp_path, monkeypatch):
    populate(db)
    out = tmp_path / "public"
    monkeypatch.setenv("RIVALRY_SITE_URL", "https://tracker.example.org/ai")
    build_site(db, out, search_index=False)
    feed = feedparser.parse((out / "feeds/all.xml").read_bytes())
    assert not feed.bozo
    assert feed.feed.link == "https://tracker.example.org/ai/timeline/all/all.html"
    assert all(e.link.startswith("https://tracker.example.org/ai/events/") for e in feed.entries)
    # Pages themselves keep relative links (they work from disk and under any path).
    assert 'href="feeds/all.xml"' in (out / "index.html").read_text()
    monkeypatch.setenv("RIVALRY_SITE_URL", "javascript:alert(1)")
    with pytest.raises(Exception, match="not an absolute http"):
        build_site(db, out, search_index=False)


def test_methodology_shows_the_eval_figures(db, tmp_path):
    populate(db)
    figures = {"split": "test", "items": 101, "macro_f1": 0.8125,
               "per_class": {"export_control": {"precision": 0.9, "recall": 0.75, "f1": 0.818,
                                                "support": 12, "tp": 9, "fp": 1, "fn": 3},
                             "<script>": {"precision": "x", "support": 1}},
               "accuracy": {"actor": 0.875, "date": 0.5}, "support": {"actor": 40, "date": 40},
               "errors": [{"text": "not shown"}]}
    from rivalry import store
    store.record_evaluation(db, figures, store.MEASURED)
    out = tmp_path / "public"
    build_site(db, out, search_index=False)
    page = (out / "methodology.html").read_text()
    assert "<strong>0.81</strong>" in page and "101 items" in page
    assert "<td><code>export_control</code></td><td>0.90</td><td>0.75</td><td>0.82</td><td>12</td>" in page
    assert "<td>actor</td><td>0.88</td><td>40</td>" in page
    assert "&lt;script&gt;" in page and "<script>" not in page.split("</head>")[1]
    assert "not shown" not in page
    with db.conn:
        db.execute("UPDATE evaluations SET figures = '{broken'")
    build_site(db, out, search_index=False)
    assert "No evaluation figures" in (out / "methodology.html").read_text()


def test_event_pages_are_light(big):
    import gzip
    out, _, _ = big
    for page in (out / "events").glob("*.html"):
        assert len(gzip.compress(page.read_bytes())) <= 15_000, page


def test_parallel_build_matches_serial(db, tmp_path, monkeypatch):
    docs = populate(db)
    with db.conn:
        db["events"].insert_all(
            [event(f"d0000000000{i:05d}", docs["mofcom"], "tariff", "cn-mofcom", "nvidia",
                   f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}", f"MOFCOM tariff {i}.")
             for i in range(80)], pk="id")
    monkeypatch.setattr(render, "PARALLEL_MIN", 0)
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    build_site(db, serial, search_index=False, workers=1, snapshot=False)
    counts = build_site(db, parallel, search_index=False, workers=2, snapshot=False)
    files = lambda d: {p.relative_to(d).as_posix(): p.read_bytes() for p in d.rglob("*")  # noqa: E731
                       if p.is_file() and p.name != ".manifest"}
    assert files(serial) == files(parallel) and counts["rendered"] == counts["pages"]
