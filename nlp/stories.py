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

**Responses** between stories are found by nlp/responses.py.

Reads `events`, `documents`, `sources`, `entities`, `mentions`; writes `stories`,
`events.story_id`, `event_links`. No spaCy here.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from .headlines import headline

WINDOW_DAYS = 10        # a report joins a story whose dates are this close
MAX_SPAN_DAYS = 45      # a window story never grows longer than this
RESPONSE_DAYS = 30      # an inferred response follows what it answers within this many days
STATED_LOOKBACK_DAYS = 400

GOVERNMENT_TYPES = {"country", "agency", "official", "jurisdiction", "legislature"}
# Measures one government takes against the other; inferred responses link only these.
MEASURES = {"export_control", "entity_listing", "license_action", "investment_restriction",
            "tariff", "sanction", "investigation", "access_restriction", "compute_control",
            "criminal_charge"}
# Measures that answer each other across kinds (a chip rule answered by a minerals ban).
TECH_CONTROLS = {"export_control", "entity_listing", "license_action", "sanction"}

_FR_RE = re.compile(r"\b(?:FR\s+Doc\.?|Federal\s+Register\s+(?:document|doc\.?)(?:\s+(?:No\.?|number))?)"
                    r"\s*(\d{4}-\d{5})\b", re.I)
_MOFCOM_RE = re.compile(r"\bAnnouncement\s+No\.?\s*(\d{1,3})\s+of\s+(\d{4})\b|"
                        r"\bAnnouncement\s*[\[〔(](\d{4})[\]〕)]\s*No\.?\s*(\d{1,3})\b", re.I)
_BILL_RE = re.compile(r"(?<![\w.])(H\.\s?R\.|S\.|H\.\s?Res\.|S\.\s?Res\.|H\.\s?J\.\s?Res\.)\s?"
                      r"(\d{1,5})\b")
_CASE_RE = re.compile(r"\b(\d{1,2}:\d{2}-(?:cr|cv|mj|mc|po)-\d{3,6})\b", re.I)
_FR_NUMBER_RE = re.compile(r"^\d{4}-\d{5}$")

STATED_RE = re.compile(
    r"\b(?:in\s+(?:response|retaliation|reaction)\s+to|in\s+response\s+against|"
    r"(?:as\s+a\s+)?(?:response|retaliation|reprisal)\s+(?:to|for|against)|"
    r"counter-?measures?\s+(?:against|to|over)|retaliat\w*\s+(?:for|against)|"
    r"(?:respond|responds|responded|responding)\s+to)\b", re.I)


# What a stated response answers is an act ("in response to the U.S. decision"), not a party
# ("countermeasures against U.S. companies" says what the measure hits, not what it answers).
ACT_NOUNS = {"decision", "decisions", "move", "moves", "rule", "rules", "measure", "measures",
             "sanction", "sanctions", "listing", "listings", "addition", "additions", "inclusion",
             "designation", "designations", "control", "controls", "restriction", "restrictions",
             "tariff", "tariffs", "duty", "duties", "sale", "sales", "assistance", "action",
             "actions", "ban", "bans", "investigation", "probe", "crackdown", "curbs", "policy",
             "policies", "order", "orders", "suppression", "announcement", "step", "steps",
             "blacklisting", "increase", "hike", "hikes", "levies", "charges", "indictment",
             "accusations", "provocation", "provocations", "interference"}


def stated_cue(sentence: str) -> re.Match | None:
    """The "in response to <an act>" cue of a sentence, or None."""
    for m in STATED_RE.finditer(sentence):
        words = re.findall(r"[A-Za-z][\w'’.-]*", sentence[m.end():])[:8]
        if any(w.lower().strip(".") in ACT_NOUNS for w in words):
            return m
    return None


def story_id(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def identifiers_in(text: str) -> list[str]:
    """Official identifiers named in a sentence, as story keys, in order of appearance."""
    found: list[tuple[int, str]] = []
    for m in _FR_RE.finditer(text):
        found.append((m.start(), f"fr:{m.group(1)}"))
    for m in _MOFCOM_RE.finditer(text):
        if m.group(1):
            found.append((m.start(), f"mofcom:{m.group(2)}-{int(m.group(1))}"))
        else:
            found.append((m.start(), f"mofcom:{m.group(3)}-{int(m.group(4))}"))
    for m in _BILL_RE.finditer(text):
        prefix = re.sub(r"[\s.]", "", m.group(1)).lower()
        found.append((m.start(), f"bill:{prefix}-{int(m.group(2))}"))
    for m in _CASE_RE.finditer(text):
        found.append((m.start(), f"case:{m.group(1).lower()}"))
    return [k for _, k in sorted(found)]


def document_identifier(source_id: str, extra: str | None) -> str | None:
    """The story key of a document's own identifier (documents.extra "identifier")."""
    if not extra:
        return None
    try:
        ident = (json.loads(extra) or {}).get("identifier")
    except (ValueError, AttributeError):
        return None
    if not ident:
        return None
    ident = str(ident).strip()
    if _FR_NUMBER_RE.match(ident):
        return f"fr:{ident}"
    return f"{source_id}:{ident}"


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


# --- reading ---------------------------------------------------------------------------------

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


# --- writing ---------------------------------------------------------------------------------

STORY_COLUMNS = ["id", "key", "key_kind", "action", "actor_id", "target_id", "object_id",
                 "first_date", "last_date", "headline", "title", "summary", "primary_document_id",
                 "primary_event_id", "event_count", "document_count"]


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
