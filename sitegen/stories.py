"""Stories as the site shows them: one place for what a story's dict, entry and page key are,
used by the build from scratch (data.fill: every story) and by the incremental build
(derive_again: only the stories a change can touch).

Why the incremental build needs this module: profiled (cProfile) after +100 recent documents
on a 5,000-document / 12,500-event store with 11,900 stories, the build spent 1.84 s in load,
of which making every event's and story's dict (data.fill) 1.32 s and the index made from them
0.19 s, then planned all 19,000 pages (0.44 s); at 50,000 events fill alone took 2.3-2.8 s of
a 4.8 s nightly. Yet a story's page key depends only on

    its own row, its reports' and documents' keys      -> its key (story_dict)
    the *face* of every story it answers or that answers it, and of its related stories
    (the nearest in time in its actor-target pair)     -> its page key (page_key)

where a face is what a story's link shows of another (its headline, date, action and parties).
So a build saves each story's entry, face, page key and sources label (saved_state, written by
the downloads child beside the rows), and the next build derives again only the stories whose
row, reports, documents or primary document changed; re-keys the stories linked to them (both
ways), the stories of changed links, and every story of an actor-target pair in which a story's
face, date or presence changed; and plans only the story pages whose page key changed and the
pages of their reports. Anything it cannot vouch for (no saved state, one from another build,
more than REDERIVE_LIMIT of the stories to derive again) returns None: the build then fills
everything, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import data as sitedata
from .index import ACTOR, DATE, ID, KEY, TARGET, Entry, entry_of_dict, entry_of_row
from .rows import EventRow, LinkRow, StoryRow
from .safe import iso_day, slug, valid_id, xml_text
from .terms import plural

RELATED = 5  # related stories on a story page
# More stories to derive again than this share (and than REDERIVE_MIN): fill everything, as
# quick then, and what a re-clustering of the whole store looks like.
REDERIVE_LIMIT, REDERIVE_MIN = 0.05, 20
SAVED_TAG = "stories-v1"


# --- one story ----------------------------------------------------------------------------------

def story_dict(row: StoryRow, evs: list[dict], documents: dict, entities: dict) -> dict:
    """A story as the templates see it, from its row and its reports' dicts (newest first),
    with its key (a fingerprint of all of it); not yet its links (responses, answers, related)
    nor its page key. Each report's dict gets the story as its `story`."""
    (sid, action, actor, target, obj, first, last, title, summary, primary_doc, primary_ev,
     _, _, key_kind, headline, story_key) = row  # event_count, document_count: counted here
    text, date = xml_text, iso_day
    ent: Callable[[str | None], dict | None] = entities.get
    code = text(action)
    first, last = date(first), date(last)
    primary = next((ev for ev in evs if ev["id"] == primary_ev), evs[-1] if evs else None)
    pdoc = documents.get(primary_doc or "") or (primary["document"] if primary else None)
    docs, seen = [], set()
    for d in ([pdoc] if pdoc else []) + sorted(
            (e["document"] for e in evs if e["document"]),
            key=lambda d: (d["published"] or "9999", d["id"])):
        if d["id"] not in seen:
            seen.add(d["id"])
            docs.append(d)
    actor_d, target_d, object_d = ent(actor), ent(target), ent(obj)
    label = sitedata.action_label(code)
    st: dict = {
        "id": sid, "kind": "story", "action": code, "action_slug": slug(code),
        "action_label": label, "actor": actor_d, "target": target_d, "object": object_d,
        "first_date": first, "last_date": last, "title": text(title),
        "summary": text(summary) or "",
        "headline": (text(headline) or text(title) or ""
                     or (primary["headline"] if primary else label)),
        "primary_document": documents.get(primary_doc or ""), "primary_event": primary,
        "key_kind": text(key_kind), "story_key": text(story_key),
        "href": f"stories/{sid}.html", "entry_id": f"story:{sid}",
        "events": evs, "responses": [], "answers": [], "related": [],
        "documents": docs, "date": first or (primary["date"] if primary else "") or "",
        "event_date": first,
        "precision": (primary["precision"] if primary and first == primary["event_date"]
                      else "day"),
        "published": pdoc["published"] if pdoc else None,
        "modality": primary["modality"] if primary else None,
        "status": primary["status"] if primary else None,
        "evidence": text(summary) or (primary["evidence"] if primary else ""),
        "sources_label": plural(len(docs), "source"),
        "countries": sorted({e["country_slug"] for e in (actor_d, target_d)
                             if e and e["country_slug"]}),
        "document": pdoc}
    st["month"] = st["date"][:7]
    k = _key_of
    st["key"] = sitedata.digest(
        sid, st["story_key"], st["key_kind"], st["precision"], code, first, last, st["title"],
        st["summary"], st["headline"], k(actor_d), k(target_d), k(object_d),
        b"".join(e["key"] for e in evs), b"".join(d["key"] for d in docs))
    for ev in evs:
        ev["story"] = st
    return st


