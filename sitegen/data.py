"""Reads the store into plain dicts the templates can use. Read-only; no rendering here.

Every object that gets a page carries `href` (relative to the site root) only when its id is a
valid file name, so templates link exactly to the pages that exist.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from dataclasses import dataclass, field

from nlp.headlines import shorten

from .rows import DOCUMENT_SQL, LINK_SQL, STORED, STORY_SQL, DocumentRow, EventRow, LinkRow, StoryRow, event_sql
from .safe import http_url, iso_day, slug, valid_id, xml_text


def action_label(code: str | None) -> str:
    return (code or "unknown").replace("_", " ").strip().capitalize() or "Unknown"


COUNTRY_NAMES = {"us": "United States", "cn": "China", "tw": "Taiwan", "nl": "Netherlands",
                 "jp": "Japan", "eu": "European Union", "gb": "United Kingdom",
                 "uk": "United Kingdom", "kr": "South Korea", "de": "Germany", "fr": "France",
                 "in": "India", "ru": "Russia", "hk": "Hong Kong", "sg": "Singapore",
                 "ae": "United Arab Emirates", "sa": "Saudi Arabia", "my": "Malaysia"}


def country_label(code: str) -> str:
    return COUNTRY_NAMES.get(code, code.upper())


def _aliases(raw) -> list[str]:
    try:
        value = json.loads(raw) if raw else []
    except (TypeError, ValueError):
        return []
    return sorted({str(a) for a in value if isinstance(a, (str, int, float))}) if isinstance(value, list) else []


@dataclass
class SiteData:
    entities: dict[str, dict] = field(default_factory=dict)
    sources: dict[str, dict] = field(default_factory=dict)
    documents: dict[str, dict] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)  # newest first
    # What timelines list, newest first: stories (one per real-world action, however many
    # reports) when the tagger has clustered them, and any event in no story on its own.
    entries: list[dict] = field(default_factory=list)
    stories: dict[str, dict] = field(default_factory=dict)
    actions: list[str] = field(default_factory=list)  # codes with a valid slug, sorted
    countries: list[str] = field(default_factory=list)  # country slugs seen on events, sorted
    skipped: int = 0  # rows whose id cannot be a file name
    rows: Rows = None  # type: ignore[assignment]  # what was read (see Rows): set by read()
    story_rows: list[StoryRow] | None = None  # rows of the stories table (None: the store has none)
    link_rows: list[LinkRow] = field(default_factory=list)  # response links between stories


def digest(*parts) -> bytes:
    """A short stable fingerprint of plain values (str, int, float, None, bytes, tuples)."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _page(kind: str, ident) -> str | None:
    return f"{kind}/{ident}.html" if valid_id(ident) else None


_IDS = " WHERE id IN (SELECT value FROM json_each(?))"
REREAD_LIMIT = 0.25  # more rows changed than this share: reading them all again is quicker


@dataclass
class Rows:
    """The store's rows as the site uses them, at one point of its change log (token, seq): one
    DocumentRow or EventRow per row (rows.py). A build saves them beside the pages (state.py),
    so the next build reads again only the rows the store's change log names."""
    token: str
    seq: int
    source_keys: dict  # id -> key: a changed source makes its documents be read again
    entity_keys: dict  # id -> key: a changed entity makes its events be read again
    documents: dict[str, DocumentRow]
    events: dict[str, EventRow]  # only events whose id can be a page
    bad_events: list  # ids of events left out because their id cannot be a file name
    # The rows of the full cache file these were made from (None: not made from one): the next
    # build's cache is only what differs from them when that is little (state.rows_to_cache).
    base: tuple | None = None
    reread: int = -1  # rows read again because they changed; -1: every row was read
    reread_documents: set = field(default_factory=set)  # their ids (when reread >= 0)
    reread_events: set = field(default_factory=set)


def load(db, previous: Rows | None = None) -> SiteData:
    """Read the store into dicts (documents, events, stories and their links). With `previous`
    (the Rows of the last build, from the same store), only the rows changed since then are
    read again; the result is the same as a full read."""
    data = read(db, previous)
    fill(data)
    return data


TO_BE_PUBLISHED_SHOWN = 20


