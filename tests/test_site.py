"""The generator writes the right pages, escapes all crawled text, and is deterministic."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser

import pytest

from sitegen.build import build_site
from sitegen.output import OutputError
from sitegen.safe import http_url, valid_id
from site_fixtures import HOSTILE, populate


def snapshot(folder):
    """path -> sha256 of every file we render. Pagefind's own index is left out: the binary
    names its filter chunks by hash-map order, which changes from run to run. So is the database
    snapshot, which holds the runs table, and the cache of the rows read (.rows.cache and
    .rows.delta: how they split depends on the builds before)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.relative_to(folder).parts[0] != "pagefind"
            and p.name not in ("rivalry.db", ".manifest", ".rows.cache", ".rows.delta")}


def leftovers(parent):
    """Build folders left beside the output other than the spare copy a build keeps."""
    return [p for p in parent.iterdir()
            if p.name.startswith(".public.") and p.is_dir() and p.name != ".public.spare"]


@pytest.fixture
def built(db, tmp_path):
    docs = populate(db)
    out = tmp_path / "public"
    counts = build_site(db, out)
    return out, counts, docs


def read(out, rel):
    return (out / rel).read_text("utf-8")


def test_pages_exist_with_the_right_text(built):
    out, counts, docs = built
    assert counts["events"] == 4 and counts["home"] == 1
    assert counts["entities"] == 5 and counts["documents"] == 3
    assert counts["skipped"] == 2  # the event and the entity whose ids are paths

    index = read(out, "timeline/all/all.html")
    # Newest first, grouped by month; the undated event falls back to its publication date.
    months = re.findall(r'<h2 id="m-([^"]+)"', index)
    assert months == ["2025-06", "2025-05", "2025-04"]
    assert index.index("a1b2c3d4e5f60004") < index.index("a1b2c3d4e5f60002") < index.index("a1b2c3d4e5f60001")

    ev = read(out, "events/a1b2c3d4e5f60001.html")
    assert "License action" in ev
    for href, name in [("us-bis", "Bureau of Industry and Security"), ("nvidia", "Nvidia"),
                       ("h20", "H20")]:
        assert re.search(rf'href="../entities/{href}.html"[^>]*>{name}</a>', ev), name
    assert "BIS requires a license for the H20 exports to China." in ev
    assert '<time datetime="2025-04-15">' in ev and '<time datetime="2025-04-16">' in ev  # both dates
    assert 'href="https://www.bis.gov/press/h20-license"' in ev
    assert f'href="../documents/{docs["bis"]}.html">BIS requires a license for the H20</a>' in ev
    assert "Content-Security-Policy" in ev and 'href="../static/style.css"' in ev

    same_day = read(out, "events/a1b2c3d4e5f60002.html")
    assert "Published</dt>" not in same_day  # event and publication dates agree: shown once

    ent = read(out, "entities/us-bis.html")
    assert "agency" in ent and "US" in ent and "BIS, Commerce BIS" in ent
    assert "../events/a1b2c3d4e5f60001.html" in ent and "../events/a1b2c3d4e5f60003.html" in ent
    assert "a1b2c3d4e5f60002" not in ent

    doc = read(out, f"documents/{docs['mofcom']}.html")
    assert "MOFCOM announces countermeasures" in doc
    assert "a1b2c3d4e5f60002" in doc and "a1b2c3d4e5f60003" in doc


def test_ids_that_are_not_slugs_never_become_paths(built):
    out, _, _ = built
    files = [p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()]
    assert all(re.fullmatch(r"[a-z0-9./_-]+", f) for f in files), files
    assert not (out.parent / "etc").exists()
    assert "Path escape" not in read(out, "entities/evil.html").replace("\n", "")  # no link to it
    assert "etc/passwd" not in "".join(read(out, f) for f in files if f.endswith(".html"))
    for bad in ("BAD/../../x", "../x", "-x", "A", "a" * 82, "a b", "", None, 5):
        assert not valid_id(bad)


