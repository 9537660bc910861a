"""Stories and responses: events that report the same real-world action become one story.

    from nlp.stories import cluster_stories
    counts = cluster_stories(db)     # after tagging; tag_documents calls it when anything changed

A story is keyed by how it was found:

1. an **official identifier**: every event of a document that carries one in `documents.extra`
   (a Federal Register document number) and every event whose sentence names one (a Federal
   Register document number, a bill number "H.R. 1234", a court case number "1:24-cr-00123", a
   MOFCOM announcement "Announcement No. 61 of 2025") joins the story of that identifier:
   `fr:2025-00636`, `bill:hr-1234`, `case:1:24-cr-00123`, `mofcom:2025-61`;
2. else **actor, action, target and a date window**: an event joins a story of the same action
   whose actor and target are compatible (the same side: the US Commerce Department, BIS and "the
   United States" are all the US government) and whose dates are within `WINDOW_DAYS` (an
   identifier story too: a press release joins the Federal Register rule it announces). Else it
   starts a story keyed `actor|action|target|first_date`, e.g. `US|entity_listing|CN|2024-12-02`.

Story ids are a hash of the key, and the clustering is a deterministic function of the events
(sorted by date and id), so tagging again gives the same ids. Negated events ("did not add")
belong to no window story.

After a tag run that only added events, cluster_stories decides again only the stories they can
change (nlp/stories_incremental.py says why that gives the same stories as clustering every
event); anything else clusters every event again.

**Responses** between stories are found by nlp/responses.py; the identifiers and response cues
a sentence names are read by nlp/story_cues.py; what is read from the store and how stories are
written is nlp/story_store.py. This module decides which events make one story.

Reads `events`, `documents`, `sources`, `entities`, `mentions`; writes `stories`,
`events.story_id`, `event_links`. No spaCy here.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from .story_cues import STATED_RE, document_identifier, identifiers_in
from .story_store import (STORY_COLUMNS, add_summaries, events_sql, mentions_reader, save_state,
                          write_stories)

WINDOW_DAYS = 10        # a report joins a story whose dates are this close
MAX_SPAN_DAYS = 45      # a window story never grows longer than this

GOVERNMENT_TYPES = {"country", "agency", "official", "jurisdiction", "legislature"}


def story_id(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def _day(s: str | None) -> date | None:
    try:
        return date.fromisoformat(s[:10]) if s else None
    except ValueError:
        return None


@dataclass
class Ev:
    id: str
    document_id: str
    action: str
    actor_id: str | None
    target_id: str | None
    object_id: str | None
    day: date | None
    modality: str | None
    evidence: str
    evidence_start: int
    evidence_len: int
    doc_key: str | None          # the document's own identifier story key
    sent_key: str | None         # an identifier named in the sentence
    official: int                # 0 official document with an identifier, 1 official source, 2 news
    source_country: str | None
    published_at: str | None
    title: str | None
    trigger: str = ""
    actor_side: str = "*"
    target_side: str = "*"


@dataclass(eq=False)  # a story is itself: `in` and `==` by identity (comparing fields cost seconds)
class Cluster:
    key: str
    kind: str                    # identifier | window
    action: str
    actor_side: str
    target_side: str
    first: date | None
    last: date | None
    events: list[Ev] = field(default_factory=list)
    days: list[date] = field(default_factory=list)  # its events' days, sorted (near_day)

    def add(self, ev: Ev) -> None:
        self.events.append(ev)
        if ev.day:
            self.first = min(self.first, ev.day) if self.first else ev.day
            self.last = max(self.last, ev.day) if self.last else ev.day
            bisect.insort(self.days, ev.day)

    def near_day(self, day: date, days: int) -> bool:
        """Whether one of its events is dated at most `days` days from `day`."""
        i = bisect.bisect_left(self.days, day - timedelta(days=days))
        return i < len(self.days) and self.days[i] <= day + timedelta(days=days)


class Sides:
    """Who an entity speaks for: a government entity is its country ("US"), anyone else itself."""

    def __init__(self, db=None, info: dict[str, tuple[str, str | None]] | None = None):
        """From the store's entities, or from {entity id: (type, country)}."""
        self.info = dict(info or {})
        if db is not None:
            self.info.update({r[0]: (r[1], r[2]) for r in
                              db.execute("SELECT id, type, country FROM entities")})

    def side(self, entity_id: str | None) -> str:
        if not entity_id:
            return "*"
        etype, country = self.info.get(entity_id, (None, None))
        if etype in GOVERNMENT_TYPES and country:
            return country.upper()
        return entity_id

    def country(self, entity_id: str | None) -> str | None:
        if not entity_id:
            return None
        c = self.info.get(entity_id, (None, None))[1]
        return c.upper() if c else None


