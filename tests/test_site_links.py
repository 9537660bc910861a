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

from sitegen import build
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
    # 124 events in all: pages of 50 -> 3 pages, linked newer/older.
    assert (out / "timeline/all/all.3.html").is_file() and not (out / "timeline/all/all.4.html").exists()
    page2 = (out / "timeline/all/all.2.html").read_text()
    assert 'rel="prev" href="../../timeline/all/all.html"' in page2
    assert 'rel="next" href="../../timeline/all/all.3.html"' in page2
    # The BIS -> MOFCOM export controls count for both countries; MOFCOM's accusation only CN/US.
    cn_export = (out / "timeline/cn/export-control.html").read_text()
    assert "BIS tightened rule number" in cn_export and "firmly opposes" not in cn_export
    cn_all = (out / "timeline/cn/all.html").read_text()
    assert 'href="../../timeline/cn/export-control.html">Export control' in cn_all
    assert not (out / "timeline/cn/license-action.html").exists()  # no such event: no page, no link
    assert "timeline/cn/license-action.html" not in cn_all
    # The entity with 121 events is paginated too.
    assert (out / "entities/us-bis.3.html").is_file()


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
    assert len(allfeed.entries) == build.FEED_SIZE
    assert allfeed.entries[0].title.startswith("Sanction: <script>")  # text, escaped in the XML
    nvidia = feedparser.parse((out / "feeds/entities/nvidia.xml").read_bytes())
    assert {e.link.rsplit("/", 1)[-1] for e in nvidia.entries} == {
        "a1b2c3d4e5f60001.html", "a1b2c3d4e5f60002.html", "a1b2c3d4e5f60004.html"}
    home = (out / "index.html").read_text()
    assert 'type="application/atom+xml"' in home and 'href="feeds/all.xml"' in home


def test_downloads_round_trip(big):
    out, _, docs = big
    rows = list(csv.DictReader(io.StringIO((out / "downloads/events.csv").read_text("utf-8"))))
    data = json.loads((out / "downloads/events.json").read_text("utf-8"))
    assert len(rows) == len(data) == 124
    first = next(r for r in data if r["id"] == "a1b2c3d4e5f60001")
    assert first["actor_id"] == "us-bis" and first["object"] == "H20"
    assert first["document_url"] == "https://www.bis.gov/press/h20-license"
    assert [r["id"] for r in rows] == [r["id"] for r in data]


def test_formula_cells_are_defused():
    from sitegen.downloads import to_csv
    ev = {"id": "x", "event_date": None, "published": None, "action": "tariff", "actor": None,
          "target": None, "object": None, "modality": None, "status": None, "confidence": None,
          "evidence": "=HYPERLINK(\"http://evil\")", "document": None}
    assert "'=HYPERLINK" in to_csv([ev]).decode()


def test_home_chart_counts_months(big):
    out, _, _ = big
    home = (out / "index.html").read_text()
    assert "<svg" in home and "Events per month" in home
    # 2024-01 gets events i = 0, 12, ..., 108: ten export controls.
    assert "<title>2024-01: 10 Export control</title>" in home
    assert home.count("<rect") >= 12
