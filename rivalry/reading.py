"""What analysts do with the database without changing it: read-only SQL, full-text search and
exports. Used by the CLI; every function takes an open connection and never writes to the
store. (The publication snapshot, atomic file writes and spreadsheet-safe cells, which the site
uses too, live in the store package: rivalry/store/.)"""

from __future__ import annotations

import csv
import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass

from rivalry.store import StoreError, reader_authorizer, spreadsheet_safe


class QueryRefused(StoreError):
    """SQL that would write, attach or change settings, sent to the read-only store."""


class BadSearch(StoreError):
    """Search text that FTS5 cannot parse."""


REFUSAL_MARKERS = ("readonly", "read-only", "query_only", "not authorized")


@dataclass(frozen=True)
class QueryLimits:
    """How long and how much memory one `rivalry query` may take (defaults: rivalry/limits.py)."""

    seconds: float
    memory_mb: int


class QueryStopped(StoreError):
    """A query stopped by its time or memory limit."""


def run_query(conn: sqlite3.Connection, sql: str, params: dict | list | None = None,
              limits: QueryLimits | None = None):
    """Execute read-only SQL; returns (columns, row iterator). Writes raise QueryRefused; a
    query past its ``limits`` (also while its rows are read) raises QueryStopped."""
    if limits:
        _bound(conn, limits)
    try:
        cursor = conn.execute(sql, params or [])
    except sqlite3.DatabaseError as exc:
        if any(marker in str(exc) for marker in REFUSAL_MARKERS):
            raise QueryRefused(f"refused: the database is opened read-only ({exc})") from None
        stopped = _stopped(exc, limits)
        if stopped is None:
            raise
        raise stopped from exc
    except MemoryError:
        raise _stopped(MemoryError(), limits) or MemoryError() from None
    columns = [c[0] for c in cursor.description or []]
    return columns, _rows(cursor, limits) if limits else cursor


def _bound(conn: sqlite3.Connection, limits: QueryLimits) -> None:
    # Time: SQLite calls the progress handler every 10,000 virtual-machine steps; a true result
    # interrupts the statement. Memory: the heap limit makes an allocation past it fail (the
    # statement, not the process), and no single string or blob may be larger than it.
    deadline = time.monotonic() + limits.seconds
    conn.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
    memory = limits.memory_mb * 1024 * 1024
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, memory)
    conn.set_authorizer(None)  # the reader's authorizer refuses every PRAGMA that sets
    try:
        conn.execute(f"PRAGMA hard_heap_limit = {int(memory)}")
    finally:
        conn.set_authorizer(reader_authorizer)


def _rows(cursor, limits):
    try:
        yield from cursor
    except sqlite3.DatabaseError as exc:
        stopped = _stopped(exc, limits)
        if stopped is None:
            raise
        raise stopped from exc
    except MemoryError:
        raise _stopped(MemoryError(), limits) from None


def _stopped(exc: BaseException, limits: QueryLimits | None) -> QueryStopped | None:
    if limits is None:
        return None
    lift = "; --no-limits lifts the limits"
    if "interrupted" in str(exc):
        return QueryStopped(f"query stopped after {limits.seconds:g} s (--timeout{lift})")
    if isinstance(exc, MemoryError) or "too big" in str(exc) or "out of memory" in str(exc):
        return QueryStopped(f"query stopped: it needed more than {limits.memory_mb} MB "
                            f"(--max-memory{lift})")
    return None


# --- an entity's timeline, a page at a time ----------------------------------------------------

def entity_timeline_page(conn: sqlite3.Connection, entity: str, *, since: str | None = None,
                         until: str | None = None, after: tuple[str | None, str] | None = None,
                         limit: int = 50):
    """One page of the events touching ``entity`` (the timeline_by_entity view), newest first, dates
    in [since, until); undated events last. Returns (columns, rows). ``after`` is the (date,
    event_id) of the previous page's last row: the page starts at that key in the index (keyset
    paging), so page 1,000 of the most frequent entity costs what page 1 costs, unlike OFFSET."""
    where = ["entity_id = :entity"]
    params: dict[str, object] = {"entity": entity, "limit": limit}
    if since:
        where.append("date >= :since")
        params["since"] = since
    if until:
        where.append("date < :until")
        params["until"] = until
    dated = where + ["date IS NOT NULL"]
    undated = where + ["date IS NULL"] if not since else None  # a date range leaves them out
    if after:
        params["after_date"], params["after_id"] = after
        if after[0] is None:  # past the dated rows: only undated ones are left
            dated = []
            undated = undated + ["event_id < :after_id"] if undated else None
        else:  # <= first: SQLite seeks to the key; the OR only drops the rows of that same date
            dated += ["date <= :after_date", "(date < :after_date OR event_id < :after_id)"]
    columns: list[str] | None = None
    rows: list = []
    for conditions in (dated, undated):
        if not conditions or len(rows) >= limit:
            continue
        cursor = conn.execute(
            f"SELECT * FROM timeline_by_entity WHERE {' AND '.join(conditions)} "
            "ORDER BY date DESC, event_id DESC LIMIT :limit", {**params, "limit": limit - len(rows)})
        columns = [c[0] for c in cursor.description]
        rows += cursor.fetchall()
    return columns, rows


# --- full-text search -----------------------------------------------------------------------

