"""events.csv and events.json: the timeline as data, with the columns documented on the site."""

from __future__ import annotations

import csv
import io
import json

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


def rows(events):
    for ev in events:
        doc = ev["document"] or {}
        src = doc.get("source") or {}
        name = lambda e: (e or {}).get("name")  # noqa: E731
        ident = lambda e: (e or {}).get("id")  # noqa: E731
        yield {"id": ev["id"], "event_date": ev["event_date"], "published": ev["published"],
               "action": ev["action"], "actor_id": ident(ev["actor"]), "actor": name(ev["actor"]),
               "target_id": ident(ev["target"]), "target": name(ev["target"]),
               "object_id": ident(ev["object"]), "object": name(ev["object"]),
               "modality": ev["modality"], "status": ev["status"], "confidence": ev["confidence"],
               "evidence": ev["evidence"], "document_id": doc.get("id"),
               "document_title": doc.get("title"), "document_url": doc.get("raw_url"),
               "source_id": src.get("id")}


def _cell(value):
    # Spreadsheets run cells starting with = + - @ as formulas: crawled text must not.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def to_csv(events) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([c for c, _ in COLUMNS])
    for row in rows(events):
        writer.writerow([_cell(row[c]) for c, _ in COLUMNS])
    return buf.getvalue().encode("utf-8")


def to_json(events) -> bytes:
    return json.dumps(list(rows(events)), ensure_ascii=False, indent=1).encode("utf-8")
