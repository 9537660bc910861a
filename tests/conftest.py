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
