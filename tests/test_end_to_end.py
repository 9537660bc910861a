"""The main job on the bundled sample: `rivalry nightly --replay samples/sample.warc.gz`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import rivalry

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "sample.warc.gz"
TABLES = ("documents", "entities", "mentions", "events", "sources")


def counts(db_path) -> dict:
    conn = sqlite3.connect(db_path)
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.fixture(scope="module")
def nightly(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nightly")
    db_path, out = tmp / "rivalry.db", tmp / "public"
    first = rivalry("nightly", "--db", db_path, "--replay", SAMPLE, "--out", out)
    return {"db": db_path, "out": out, "stdout": first.stdout, "counts": counts(db_path)}


def test_sample_fills_the_database(nightly):
    c = nightly["counts"]
    assert c["documents"] >= 30 and c["events"] >= 15 and c["entities"] >= 20, c
    assert c["sources"] == 5
    conn = sqlite3.connect(nightly["db"])
    # Events carry an action and an actor that is a known entity, with their evidence sentence.
    rows = conn.execute("""SELECT e.action, a.id, e.evidence, d.text, d.title FROM events e
                           JOIN entities a ON a.id = e.actor_id JOIN documents d ON d.id = e.document_id""").fetchall()
    assert len(rows) >= 15
    actions = {r[0] for r in rows}
    assert {"export_control", "entity_listing"} <= actions, actions
    for _, _, evidence, text, title in rows:
        # the evidence is a real sentence of its document (a line break inside a paragraph is
        # only white space: the tagger reads it so), or its title when the act is read from the
        # title alone
        assert " ".join(evidence.split()) in " ".join(text.split()) or evidence == title
    actors = {r[1] for r in rows}
    assert actors & {"us-bis", "us-commerce", "united-states"}, actors  # the US voice
    assert actors & {"cn-mofcom", "cn-mfa", "china"}, actors  # and China's


def test_nightly_is_recorded_and_prints_where_things_are(nightly):
    assert f"database: {nightly['db']}" in nightly["stdout"]
    assert "snapshot" in nightly["stdout"]
    assert "rivalry serve" in nightly["stdout"]
    conn = sqlite3.connect(nightly["db"])
    status, stage_counts = conn.execute(
        "SELECT status, counts FROM runs WHERE command = 'nightly'").fetchone()
    assert status == "ok"
    assert set(json.loads(stage_counts)) == {"crawl", "tag", "build", "snapshot"}
    snapshot = nightly["db"].parent / "snapshot" / "rivalry.db"
    copy = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    assert copy.execute("SELECT count(*) FROM documents").fetchone()[0] == nightly["counts"]["documents"]


def test_site_pages_are_on_disk(nightly):
    out = nightly["out"]
    index = (out / "index.html").read_text()
    conn = sqlite3.connect(nightly["db"])
    event_id, = conn.execute("SELECT id FROM events ORDER BY event_date DESC LIMIT 1").fetchone()
    assert (out / "events" / f"{event_id}.html").is_file()
    assert (out / "entities" / "us-bis.html").is_file() or (out / "entities" / "cn-mofcom.html").is_file()
    assert "<html" in index


def test_query_on_the_result(nightly):
    out = rivalry("query", "--db", nightly["db"], "--json",
                  "SELECT count(*) AS n FROM events WHERE action = 'entity_listing'")
    assert json.loads(out.stdout)[0]["n"] >= 1


def test_second_run_leaves_the_same_counts(nightly):
    rivalry("nightly", "--db", nightly["db"], "--replay", SAMPLE, "--out", nightly["out"])
    assert counts(nightly["db"]) == nightly["counts"]
    # The digest's default window is the last nightly: this replay brought nothing new.
    assert "Nothing new or changed since the last nightly (run " in rivalry(
        "digest", "--db", nightly["db"]).stdout


def test_sample_replays_real_white_house_documents_with_readable_headlines(nightly):
    conn = sqlite3.connect(nightly["db"])
    real = conn.execute("SELECT count(*) FROM documents WHERE source_id = 'whitehouse' AND "
                        "url LIKE 'https://www.whitehouse.gov/presidential-actions/%'").fetchone()[0]
    assert real >= 40  # real documents at their real URLs (pages rebuilt from the CC0 corpus)
    manifest = (SAMPLE.parent / "web" / "manifest-whitehouse.toml").read_text()
    page = next((SAMPLE.parent / "web" / "whitehouse" / "real").glob("*.html")).read_text()
    assert manifest.count("[[response]]") >= 41 and "brian14708/wh-briefings" in page
    headlines = [h for (h,) in conn.execute("SELECT headline FROM stories")]
    assert headlines and all(h and "unknown" not in h.lower() for h in headlines), headlines
    # context entries (background the documents mention) are kept, never as stories
    assert conn.execute("SELECT count(*) FROM events WHERE role = 'context' AND story_id IS NOT "
                        "NULL").fetchone()[0] == 0


def test_published_copies_show_the_nightly_that_made_them_as_finished(nightly):
    live = sqlite3.connect(nightly["db"])
    run_id, status = live.execute("SELECT id, status FROM runs WHERE command = 'nightly' "
                                  "ORDER BY id DESC LIMIT 1").fetchone()
    assert status == "ok"
    for copy_path in (nightly["db"].parent / "snapshot" / "rivalry.db",
                      nightly["out"] / "downloads" / "rivalry.db"):
        copy = sqlite3.connect(f"file:{copy_path}?mode=ro", uri=True)
        row = copy.execute("SELECT status, finished, counts FROM runs WHERE id = ?", [run_id]).fetchone()
        assert row[0] == "ok" and row[1], (copy_path, row)
        assert {"crawl", "tag"} <= set(json.loads(row[2]))
        assert copy.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()[0] == 0


def test_skipped_sources_say_why(nightly):
    assert "no saved page in the replay archive" in nightly["stdout"]
    assert "sources skipped: the replay archive holds no page of theirs (the bundled sample covers 5)" \
        in nightly["stdout"]


def test_digest_of_the_sample(nightly, tmp_path):
    import html.parser
    import shutil

    live = sqlite3.connect(nightly["db"])
    first_run = live.execute("SELECT min(id) FROM runs WHERE command = 'nightly'").fetchone()[0]
    # one document can open two stories of different actions under its one title (a State
    # statement: an accusation and a sanction), so stories are counted, not headlines
    headlines = {h for (h,) in live.execute("SELECT coalesce(headline, title) FROM stories")}
    stories = live.execute("SELECT count(*) FROM stories").fetchone()[0]
    everything = rivalry("digest", "--db", nightly["db"], "--since", first_run).stdout
    assert everything.startswith(f"AI Rivalry Tracker digest: {stories} new and 0 changed "
                                 f"since run {first_run}")
    assert all(h in everything for h in headlines)
    assert "\nExport control (" in everything and "\nEntity listing (" in everything  # by action

    # The next day: a story gains a report, and a new document reports an older event.
    db_path = tmp_path / "copy.db"
    shutil.copy(nightly["db"], db_path)
    conn = sqlite3.connect(db_path)
    story, headline, action, actor, target = conn.execute(
        "SELECT id, coalesce(headline, title), action, actor_id, target_id FROM stories "
        "ORDER BY id LIMIT 1").fetchone()
    with conn:
        for doc, url, story_id, date in (("d1", "https://news.example.com/more", story, "2025-01-01"),
                                         ("d2", "https://news.example.com/old", None, "2019-05-15")):
            conn.execute("INSERT INTO documents (id, source_id, url, canonical_url, title, fetched_at,"
                         " content_hash, text) VALUES (?, 'whitehouse', ?, ?, ?, '2030-01-02T05:00:00+00:00',"
                         " 'h', 'text')", [doc, url, url, f"Report {doc} <b>"])
            conn.execute("INSERT INTO events (id, document_id, action, actor_id, target_id, event_date,"
                         " evidence, evidence_start, evidence_end, pipeline_version, story_id)"
                         " VALUES (?, ?, ?, ?, ?, ?, 'x', 0, 1, 't', ?)",
                         [f"e{doc}", doc, action, actor, target, date, story_id])
    text = rivalry("digest", "--db", db_path, "--since", "2030-01-02").stdout
    assert text.startswith("AI Rivalry Tracker digest: 1 new and 1 changed since 2030-01-02")
    changed = next(line for line in text.splitlines() if headline in line)
    assert changed.split()[0] == "changed" and "new     2019-05-15" in text
    page = rivalry("digest", "--db", db_path, "--since", "2030-01-02", "--format", "html",
                   env={"RIVALRY_SITE_URL": "https://tracker.example.org/"}).stdout
    assert "Report d2 &lt;b&gt;" in page and f'href="https://tracker.example.org/stories/{story}.html"' in page
    html.parser.HTMLParser().feed(page)
    markdown = rivalry("digest", "--db", db_path, "--since", "2030-01-02", "--format", "markdown").stdout
    assert markdown.count("\n## ") == 1 and "Report d2 \\<b\\>" in markdown
    bad = rivalry("digest", "--db", db_path, "--since", "yesterday", check=False)
    assert bad.returncode == 1 and "give a run id" in bad.stderr and "Traceback" not in bad.stderr


def _number(pattern, text):
    import re
    found = re.search(pattern, text)
    assert found, pattern
    return int(found.group(1))


def test_the_sample_site_says_the_same_numbers_everywhere(nightly):
    """One vocabulary, one count: the stories the timeline lists are the ones the home page,
    the chart, the methodology and downloads pages, the feed and the downloads count."""
    import csv
    import io
    import re

    import feedparser

    from sitegen import plan

    out = nightly["out"]
    conn = sqlite3.connect(nightly["db"])
    reports = conn.execute("SELECT count(*) FROM events WHERE role = 'new'").fetchone()[0]
    stories = conn.execute("SELECT count(DISTINCT story_id) FROM events WHERE role = 'new'"
                           ).fetchone()[0] + conn.execute(
        "SELECT count(*) FROM events WHERE role = 'new' AND story_id IS NULL").fetchone()[0]
    assert 0 < stories < reports  # the sample has stories of several reports
    said = f"{stories} stories from {reports} reports"
    page = lambda rel: (out / rel).read_text("utf-8")  # noqa: E731
    assert said in page("index.html") and said in page("downloads.html")
    methodology = page("methodology.html")
    assert f"<li>{stories} stories</li>" in methodology and f"<li>{reports} reports</li>" in methodology
    timeline = page("timeline/all/all.html")
    assert _number(r'<p class="lede">(\d+) stor', timeline) == stories
    # The chart stacks the same stories: its table of numbers month by month is the timeline's.
    home = page("index.html")
    table = dict(re.findall(r"<tr><td>(\w+ \d{4})</td><td>(\d+)</td></tr>", home))
    listed = {}
    for month in re.findall(r'<h2 id="m-[^"]+">([^<]+)</h2>', timeline):
        listed[month] = 0
    sections = re.split(r'<h2 id="m-[^"]+">', timeline)[1:]
    for month, section in zip(listed, sections):
        listed[month] = section.count('<li class="event">')
    assert {m: int(n) for m, n in table.items() if int(n)} == listed
    assert sum(int(n) for n in table.values()) == stories
    # The feed, the downloads, the country and action pages.
    feed = feedparser.parse((out / "feeds/all.xml").read_bytes())
    assert len(feed.entries) == min(stories, plan.FEED_SIZE)
    rows = list(csv.DictReader(io.StringIO(page("downloads/stories.csv"))))
    assert len(rows) == stories == len(json.loads(page("downloads/stories.json")))
    assert len(list(csv.DictReader(io.StringIO(page("downloads/events.csv"))))) == reports
    per_action = [int(n) for n in re.findall(r'</a> <span class="n">(\d+)</span>', page("actions.html"))]
    assert sum(per_action) == stories
    # Headlines are sentences; "unknown" never leads one, and "1 stories" is never said.
    for rel in ["index.html", "timeline/all/all.html", *[f"stories/{p.name}" for p in (out / "stories").iterdir()]]:
        text = page(rel)
        heads = re.findall(r'<p class="headline"><a [^>]*>([^<]+)</a>', text) + re.findall(r"<h1>([^<]+)</h1>", text)
        assert heads, rel
        assert not [h for h in heads if h.lower().startswith("unknown")], rel
        assert not re.search(r"\b1 (stories|reports|sources|documents)\b", text), rel
    # Entities with no story are not in the index (their pages exist and say so).
    listed_entities = re.findall(r'<a href="entities/([^"]+)\.html">', page("entities.html"))
    assert listed_entities
    empty = conn.execute("SELECT id FROM entities WHERE id NOT IN (SELECT actor_id FROM events "
                         "WHERE role = 'new' AND actor_id IS NOT NULL UNION SELECT target_id FROM "
                         "events WHERE role = 'new' AND target_id IS NOT NULL UNION SELECT "
                         "object_id FROM events WHERE role = 'new' AND object_id IS NOT NULL) "
                         "LIMIT 5").fetchall()
    for (eid,) in empty:
        assert eid not in listed_entities
        if (out / "entities" / f"{eid}.html").exists():
            assert "No story involves this entity yet" in page(f"entities/{eid}.html")
    assert (out / "sitemap.xml").is_file() and (out / "404.html").is_file()
