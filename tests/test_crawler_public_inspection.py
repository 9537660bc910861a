"""Early warning from the Federal Register (issue 13): documents on the public-inspection desk
are stored as 'to_be_published', shown on the site as such, and replaced in place by the
published document of the same number. Real crawls on 127.0.0.1 with the real config of both
sources (tests/fixtures/public-inspection: day 1 the desk, day 2 the desk and the published
document), the real store and a real site build."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from conftest import rivalry
from crawler_site import Site

from crawler.sources import DEFAULT_SOURCES

FIXTURES = Path(__file__).parent / "fixtures" / "public-inspection"
NUMBER = "2025-97777"


def crawl(day: str, db: Path, tmp: Path, *source_ids: str) -> None:
    with Site(FIXTURES / day) as site:
        text = DEFAULT_SOURCES.read_text().replace("https://www.federalregister.gov/api/", f"{site.base}/api/")
        sources = tmp / f"sources-{day}.toml"
        sources.write_text(re.sub(r"(?m)^delay = .*$", "delay = 0.0", text))
        rivalry("crawl", "--db", db, "--sources", sources, *[a for s in source_ids for a in ("--source", s)])


def documents(db: Path) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM documents ORDER BY canonical_url")]
    conn.close()
    return rows


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pi")
    db = tmp / "pi.db"
    crawl("day1", db, tmp, "federal-register-pi")
    day1 = documents(db)
    rivalry("build", "--db", db, "--out", tmp / "public")
    home = (tmp / "public" / "index.html").read_text()
    crawl("day2", db, tmp, "federal-register", "federal-register-pi")
    return {"db": db, "day1": day1, "day2": documents(db), "home": home}


def test_a_filed_document_is_stored_as_to_be_published(store):
    by_number = {d["canonical_url"]: d for d in store["day1"]}
    doc = by_number[f"https://www.federalregister.gov/d/{NUMBER}"]
    assert doc["status"] == "to_be_published" and doc["source_id"] == "federal-register-pi"
    assert '"scheduled": "2025-04-16"' in doc["extra"]


def test_the_site_shows_it_as_to_be_published_and_escapes_it(store):
    home = store["home"]
    assert "To be published" in home
    assert re.search(r"Additions to the Entity List \(fixture\)</a> <span class=\"meta\">to be published on "
                     r"<time datetime=\"2025-04-16\">", home)
    # Markup in a filed title is text by the time it is stored, and the template escapes the rest.
    assert "<script>alert" not in home and "Revisions to License Exception ACA (fixture) alert(1)</a>" in home


def test_the_published_document_replaces_it_in_place(store):
    same = [d for d in store["day2"] if d["canonical_url"].endswith(NUMBER)]
    assert len(same) == 1  # one document, updated, not a second one
    doc = same[0]
    before = next(d for d in store["day1"] if d["canonical_url"].endswith(NUMBER))
    assert doc["id"] == before["id"] and doc["status"] == "ok" and doc["source_id"] == "federal-register"
    assert doc["url"].startswith("https://www.federalregister.gov/documents/2025/04/16/")
    assert doc["text"].startswith("In this rule (fixture text)")
    # The desk still lists it on day 2: that does not turn it back; the other filing waits on.
    waiting = [d for d in store["day2"] if d["status"] == "to_be_published"]
    assert [d["canonical_url"] for d in waiting] == ["https://www.federalregister.gov/d/2025-97778"]
    conn = sqlite3.connect(store["db"])
    versions = conn.execute("SELECT count(*) FROM document_versions WHERE document_id = ?", [doc["id"]]).fetchone()
    conn.close()
    assert versions == (1,)  # the filing is kept as the earlier version
