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
    if value.__class__ is str and value.isascii() and value.isprintable():
        return value  # the common case, decided without the regex: nothing to remove
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
    # What timelines list, newest first: stories (one per real-world action, however many
    # reports) when the tagger has clustered them, and any event in no story on its own.
    entries: list[dict] = field(default_factory=list)
    stories: dict[str, dict] = field(default_factory=dict)
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
    has_stories = _has_stories(conn)
    story_of = {}
    slugs: dict = {}  # action code -> slug, made once per code
    for row in conn.execute(
            "SELECT id, document_id, action, actor_id, target_id, object_id, event_date, modality,"
            " status, evidence, confidence, " + ("story_id" if has_stories else "NULL") + " FROM events"):
        (evid, doc_id, action, actor, target, obj, event_date, modality, status, evidence,
         confidence, story_id) = row
        if story_id is not None:
            story_of[evid] = story_id
        if not valid_id(evid):
            data.skipped += 1  # an event is its page: without a usable id it is left out
            continue
        href = f"events/{evid}.html"
        doc = data.documents.get(doc_id)
        event_date = _date(event_date)
        published = doc["published"] if doc else None
        date = event_date or published or ""
        action = _text(action)
        action_slug = slugs.get(action, slugs)
        if action_slug is slugs:
            action_slug = slugs[action] = slug(action)
        ev = {"id": evid, "action": action, "action_slug": action_slug,
              "action_label": action_label(action),
              "actor": ent(actor), "target": ent(target), "object": ent(obj),
              "event_date": event_date, "published": published, "date": date,
              "month": date[:7], "modality": _text(modality), "status": _text(status),
              "evidence": _text(evidence) or "", "confidence": confidence, "document": doc,
              "href": href}
        # An event belongs to the countries of its actor and target (a US rule against a Chinese
        # firm shows under both): that is what "every Chinese countermeasure" filters on.
        ev["countries"] = sorted({e["country_slug"] for e in (ev["actor"], ev["target"])
                                  if e and e["country_slug"]})
        a, t, o = ev["actor"], ev["target"], ev["object"]
        ev["key"] = digest(evid, action, event_date, published, ev["modality"], ev["status"],
                           ev["evidence"], confidence, a and a["key"], t and t["key"],
                           o and o["key"], doc["key"] if doc else None)
        data.events.append(ev)
    # Newest first; id breaks ties so the order (and the output bytes) never depend on the row order.
    data.events.sort(key=lambda e: e["id"])
    data.events.sort(key=lambda e: e["date"], reverse=True)
    data.actions = sorted({e["action"] for e in data.events if e["action_slug"]})
    data.countries = sorted({c for e in data.events for c in e["countries"]})
    for ev in data.events:
        ev["entry_id"] = f"event:{ev['id']}"
        if ev["document"]:
            ev["document"]["events"].append(ev)
        seen = set()
        for role in ("actor", "target", "object"):
            e = ev[role]
            if e and e["id"] not in seen:
                seen.add(e["id"])
                e["events"].append(ev)
    if has_stories:
        _load_stories(conn, data, story_of)
    else:
        data.entries = data.events
    for e in data.entities.values():
        e["entries"] = e["events"] if data.entries is data.events else []
    if data.entries is not data.events:
        for entry in data.entries:
            seen = set()
            for role in ("actor", "target", "object"):
                e = entry[role]
                if e and e["id"] not in seen:
                    seen.add(e["id"])
                    e["entries"].append(entry)
    return data


def _has_stories(conn) -> bool:
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "stories" not in tables:
        return False
    return any(r[1] == "story_id" for r in conn.execute("PRAGMA table_info(events)"))


MAX_QUOTES = 8  # evidence quotes on a story page (the sources list them all)
RELATED = 5