def _key_of(entity: dict | None):
    return entity["key"] if entity else None


def face(st: dict) -> tuple:
    """What a link to this story shows of it (story.html's story_link), and its parties'."""
    return (st["id"], st["action"], st["date"], st["headline"], _key_of(st["actor"]),
            _key_of(st["target"]), st["precision"], st["event_date"])


def page_key(key: bytes, responses, answers, related) -> bytes:
    """A story page's key: its story's key and the faces of the stories it links to
    (responses and answers: (face, basis, evidence); related: faces)."""
    return sitedata.digest(key, tuple((*f, basis, why) for f, basis, why in [*responses, *answers]),
                           tuple(related))


def pair(entry) -> tuple:
    """The actor-target pair whose stories are each other's related stories."""
    return entry[ACTOR], entry[TARGET]


# --- links between stories ------------------------------------------------------------------------

def links_of(link_rows: Iterable[LinkRow], known) -> tuple[dict, dict]:
    """(story id -> [(answering story id, basis, evidence)], story id -> [(answered story id,
    basis, evidence)]) for the links between two different known stories, in link order."""
    responses: dict[str, list] = {}
    answers: dict[str, list] = {}
    for link in link_rows:
        answer, answered = link.from_story, link.to_story
        if answer in known and answered in known and answer != answered:
            basis = "stated" if link.basis == "stated" else "inferred"
            why = xml_text(link.evidence)
            responses.setdefault(answered, []).append((answer, basis, why))
            answers.setdefault(answer, []).append((answered, basis, why))
    return responses, answers


def related_in(group: list[str]) -> dict[str, list[str]]:
    """Story id -> its related stories' ids, for one pair's stories (newest first): the
    RELATED nearest in that order (ties: the smaller id)."""
    out = {}
    for i, sid in enumerate(group):
        near = sorted((abs(j - i), group[j], j)
                      for j in range(max(0, i - RELATED), min(len(group), i + RELATED + 1))
                      if j != i)
        out[sid] = [group[j] for _, _, j in near[:RELATED]]
    return out


def groups_of(entries: Iterable, pairs=None) -> dict[tuple, list[str]]:
    """Pair -> its stories' ids, newest first (entries: story Entry tuples, newest first);
    only the pairs named, when pairs is given."""
    groups: dict[tuple, list[str]] = {}
    for e in entries:
        p = pair(e)
        if pairs is None or p in pairs:
            groups.setdefault(p, []).append(e[ID])
    return groups


# --- every story (the build from scratch) -----------------------------------------------------------

