"""Reads the store into plain dicts the templates can use. Read-only; no rendering here.

Every object that gets a page carries `href` (relative to the site root) only when its id is a
valid file name, so templates link exactly to the pages that exist.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from .safe import http_url, slug, valid_id

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# Characters XML 1.0 forbids (and no page needs): one stray NUL would make every feed invalid.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def _text(value) -> str | None:
    return _BAD_CHARS.sub("", value) if isinstance(value, str) else value


def _date(value) -> str | None:
    """YYYY-MM-DD from an ISO date or timestamp, else None (bad dates sort as unknown)."""
    if isinstance(value, str) and _DATE.match(value):
        return value[:10]
    return None


def action_label(code: str) -> str:
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
    actions: list[str] = field(default_factory=list)  # codes with a valid slug, sorted
    countries: list[str] = field(default_factory=list)  # country slugs seen on events, sorted
    skipped: int = 0  # rows whose id cannot be a file name


def digest(*parts) -> bytes:
    """A short stable fingerprint of plain values (str, int, float, None, bytes, tuples)."""
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _page(kind: str, ident) -> str | None:
    return f"{kind}/{ident}.html" if valid_id(ident) else None


def load(db) -> SiteData:
    data = SiteData()
    conn = db.conn
    for sid, name, owner, country, kind, url in conn.execute(
            "SELECT id, name, owner, country, kind, url FROM sources ORDER BY id"):
        data.sources[sid] = {"id": sid, "name": _text(name) or _text(sid), "owner": _text(owner),
                             "country": _text(country), "kind": _text(kind), "url": http_url(url), "href": _page("sources", sid)}
        src = data.sources[sid]
        src["key"] = digest(*(src[k] for k in ("id", "name", "owner", "country", "kind", "url", "href")))
    for eid, name, etype, country, aliases in conn.execute(
            "SELECT id, name, type, country, aliases FROM entities ORDER BY id"):
        ok = valid_id(eid)
        data.skipped += not ok
        data.entities[eid] = {"id": eid, "name": _text(name) or _text(eid), "type": _text(etype),
                              "country": _text(country), "country_slug": slug(country),
                              "aliases": [_text(a) for a in _aliases(aliases) if a != name],
                              "href": _page("entities", eid), "events": []}
        e = data.entities[eid]
        e["key"] = digest(eid, e["name"], e["type"], e["country"], tuple(e["aliases"]), e["href"])
    for did, source_id, url, title, published in conn.execute(
            "SELECT id, source_id, url, title, published_at FROM documents ORDER BY id"):
        ok = valid_id(did)
        data.skipped += not ok
        data.documents[did] = {"id": did, "source": data.sources.get(source_id),
                               "url": http_url(url), "raw_url": _text(url),
                               "title": _text(title) or "(untitled)",
                               "published": _date(published), "href": _page("documents", did),
                               "events": []}
        d = data.documents[did]
        src = d["source"]
        d["key"] = digest(did, d["url"], d["raw_url"], d["title"], d["published"], d["href"],
                          src["key"] if src else None)
    ent = data.entities.get
    for row in conn.execute(
            "SELECT id, document_id, action, actor_id, target_id, object_id, event_date, modality,"
            " status, evidence, confidence FROM events"):
        (evid, doc_id, action, actor, target, obj, event_date, modality, status, evidence,
         confidence) = row
        if not valid_id(evid):
            data.skipped += 1  # an event is its page: without a usable id it is left out
            continue
        doc = data.documents.get(doc_id)
        event_date = _date(event_date)
        published = doc["published"] if doc else None
        date = event_date or published or ""
        action = _text(action)
        ev = {"id": evid, "action": action, "action_slug": slug(action),
              "action_label": action_label(action),
              "actor": ent(actor), "target": ent(target), "object": ent(obj),
              "event_date": event_date, "published": published, "date": date,
              "month": date[:7], "modality": _text(modality), "status": _text(status),
              "evidence": _text(evidence) or "", "confidence": confidence, "document": doc,
              "href": _page("events", evid)}
        # An event belongs to the countries of its actor and target (a US rule against a Chinese
        # firm shows under both): that is what "every Chinese countermeasure" filters on.
        ev["countries"] = sorted({e["country_slug"] for e in (ev["actor"], ev["target"])
                                  if e and e["country_slug"]})
        key = lambda e: e["key"] if e else None  # noqa: E731
        ev["key"] = digest(evid, action, event_date, published, ev["modality"], ev["status"],
                           ev["evidence"], confidence, key(ev["actor"]), key(ev["target"]),
                           key(ev["object"]), doc["key"] if doc else None)
        data.events.append(ev)
    # Newest first; id breaks ties so the order (and the output bytes) never depend on the row order.
    data.events.sort(key=lambda e: e["id"])
    data.events.sort(key=lambda e: e["date"], reverse=True)
    data.actions = sorted({e["action"] for e in data.events if e["action_slug"]})
    data.countries = sorted({c for e in data.events for c in e["countries"]})
    for ev in data.events:
        if ev["document"]:
            ev["document"]["events"].append(ev)
        seen = set()
        for role in ("actor", "target", "object"):
            e = ev[role]
            if e and e["id"] not in seen:
                seen.add(e["id"])
                e["events"].append(ev)
    return data
