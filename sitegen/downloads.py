"""The site's data files: events.csv/json (the reports) and stories.csv/json (what the timeline
lists), in the columns of `rivalry export`'s timeline and story_timeline views, with copies for
spreadsheets (a UTF-8 byte-order mark first)."""

from __future__ import annotations

import csv
import io
import json
import operator

from rivalry.store import spreadsheet_safe

from .rows import EventRow

# The columns of `rivalry export` (the `timeline` view, rivalry/store/views.py), in its order: a
# file from the site and one from the command line read the same way. A test holds them equal.
COLUMNS = [
    ("date", "When it happened (YYYY-MM-DD; a month or year is given as its first day), "
             "empty if the source states no date"),
    ("date_precision", "day, week, month or year: how much of the date the source states"),
    ("role", "new (what the document reports as news; the site lists only these)"),
    ("action", "Action type code (see the methodology page)"),
    ("actor_id", "Entity id of who acted"), ("actor", "Name of who acted"),
    ("actor_country", "The actor's country code"),
    ("target_id", "Entity id of whom it was aimed at"), ("target", "Name of the target"),
    ("target_country", "The target's country code"),
    ("object_id", "Entity id of the thing concerned (chip, model, rule)"), ("object", "Its name"),
    ("modality", "asserted, negated, future, proposed, alleged, charged, convicted"),
    ("status", "announced, proposed, final, effective, suspended, rescinded"),
    ("evidence", "The sentence the report was read from"),
    ("document_title", "Title of the source document"),
    ("document_url", "Address of the source document"),
    ("source_id", "Which configured source it came from"),
    ("published_at", "When the source document was published (YYYY-MM-DD)"),
    ("event_id", "Report id; the page is events/<id>.html"),
    ("document_id", "Document id; the page is documents/<id>.html"),
    ("story_id", "The story it reports; the page is stories/<id>.html (empty: in no story)"),
]

# The columns of the `story_timeline` view: stories.csv and every page's own download.
STORY_COLUMNS = [
    ("date", "The story's last date (YYYY-MM-DD)"), ("first_date", "Its first date"),
    ("action", "Action type code"),
    ("actor_id", "Entity id of who acted"), ("actor", "Name of who acted"),
    ("actor_country", "The actor's country code"),
    ("target_id", "Entity id of the target"), ("target", "Name of the target"),
    ("target_country", "The target's country code"),
    ("object_id", "Entity id of the thing concerned"), ("object", "Its name"),
    ("headline", "One readable line: what happened"),
    ("date_precision", "day, week, month or year"),
    ("title", "Title of the primary source document"),
    ("summary", "The primary report's sentence"),
    ("events", "How many reports the story has"), ("sources", "How many documents report it"),
    ("source_ids", "The configured sources of those documents, space-separated"),
    ("primary_url", "Address of the primary source"),
    ("key", "What the tagger groups reports by"), ("key_kind", "Which kind of key it is"),
    ("story_id", "Story id; the page is stories/<id>.html (empty: a report in no story)"),
]

BOM = "\ufeff".encode("utf-8")  # Excel reads a CSV as UTF-8 only when it starts with this


SNAPSHOT = "downloads/rivalry.db"
SNAPSHOT_TABLES = [
    ("sources", "Configured sources: id, name, owner, country, kind, language, url"),
    ("documents", "Crawled documents: id, source_id, url, canonical_url, title, published_at, "
                  "fetched_at, language, text, content_hash, status; full-text index documents_fts"),
    ("document_versions", "Earlier versions of documents whose content changed"),
    ("entities", "Gazetteer entities: id, name, type, country, aliases (JSON list)"),
    ("mentions", "Where each entity is named: document_id, entity_id, start, end, surface, sentence"),
    ("events", "The reports: the columns of events.csv below, plus evidence "
               "offsets, trigger and pipeline_version"),
    ("taggings", "Which pipeline version tagged each document, or why it was skipped"),
    ("runs", "One row per crawl, tag or build run, with counts and errors (JSON)"),
]


_NAMES = [c for c, _ in COLUMNS]


def _of(role: str, field: str):
    return lambda ev: (ev[role] or {}).get(field)


def _source_id(ev):
    src = ev["document"] and ev["document"]["source"]
    return src and src["id"]


# A column of events.csv named as an event's own field (rows.EventRow) is that field of the
# event's dict; the others are worked out here, by name.
_VALUES = {
    "date": operator.itemgetter("event_date"),
    "date_precision": lambda ev: ev["event_date"] and ev.get("precision"),
    "role": lambda ev: "new",  # the site lists only what a document reports as news
    "actor_id": _of("actor", "id"), "actor": _of("actor", "name"), "actor_country": _of("actor", "country"),
    "target_id": _of("target", "id"), "target": _of("target", "name"),
    "target_country": _of("target", "country"),
    "object_id": _of("object", "id"), "object": _of("object", "name"),
    "document_title": _of("document", "title"), "document_url": _of("document", "raw_url"),
    "source_id": _source_id, "published_at": operator.itemgetter("published"),
    "event_id": operator.itemgetter("id"), "document_id": _of("document", "id"),
    "story_id": lambda ev: (ev.get("story") or {}).get("id"),
}
_GETTERS = [_VALUES.get(name) or operator.itemgetter(name) for name in _NAMES]
assert all(name in _VALUES or name in EventRow._fields for name in _NAMES), "a column with no value"


