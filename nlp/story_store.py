"""The story stage's reads and writes of the store: the events it clusters, and the stories,
memberships and clustering state it leaves (nlp/stories.py and nlp/stories_incremental.py
decide what; this module says how it is read and stored).

Reads `events`, `documents`, `sources`, `mentions`; writes `stories`, `events.story_id`,
`story_clustering`.
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import TYPE_CHECKING

from .headlines import headline
from .story_cues import stated_cue

if TYPE_CHECKING:  # the types only: nlp/stories.py imports this module
    from .stories import Ev, Sides

_EVENTS_SQL = """
    SELECT e.id, e.document_id, e.action, e.actor_id, e.target_id, e.object_id, e.event_date,
           e.modality, e.evidence, e.evidence_start, d.source_id, d.extra, d.published_at,
           d.title, s.country, s.kind, s.owner, e.trigger, e.story_id
    FROM events e JOIN documents d ON d.id = e.document_id
    LEFT JOIN sources s ON s.id = d.source_id
    WHERE e.role = 'new'  -- background a document mentions is no report of a story
    {also}
    ORDER BY e.event_date IS NULL, e.event_date, e.id"""  # the clustering's order


def events_sql(also: str = "") -> str:
    """The events the clustering reads (as rows for _ev; column 18 their current story), in its
    order; `also`: a further condition ("AND ...")."""
    return _EVENTS_SQL.format(also=also)


STORY_COLUMNS = ["id", "key", "key_kind", "action", "actor_id", "target_id", "object_id",
                 "first_date", "last_date", "headline", "title", "summary", "primary_document_id",
                 "primary_event_id", "event_count", "document_count"]



def mentions_reader(db):
    """mentions_of(ev): the entity ids named in an event's sentence after its response cue
    (its document's mentions, read once per document)."""
    mention_rows: dict[str, list[tuple[int, int, str]]] = {}

    def mentions_of(ev: Ev) -> set[str]:
        if ev.document_id not in mention_rows:
            mention_rows[ev.document_id] = db.execute(
                "SELECT start, end, entity_id FROM mentions WHERE document_id = ?",
                [ev.document_id]).fetchall()
        m = stated_cue(ev.evidence)
        cut = ev.evidence_start + (m.end() if m else 0)
        end = ev.evidence_start + ev.evidence_len + 8  # offsets may shift by mojibake repair
        return {eid for s, e, eid in mention_rows[ev.document_id] if cut <= s and e <= end}
    return mentions_of


def add_summaries(db, rows: dict[str, dict]) -> None:
    """Each story row's summary (its primary event's sentence) and headline."""
    primaries = [r["primary_event_id"] for r in rows.values()]
    summary = {}
    for i in range(0, len(primaries), 500):
        chunk = primaries[i:i + 500]
        summary.update(db.execute(f"SELECT id, evidence FROM events WHERE id IN "
                                  f"({','.join('?' * len(chunk))})", chunk).fetchall())
    for r in rows.values():
        r["summary"] = summary.get(r["primary_event_id"])
        r["headline"] = headline(r["title"], r["summary"])


def write_stories(db, changed_rows: list[dict], moved: list, unassigned: list, gone: list) -> None:
    """Story rows and memberships (inside the caller's transaction)."""
    if unassigned:
        db.conn.executemany("UPDATE events SET story_id = NULL WHERE id = ?",
                            [(e,) for e in unassigned])
    if changed_rows:
        db["stories"].upsert_all(changed_rows, pk="id")
    if moved:
        db.conn.executemany("UPDATE events SET story_id = ? WHERE id = ?", moved)
    if gone:
        db.conn.executemany("UPDATE events SET story_id = NULL WHERE story_id = ?",
                            [(s,) for s in gone])
        db.conn.executemany("DELETE FROM stories WHERE id = ?", [(s,) for s in gone])


def inputs_digest(db, sides: Sides) -> str:
    """What the clustering reads besides events and documents: each entity's type and country
    (its side) and each source's country, kind and owner (how official a report is)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(sorted(sides.info.items())).encode("utf-8", "surrogatepass"))
    h.update(repr(db.execute("SELECT id, country, kind, owner FROM sources ORDER BY id").fetchall())
             .encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def save_state(db, sides: Sides, version: str | None) -> None:
    """Where this clustering leaves the store (story_clustering; inside its transaction, after
    its writes): the next one reads the events changed after this."""
    try:
        change = db.execute("SELECT token, seq FROM change_seq WHERE id = 1").fetchone()
        if change is None:
            return
        db.execute("INSERT INTO story_clustering (id, token, seq, inputs, pipeline_version) "
                   "VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET token = excluded.token, "
                   "seq = excluded.seq, inputs = excluded.inputs, "
                   "pipeline_version = excluded.pipeline_version",
                   [change[0], change[1], inputs_digest(db, sides), version])
    except sqlite3.OperationalError:  # a store without the change log: every run clusters all
        return