class Tags(HTMLParser):
    """Every real tag and attribute as a browser's tokenizer sees them (text is not tags)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def tags_of(html):
    parser = Tags()
    parser.feed(html)
    return parser.tags


def test_hostile_text_is_escaped_and_js_urls_never_links(built):
    out, _, docs = built
    for page in out.rglob("*.html"):
        for tag, attrs in tags_of(page.read_text("utf-8")):
            assert tag not in ("img", "iframe", "object", "embed", "base"), (page, tag)
            if tag == "script":  # only our own module, from a file
                assert attrs == {"type": "module", "src": attrs["src"]}, page
                assert attrs["src"].endswith(("static/search.js", "static/filters.js",
                                              "static/download.js")), page
            assert not [a for a in attrs if a.startswith("on")], (page, tag, attrs)
            for a in ("href", "src", "action"):
                value = (attrs.get(a) or "").strip().lower()
                assert not value.startswith(("javascript:", "data:", "vbscript:")), (page, attrs)
    evil_doc = read(out, f"documents/{docs['evil']}.html")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in evil_doc
    assert "javascript:alert(3)" in evil_doc and "(not linked)" in evil_doc
    evil_ent = read(out, "entities/evil.html")
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in evil_ent


@pytest.mark.parametrize("url,ok", [
    ("https://example.gov/a?b=1", True), ("http://x.cn/", True), ("HTTPS://X.GOV", True),
    ("javascript:alert(1)", False), ("JaVaScRiPt:alert(1)", False), ("java\tscript:alert(1)", False),
    (" javascript:alert(1)", False), ("data:text/html,<script>", False), ("//evil.com/x", False),
    ("https:///nohost", False), ("vbscript:x", False), ("/relative", False), (None, False),
])
def test_only_http_urls_are_links(url, ok):
    assert (http_url(url) is not None) is ok


@pytest.mark.parametrize("value,expected", [
    ("plain", "plain"), ("a\x00b\x0bc\ufffe", "abc"), ("tab\tand\nline", "tab\tand\nline"),
    ("中文 ✓", "中文 ✓"), (None, None), (3, 3),
])
def test_xml_text_drops_only_what_xml_forbids(value, expected):
    from sitegen.safe import xml_text

    assert xml_text(value) == expected


@pytest.mark.parametrize("value,expected", [
    ("2024-05-14", "2024-05-14"), ("2024-05-14T23:48:00-04:00", "2024-05-14"), ("2024", None),
    ("14 May 2024", None), ("", None), (None, None), (20240514, None),
])
def test_iso_day_keeps_only_a_day(value, expected):
    from sitegen.safe import iso_day

    assert iso_day(value) == expected


def test_second_build_is_byte_identical_and_rewrites_nothing(built):
    out, counts, _ = built
    first = snapshot(out)
    import marshal
    manifest = set(marshal.loads((out / ".manifest").read_bytes())[2])
    assert counts["written"] == len(manifest) and counts["unchanged"] == 0
    assert set(manifest) - {"downloads/rivalry.db"} <= set(first)
    again = build_site(_reopen(out), out)
    assert snapshot(out) == first
    assert again["written"] == 0 and again["unchanged"] == counts["written"]
    assert again["rendered"] == 0  # nothing's inputs changed: nothing was even rendered
    third = build_site(_reopen(out), out)  # from the spare copy this time
    assert snapshot(out) == first and third["written"] == 0


def _reopen(out):
    from rivalry import store
    return store.open_db(out.parent / "rivalry.db")


def test_changed_and_deleted_content_is_rewritten_and_removed(built):
    out, _, docs = built
    db = _reopen(out)
    with db.conn:
        db.execute("DELETE FROM events WHERE id = 'a1b2c3d4e5f60003'")
        db.execute("UPDATE entities SET name = 'Huawei Technologies' WHERE id = 'evil'")
    counts = build_site(db, out)
    assert not (out / "events/a1b2c3d4e5f60003.html").exists()
    # Its page, and the pages of the only accusation: facet pages and feed.
    gone = ["events/a1b2c3d4e5f60003.html", "timeline/all/accusation.html",
            "timeline/cn/accusation.html", "timeline/us/accusation.html",
            "feeds/actions/accusation.xml"]
    assert counts["removed"] == len(gone)
    assert not [g for g in gone if (out / g).exists()]
    assert "Huawei Technologies" in read(out, "events/a1b2c3d4e5f60004.html")
    assert 0 < counts["written"] < counts["pages"]
    assert not leftovers(out.parent)


def test_refuses_to_replace_a_folder_it_did_not_build(db, tmp_path):
    populate(db)
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(OutputError):
        build_site(db, foreign)
    assert (foreign / "notes.txt").read_text() == "mine"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".home.") and p.is_dir()
            and not p.name.endswith(".spare")] == []


def test_failed_build_leaves_previous_site_untouched(built, monkeypatch):
    out, _, _ = built
    before = snapshot(out)
    import sitegen.render as b

    db = _reopen(out)
    with db.conn:
        db.execute("UPDATE entities SET name = 'Nvidia Corporation' WHERE id = 'nvidia'")
    calls = []

    def boom(*a, **k):
        calls.append(1)
        if len(calls) > 2:
            raise RuntimeError("disk full")
        return real(*a, **k)
    real = b._render
    monkeypatch.setattr(b, "_render", boom)
    with pytest.raises(RuntimeError):
        build_site(db, out)
    assert snapshot(out) == before
    assert not leftovers(out.parent)
    # The spare copy was left half-updated: the next build notices and still gets it right.
    monkeypatch.setattr(b, "_render", real)
    build_site(db, out)
    after = snapshot(out)
    assert "Nvidia Corporation" in read(out, "entities/nvidia.html")
    fresh = out.parent / "fresh"
    build_site(db, fresh)
    assert snapshot(fresh) == after


def test_timeline_lists_stories_with_their_sources(db, tmp_path):
    from site_fixtures import add_stories
    docs = populate(db)
    news = add_stories(db, docs)
    out = tmp_path / "public"
    counts = build_site(db, out, search_index=False)
    assert counts["stories"] == 2 and counts["events"] == 5
    timeline = read(out, "timeline/all/all.html")
    # The listing reported twice is one entry, with its two sources; loose events stay events.
    assert timeline.count("MOFCOM added Nvidia") == 1 and "2 sources" in timeline
    assert "../../stories/5000000000000001.html" in timeline
    assert "../../events/a1b2c3d4e5f60003.html" in timeline  # in no story
    story = read(out, "stories/5000000000000001.html")
    primary = story.index(f"documents/{docs['mofcom']}.html")
    assert "Primary source:" in story[:primary] and primary < story.index(f"documents/{news}.html")
    assert "China&#39;s commerce ministry added Nvidia" in story  # every quote, escaped
    assert "In response to" in story and "../stories/5000000000000002.html" in story
    assert "inferred from timing" in story
    answered = read(out, "stories/5000000000000002.html")
    assert "<h2>Responses</h2>" in answered and "../stories/5000000000000001.html" in answered
    assert "Related stories" not in answered or "5000000000000001" in answered
    import gzip
    assert len(gzip.compress((out / "stories/5000000000000001.html").read_bytes())) <= 15_000
    feed = read(out, "feeds/all.xml")
    assert "story:5000000000000001" in feed and "event:a1b2c3d4e5f60003" in feed
    assert "../stories/5000000000000001.html" in read(out, "events/a1b2c3d4e5f60005.html")
    with db.conn:  # the story's title and summary come from crawled text
        db.execute("UPDATE stories SET title = ?, summary = ? WHERE id = '5000000000000001'",
                   [HOSTILE, HOSTILE])
    build_site(db, out, search_index=False)
    for rel in ("stories/5000000000000001.html", "timeline/all/all.html", "index.html"):
        page = read(out, rel)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, rel
        assert not [t for t, a in tags_of(page) if t == "img" or any(k.startswith("on") for k in a)]
    from test_site_links import check_links
    assert check_links(out) > 100


def test_downloads_made_from_the_last_builds_lines_are_exact(built, monkeypatch):
    """events.csv/json copy the lines of unchanged events from the live files: after changes,
    deletions and new events they are byte for byte what a build from scratch makes."""
    from site_fixtures import event
    from sitegen import data as sitedata, downloads

    out, _, docs = built
    db = _reopen(out)
    with db.conn:
        db.execute("DELETE FROM events WHERE id = 'a1b2c3d4e5f60003'")
        db.execute("UPDATE entities SET name = '=Huawei, \"Tech\"' WHERE id = 'evil'")
        db["events"].insert(event("a1b2c3d4e5f6ff01", docs["mofcom"], "tariff", "cn-mofcom",
                                  "nvidia", "2024-05-02", "MOFCOM, \"new\"\ntariff."), pk="id")
    # The downloads are made by a forked child: it notes what it encodes in a file.
    log = out.parent / "encoded.txt"
    real = downloads._csv_line

    def noted(values):
        if values[2] == "new":  # a line of events.csv (role), not of stories.csv
            with open(log, "a") as fh:
                fh.write(values[19] + "\n")  # event_id
        return real(values)
    monkeypatch.setattr(downloads, "_csv_line", noted)
    build_site(db, out, search_index=False)
    events = sitedata.load(db).events
    assert (out / "downloads/events.csv").read_bytes() == downloads.to_csv(events)
    assert (out / "downloads/events.json").read_bytes() == downloads.to_json(events)
    encoded = log.read_text().split()
    assert "a1b2c3d4e5f6ff01" in encoded and len(encoded) < len(events)  # the rest were copied
    db.execute("UPDATE events SET confidence = 0.5")  # every event's key changes
    db.conn.commit()
    build_site(db, out, search_index=False)
    events = sitedata.load(db).events
    assert (out / "downloads/events.csv").read_bytes() == downloads.to_csv(events)
    assert (out / "downloads/events.json").read_bytes() == downloads.to_json(events)


def test_a_build_with_nothing_changed_does_not_read_the_store(built, monkeypatch, tmp_path):
    """The store's change log (rivalry/store/schema.py) says nothing the site shows changed: the live
    pages are kept without loading or planning anything; any change, or a new eval file, and
    the store is read again."""
    from sitegen import data as sitedata

    out, counts, _ = built
    before = snapshot(out)
    loads = []
    real = sitedata.read
    monkeypatch.setattr(sitedata, "read", lambda db, previous=None: loads.append(1) or real(db, previous))
    again = build_site(_reopen(out), out)
    assert not loads and snapshot(out) == before
    assert again["written"] == 0 and again["rendered"] == 0
    assert {k: again[k] for k in ("pages", "events", "skipped")} == \
        {k: counts[k] for k in ("pages", "events", "skipped")}
    build_site(_reopen(out), out)  # from the spare copy this time
    assert not loads and snapshot(out) == before
    db = _reopen(out)
    db.execute("UPDATE entities SET name = 'Nvidia Corp' WHERE id = 'nvidia'")
    db.conn.commit()
    build_site(db, out)
    assert loads == [1] and "Nvidia Corp" in read(out, "entities/nvidia.html")
    build_site(db, out)
    assert loads == [1]
    from rivalry import store
    store.record_evaluation(db, {"per_class": {"tariff": {"f1": 0.5}}, "macro_f1": 0.25}, store.MEASURED)
    build_site(db, out)
    assert loads == [1, 1]
    with db.conn:
        db.execute("DELETE FROM events WHERE id = 'a1b2c3d4e5f60003'")
    build_site(db, out)
    assert loads == [1, 1, 1] and not (out / "events/a1b2c3d4e5f60003.html").exists()
    import sqlite3
    from rivalry import store
    copy = tmp_path / "copy.db"  # the same counter and token, another store: read it
    with sqlite3.connect(copy) as target:
        db.conn.backup(target)
    build_site(store.open_db(copy), out)
    assert loads == [1, 1, 1, 1]


def test_words_counts_and_dates_read_right(db, tmp_path):
    """Proper plurals, dates at their precision, Chinese aliases marked lang="zh", entities
    without a story left out of the index (their page says so)."""
    from sitegen.terms import counts, date_text, plural
    assert [plural(n, "story") for n in (0, 1, 2)] == ["0 stories", "1 story", "2 stories"]
    assert counts(1, 1) == "1 story" and counts(2, 3) == "2 stories from 3 reports"
    assert date_text("2020-01-01", "year") == "2020" and date_text("2025-03-01", "month") == "March 2025"
    assert date_text("2025-04-15") == "15 April 2025" and date_text(None) == "date not stated"
    populate(db)
    with db.conn:
        db.execute("""UPDATE entities SET aliases = '["MOFCOM", "商务部"]' WHERE id = 'cn-mofcom'""")
        db.execute("UPDATE events SET date_precision = 'month' WHERE id = 'a1b2c3d4e5f60002'")
        db["entities"].insert({"id": "smic", "name": "SMIC", "type": "company", "country": "CN",
                               "aliases": "[]"}, pk="id")
    out = tmp_path / "public"
    build_site(db, out, search_index=False)
    assert '<span lang="zh">商务部</span>' in read(out, "entities/cn-mofcom.html")
    listing = read(out, "events/a1b2c3d4e5f60002.html")
    assert '<time datetime="2025-05">May 2025</time>' in listing
    assert "entities/smic.html" not in read(out, "entities.html")
    empty = read(out, "entities/smic.html")
    assert "No story involves this entity yet" in empty and 'name="robots" content="noindex"' in empty
    assert '"robots"' not in read(out, "entities/nvidia.html")
    assert "<dt>Stories</dt><dd>1</dd>" in read(out, "entities/h20.html")
    assert "1 stories" not in read(out, "timeline/all/license-action.html")
    assert "1 story, newest first" in read(out, "timeline/all/license-action.html")