def to_be_published(db) -> tuple[tuple, ...]:
    """Documents filed but not yet published (Federal Register public inspection), newest filing
    first: (title, safe URL or None, filed day, scheduled publication day). Hostile text stays
    text: the template escapes it, and a URL that is not plain http(s) is not linked."""
    import json as _json

    rows = db.execute(
        "SELECT title, url, published_at, extra FROM documents WHERE status = 'to_be_published' "
        "ORDER BY published_at DESC, id LIMIT ?", [TO_BE_PUBLISHED_SHOWN]).fetchall()
    out = []
    for title, url, filed, extra in rows:
        try:
            scheduled = (_json.loads(extra) if extra else {}).get("scheduled")
        except (ValueError, AttributeError):
            scheduled = None
        out.append((xml_text(title) or "(untitled)", http_url(url), iso_day(filed), iso_day(scheduled)))
    return tuple(out)


_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def _atom_time(value) -> str | None:
    """An Atom (RFC 3339) UTC time from a stored UTC ISO timestamp, or None."""
    if isinstance(value, str) and _TIMESTAMP.match(value):
        return value[:19] + "Z"
    return None


def seen_times(db) -> dict[str, tuple[str, str]]:
    """Entry id ('story:…' or 'event:…') -> (first seen, last changed) as Atom times
    (rivalry.store.entry_times: the same rule as `rivalry digest`)."""
    from rivalry.store import entry_times

    out = {}
    for entry, stored in entry_times(db.conn).items():
        first, changed = _atom_time(stored[0]), _atom_time(stored[1])
        if first and changed:
            out[entry] = (first, max(first, changed))
    return out


def read(db, previous: Rows | None = None) -> SiteData:
    """The store's rows: sources and entities as dicts, documents and events as Rows, stories
    and response links as they are stored. No document, event or story dict yet (see fill)."""
    conn = db.conn
    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN")  # one consistent view of the store: rows and change counter agree
    try:
        return _read(conn, previous)
    finally:
        if began:
            conn.rollback()


def _read(conn, previous: Rows | None) -> SiteData:
    from rivalry.store import change_state

    data = SiteData()
    for sid, name, owner, country, kind, url in conn.execute(
            "SELECT id, name, owner, country, kind, url FROM sources ORDER BY id"):
        data.sources[sid] = {"id": sid, "name": xml_text(name) or xml_text(sid), "owner": xml_text(owner),
                             "country": xml_text(country), "kind": xml_text(kind), "url": http_url(url),
                             "href": _page("sources", sid)}
        src = data.sources[sid]
        src["key"] = digest(*(src[k] for k in ("id", "name", "owner", "country", "kind", "url", "href")))
    for eid, name, etype, country, aliases in conn.execute(
            "SELECT id, name, type, country, aliases FROM entities ORDER BY id"):
        ok = valid_id(eid)
        data.skipped += not ok
        data.entities[eid] = {"id": eid, "name": xml_text(name) or xml_text(eid), "type": xml_text(etype),
                              "country": xml_text(country), "country_slug": slug(country),
                              "aliases": [xml_text(a) for a in _aliases(aliases) if a != name],
                              "href": _page("entities", eid), "events": []}
        e = data.entities[eid]
        e["key"] = digest(eid, e["name"], e["type"], e["country"], tuple(e["aliases"]), e["href"])
    has_stories = _has_stories(conn)
    rows = _read_rows(conn, data, has_stories, previous, change_state(conn))
    data.rows = rows
    data.skipped += len(rows.bad_events)
    for d in rows.documents.values():
        data.skipped += d.href is None
        data.documents[d.id] = {"id": d.id, "source": data.sources.get(d.source_id), "url": d.url,
                                "raw_url": d.raw_url, "title": d.title, "published": d.published,
                                "href": d.href, "key": d.key, "events": []}
    if has_stories:
        data.story_rows = list(map(StoryRow._make, conn.execute(STORY_SQL)))
        data.link_rows = list(map(LinkRow._make, conn.execute(LINK_SQL)))
    return data


def sort_newest_first(rows: list, date: int | str, ident: int | str) -> None:
    """Newest first; the id breaks ties so the order (and the output bytes) never depend on the
    row order. rows: tuples (or dicts) with the date and the id at these indexes (or keys)."""
    rows.sort(key=operator.itemgetter(ident))
    rows.sort(key=operator.itemgetter(date), reverse=True)


