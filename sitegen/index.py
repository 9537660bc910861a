"""What the plan needs of every timeline entry, kept small: one tuple per entry.

The plan (planner.py) works out the key of every page on every build: about 93,000 pages for
50,000 events. Making a full dict for every event and document first took longer than the rest
of an incremental build together, which then renders only a thousand pages. So the plan reads
Entry tuples, and the full dicts the templates use are made only for the entries of pages that
are rendered (Index.full, memoised; each render worker makes its own).

When stories are in use, a build from scratch fills every dict first (a story is keyed by all
of its reports: stories.fill_all) and the index is made from the dicts; an incremental build
makes the index from the rows and the stories' saved entries, deriving again only the stories
a change can touch (stories.derive_again), and makes a story's dict only when a page shows it.
"""

from __future__ import annotations

import itertools
import operator
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import data as sitedata
from .rows import EventRow

if TYPE_CHECKING:
    from .stories import StoryChanges, StoryDicts


class Entry(tuple):
    """A timeline entry (an event, or a story of several reports) as the plan sees it."""

    __slots__ = ()


# Entry fields: actor, target and object are entity ids (None: no known entity).
ENTRY_ID, ID, KEY, DATE, MONTH, ACTION, SLUG, LABEL, COUNTRIES, ACTOR, TARGET, OBJECT = range(12)
by_key = operator.itemgetter(KEY)


def keys(entries) -> bytes:
    return b"".join(map(by_key, entries))


def entry_of_row(r: EventRow) -> Entry:
    """The Entry of an event, from its row."""
    return tuple.__new__(Entry, ("event:" + r.id, r.id, r.key, r.date, r.date[:7], r.action, r.action_slug,
                                 sitedata.label_of(r.action), r.countries, r.actor_id, r.target_id,
                                 r.object_id))


def entry_of_dict(d: dict) -> Entry:
    """The Entry of an event's or a story's dict."""
    a, t, o = d["actor"], d["target"], d["object"]
    return tuple.__new__(Entry, (
        d["entry_id"], d["id"], d["key"], d["date"], d["month"], d["action"], d["action_slug"],
        d["action_label"], tuple(d["countries"]), a and a["id"], t and t["id"], o and o["id"]))


ALL = "all"  # a timeline filter not restricted by country, or by action


def facets_of(entry: Entry) -> list[tuple[str, str]]:
    """The timeline filters an entry is listed under: (country or 'all', action or 'all')."""
    action = entry[SLUG]
    actions = (ALL, action) if action is not None and action != ALL else (ALL,)
    countries = (ALL, *[c for c in entry[COUNTRIES] if c != ALL])
    return list(itertools.product(countries, actions))


def entities_of(entry: Entry) -> set[str]:
    return {e for e in (entry[ACTOR], entry[TARGET], entry[OBJECT]) if e is not None}


@dataclass
class Changes:
    """What changed since the live site's build, when only events, documents and stories did
    (no entity or source changed): the plan then works out only the pages these can change
    (planner.py: each page type's rule)."""
    events: set = field(default_factory=set)  # ids of events whose page may change
    documents: set = field(default_factory=set)  # ids of documents whose page may change
    # (country, action) or entity id -> month -> entries gained minus entries lost
    facets: dict = field(default_factory=dict)
    entities: dict = field(default_factory=dict)
    stories: set = field(default_factory=set)  # ids of stories whose page may change

    @classmethod
    def between(cls, previous: sitedata.Rows, rows: sitedata.Rows,
                stories: StoryChanges | None = None) -> Changes:
        """With stories (in use), the entries that changed are theirs (stories.derive_again);
        without, every changed event is an entry."""
        changes = cls()
        old_events, new_events = previous.events, rows.events
        entries = []  # (old entry, new entry) of each entry that changed
        for evid in rows.reread_events:
            old, new = old_events.get(evid), new_events.get(evid)
            if old == new:
                continue  # read again, found the same
            changes.events.add(evid)
            old_entry, new_entry = (row and entry_of_row(row) for row in (old, new))
            for row, entry in ((old, old_entry), (new, new_entry)):
                if row is not None and entry is not None:
                    changes.documents.add(row.document_id)
                    for entity in entities_of(entry):  # its page lists its own events
                        changes.entities.setdefault(entity, Counter())
            entries.append((old_entry, new_entry))
        if stories is not None:
            changes.events |= stories.events
            changes.stories = stories.pages
            entries = stories.entries
        for pair in entries:
            for entry, sign in zip(pair, (-1, 1)):
                if entry is None:
                    continue
                month = entry[MONTH]
                for facet in facets_of(entry):
                    changes.facets.setdefault(facet, Counter())[month] += sign
                for entity in entities_of(entry):
                    changes.entities.setdefault(entity, Counter())[month] += sign
        for did in rows.reread_documents:
            if previous.documents.get(did) != rows.documents.get(did):
                changes.documents.add(did)
        return changes


