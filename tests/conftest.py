"""Fixtures shared by the whole suite: a fresh store in a temporary folder."""

from __future__ import annotations

import pytest

from rivalry import store


@pytest.fixture
def db_file(tmp_path):
    """Path of a new, migrated, empty store."""
    path = tmp_path / "rivalry.db"
    store.open_db(path).close()
    return path


@pytest.fixture
def db(db_file):
    """An open sqlite_utils.Database on a fresh store."""
    database = store.open_db(db_file)
    yield database
    database.close()


def add_document(db, *, url, title, text, published_at="2025-01-15T15:00:00+00:00",
                 source_id="test-source", **extra):
    """Store one document (and its source) the way the crawler does."""
    store.upsert_source(db, {"id": source_id, "name": source_id, "kind": "feed"})
    doc = {"source_id": source_id, "url": url, "canonical_url": url, "title": title,
           "text": text, "published_at": published_at, "language": "en", **extra}
    with db.conn:
        store.upsert_document(db, doc)
    return store.document_id(url)


# --- a local web server for crawler tests (127.0.0.1 only) -----------------------------------

import subprocess  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from crawler_site import Site  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def local_site():
    """tests/fixtures/localsite served on 127.0.0.1 (see crawler_site.Site)."""
    with Site(FIXTURES / "localsite") as site:
        yield site


def rivalry(*args, check=True, env=None, timeout=300):
    """Run the real `rivalry` command in a subprocess (Scrapy's reactor runs once per process)."""
    import os

    result = subprocess.run([sys.executable, "-m", "rivalry.cli", *map(str, args)],
                            capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **(env or {})})
    if check and result.returncode != 0:
        raise AssertionError(f"rivalry {' '.join(map(str, args))} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result