def fill_all(data, story_of: dict) -> None:
    """Every story of `data` (data.fill: its event dicts exist, newest first) with its links
    and page key, and data.entries (stories and the events in no story, newest first)."""
    members: dict[str, list] = {}
    known = {}
    for row in data.story_rows or ():
        if valid_id(row.id):
            known[row.id] = row
            members[row.id] = []
        else:
            data.skipped += 1
    loose = []
    for ev in data.events:  # newest first
        evs = members.get(story_of.get(ev["id"]) or "")
        if evs is None:
            loose.append(ev)
        else:
            evs.append(ev)
    for sid, row in known.items():
        data.stories[sid] = story_dict(row, members[sid], data.documents, data.entities)
    responses, answers = links_of(data.link_rows, data.stories)
    stories = [s for s in data.stories.values() if s["events"]]
    sitedata.sort_newest_first(stories, "date", "id")
    groups: dict[tuple, list[str]] = {}
    for st in stories:
        groups.setdefault(((st["actor"] or {}).get("id"), (st["target"] or {}).get("id")),
                          []).append(st["id"])
    related = {sid: near for group in groups.values() for sid, near in related_in(group).items()}
    faces = {sid: face(st) for sid, st in data.stories.items()}
    by_id = data.stories
    for sid, st in by_id.items():
        st["responses"] = [(by_id[o], basis, why) for o, basis, why in responses.get(sid, ())]
        st["answers"] = [(by_id[o], basis, why) for o, basis, why in answers.get(sid, ())]
        st["related"] = [by_id[o] for o in related.get(sid, ())]
    for st in stories:
        sid = st["id"]
        st["page_key"] = page_key(
            st["key"], [(faces[o], b, w) for o, b, w in responses.get(sid, ())],
            [(faces[o], b, w) for o, b, w in answers.get(sid, ())],
            [faces[o] for o in related.get(sid, ())])
    if not stories and len(loose) == len(data.events):
        data.entries = data.events  # no story in use: the entries are the events, in their order
        return
    entries = stories + loose
    sitedata.sort_newest_first(entries, "date", "id")
    data.entries = entries


# --- what a build saves of its stories, and what the next one derives again ---------------------

@dataclass
class Derived:
    """What the plan needs of one story, saved for the next build: its entry (None: a story
    with no report, which has no page), face, page key (None without an entry) and sources
    label (its reports' pages show it)."""
    entry: Entry | None
    face: tuple
    page_key: bytes | None
    sources_label: str


def saved_state(token: str, seq: int, story_rows, link_rows, derived: dict[str, Derived]) -> tuple:
    """The stories' part of the saved state (state.save_stories), plain values for marshal."""
    return (SAVED_TAG, token, seq, [tuple(r) for r in story_rows], [tuple(r) for r in link_rows],
            {sid: (d.entry and tuple(d.entry), d.face, d.page_key, d.sources_label)
             for sid, d in sorted(derived.items())})  # sorted: the file's bytes are the stories'



def derived_of_dicts(stories: dict[str, dict], entry_of: Callable[[dict], Entry] = entry_of_dict
                     ) -> dict[str, Derived]:
    """Derived for every story of a filled SiteData (data.fill)."""
    return {sid: Derived(entry_of(st) if st["events"] else None, face(st),
                         st.get("page_key") if st["events"] else None, st["sources_label"])
            for sid, st in stories.items()}


@dataclass
class Saved:
    """A saved state read back (state.previous_stories)."""
    token: str
    seq: int
    rows: dict[str, StoryRow]  # valid story ids only
    links: list[LinkRow]
    derived: dict[str, Derived]


def read_saved(value) -> Saved | None:
    """Saved from saved_state's value, or None when it is not one."""
    try:
        tag, token, seq, rows, links, derived = value
        if tag != SAVED_TAG:
            return None
        story_rows = {r[0]: StoryRow._make(r) for r in rows if valid_id(r[0])}
        link_rows = [LinkRow._make(r) for r in links]
        made = {sid: Derived(e and tuple.__new__(Entry, e), f, k, label)
                for sid, (e, f, k, label) in derived.items()}
    except (TypeError, ValueError):
        return None
    return Saved(token, seq, story_rows, link_rows, made)


