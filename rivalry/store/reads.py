"""Reads shared by the site and the CLI: whether anything changed, when each timeline entry was
first seen and last changed, and the methodology page's taxonomy and evaluation figures."""

from __future__ import annotations

import json
import sqlite3


def change_state(conn) -> tuple[str, int] | None:
    """(token, seq) of a store: equal twice, nothing the site shows changed in between. None for
    a store without the change log."""
    try:
        row = conn.execute("SELECT token, seq FROM change_seq WHERE id = 1").fetchone()
    except sqlite3.DatabaseError:
        return None
    return (row[0], row[1]) if row else None


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


def taxonomy(conn: sqlite3.Connection) -> dict[str, str]:
    """Action code -> description, as the tagger last recorded them; empty before a tag run."""
    try:
        return dict(conn.execute("SELECT code, description FROM taxonomy ORDER BY code"))
    except sqlite3.OperationalError:  # a store older than migration 9, read as it is
        return {}


def evaluation(conn: sqlite3.Connection, split: str = "test") -> dict | None:
    """The evaluation figures recorded for a gold split (what `rivalry eval --json` writes), or
    None when none were recorded (or they cannot be read)."""
    try:
        row = conn.execute("SELECT figures FROM evaluations WHERE split = ?", [split]).fetchone()
    except sqlite3.OperationalError:
        return None
    try:
        return json.loads(row[0]) if row else None
    except ValueError:
        return None
