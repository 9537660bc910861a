"""Writes shared by several stages: sources, documents (with their versions) and runs."""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from datetime import datetime, timezone

import sqlite_utils

from rivalry.limits import MAX_TEXT_CHARS
from rivalry.shutdown import Interrupted


def utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def document_id(canonical_url: str) -> str:
    """Stable document id derived from the canonical URL, so upserts are idempotent."""
    return hashlib.sha1(canonical_url.encode("utf-8")).hexdigest()[:16]


def content_hash(title: str | None, text: str | None) -> str:
    return hashlib.sha256(f"{title or ''}\n{text or ''}".encode("utf-8")).hexdigest()


def upsert_source(db: sqlite_utils.Database, source: dict) -> None:
    keys = ("id", "name", "owner", "country", "kind", "language", "url", "timezone")
    row = {k: source.get(k) for k in keys}
    row["issuer_id"] = source.get("issuer_id", source.get("issuer"))  # sources.toml: `issuer`
    db.table("sources").upsert(row, pk="id")


# Status of a document filed for publication but not yet published (the Federal Register's
# public-inspection desk): the published document, at the same canonical URL, replaces it.
TO_BE_PUBLISHED = "to_be_published"


def upsert_document(db: sqlite_utils.Database, doc: dict) -> str:
    """Insert or update one document by canonical URL; keep the old version when it changed.

    Returns 'new', 'changed' or 'unchanged'.
    """
    doc = cut_text(dict(doc))
    doc["id"] = document_id(doc["canonical_url"])
    doc["content_hash"] = content_hash(doc.get("title"), doc.get("text"))
    doc.setdefault("fetched_at", utc_now())
    existing = db.execute(
        "SELECT title, text, published_at, fetched_at, content_hash, status FROM documents WHERE id = ?",
        [doc["id"]],
    ).fetchone()
    if existing is None:
        db.table("documents").insert(doc)
        return "new"
    if doc.get("status") == TO_BE_PUBLISHED and existing[5] != TO_BE_PUBLISHED:
        return "unchanged"  # the desk still lists a document that is published: keep the published
    if existing[4] == doc["content_hash"] and existing[5] == doc.get("status", "ok"):
        return "unchanged"
    db.table("document_versions").insert(
        {"document_id": doc["id"], "title": existing[0], "text": existing[1],
         "published_at": existing[2], "fetched_at": existing[3], "content_hash": existing[4]}
    )
    db.table("documents").update(doc["id"], doc)
    # A changed text invalidates its tags: drop them so the tagger redoes this document, and
    # with them the mentions and events read from the old text (their offsets point into it):
    # a run killed before the tagger gets there leaves no events of an untagged document.
    for table in ("events", "mentions", "taggings"):
        db.execute(f"DELETE FROM {table} WHERE document_id = ?", [doc["id"]])
    return "changed"


def cut_text(doc: dict) -> dict:
    """Keep at most limits.MAX_TEXT_CHARS of a document's text, recording the cut in its
    `extra` (JSON) as {"text_cut": {"chars": original length, "kept": kept}}: every document
    enters the store here, so none can hold more than the tagger can take in one go."""
    text = doc.get("text")
    if not text or len(text) <= MAX_TEXT_CHARS:
        return doc
    extra = doc.get("extra")
    extra = json.loads(extra) if isinstance(extra, str) else dict(extra or {})
    extra["text_cut"] = {"chars": len(text), "kept": MAX_TEXT_CHARS}
    return {**doc, "text": text[:MAX_TEXT_CHARS], "extra": json.dumps(extra, sort_keys=True)}


def start_run(db: sqlite_utils.Database, command: str) -> int:
    """Record a new run. A run still 'running' at this point is a dead one: every writing
    command holds the writer lock (rivalry/store/lock.py), so its process was killed before it could
    finish; it is marked 'interrupted' (finished stays NULL) instead of running forever. (A
    run stopped by SIGTERM or SIGINT marks itself, see rivalry/shutdown.py.)"""
    with db.conn:
        db.execute("UPDATE runs SET status = 'interrupted', errors = ? WHERE status = 'running'",
                   [json.dumps({"run": f"interrupted: its process died before finishing "
                                       f"(found by the next run at {utc_now()})"})])
        table = db.table("runs").insert({"command": command, "started": utc_now(), "status": "running"})
    return int(table.last_pk)  # type: ignore[arg-type]  # an INTEGER PRIMARY KEY


@contextmanager
def recorded_run(db: sqlite_utils.Database, command: str, counts: dict | None = None,
                 errors: dict | None = None):
    """Record a run around a block; yields its id. If the block raises, the run is finished as
    'failed' ('interrupted' on SIGTERM or SIGINT) with what ``counts`` and ``errors`` hold so
    far plus the exception under ``command``.
    On success the block finishes the run itself (it knows whether it was ok or flagged)."""
    run_id = start_run(db, command)
    try:
        yield run_id
    except BaseException as exc:
        errors = {} if errors is None else errors
        errors[command] = str(exc)
        if isinstance(exc, Interrupted):
            exc.run_id = run_id  # for the one line the command prints
        finish_run(db, run_id, "interrupted" if isinstance(exc, Interrupted) else "failed",
                   counts, errors)
        raise


def finish_run(db: sqlite_utils.Database, run_id: int, status: str,
               counts: dict | None = None, errors: dict | None = None) -> None:
    with db.conn:
        db.table("runs").update(run_id, {
            "finished": utc_now(), "status": status,
            "counts": json.dumps(counts or {}, sort_keys=True),
            "errors": json.dumps(errors or {}, sort_keys=True),
        })


# --- the methodology page's inputs (migration 9) -----------------------------------------------

def record_taxonomy(db: sqlite_utils.Database, descriptions: dict[str, str], pipeline_version: str) -> bool:
    """The taxonomy the tagger used, code -> description, replacing the one stored; nothing is
    written when it is the same. Returns whether it changed."""
    wanted = sorted((str(code), str(text), pipeline_version) for code, text in descriptions.items())
    stored = sorted(db.execute("SELECT code, description, pipeline_version FROM taxonomy").fetchall())
    if stored == wanted:
        return False
    with db.atomic():
        db.execute("DELETE FROM taxonomy")
        db.conn.executemany("INSERT INTO taxonomy (code, description, pipeline_version) VALUES (?, ?, ?)",
                            wanted)
    return True


MEASURED, SHIPPED = "measured", "shipped"  # evaluations.origin


def record_evaluation(db: sqlite_utils.Database, figures: dict, origin: str) -> bool:
    """Store the evaluation figures of one gold split (figures["split"], default test). Figures
    `rivalry eval` measured here are kept over shipped ones: a shipped file replaces only
    shipped figures (and writes nothing when they are the same). Returns whether it wrote."""
    split = str(figures.get("split") or "test")
    text = json.dumps(figures, sort_keys=True)
    stored = db.execute("SELECT figures, origin FROM evaluations WHERE split = ?", [split]).fetchone()
    if origin == SHIPPED and stored is not None and (stored[1] == MEASURED or stored[0] == text):
        return False
    version = figures.get("pipeline_version")
    with db.atomic():
        db.execute("INSERT INTO evaluations (split, figures, pipeline_version, origin, recorded_at)"
                   " VALUES (?, ?, ?, ?, ?) ON CONFLICT (split) DO UPDATE SET figures = excluded.figures,"
                   " pipeline_version = excluded.pipeline_version, origin = excluded.origin,"
                   " recorded_at = excluded.recorded_at",
                   [split, text, version if isinstance(version, str) else None, origin, utc_now()])
    return True