def _compatible_target(a: str, b: str, sides: Sides) -> bool:
    if a == "*" or b == "*" or a == b:
        return True
    # a country and something of that country ("China" and "Huawei") are compatible
    ca = a if len(a) == 2 and a.isupper() else sides.country(a)
    cb = b if len(b) == 2 and b.isupper() else sides.country(b)
    a_country = len(a) == 2 and a.isupper()
    b_country = len(b) == 2 and b.isupper()
    return (a_country or b_country) and ca is not None and ca == cb


# --- reading (the rows of story_store.events_sql) ---------------------------------------------

_NEWS_OWNER_RE = re.compile(r"news|agency|times|post|journal|reuters|press|media|daily|tribune|"
                            r"gdelt|google", re.I)


def _official_rank(doc_key, source_kind, owner) -> int:
    if doc_key:
        return 0
    if owner and not _NEWS_OWNER_RE.search(owner):
        return 1
    return 2


def make_event(row: dict, *, source_id: str = "", extra: str | None = None,
               published_at: str | None = None, title: str | None = None,
               source_country: str | None = None, owner: str | None = None,
               sides: Sides) -> Ev:
    """An Ev from an events row (as the tagger writes it) and its document's fields."""
    r = [row["id"], row["document_id"], row["action"], row.get("actor_id"), row.get("target_id"),
         row.get("object_id"), row.get("event_date"), row.get("modality"), row.get("evidence"),
         row.get("evidence_start"), source_id, extra, published_at, title, source_country,
         None, owner, row.get("trigger")]
    return _ev(r, sides)


def _ev(r, sides: Sides) -> Ev:
    doc_key = document_identifier(r[10], r[11])
    sent_keys = identifiers_in(r[8] or "")
    text = r[8] or ""
    ev = Ev(id=r[0], document_id=r[1], action=r[2], actor_id=r[3], target_id=r[4],
            object_id=r[5], day=_day(r[6]), modality=r[7],
            # kept only where a response may be stated: memory stays small for many events
            evidence=text if STATED_RE.search(text) else "", evidence_len=len(text),
            evidence_start=r[9] or 0, doc_key=doc_key,
            # "suspends Announcement No. 61" is a new action about 61, not part of it
            sent_key=sent_keys[0] if sent_keys and r[2] != "rescission" else None,
            official=_official_rank(doc_key, r[15], r[16]),
            source_country=(r[14] or "").upper() or None, published_at=r[12], title=r[13],
            trigger=r[17] or "")
    ev.actor_side = sides.side(ev.actor_id)
    ev.target_side = sides.side(ev.target_id)
    return ev


def _read_events(db, sides: Sides):
    for r in db.execute(events_sql()):
        yield _ev(r, sides)


# --- clustering ------------------------------------------------------------------------------

def _majority(values, prefer=None):
    vals = [v for v in values if v and v != "*"]
    if not vals:
        return prefer if prefer not in (None, "*") else None
    counts = Counter(vals)
    top = max(counts.values())
    winners = [v for v in vals if counts[v] == top]  # first seen wins a tie
    return prefer if prefer in winners else winners[0]


def _identifier_cluster(key: str, events: list[Ev]) -> Cluster:
    # The story's action: the first asserted event of the official document itself (its
    # abstract's first sentence says what the rule does), else the most frequent action.
    own = sorted((e for e in events if e.doc_key == key and e.modality != "negated"),
                 key=lambda e: (e.document_id, e.evidence_start))
    action = own[0].action if own else _majority([e.action for e in events])
    main = [e for e in events if e.action == action] or events
    c = Cluster(key, "identifier", action, _majority([e.actor_side for e in main]) or "*",
                _majority([e.target_side for e in main]) or "*", None, None)
    for e in events:
        c.add(e)
    return c


def split(events: list[Ev]) -> tuple[dict[str, list[Ev]], list[Ev]]:
    """Events with an official identifier by story key (in their order), and the others."""
    by_ident: dict[str, list[Ev]] = {}
    rest: list[Ev] = []
    for ev in events:
        key = ev.doc_key or ev.sent_key
        if key:
            by_ident.setdefault(key, []).append(ev)
        else:
            rest.append(ev)
    return by_ident, rest