def _tuple(ev):
    return tuple([get(ev) for get in _GETTERS])


def story_tuple(entry):
    """A story (or a report in no story, as a story of one) in STORY_COLUMNS."""
    a, t, o = entry["actor"], entry["target"], entry["object"]
    if entry.get("kind") != "story":
        doc = entry["document"]
        src = doc["source"] if doc else None
        return (entry["event_date"], entry["event_date"], entry["action"],
                a and a["id"], a and a["name"], a and a["country"],
                t and t["id"], t and t["name"], t and t["country"],
                o and o["id"], o and o["name"], entry["headline"],
                entry["event_date"] and entry.get("precision"), doc and doc["title"],
                entry["evidence"], 1, 1 if doc else 0, src and src["id"],
                doc and doc["raw_url"], None, None, None)
    docs = entry["documents"]
    pdoc = entry["document"]
    return (entry["last_date"], entry["first_date"], entry["action"],
            a and a["id"], a and a["name"], a and a["country"],
            t and t["id"], t and t["name"], t and t["country"],
            o and o["id"], o and o["name"], entry["headline"], entry["precision"],
            entry["title"], entry["summary"], len(entry["events"]), len(docs),
            " ".join(sorted({d["source"]["id"] for d in docs if d["source"]})) or None,
            pdoc and pdoc["raw_url"], entry.get("story_key"), entry["key_kind"], entry["id"])


_STORY_NAMES = [c for c, _ in STORY_COLUMNS]


def rows(events):
    for ev in events:
        yield dict(zip(_NAMES, _tuple(ev)))


def _cell(value):
    # Spreadsheets run cells starting with = + - @ as formulas: crawled text must not.
    return "" if value is None else spreadsheet_safe(value)


def _csv_line(values) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow([_cell(v) for v in values])
    return buf.getvalue()


def render_stories(entries, full, index: dict, old_csv: bytes = b"", old_json: bytes = b""):
    """stories.csv and stories.json, as render() makes the events' files (and as fast: the
    lines of unchanged stories are copied from the last build's files)."""
    return render(entries, full, index, old_csv, old_json, story_tuple, _STORY_NAMES)


def render(entries, full, index: dict, old_csv: bytes = b"", old_json: bytes = b"",
           as_tuple=_tuple, names=_NAMES) -> tuple[bytes, bytes, dict]:
    """events.csv and events.json, and their index for the next build: event key -> where its
    line is in each file (start, end in the CSV, start, end in the JSON).

    entries: the events as index.Entry tuples, newest first; full(entry): the event's dict.
    A line whose event key (a fingerprint of everything in its row, see data.py) is in the
    index of the previous build is copied from that build's files (old_csv, old_json), and
    lines that follow each other there are copied in one piece; only the other events are
    encoded, so a build after a few new events makes a few lines, not fifty thousand. The
    bytes are those of to_csv() and to_json()."""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    get = index.get
    old_c, old_j = memoryview(old_csv), memoryview(old_json)
    header = io.StringIO()
    csv.writer(header, lineterminator="\r\n").writerow(names)
    csv_parts = [header.getvalue().encode("utf-8")]
    json_parts = []  # joined by ",\n": a copied run of old lines carries its own separators
    fresh = {}
    c_pos, j_pos = len(csv_parts[0]), 2  # the JSON starts "[\n"; lines are joined by ",\n"
    run = None  # [c_start, c_end, j_start, j_end] in the old files of the lines being copied

    def end_run():
        csv_parts.append(old_c[run[0]:run[1]])
        json_parts.append(old_j[run[2]:run[3]])

    for entry in entries:
        key = entry[2]  # index.KEY
        where = get(key)
        if where is not None:
            c_len, j_len = where[1] - where[0], where[3] - where[2]
            if run is not None and where[0] == run[1] and where[2] == run[3] + 2:
                run[1], run[3] = where[1], where[3]
            else:
                if run is not None:
                    end_run()
                run = list(where)
        else:
            if run is not None:
                end_run()
                run = None
            values = as_tuple(full(entry))
            c = _csv_line(values).encode("utf-8")
            j = dumps(dict(zip(names, values))).encode("utf-8")
            csv_parts.append(c)
            json_parts.append(j)
            c_len, j_len = len(c), len(j)
        fresh[key] = (c_pos, c_pos + c_len, j_pos, j_pos + j_len)
        c_pos += c_len
        j_pos += j_len + 2
    if run is not None:
        end_run()
    csv_bytes = b"".join(csv_parts)
    json_bytes = b"[\n" + b",\n".join(json_parts) + b"\n]\n" if json_parts else b"[]\n"
    return csv_bytes, json_bytes, fresh


def to_csv(events) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(_NAMES)
    writer.writerows([_cell(v) for v in _tuple(ev)] for ev in events)
    return buf.getvalue().encode("utf-8")


def to_json(events) -> bytes:
    # One object per line (the C encoder: indent= would use the slow pure-Python one).
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    lines = [dumps(dict(zip(_NAMES, _tuple(ev)))) for ev in events]
    return ("[\n" + ",\n".join(lines) + "\n]\n" if lines else "[]\n").encode("utf-8")