# FTS5 computes bm25 for every match before the top hits are kept (no top-k early stop): "export"
# matches 561,005 of the benchmark's million documents and took ~450 ms on a quiet machine, 2.3 s
# under load. A search ranks at most this many matches, the most recently stored ones (highest
# rowid: documents are stored as they are crawled), which FTS5 finds walking its index
# backwards, and stops. A search with fewer matches ranks them all, as before. See
# docs/benchmarks.md, "A decade of news".
RANKED_MATCHES = 10_000


def search_documents(conn: sqlite3.Connection, text: str, *, action: str | None = None,
                     entity: str | None = None, country: str | None = None,
                     since: str | None = None, limit: int = 20) -> list[dict]:
    """FTS5 search over title and text, titles weighted 10x; filters narrow to documents with an
    event of that action, a mention of that entity, or a source or event party of that country.

    The hits are the best ``limit`` by bm25 (ties: stored first) among the newest
    RANKED_MATCHES matches that pass the filters; with fewer matches, among all of them."""
    where, params = [], {"q": text, "limit": limit}  # conditions on documents d
    if action:
        where.append("d.id IN (SELECT document_id FROM events WHERE action = :action)")
        params["action"] = action
    if entity:
        where.append("d.id IN (SELECT document_id FROM mentions WHERE entity_id = :entity)")
        params["entity"] = entity
    if country:
        where.append("""(d.source_id IN (SELECT id FROM sources WHERE country = :country)
             OR d.id IN (SELECT e.document_id FROM events e JOIN entities en
                         ON en.id IN (e.actor_id, e.target_id) WHERE en.country = :country))""")
        params["country"] = country.upper()
    if since:
        where.append("d.published_at >= :since")
        params["since"] = since
    # Rank inside the FTS index first and join only the top hits: joining every match to
    # documents before the LIMIT costs more than the ranking itself.
    filters = f" AND rowid IN (SELECT d.rowid FROM documents d WHERE {' AND '.join(where)})" \
        if where else ""
    # FTS5 walks the matches in descending rowid order and stops after RANKED_MATCHES of them,
    # computing bm25 only for those; the best `limit` of them are joined to documents.
    sql = f"""
        WITH newest AS (
            SELECT rowid, bm25(documents_fts, 10.0, 1.0) AS rank FROM documents_fts
            WHERE documents_fts MATCH :q{filters} ORDER BY rowid DESC LIMIT :ranked),
        hits AS (SELECT rowid, rank FROM newest ORDER BY rank, rowid LIMIT :limit)
        SELECT d.rowid, d.id, d.published_at, d.title, d.url, d.source_id, hits.rank
        FROM hits JOIN documents d ON d.rowid = hits.rowid ORDER BY hits.rank, hits.rowid"""
    try:
        cursor = conn.execute(sql, {**params, "ranked": RANKED_MATCHES})
        columns = [c[0] for c in cursor.description]
        hits = [dict(zip(columns, row)) for row in cursor]
        snippets = _snippets(conn, text, [hit["rowid"] for hit in hits])
        for hit in hits:
            hit["snippet"] = snippets[hit.pop("rowid")]
    except sqlite3.OperationalError as exc:
        # The MATCH text is the only user input here, so a parse error is the search's fault.
        if not any(word in str(exc) for word in ("locked", "no such table", "disk")):
            raise BadSearch(f"bad search {text!r}: {exc} (quote phrases with \"...\", prefix with word*)") from None
        raise
    return hits


def _snippets(conn: sqlite3.Connection, text: str, rowids: list[int]) -> dict[int, str]:
    """The snippet of each of the top hits, in one pass over the matches.

    One query per hit (``rowid = ?``) made FTS5 expand the query again for every hit: a prefix
    such as semicon* merges the lists of every term it covers, ~20 times. Here the matches are
    walked once between the smallest and largest rowid, and a snippet is made only for the hits
    (``+rowid`` keeps the IN list out of the FTS5 index, so it filters the walk)."""
    if not rowids:
        return {}
    marks = ", ".join("?" * len(rowids))
    return dict(conn.execute(
        "SELECT rowid, snippet(documents_fts, 1, '[', ']', '…', 16) FROM documents_fts "
        f"WHERE documents_fts MATCH ? AND rowid BETWEEN ? AND ? AND +rowid IN ({marks})",
        [text, min(rowids), max(rowids), *rowids]))



# --- exports ---------------------------------------------------------------------------------

def relation_names(conn: sqlite3.Connection, kind: str) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' "
        "AND name NOT LIKE '%_fts%' ORDER BY name", [kind])]


def export_relation(conn: sqlite3.Connection, name: str, kind: str):
    """(columns, rows) of one table or view, chosen from the schema's own names only."""
    names = relation_names(conn, kind)
    if name not in names:
        raise StoreError(f"no {kind} named {name!r}; {kind}s: {', '.join(names)}")
    return run_query(conn, f'SELECT * FROM "{name}"')


def write_rows(columns: list[str], rows: Iterable, fmt: str, out, *, raw: bool = False) -> int:
    """Stream rows to a text file object as csv, json or jsonl; returns the number written.
    CSV cells are made spreadsheet-safe unless ``raw``."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(row if raw else [spreadsheet_safe(v) for v in row])
            count += 1
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(dict(zip(columns, row)), ensure_ascii=False) + "\n")
            count += 1
    elif fmt == "json":
        out.write("[")
        for row in rows:
            out.write(("," if count else "") + "\n" + json.dumps(dict(zip(columns, row)), ensure_ascii=False))
            count += 1
        out.write("\n]\n")
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return count