class Index:
    def __init__(self, site: sitedata.SiteData):
        self.site = site
        self.entities, self.sources, self.documents = site.entities, site.sources, site.documents
        self.rows = site.rows
        self.skipped = site.skipped
        self.events: list[Entry] = []  # every event, newest first
        self.entries: list[Entry] = []  # what timelines list, newest first (see SiteData)
        self.entity_events: dict[str, list[Entry]] = {}  # entity id -> its events
        self.entity_entries: dict[str, list[Entry]] = {}  # entity id -> its entries
        self.event_story: dict[str, tuple[str, str]] = {}  # event id -> (story id, sources label)
        self.stories: list[tuple[str, str, Entry]] = []  # (page, page key, entry) of each story
        self.actions: list[str] = []  # codes with a valid slug, sorted
        self.countries: list[str] = []  # country slugs seen on events, sorted
        self._full: dict[str, dict] = {}  # entry id -> the dict the templates use
        self._entries_made: dict[str, Entry] = {}  # entry id -> its Entry (from_dicts)
        self.story_dicts: StoryDicts | None = None  # makes story dicts when asked (from_rows)
        self._story_changes: StoryChanges | None = None
        self.to_be_published: tuple = ()  # filed, not yet published (data.to_be_published)
        self.seen: dict[str, tuple[str, str]] = {}  # entry id -> first seen, last changed (data.seen_times)
        self.taxonomy: dict[str, str] = {}  # action code -> description (store.taxonomy)
        self.evaluation: dict | None = None  # the recorded evaluation figures (store.evaluation)

    # -- made from the rows (no story in use, or the stories' saved entries) ------------------------

    @classmethod
    def from_rows(cls, site: sitedata.SiteData, stories: StoryChanges | None = None) -> Index:
        """The index from the rows; with stories (stories.derive_again), timelines list their
        entries and the events in no story."""
        index = cls(site)
        events = list(map(entry_of_row, site.rows.events.values()))
        sitedata.sort_newest_first(events, DATE, ID)
        index.events = index.entries = events
        docs = site.documents
        for e in events:
            doc = docs.get(site.rows.events[e[ID]].document_id)
            if doc is not None:
                doc["events"].append(e)
        if stories is not None:
            index._list_stories(stories)
        index._link_entities()
        index._codes()
        return index

    def _list_stories(self, stories: StoryChanges) -> None:
        self.story_dicts, self._story_changes = stories.dicts, stories
        derived, rows = stories.derived, self.rows.events
        entries = [d.entry for d in derived.values() if d.entry is not None]
        for e in self.events:
            d = derived.get(rows[e[ID]].story_id)  # type: ignore[arg-type]  # None: in no story
            if d is None:
                entries.append(e)
            else:
                self.event_story[e[ID]] = (d.face[0], d.sources_label)
        sitedata.sort_newest_first(entries, DATE, ID)
        self.entries = entries
        self.stories = [(f"stories/{sid}.html", d.page_key.hex(), d.entry)
                        for sid, d in derived.items() if d.entry is not None and d.page_key]

    def full(self, entry: Entry) -> dict:
        """The dict the templates use for this entry (made once per process)."""
        made = self._full.get(entry[ENTRY_ID])
        if made is None:
            dicts = self.story_dicts
            row = self.rows.events.get(entry[ID]) if entry[ENTRY_ID].startswith("event:") else None
            if dicts is None:
                made = sitedata.event_dict(self.rows.events[entry[ID]], self.entities, self.documents)
            elif row is None:
                made = dicts.story(entry[ID])
            else:
                made = dicts.event(row)
            self._full[entry[ENTRY_ID]] = made
        return made

    def stories_to_save(self) -> tuple | None:
        """What the next build needs of this build's stories (stories.saved_state), or None
        when no story is in use."""
        from . import stories

        site = self.site
        if self._story_changes is not None:
            derived = self._story_changes.derived
        elif site.stories:
            derived = stories.derived_of_dicts(site.stories, self._entry_of_dict)
        else:
            return None
        return stories.saved_state(self.rows.token, self.rows.seq, site.story_rows or (),
                                   site.link_rows, derived)

    # -- made from full dicts (stories in use) -----------------------------------------------------

    @classmethod
    def from_dicts(cls, site: sitedata.SiteData) -> Index:
        """From a filled SiteData (data.fill): every dict exists already."""
        index = cls(site)
        as_entry = index._entry_of_dict
        index.events = [as_entry(ev) for ev in site.events]
        index.entries = (index.events if site.entries is site.events
                         else [as_entry(e) for e in site.entries])
        for ev in site.events:
            st = ev.get("story")
            if st:
                index.event_story[ev["id"]] = (st["id"], st["sources_label"])
        for doc in site.documents.values():
            doc["events"] = [as_entry(ev) for ev in doc["events"]]
        for st in site.stories.values():
            if st["events"]:
                index.stories.append((st["href"], st["page_key"].hex(), as_entry(st)))
        index._link_entities()
        index._codes()
        return index

    def _entry_of_dict(self, d: dict) -> Entry:
        made = self._entries_made.get(d["entry_id"])
        if made is None:  # once per entry, however many lists hold it
            made = entry_of_dict(d)
            self._entries_made[made[ENTRY_ID]] = made
            self._full[made[ENTRY_ID]] = d
        return made

    # -- shared ------------------------------------------------------------------------------------

    def _link_entities(self) -> None:
        self.entity_events = _by_entity(self.events)
        self.entity_entries = (self.entity_events if self.entries is self.events
                               else _by_entity(self.entries))

    def _codes(self) -> None:
        self.actions = sorted({e[ACTION] for e in self.events if e[SLUG]})
        self.countries = sorted({c for e in self.events for c in e[COUNTRIES]})


def _by_entity(entries) -> dict[str, list]:
    """Entity id -> the entries naming it as actor, target or object (once each), in order."""
    lists: dict[str, list] = {}
    for e in entries:
        a, t, o = e[ACTOR], e[TARGET], e[OBJECT]
        if a is not None:
            lists.setdefault(a, []).append(e)
        if t is not None and t != a:
            lists.setdefault(t, []).append(e)
        if o is not None and o != a and o != t:
            lists.setdefault(o, []).append(e)
    return lists