def cluster(events: list[Ev], sides: Sides) -> list[Cluster]:
    """Deterministic clustering of events sorted by (date, id) into stories."""
    by_ident, rest = split(events)
    clusters = [_identifier_cluster(k, evs) for k, evs in sorted(by_ident.items())]
    window = WindowPass(clusters, sides)
    for ev in rest:
        window.place(ev)
    return finish(clusters + window.made)


class WindowPass:
    """The events without an identifier, placed one by one in (date, id) order: each joins the
    best story it can (an identifier story near its date, or an open window story) or starts
    one. What an event joins depends only on the events before it and the identifier stories,
    so a pass can also start half way (nlp/stories_incremental.py)."""

    def __init__(self, identifier_clusters: list[Cluster], sides: Sides):
        self.sides = sides
        self.made: list[Cluster] = []  # window and undated stories, in the order they started
        # identifier stories by (action, day of one of their own events): a report looks up the
        # days within the window instead of scanning every identifier story
        self.ident_by_day: dict[tuple[str, date], list[Cluster]] = {}
        for c in identifier_clusters:
            for day in sorted({e.day for e in c.events if e.day}):
                self.ident_by_day.setdefault((c.action, day), []).append(c)
        self.open_by_action: dict[str, list[Cluster]] = {}

    def start(self, ev: Ev) -> Cluster:
        """A new story for `ev` (an undated event's is its own, keyed by its document)."""
        if ev.day is None:
            c = Cluster(f"{ev.actor_side}|{ev.action}|{ev.target_side}|undated:{ev.document_id}",
                        "window", ev.action, ev.actor_side, ev.target_side, None, None)
        else:
            c = Cluster("", "window", ev.action, ev.actor_side, ev.target_side, None, None)
            self.open_by_action.setdefault(ev.action, []).append(c)
        self.made.append(c)
        return c

    def join(self, c: Cluster, ev: Ev) -> None:
        c.add(ev)
        if c.kind == "window":
            if c.actor_side == "*" and ev.actor_side != "*" and ev.actor_side != c.target_side:
                c.actor_side = ev.actor_side
            if c.target_side == "*" and ev.target_side != "*":
                c.target_side = ev.target_side

    def place(self, ev: Ev) -> None:
        if ev.day is None:
            self.start(ev).add(ev)
            return
        if ev.modality == "negated":
            return
        sides = self.sides
        window = timedelta(days=WINDOW_DAYS)
        best, best_rank = None, None
        near_ident: list[Cluster] = []
        for k in range(-WINDOW_DAYS, WINDOW_DAYS + 1):
            for c in self.ident_by_day.get((ev.action, ev.day + timedelta(days=k)), ()):
                if c not in near_ident:
                    near_ident.append(c)
        for c in near_ident + self.open_by_action.get(ev.action, []):
            first, last = c.first, c.last  # set together, by the cluster's first event
            if first is None or last is None or not (first - window <= ev.day <= last + window):
                continue
            if c.kind == "identifier" and not c.near_day(ev.day, WINDOW_DAYS):
                continue
            if c.kind == "window" and (ev.day - first).days > MAX_SPAN_DAYS:
                continue
            if not (ev.actor_side == "*" or c.actor_side == "*" or ev.actor_side == c.actor_side):
                continue
            if not _compatible_target(ev.target_side, c.target_side, sides):
                continue
            if (ev.target_side != "*" and ev.target_side == c.actor_side) or \
                    (ev.actor_side != "*" and ev.actor_side == c.target_side):
                continue  # a side does not act on itself: "[the U.S.] imposed duties on China"
            exact = (ev.actor_side == c.actor_side) + (ev.target_side == c.target_side)
            gap = 0 if first <= ev.day <= last else \
                min(abs((ev.day - first).days), abs((ev.day - last).days))
            rank = (-exact, gap, c.kind != "identifier", c.key)
            if best_rank is None or rank < best_rank:
                best, best_rank = c, rank
        if best is None:
            best = self.start(ev)
        self.join(best, ev)
        # retire window clusters no later event can join (keeps the scan linear)
        lst = self.open_by_action.get(ev.action, [])
        if len(lst) > 8:
            self.open_by_action[ev.action] = [c for c in lst
                                              if c.last + window >= ev.day]  # type: ignore[operator]  # dated


def finish(clusters: list[Cluster]) -> list[Cluster]:
    """Window stories get their key (sides, action and first day) and every key is made unique,
    in this order: identifier stories by key, then the others in the order they started."""
    for c in clusters:
        if c.kind == "window" and not c.key:
            c.key = window_key(c)
    return _unique_keys(clusters)