@dataclass
class StoryChanges:
    """The stories after an incremental derivation (derive_again), and what changed."""
    derived: dict[str, Derived]  # every valid story id
    rows: dict[str, StoryRow]
    dicts: StoryDicts
    pages: set = field(default_factory=set)  # story ids whose page may have changed
    events: set = field(default_factory=set)  # events whose page names a changed story
    entries: list = field(default_factory=list)  # (old entry, new entry) of changed entries


class StoryDicts:
    """The dicts of stories and their reports, made when a page (or a download line) shows
    them: an incremental build makes only those, each render worker its own."""

    def __init__(self, site, rows: dict[str, StoryRow], derived: dict[str, Derived]):
        self.site, self.rows, self.derived = site, rows, derived
        self._events: dict[str, dict] = {}  # event id -> its dict
        self._own: dict[str, dict] = {}  # story id -> its dict (story_dict)
        self._linked: set[str] = set()  # stories whose links are filled in
        self._members: dict[str, list[EventRow]] | None = None
        self._links: tuple[dict, dict] | None = None
        self._related: dict[str, list[str]] | None = None

    def members(self) -> dict[str, list[EventRow]]:
        """Story id -> its reports' rows, newest first."""
        if self._members is None:
            members: dict[str, list] = {}
            known = self.rows
            for r in self.site.rows.events.values():
                if r.story_id in known:
                    members.setdefault(r.story_id, []).append(r)
            for evs in members.values():
                sitedata.sort_newest_first(evs, EventRow._fields.index("date"), 0)
            self._members = members
        return self._members

    def event(self, row: EventRow) -> dict:
        made = self._events.get(row.id)
        if made is None:
            if row.story_id in self.rows:
                self.own(row.story_id)  # makes the dicts of all its reports
                return self._events[row.id]
            made = self._events[row.id] = sitedata.event_dict(row, self.site.entities,
                                                              self.site.documents)
        return made

    def own(self, sid: str) -> dict:
        """A story's dict without its links (story_dict)."""
        st = self._own.get(sid)
        if st is None:
            site = self.site
            evs = []
            for r in self.members().get(sid, ()):
                ev = self._events[r.id] = sitedata.event_dict(r, site.entities, site.documents)
                evs.append(ev)
            st = self._own[sid] = story_dict(self.rows[sid], evs, site.documents, site.entities)
        return st

    def story(self, sid: str) -> dict:
        """A story's dict with its responses, answers and related stories (their own dicts)."""
        st = self.own(sid)
        if sid not in self._linked:
            self._linked.add(sid)
            if self._links is None:
                self._links = links_of(self.site.link_rows, self.rows)
            if self._related is None:
                entries = [d.entry for d in self.derived.values() if d.entry is not None]
                sitedata.sort_newest_first(entries, DATE, ID)
                self._related = {s: near for group in groups_of(entries).values()
                                 for s, near in related_in(group).items()}
            responses, answers = self._links
            own = self.own
            st["responses"] = [(own(o), b, w) for o, b, w in responses.get(sid, ())]
            st["answers"] = [(own(o), b, w) for o, b, w in answers.get(sid, ())]
            st["related"] = [own(o) for o in self._related.get(sid, ())]
        return st


