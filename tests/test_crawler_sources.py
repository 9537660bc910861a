"""One saved page (or response) and one expected output per source, Fundus-style.

Every source of crawler/sources.toml that has a folder in tests/fixtures/sources/<id>/ is crawled
with its REAL config entry: the source's host is swapped for a local server that serves the
folder's ``site/`` (pages written for this project to match the real site's structure), and
the stored documents must match ``expected.toml`` (title, date, URL, start of text, status).
"""

from __future__ import annotations

import re
import sqlite3
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import rivalry
from crawler_site import Site, make_pdf

from crawler.sources import DEFAULT_SOURCES, load_sources
from crawler.urls import canonical_url

FIXTURES = Path(__file__).parent / "fixtures" / "sources"
CONFIG = load_sources(DEFAULT_SOURCES)
TESTED = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.toml").is_file())
SAMPLE_SOURCES = {"whitehouse", "commerce", "state", "xinhua", "federal-register"}  # tests/test_end_to_end.py


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def test_every_configured_source_is_tested():
    ids = {s["id"] for s in CONFIG["sources"]}
    assert set(TESTED) <= ids, "a fixture folder for a source that is not configured"
    assert ids - set(TESTED) <= SAMPLE_SOURCES, "a source without a saved page and expected output"
    assert len(ids) >= 15


@pytest.fixture(scope="module")
def crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sources")
    # The committee's report is a PDF made here, not a binary in the repository.
    pdf_root = tmp / "house-ccp"
    pdf = pdf_root / "sites/evo-subsites/selectcommitteeontheccp.house.gov/files/evo-media-document/deepseek-final.pdf"
    pdf.parent.mkdir(parents=True)
    pdf.write_bytes(make_pdf("DeepSeek Unmasked: test fixture report",
                             ["TEST FIXTURE REPORT. DeepSeek Unmasked", "DeepSeek sends user data to the PRC."]))
    by_host: dict[str, list[Path]] = {}
    for source in CONFIG["sources"]:
        if source["id"] in TESTED:
            roots = by_host.setdefault(host_of(source["url"]), [])
            roots += [pdf_root] if source["id"] == "house-ccp" else []
            roots.append(FIXTURES / source["id"] / "site")
    sites = {host: Site(*roots).__enter__() for host, roots in by_host.items()}
    text = DEFAULT_SOURCES.read_text()
    for host, site in sites.items():
        text = text.replace(host, site.base)
    text = re.sub(r"(?m)^delay = .*$", "delay = 0.0", text)  # no politeness owed to ourselves
    sources = tmp / "sources.toml"
    sources.write_text(text)
    db_path = tmp / "sources.db"
    args = [a for sid in TESTED for a in ("--source", sid)]
    result = rivalry("crawl", "--db", db_path, "--sources", sources, *args,
                     env={"RIVALRY_PROGRESS_INTERVAL": "2"})  # stderr is not a terminal here
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    docs = [dict(r) for r in conn.execute("SELECT * FROM documents")]
    yield {"docs": docs, "sites": sites, "stdout": result.stdout, "stderr": result.stderr,
           "db": db_path, "sources": sources}
    for site in sites.values():
        site.__exit__(None, None, None)


@pytest.mark.parametrize("source_id", TESTED)
def test_source_yields_expected_documents(crawl, source_id):
    expected = tomllib.loads((FIXTURES / source_id / "expected.toml").read_text())
    source = next(s for s in CONFIG["sources"] if s["id"] == source_id)
    base = crawl["sites"][host_of(source["url"])].base
    docs = {d["canonical_url"]: d for d in crawl["docs"] if d["source_id"] == source_id}
    assert len(docs) == expected["count"], sorted(docs)
    for want in expected["document"]:
        url = canonical_url(want["url"] if "url" in want else base + want["path"])
        assert url in docs, f"{url} not stored; got {sorted(docs)}"
        got = docs[url]
        for key in ("title", "published_at", "status", "date_source"):
            if key in want:
                assert got[key] == want[key], (key, got[key])
        if "text_starts" in want:
            assert (got["text"] or "").startswith(want["text_starts"]), got["text"]
        if "text_contains" in want:
            assert want["text_contains"] in got["text"]


def test_no_source_failed_and_progress_was_shown(crawl):
    # The live line ends with "done" for every source; the summary table has no failure.
    for source_id in TESTED:
        assert re.search(rf"^\s+{source_id}\s+done\s+items", crawl["stderr"], re.M), crawl["stderr"]
        line = next(l for l in crawl["stdout"].splitlines() if l.startswith(source_id + " "))
        assert "CANARY" not in line and "HTTP" not in line, line


def test_wrong_declared_charset_is_repaired_and_noted(crawl):
    line = next(l for l in crawl["stdout"].splitlines() if l.startswith("mfa "))
    assert "declared charset gb2312 is wrong" in line


def test_listing_paging_by_index_and_query(crawl):
    mfa = crawl["sites"][host_of(next(s["url"] for s in CONFIG["sources"] if s["id"] == "mfa"))]
    assert "/eng/xw/fyrbt/lxjzh/index_1.html" in mfa.requests  # index_N.html
    bis = crawl["sites"][host_of(next(s["url"] for s in CONFIG["sources"] if s["id"] == "bis"))]
    assert "/news-updates?page=1" in bis.requests  # ?page=N


def test_api_date_windows_and_page_from_zero(crawl):
    fr = crawl["sites"][host_of(next(s["url"] for s in CONFIG["sources"] if s["id"] == "federal-register-ai"))]
    windows = [p for p in fr.paths("/api/v1/documents.json") if "gte" in p]
    assert len(windows) >= 2 and all("lte" in p for p in windows)
    doj = crawl["sites"][host_of(next(s["url"] for s in CONFIG["sources"] if s["id"] == "doj"))]
    assert any("page=0" in p for p in doj.paths("/api/v1/press_releases.json"))
