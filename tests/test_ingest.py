"""`rivalry ingest`: a saved page's canonical link and date, folders at any depth, the size bound."""

from __future__ import annotations

import gzip
import sqlite3

from conftest import add_document, rivalry

from crawler.urls import canonical_url
from rivalry import store
from rivalry.limits import MAX_BODY_BYTES

BODY = ("<p>" + "The Bureau of Industry and Security added 12 Chinese companies to the Entity "
        "List for supporting the development of advanced AI chips. " * 3 + "</p>")


def saved_page(canonical: str | None, published: str | None = None, title="Entity List additions") -> str:
    head = f"<title>{title}</title>"
    if canonical:
        head += f'<link rel="canonical" href="{canonical}">'
    if published:
        head += f'<meta property="article:published_time" content="{published}">'
    return f"<html><head>{head}</head><body><article><h1>{title}</h1>{BODY}</article></body></html>"


def test_a_saved_page_of_a_crawled_article_is_the_same_document(tmp_path, db_file, db):
    crawled = "https://www.commerce.gov/news/press-releases/2025/03/entity-list"
    add_document(db, url=canonical_url(crawled), title="Entity List additions", text="crawled text",
                 source_id="commerce")
    page = tmp_path / "saved.html"  # saved by the analyst from a link with tracking parameters
    page.write_text(saved_page(crawled + "/?utm_source=newsletter"))
    out = rivalry("ingest", "--db", db_file, page)
    assert out.stdout.split()[0] == "known"
    conn = sqlite3.connect(db_file)
    assert conn.execute("SELECT source_id, text FROM documents").fetchall() == [("commerce", "crawled text")]


def test_a_saved_page_is_keyed_and_dated_by_its_own_metadata(tmp_path, db_file):
    page = tmp_path / "saved.html"
    page.write_text(saved_page("https://www.state.gov/releases/2025/04/chips",
                               published="2025-04-15T20:00:00-04:00"))
    no_link = tmp_path / "nolink.html"
    no_link.write_text(saved_page(None, title="Notes"))
    rivalry("ingest", "--db", db_file, page, no_link)
    conn = sqlite3.connect(db_file)
    rows = conn.execute("SELECT id, url, canonical_url, published_at, date_source FROM documents "
                        "ORDER BY title").fetchall()
    key = "https://www.state.gov/releases/2025/04/chips"
    # the id a crawl of that URL gets: the spider finds it known and does not store it again
    assert rows[0] == (store.document_id(canonical_url(key)), key, key, "2025-04-16T00:00:00+00:00", "meta")
    assert rows[1][1] == no_link.resolve().as_uri()  # no canonical link: the file is its key


def test_folders_are_read_at_any_depth(tmp_path, db_file):
    folder = tmp_path / "saved"
    (folder / "2025" / "april" / "page_files").mkdir(parents=True)
    (folder / ".trash").mkdir()
    (folder / "2025" / "april" / "page.html").write_text(saved_page(None, title="Deep page"))
    (folder / "2025" / "april" / "page_files" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0")
    (folder / "note.txt").write_text("Top note\nChina's MOFCOM opposes the controls.\n")
    (folder / "2025" / "old.txt.gz").write_bytes(gzip.compress(b"Gzipped note\nA note.\n"))
    (folder / ".trash" / "gone.html").write_text(saved_page(None, title="Deleted"))
    out = rivalry("ingest", "--db", db_file, "--date", "2025-04-01", folder)
    assert "1 other file(s)" in out.stdout
    titles = {r[0] for r in sqlite3.connect(db_file).execute("SELECT title FROM documents")}
    assert titles == {"Deep page", "Top note", "Gzipped note"}


def test_a_file_over_the_crawlers_limit_is_refused_by_name(tmp_path, db_file):
    folder = tmp_path / "saved"
    folder.mkdir()
    (folder / "a.txt").write_text("Small\nfine\n")
    big = folder / "b.html"
    with open(big, "wb") as fh:
        fh.truncate(MAX_BODY_BYTES + 1)  # sparse: the size is refused before anything is read
    result = rivalry("ingest", "--db", db_file, folder, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert str(big) in result.stderr and "limit" in result.stderr
    assert sqlite3.connect(db_file).execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    result = rivalry("ingest", "--db", db_file, empty, check=False)
    assert result.returncode == 1 and "no HTML or text file" in result.stderr
