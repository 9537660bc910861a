"""The store's rows as the site keeps them, by name.

EventRow lists, once, the columns of the events table the site shows, then what the site works
out from them. The SQL that reads events (EVENT_SQL), the row a build caches for the next one
(an EventRow), an event's key, the event's template dict (data.event_dict) and the event columns
of events.csv/json (downloads.py) are all made from it. Adding an events column touches the
migration (rivalry/store/schema.py), a field here (with its column in STORED_AS when named
otherwise), and the templates that show it (for the downloads: downloads.COLUMNS and the
timeline view, which a test holds equal).

The rows are cached with marshal, which takes plain tuples only: state.rows_to_cache and
state.rows_from_cache turn them into tuples and back.
"""

from __future__ import annotations

from typing import NamedTuple


class EventRow(NamedTuple):
    """One event ('new' role: what its document reports as news) as the site keeps it."""

    # Read from the events table, in this order (a field's column is its name, or STORED_AS's).
    id: str
    document_id: str
    action: str
    actor_id: str | None  # None when no known entity (as are target and object)
    target_id: str | None
    object_id: str | None
    event_date: str | None  # YYYY-MM-DD, or None when the source states no date
    modality: str | None
    status: str | None
    evidence: str
    confidence: float | None
    story_id: str | None
    precision: str  # of event_date: day, week, month or year
    # Worked out by the site from those, its entities and its document.
    action_slug: str | None
    published: str | None  # its document's day
    date: str  # event_date, else published, else ""
    countries: tuple  # country slugs of its actor and target
    key: bytes  # fingerprint of every field above and its entities' and document's keys


FIRST_DERIVED = "action_slug"
STORED = EventRow._fields[:EventRow._fields.index(FIRST_DERIVED)]
STORED_AS = {"precision": "date_precision"}  # field -> events column, when named otherwise


def event_sql(has_stories: bool) -> str:
    """SELECT of the stored fields, in EventRow's order. Context entries (earlier actions a
    document mentions) are kept for queries, not shown as news."""
    columns = []
    for name in STORED:
        column = STORED_AS.get(name, name)
        columns.append("NULL" if column == "story_id" and not has_stories else column)
    return f"SELECT {', '.join(columns)} FROM (SELECT * FROM events WHERE role = 'new')"


class DocumentRow(NamedTuple):
    """One document as the site keeps it: its page shows these."""

    id: str
    source_id: str
    url: str | None  # a safe http(s) URL to link, or None
    raw_url: str | None  # as stored (shown and downloaded)
    title: str
    published: str | None  # YYYY-MM-DD
    href: str | None  # its page, when its id can be a file name
    key: bytes


DOCUMENT_SQL = "SELECT id, source_id, url, title, published_at FROM documents"


class StoryRow(NamedTuple):
    """A row of the stories table as the site reads it (STORY_SQL)."""

    id: str
    action: str
    actor_id: str | None
    target_id: str | None
    object_id: str | None
    first_date: str | None
    last_date: str | None
    title: str | None
    summary: str | None
    primary_document_id: str | None
    primary_event_id: str | None
    event_count: int
    document_count: int
    key_kind: str | None
    headline: str | None
    key: str | None


STORY_SQL = f"SELECT {', '.join(StoryRow._fields)} FROM stories"


class LinkRow(NamedTuple):
    """A response between stories (event_links, kind 'response')."""

    from_story: str
    to_story: str
    basis: str
    evidence: str | None


LINK_SQL = (f"SELECT {', '.join(LinkRow._fields)} FROM event_links"
            " WHERE kind = 'response' ORDER BY from_story, to_story")
