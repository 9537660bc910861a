"""What analysts do with the database without changing it: read-only SQL, full-text search,
exports and the publication snapshot. Used by the CLI; every function takes an open connection
or a path and never writes to the live store."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from rivalry.store import READER_MMAP_BYTES, StoreError, reader_authorizer


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
        raise _stopped(exc, limits) or exc
    except MemoryError:
        raise _stopped(MemoryError(), limits) from None
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
        raise _stopped(exc, limits) or exc
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
    where, params = ["entity_id = :entity"], {"entity": entity, "limit": limit}
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
        if after[0] is None:
            dated = None
            undated = undated and undated + ["event_id < :after_id"]
        else:  # <= first: SQLite seeks to the key; the OR only drops the rows of that same date
            dated += ["date <= :after_date", "(date < :after_date OR event_id < :after_id)"]
    columns, rows = None, []
    for conditions in (dated, undated):
        if conditions is None or len(rows) >= limit:
            continue
        cursor = conn.execute(
            f"SELECT * FROM timeline_by_entity WHERE {' AND '.join(conditions)} "
            "ORDER BY date DESC, event_id DESC LIMIT :limit", {**params, "limit": limit - len(rows)})
        columns = [c[0] for c in cursor.description]
        rows += cursor.fetchall()
    return columns, rows


# --- full-text search -----------------------------------------------------------------------

def search_documents(conn: sqlite3.Connection, text: str, *, action: str | None = None,
                     entity: str | None = None, country: str | None = None,
                     since: str | None = None, limit: int = 20) -> list[dict]:
    """FTS5 search over title and text, titles weighted 10x; filters narrow to documents with an
    event of that action, a mention of that entity, or a source or event party of that country."""
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
    sql = f"""
        WITH hits AS (
            SELECT rowid, bm25(documents_fts, 10.0, 1.0) AS rank FROM documents_fts
            WHERE documents_fts MATCH :q{filters} ORDER BY rank LIMIT :limit)
        SELECT d.rowid, d.id, d.published_at, d.title, d.url, d.source_id, hits.rank
        FROM hits JOIN documents d ON d.rowid = hits.rowid ORDER BY hits.rank"""
    try:
        cursor = conn.execute(sql, params)
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

# When the project first saw each timeline entry and when it last changed, from the fetch times
# of its documents: a document's first version was first seen, its current one last changed it.
# A story is first seen with its first document and changes when it gains one or one changes.
# The site's feeds (published, updated) and `rivalry digest` both read it.
_ENTRY_TIMES_SQL = """
WITH doc AS (
    SELECT d.id, d.fetched_at AS changed,
           min(d.fetched_at, coalesce((SELECT min(v.fetched_at) FROM document_versions v
                                       WHERE v.document_id = d.id), d.fetched_at)) AS first_seen
    FROM documents d)
SELECT {entry} AS entry, min(doc.first_seen), max(doc.changed)
FROM events e JOIN doc ON doc.id = e.document_id{join}
WHERE e.role = 'new' GROUP BY entry"""


def entry_times(conn: sqlite3.Connection) -> dict[str, tuple[str, str]]:
    """Entry id ('story:<id>', or 'event:<id>' for an event in no story) -> (first seen, last
    changed), UTC ISO timestamps as stored."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "stories" in tables:
        sql = _ENTRY_TIMES_SQL.format(
            entry="CASE WHEN s.id IS NULL THEN 'event:' || e.id ELSE 'story:' || s.id END",
            join=" LEFT JOIN stories s ON s.id = e.story_id")
    else:
        sql = _ENTRY_TIMES_SQL.format(entry="'event:' || e.id", join="")
    return {entry: (first, changed) for entry, first, changed in conn.execute(sql)}


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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Spreadsheets run a cell starting with = + - @ as a formula; crawled text must not be one.
    Such strings get a leading apostrophe (shown as text); numbers and other values pass."""
    if value.__class__ is str and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


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


def write_file_atomically(path: Path, fill) -> None:
    """Write through a temporary file in the same folder, then rename: readers see the old
    file or the new one, never a half-written one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- the publication snapshot ---------------------------------------------------------------

def snapshot(source: Path, target: Path, finished_run: dict | None = None) -> Path:
    """A consistent copy of the store (SQLite's online backup), swapped in atomically.

    The copy is taken from a read transaction, so a crawl writing at the same time neither
    blocks it nor leaks half a change into it. The snapshot is a plain rollback-journal file
    (no WAL) so it can be opened read-only and immutable by Datasette or a download.

    One snapshot at a time per folder (a lock on the folder itself, so no lock file lands in a
    published folder); holding it, a snapshot removes the temporary files of one that was
    killed, which would otherwise pile up, a store's size each.

    finished_run ({"id", "status", "counts", "errors"}): the run taking the snapshot, recorded
    in the copy as finished with that outcome. A nightly publishes its snapshots before it
    finishes; a copy saying "running" would be wrong for as long as it is published."""
    import fcntl

    target.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(target.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        for stale in target.parent.glob(f".{target.name}.*.tmp*"):
            stale.unlink(missing_ok=True)
        return _snapshot(source, target, finished_run)
    finally:
        os.close(folder)  # releases the lock


def _finish_run_in_copy(conn, run: dict) -> None:
    from rivalry.store import utc_now

    with conn:
        conn.execute("UPDATE runs SET finished = ?, status = ?, counts = ?, errors = ? WHERE id = ?",
                     [utc_now(), run["status"], json.dumps(run.get("counts") or {}, sort_keys=True),
                      json.dumps(run.get("errors") or {}, sort_keys=True), run["id"]])


def _snapshot(source: Path, target: Path, finished_run: dict | None = None) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        with closing(sqlite3.connect(f"{Path(source).resolve().as_uri()}?mode=ro", uri=True,
                                     timeout=30)) as src, closing(sqlite3.connect(tmp)) as dst:
            # Pages are read through a memory map, not one read() each, and the copy is written
            # without a journal and unsynced: it is a temporary file no one else sees, checked
            # and synced once below before it replaces the snapshot (a crash leaves only the
            # temporary file, removed by the next snapshot). One step (pages=-1): a copy in
            # steps restarts whenever a crawl writes in between.
            src.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}")
            dst.execute("PRAGMA journal_mode=OFF")
            dst.execute("PRAGMA synchronous=OFF")
            with dst:
                src.backup(dst)
            if finished_run is not None:
                _finish_run_in_copy(dst, finished_run)
            dst.execute("PRAGMA journal_mode=DELETE")
            dst.execute(f"PRAGMA mmap_size={READER_MMAP_BYTES}")
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise StoreError(f"snapshot of {source} failed its check: {check}")
        with open(tmp, "rb+") as copy:
            os.fsync(copy.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
