"""events.csv and events.json: the timeline as data, with the columns documented on the site."""

from __future__ import annotations

import csv
import io
import json

from rivalry.reading import spreadsheet_safe

COLUMNS = [
    ("id", "Event id; the page is events/<id>.html"),
    ("event_date", "When it happened (YYYY-MM-DD), empty if unknown"),
    ("published", "When the source document was published (YYYY-MM-DD)"),
    ("action", "Action type code (see the methodology page)"),
    ("actor_id", "Entity id of who acted"), ("actor", "Name of who acted"),
    ("target_id", "Entity id of whom it was aimed at"), ("target", "Name of the target"),
    ("object_id", "Entity id of the thing concerned (chip, model, rule)"), ("object", "Its name"),
    ("modality", "asserted, negated, future, proposed, alleged, charged, convicted"),
    ("status", "announced, proposed, final, effective, suspended, rescinded"),
    ("confidence", "Tagger confidence, 0 to 1"),
    ("evidence", "The sentence the event was read from"),
    ("document_id", "Document id; the page is documents/<id>.html"),
    ("document_title", "Title of the source document"),
    ("document_url", "Address of the source document"),
    ("source_id", "Which configured source it came from"),
]


SNAPSHOT = "downloads/rivalry.db"
SNAPSHOT_TABLES = [
    ("sources", "Configured sources: id, name, owner, country, kind, language, url"),
    ("documents", "Crawled documents: id, source_id, url, canonical_url, title, published_at, "
                  "fetched_at, language, text, content_hash, status; full-text index documents_fts"),
    ("document_versions", "Earlier versions of documents whose content changed"),
    ("entities", "Gazetteer entities: id, name, type, country, aliases (JSON list)"),
    ("mentions", "Where each entity is named: document_id, entity_id, start, end, surface, sentence"),
    ("events", "The events of the timeline: the columns of events.csv above, plus evidence "
               "offsets, trigger and pipeline_version"),
    ("taggings", "Which pipeline version tagged each document, or why it was skipped"),
    ("runs", "One row per crawl, tag or build run, with counts and errors (JSON)"),
]


_NAMES = [c for c, _ in COLUMNS]


def _tuple(ev):
    doc = ev["document"]
    src = doc["source"] if doc else None
    a, t, o = ev["actor"], ev["target"], ev["object"]
    return (ev["id"], ev["event_date"], ev["published"], ev["action"],
            a and a["id"], a and a["name"], t and t["id"], t and t["name"],
            o and o["id"], o and o["name"], ev["modality"], ev["status"], ev["confidence"],
            ev["evidence"], doc and doc["id"], doc and doc["title"], doc and doc["raw_url"],
            src and src["id"])


def rows(events):
    for ev in events:
        yield dict(zip(_NAMES, _tuple(ev)))


def _cell(value):
    # Spreadsheets run cells starting with = + - @ as formulas: crawled text must not.
    return "" if value is None else spreadsheet_safe(value)


def _csv_line(ev) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow([_cell(v) for v in _tuple(ev)])
    return buf.getvalue()


def render(entries, full, index: dict, old_csv: bytes = b"", old_json: bytes = b"") -> tuple[bytes, bytes, dict]:
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
    csv.writer(header, lineterminator="\r\n").writerow(_NAMES)
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
            ev = full(entry)
            c = _csv_line(ev).encode("utf-8")
            j = dumps(dict(zip(_NAMES, _tuple(ev)))).encode("utf-8")
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