_labels: dict = {}


def label_of(action: str) -> str:
    """action_label, made once per code."""
    label = _labels.get(action)
    if label is None:
        label = _labels[action] = action_label(action)
    return label


def report_headline(evidence: str | None, title: str | None, label: str) -> str:
    """A report's headline: its sentence, shortened as the tagger shortens story headlines."""
    for text in (evidence, title):
        if text and text.strip():
            return shorten(text)
    return label


def event_dict(row: EventRow, entities: dict, documents: dict) -> dict:
    """An event as the templates see it: every field of its EventRow by name, its entities and
    document as their dicts, and what the pages show of it."""
    label = label_of(row.action)
    ent = entities.get
    doc = documents.get(row.document_id)
    ev = row._asdict()
    ev.update(
        action_label=label, actor=ent(row.actor_id), target=ent(row.target_id), object=ent(row.object_id),
        precision=row.precision if row.event_date else "day",
        # A readable sentence leads, never "unknown →": the sentence the report was read
        # from (its document's title may cover several reports).
        headline=report_headline(row.evidence, doc["title"] if doc else None, label),
        month=row.date[:7], document=doc, href=f"events/{row.id}.html", countries=list(row.countries),
        entry_id=f"event:{row.id}")
    return ev


def stories_in_use(data: SiteData) -> bool:
    """Whether any event is in a story: then timelines list stories (see SiteData.entries)."""
    if not data.story_rows:
        return False
    ids = {r.id for r in data.story_rows}
    return any(r.story_id in ids for r in data.rows.events.values() if r.story_id is not None)


def fill(data: SiteData) -> None:
    """Dicts for every document, event and story of `data` (from read)."""
    rows = data.rows
    events = [event_dict(r, data.entities, data.documents) for r in rows.events.values()]
    sort_newest_first(events, "date", "id")
    data.events = events
    data.actions = sorted({e["action"] for e in events if e["action_slug"]})
    data.countries = sorted({c for e in events for c in e["countries"]})
    for ev in events:
        if ev["document"]:
            ev["document"]["events"].append(ev)
    _list_under_entities(events, "events")
    if data.story_rows is not None:
        from . import stories  # which imports this module

        story_of = {r.id: r.story_id for r in rows.events.values() if r.story_id is not None}
        stories.fill_all(data, story_of)
    else:
        data.entries = data.events
    for e in data.entities.values():
        e["entries"] = e["events"] if data.entries is data.events else []
    if data.entries is not data.events:
        _list_under_entities(data.entries, "entries")


def _list_under_entities(items, name: str) -> None:
    """Append each event or entry to the `name` list of its actor, target and object (once)."""
    for item in items:
        seen = set()
        for role in ("actor", "target", "object"):
            e = item[role]
            if e and e["id"] not in seen:
                seen.add(e["id"])
                e[name].append(item)


def _has_stories(conn) -> bool:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "stories" not in tables:
        return False
    return any(r[1] == "story_id" for r in conn.execute("PRAGMA table_info(events)"))


MAX_QUOTES = 8  # evidence quotes on a story page (the sources list them all)