def _load_stories(conn, data: SiteData, story_of: dict) -> None:
    """Stories with their events and documents (primary source first), responses both ways,
    and related stories (the same actor and target, nearest in time)."""
    events = {ev["id"]: ev for ev in data.events}
    ent = data.entities.get
    for row in conn.execute(
            "SELECT id, action, actor_id, target_id, object_id, first_date, last_date, title,"
            " summary, primary_document_id, primary_event_id, event_count, document_count,"
            " key_kind FROM stories"):
        (sid, action, actor, target, obj, first, last, title, summary, primary_doc, primary_ev,
         n_events, n_docs, key_kind) = row
        if not valid_id(sid):
            data.skipped += 1
            continue
        action = _text(action)
        first, last = _date(first), _date(last)
        data.stories[sid] = {
            "id": sid, "kind": "story", "action": action, "action_slug": slug(action),
            "action_label": action_label(action), "actor": ent(actor), "target": ent(target),
            "object": ent(obj), "first_date": first, "last_date": last,
            "title": _text(title), "summary": _text(summary) or "",
            "primary_document": data.documents.get(primary_doc), "primary_event": events.get(primary_ev),
            "key_kind": _text(key_kind), "href": f"stories/{sid}.html", "entry_id": f"story:{sid}",
            "events": [], "responses": [], "answers": [], "related": []}
    loose = []
    for ev in data.events:  # newest first
        story = data.stories.get(story_of.get(ev["id"]))
        if story is None:
            loose.append(ev)
        else:
            story["events"].append(ev)
            ev["story"] = story
    for st in data.stories.values():
        evs = st["events"]
        primary = st["primary_event"] if st["primary_event"] in evs else (evs[-1] if evs else None)
        st["primary_event"] = primary
        pdoc = st["primary_document"] or (primary["document"] if primary else None)
        docs, seen = [], set()
        for d in ([pdoc] if pdoc else []) + sorted(
                (e["document"] for e in evs if e["document"]),
                key=lambda d: (d["published"] or "9999", d["id"])):
            if d["id"] not in seen:
                seen.add(d["id"])
                docs.append(d)
        st["documents"] = docs
        st["date"] = st["first_date"] or (primary["date"] if primary else "") or ""
        st["month"] = st["date"][:7]
        st["event_date"] = st["first_date"]
        st["published"] = pdoc["published"] if pdoc else None
        st["modality"] = primary["modality"] if primary else None
        st["status"] = primary["status"] if primary else None
        st["evidence"] = st["summary"] or (primary["evidence"] if primary else "")
        st["sources_label"] = f"{len(docs)} source{'s' if len(docs) != 1 else ''}"
        st["countries"] = sorted({e["country_slug"] for e in (st["actor"], st["target"])
                                  if e and e["country_slug"]})
        st["document"] = pdoc
    for row in conn.execute("SELECT from_story, to_story, basis, evidence FROM event_links"
                            " WHERE kind = 'response' ORDER BY from_story, to_story"):
        answer, answered = data.stories.get(row[0]), data.stories.get(row[1])
        if answer and answered and answer is not answered:
            basis = "stated" if row[2] == "stated" else "inferred"
            answered["responses"].append((answer, basis, _text(row[3])))
            answer["answers"].append((answered, basis, _text(row[3])))
    stories = [s for s in data.stories.values() if s["events"]]
    stories.sort(key=lambda s: s["id"])
    stories.sort(key=lambda s: s["date"], reverse=True)
    pairs: dict = {}
    for st in stories:
        pairs.setdefault((st["actor"] and st["actor"]["id"], st["target"] and st["target"]["id"]),
                         []).append(st)
    for group in pairs.values():
        for i, st in enumerate(group):
            near = sorted((abs(j - i), group[j]["id"], j)
                          for j in range(max(0, i - RELATED), min(len(group), i + RELATED + 1))
                          if j != i)
            st["related"] = [group[j] for _, _, j in near[:RELATED]]
    for st in stories:
        k = lambda e: e["key"] if e else None  # noqa: E731
        st["key"] = digest(st["id"], st["action"], st["first_date"], st["last_date"], st["title"],
                           st["summary"], k(st["actor"]), k(st["target"]), k(st["object"]),
                           b"".join(e["key"] for e in st["events"]),
                           b"".join(d["key"] for d in st["documents"]))
        # The page also shows its neighbours' and responses' headlines.
        st["page_key"] = digest(st["key"], tuple(
            (o["id"], o["action"], o["date"], k(o["actor"]), k(o["target"]), basis, ev)
            for o, basis, ev in st["responses"] + st["answers"]),
            tuple((o["id"], o["action"], o["date"], k(o["actor"]), k(o["target"]))
                  for o in st["related"]))
    if not stories and len(loose) == len(data.events):
        data.entries = data.events  # no story in use: the entries are the events, in their order
        return
    entries = stories + loose
    entries.sort(key=lambda e: e["id"])
    entries.sort(key=lambda e: e["date"], reverse=True)
    data.entries = entries