def derive_again(site, previous, saved: Saved) -> StoryChanges | None:
    """The stories of `site` (read incrementally since `previous`, the Rows of the build that
    saved `saved`), deriving again only those a change can touch (see the module docstring);
    None when that cannot be vouched for: then fill everything."""
    rows, old_rows = site.rows, previous
    if saved.token != old_rows.token or saved.seq != old_rows.seq:
        return None  # saved by another build than the one these rows are from
    story_rows, skipped = {}, 0  # skipped: counted only if this path is taken
    for r in site.story_rows or ():
        if valid_id(r.id):
            story_rows[r.id] = r
        else:
            skipped += 1
    old = saved.derived
    changed_events = {e for e in rows.reread_events if old_rows.events.get(e) != rows.events.get(e)}
    changed_docs = {d for d in rows.reread_documents
                    if old_rows.documents.get(d) != rows.documents.get(d)}
    # Derived again: a story whose row, reports (their rows hold their documents' keys) or
    # primary document changed, or that appeared or went.
    again = {s for s in story_rows.keys() | saved.rows.keys() if story_rows.get(s) != saved.rows.get(s)}
    for evid in changed_events:
        for r in (old_rows.events.get(evid), rows.events.get(evid)):
            if r is not None and r.story_id is not None:
                again.add(r.story_id)
    if changed_docs:
        again.update(s for s, r in story_rows.items() if r.primary_document_id in changed_docs)
    again &= story_rows.keys() | old.keys()
    if len(again) > max(REDERIVE_MIN, REDERIVE_LIMIT * len(story_rows)):
        return None
    derived = dict(old)
    dicts = StoryDicts(site, story_rows, derived)
    for sid in again:
        if sid in story_rows:
            st = dicts.own(sid)
            derived[sid] = Derived(entry_of_dict(st) if st["events"] else None, face(st), None,
                                   st["sources_label"])
        else:
            derived.pop(sid, None)
    # Re-keyed: the stories derived again, the ends of every link added or removed, the stories
    # linked to one whose face changed, and every story of a pair in which a story's face or
    # presence changed (related stories are the nearest of a pair, in date order).
    new_links, old_links = set(site.link_rows), set(saved.links)
    rekey = {s for s in again if s in derived}
    for link in new_links ^ old_links:
        rekey.update((link.from_story, link.to_story))
    moved = {s for s in again
             if (s in old) != (s in derived) or old[s].face != derived[s].face
             or (old[s].entry is None) != (derived[s].entry is None)}
    for link in new_links:
        if link.from_story in moved:
            rekey.add(link.to_story)
        if link.to_story in moved:
            rekey.add(link.from_story)
    touched = {pair(d.entry) for s in moved for d in (old.get(s), derived.get(s))
               if d is not None and d.entry is not None}
    entries = [d.entry for d in derived.values() if d.entry is not None]
    sitedata.sort_newest_first(entries, DATE, ID)
    for group in groups_of(entries, touched).values():
        rekey.update(group)
    rekey &= derived.keys()
    pairs = {pair(derived[s].entry) for s in rekey if derived[s].entry is not None}
    related = {s: near for group in groups_of(entries, pairs).values()
               for s, near in related_in(group).items()}
    responses, answers = links_of(site.link_rows, derived)
    faces = {s: d.face for s, d in derived.items()}
    changes = StoryChanges(derived, story_rows, dicts)
    for sid in rekey:
        d = derived[sid]
        if d.entry is None:
            continue
        key = page_key(d.entry[KEY], [(faces[o], b, w) for o, b, w in responses.get(sid, ())],
                       [(faces[o], b, w) for o, b, w in answers.get(sid, ())],
                       [faces[o] for o in related.get(sid, ())])
        derived[sid] = Derived(d.entry, d.face, key, d.sources_label)
        before = old.get(sid)
        if before is None or before.page_key != key:
            changes.pages.add(sid)
    for sid in again:
        before, after = old.get(sid), derived.get(sid)
        if before is not None and before.entry is not None and (after is None or after.entry is None):
            changes.pages.add(sid)  # its page is gone
        b_entry, a_entry = before and before.entry, after and after.entry
        if b_entry != a_entry:
            changes.entries.append((b_entry, a_entry))
    # Reports whose page names a story that changed (or that they left), and the events whose
    # entry changed: one in no story is an entry of its own.
    changes.events = set(changed_events)
    changes.events.update(e for e, r in rows.events.items() if r.story_id in again)
    for evid in changes.events:
        before_row, after_row = old_rows.events.get(evid), rows.events.get(evid)
        b_entry = (entry_of_row(before_row) if before_row is not None
                   and before_row.story_id not in saved.rows else None)
        a_entry = (entry_of_row(after_row) if after_row is not None
                   and after_row.story_id not in story_rows else None)
        if b_entry != a_entry:
            changes.entries.append((b_entry, a_entry))
    site.skipped += skipped
    return changes