def _read_rows(conn, data: SiteData, has_stories: bool, previous: Rows | None, change) -> Rows:
    """The documents and events as Rows: from `previous` for the rows unchanged since it was
    made (per the change log), read from the store for the others; or all read afresh."""
    token, seq = change if change else ("", -1)
    rows = Rows(token, seq, {s: v["key"] for s, v in data.sources.items()},
                {e: v["key"] for e, v in data.entities.items()}, {}, {}, [])
    events_sql = event_sql(has_stories)
    stale = _stale_rows(conn, rows, previous) if change and previous is not None else None
    if stale is None or previous is None:
        doc_rows = conn.execute(DOCUMENT_SQL + " ORDER BY id")
        event_rows = conn.execute(events_sql)
        bad = []
    else:
        rows.base = previous.base
        rows.reread = len(stale[0]) + len(stale[1])
        rows.reread_documents, rows.reread_events = stale
        stale_docs, stale_events = stale
        rows.documents = {k: v for k, v in previous.documents.items() if k not in stale_docs}
        rows.events = {k: v for k, v in previous.events.items() if k not in stale_events}
        bad = [b for b in previous.bad_events if b not in stale_events]
        doc_rows = conn.execute(DOCUMENT_SQL + _IDS, [json.dumps(sorted(stale_docs))])
        event_rows = conn.execute(events_sql + _IDS, [json.dumps(sorted(stale_events))])
    documents = rows.documents
    for did, source_id, url, title, published in doc_rows:
        src = data.sources.get(source_id)
        url, raw_url = http_url(url), xml_text(url)
        title, published = xml_text(title) or "(untitled)", iso_day(published)
        href = _page("documents", did)
        documents[did] = DocumentRow(did, source_id, url, raw_url, title, published, href,
                                     digest(did, url, raw_url, title, published, href,
                                            src["key"] if src else None))
    if stale is not None:
        documents = rows.documents = dict(sorted(documents.items()))
    ent = data.entities.get
    slugs: dict = {}  # action code -> slug, made once per code
    events = rows.events
    for row in event_rows:
        stored = dict(zip(STORED, row))  # the events columns by name (rows.EventRow)
        evid = stored["id"]
        if not valid_id(evid):
            bad.append(evid)  # an event is its page: without a usable id it is left out
            continue
        doc = documents.get(stored["document_id"])
        # How stored text becomes shown text, column by column; a new column is shown as stored.
        a, t, o = ent(stored["actor_id"]), ent(stored["target_id"]), ent(stored["object_id"])
        stored.update(
            action=xml_text(stored["action"]), event_date=iso_day(stored["event_date"]),
            actor_id=a and stored["actor_id"], target_id=t and stored["target_id"],
            object_id=o and stored["object_id"], modality=xml_text(stored["modality"]),
            status=xml_text(stored["status"]), evidence=xml_text(stored["evidence"]) or "",
            precision=xml_text(stored["precision"]) or "day")
        action = stored["action"]
        action_slug = slugs.get(action, slugs)
        if action_slug is slugs:
            action_slug = slugs[action] = slug(action)
        published = doc.published if doc else None
        # An event belongs to the countries of its actor and target (a US rule against a Chinese
        # firm shows under both): that is what "every Chinese countermeasure" filters on.
        countries = tuple(sorted({e["country_slug"] for e in (a, t) if e and e["country_slug"]}))
        # Everything the row holds, and what its entities and document show.
        key = digest(tuple(stored.values()), published, a and a["key"], t and t["key"], o and o["key"],
                     doc.key if doc else None)
        events[evid] = EventRow(**stored, action_slug=action_slug, published=published,
                                date=stored["event_date"] or published or "", countries=countries, key=key)
    rows.bad_events = bad
    return rows


def _stale_rows(conn, rows: Rows, previous: Rows | None) -> tuple[set, set] | None:
    """(document ids, event ids) to read again: changed in the store since `previous` was read,
    or showing a changed source, entity or document. None when everything must be read."""
    if previous is None or previous.token != rows.token or not 0 <= previous.seq <= rows.seq:
        return None
    changed: dict[str, set] = {"documents": set(), "events": set()}
    for table, row_id in conn.execute(
            "SELECT table_name, row_id FROM change_log WHERE seq > ?", [previous.seq]):
        if table in changed:
            changed[table].add(row_id)
    total = len(previous.documents) + len(previous.events)
    if len(changed["documents"]) + len(changed["events"]) > REREAD_LIMIT * max(total, 1):
        return None
    sources = {s for s in previous.source_keys.keys() | rows.source_keys.keys()
               if previous.source_keys.get(s) != rows.source_keys.get(s)}
    entities = {e for e in previous.entity_keys.keys() | rows.entity_keys.keys()
                if previous.entity_keys.get(e) != rows.entity_keys.get(e)}
    docs = changed["documents"]
    if sources:
        docs |= {d.id for d in previous.documents.values() if d.source_id in sources}
    events = changed["events"]
    events.update(previous.bad_events)  # few: read again rather than tracked
    if docs or entities:
        events |= {e.id for e in previous.events.values()
                   if e.document_id in docs or e.actor_id in entities or e.target_id in entities
                   or e.object_id in entities}
    # A document's events were stored with its old date: they are read again with the new.
    return docs, events