def window_key(c: Cluster) -> str:
    return f"{c.actor_side}|{c.action}|{c.target_side}|{c.first.isoformat()}"  # type: ignore[union-attr]


def _unique_keys(clusters: list[Cluster]) -> list[Cluster]:
    seen: Counter = Counter()
    for c in clusters:
        seen[c.key] += 1
        if seen[c.key] > 1:  # two stories of the same side/action/target starting the same day
            c.key = f"{c.key}#{seen[c.key]}"
    return clusters


def story_rows(clusters: list[Cluster], version: str | None) -> tuple[dict, dict[str, str]]:
    """The clusters' story rows by id, and the story id of each of their events."""
    rows = {}
    assign: dict[str, str] = {}
    for c in clusters:
        row = story_row(c, version)
        rows[row["id"]] = row
        for e in c.events:
            assign[e.id] = row["id"]
    return rows, assign


def story_row(c: Cluster, version: str | None) -> dict:
    main = [e for e in c.events if e.action == c.action] or c.events
    # official source first: a document with an identifier, a government source, the actor's
    # own country's source; then the earliest report
    actor_country = c.actor_side if len(c.actor_side) == 2 else None

    def rank(e: Ev):
        pub = _day(e.published_at)
        late = bool(pub and c.last and (pub - c.last).days > WINDOW_DAYS)  # a look back
        return (e.official != 0, e.sent_key != c.key, late,
                0 if e.source_country and e.source_country == actor_country else 1,
                e.official, e.published_at or "9999", e.document_id, e.evidence_start)

    primary = min(main, key=rank)
    return {
        "id": story_id(c.key), "key": c.key, "key_kind": c.kind, "action": c.action,
        "actor_id": _majority([e.actor_id for e in main], prefer=primary.actor_id),
        "target_id": _majority([e.target_id for e in main], prefer=primary.target_id),
        "object_id": _majority([e.object_id for e in main], prefer=primary.object_id),
        "first_date": c.first.isoformat() if c.first else None,
        "last_date": c.last.isoformat() if c.last else None,
        "title": primary.title, "summary": None, "headline": None,  # from the primary evidence
        "primary_document_id": primary.document_id, "primary_event_id": primary.id,
        "event_count": len(c.events), "document_count": len({e.document_id for e in c.events}),
        "pipeline_version": version,
    }


def cluster_stories(db, *, version: str | None = None, incremental: bool = True) -> dict:
    """Cluster the events into stories and find the response links; write only changes.

    When only new events were tagged since the last clustering (story_clustering), only the
    stories they can change are decided again (nlp/stories_incremental.py), with the same result
    as clustering every event; else (or with incremental=False) every event is clustered again.
    Returns counts: stories, stories_changed (written or removed), events_moved, links,
    links_stated, events_placed (the events the clustering placed again).
    """
    sides = Sides(db)
    if incremental:
        from .stories_incremental import recluster

        counts = recluster(db, sides, version)
        if counts is not None:
            return counts
    events = list(_read_events(db, sides))
    clusters = cluster(events, sides)
    rows, assign = story_rows(clusters, version)

    from .responses import find_responses  # responses read the clusters made here

    links = find_responses(clusters, rows, sides, mentions_reader(db))
    add_summaries(db, rows)
    existing = {r[0]: r for r in db.execute(f"SELECT {', '.join(STORY_COLUMNS)} FROM stories")}
    current = {r[0]: r[1] for r in db.execute("SELECT id, story_id FROM events")}
    changed_rows = [row for sid, row in rows.items()
                    if existing.get(sid) != tuple(row[c] for c in STORY_COLUMNS)]
    gone = [sid for sid in existing if sid not in rows]
    moved = [(sid, eid) for eid, sid in assign.items() if current.get(eid) != sid]
    unassigned = [eid for eid, sid in current.items() if sid and eid not in assign]
    with db.atomic():  # one transaction (db.execute alone commits each statement)
        db.execute("DELETE FROM event_links WHERE kind = 'response'")
        write_stories(db, changed_rows, moved, unassigned, gone)
        if links:
            db["event_links"].insert_all(links)
        save_state(db, sides, version)
    return {"stories": len(rows), "stories_changed": len(changed_rows) + len(gone),
            "events_moved": len(moved), "links": len(links),
            "links_stated": sum(1 for x in links if x["basis"] == "stated"),
            "events_placed": len(events)}

