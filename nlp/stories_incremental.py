"""Clustering again after new events: only the stories they can change, the same result as
clustering every event (stories.cluster_stories calls recluster first).

Why it can be exact. The clustering (stories.cluster) first groups the events with an official
identifier by key, then places every other event one by one in (date, id) order: an event joins
an identifier story with one of its own events within WINDOW_DAYS, or an open window story,
else starts one (stories.WindowPass). What an event joins therefore depends only on the events
before it and on the identifier stories. So when only new events arrived (the nightly case):

- let D be the earliest day a new event can change: its own day, and for a new event joining
  an identifier story, that story's first day (its action and sides may change), less
  WINDOW_DAYS (the farthest an event looks);
- every event dated before D joined last time what it joins now: the stories still open at D
  are rebuilt from their events before D, as they were then;
- the events from D on are placed again, as the full pass would (WindowPass.place).

The stories read are the ones that can hold an event from D on: every story whose last day is
within WINDOW_DAYS of D or later, and every identifier story a new event joins. The response
links (responses.py) of a story depend on the stories up to RESPONSE_DAYS (inferred) or
STATED_LOOKBACK_DAYS (stated) before it: the links of every story from the earliest anchor of a
changed story on are found again, from the stories in those windows.

Anything else (an event edited or deleted, a document's events retagged, another tagger
version, an entity's type or country or a source changed, a story written by someone else, two
stories that would share a key) returns None: every event is clustered again.

Measured on the 50,000-event benchmark store (bench/bench_site.py --stories), after +100
documents: clustering every event took 7 s on a quiet machine (profiled: making an Ev of every
event 5.2 s, the pass 4.7 s, responses 3.2 s, story rows 2.6 s of 18.9 s under cProfile), which
is why only what new events can change is read; this way it took 0.79-1.30 s against 15.8-23.6 s
in the same run at load 6-7 (docs/benchmarks.md). Narrow reads keep it so: per-story member
counts (0.27 s) are checked as totals, and the anchors of the stories not read come from their
events' dates alone, only for stories with an event or document of the response window.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

from .responses import RESPONSE_DAYS, STATED_LOOKBACK_DAYS, anchor_of, find_responses, report_day
from .stories import (WINDOW_DAYS, Cluster, Ev, Sides, WindowPass, _day, _ev, _identifier_cluster,
                      _unique_keys, split, story_id, story_rows, window_key)
from .story_cues import stated_cue
from .story_store import (STORY_COLUMNS, add_summaries, events_sql, inputs_digest, mentions_reader,
                          save_state, write_stories)

_IN = "(SELECT value FROM json_each(?))"
_SUFFIX = re.compile(r"#\d+$")  # what stories._unique_keys adds to a repeated key


REPLAY_LIMIT = 0.25  # share of the events to place again above which all are clustered again


class _Full(Exception):
    """Something changed that only a full clustering handles."""


def recluster(db, sides: Sides, version: str | None) -> dict | None:
    """Counts as cluster_stories returns them, or None: cluster every event instead."""
    try:
        return _recluster(db, sides, version)
    except _Full:
        return None


def _recluster(db, sides: Sides, version: str | None) -> dict:
    new_ids = _new_events(db, sides, version)
    if not new_ids:
        return _done(db, sides, version, 0, 0, 0)
    new = [_ev(r, sides) for r in db.execute(events_sql(f"AND e.id IN {_IN}"),
                                              [json.dumps(sorted(new_ids))])]
    start = _replay_from(db, new)
    if start is not None and _share_from(db, start) > REPLAY_LIMIT:
        raise _Full  # new events across the years: the full pass is quicker than this one
    # Events dated before `start` keep what they joined; the others are placed again.
    again = ("e.event_date IS NULL" if start is None else
             "(e.event_date >= :start OR e.event_date IS NULL)")
    params = {"start": start, "low": None if start is None else _iso(_plus(start, -WINDOW_DAYS)),
              "keys": json.dumps(sorted({k for e in new if (k := e.doc_key or e.sent_key)}))}
    stories = {r[0]: r for r in db.execute(
        f"SELECT {', '.join(STORY_COLUMNS)} FROM stories WHERE last_date >= :low "
        f"OR key IN (SELECT value FROM json_each(:keys)) "
        f"OR id IN (SELECT story_id FROM events WHERE role = 'new' AND {again.replace('e.', '')})",
        params)}
    params["ids"] = json.dumps(sorted(stories))
    read = list(db.execute(events_sql(f"AND (e.story_id IN (SELECT value FROM json_each(:ids)) "
                                      f"OR {again} OR e.id IN (SELECT value FROM json_each(:new)))"),
                           {**params, "new": json.dumps(sorted(new_ids))}))
    events = [_ev(r, sides) for r in read]
    was = {r[0]: r[18] for r in read}  # event id -> its story before
    before = {r[0] for r in read if r[6] is not None and (start is None or r[6] < start)}

    by_ident, rest = split(events)
    ident = [_identifier_cluster(k, evs) for k, evs in sorted(by_ident.items())]
    by_key = {c.key: c for c in ident}
    window = WindowPass(ident, sides)
    rebuilt: dict[str, Cluster] = {}  # story id -> its window story up to `start`
    for ev in rest:
        sid = was[ev.id]
        if ev.id not in before or sid is None:
            window.place(ev)
            continue
        old = stories.get(sid)
        if old is None:
            raise _Full  # a story not read holds an event read
        if old[2] == "identifier":
            c = by_key.get(old[1])
            if c is None:
                raise _Full
        else:
            c = rebuilt.get(sid) or rebuilt.setdefault(sid, window.start(ev))
        window.join(c, ev)
    clusters = ident + window.made
    for c in clusters:
        if c.kind == "window" and not c.key:
            c.key = window_key(c)
    _keys_are_ours(db, {c.key for c in clusters}, stories)
    _unique_keys(clusters)

    rows, assign = story_rows(clusters, version)
    add_summaries(db, rows)
    changed_rows = [row for sid, row in rows.items()
                    if stories.get(sid) != tuple(row[c] for c in STORY_COLUMNS)]
    gone = [sid for sid in stories if sid not in rows]
    moved = [(sid, eid) for eid, sid in assign.items() if was.get(eid) != sid]
    unassigned = [eid for eid, sid in was.items() if sid and eid not in assign]

    # The stories as they were (for the earliest anchor a change touches) and as they are.
    old_members: dict[str, list[Ev]] = {}
    for ev in events:
        if was[ev.id] is not None:
            old_members.setdefault(was[ev.id], []).append(ev)
    changed = [anchor_of(_bare(evs)) for evs in old_members.values()] + \
        [anchor_of(c) for c in clusters]
    links_from, links = (_links(db, sides, version, clusters, rows, min(changed), set(stories))
                         if changed else (set(), []))  # nothing read, nothing made: no link moves
    with db.atomic():  # links first out, last in: they name stories
        insert = _drop_links(db, links_from | set(stories), links)
        write_stories(db, changed_rows, moved, unassigned, gone)
        if insert:
            db["event_links"].insert_all(insert)
        save_state(db, sides, version)
    return _counts(db, len(changed_rows) + len(gone), len(moved),
                   sum(1 for ev in rest if ev.id not in before) + len(by_ident))


def _new_events(db, sides: Sides, version: str | None) -> set[str]:
    """The events tagged since the last clustering, when nothing else it read changed since
    (else _Full)."""
    try:
        saved = db.execute("SELECT token, seq, inputs, pipeline_version FROM story_clustering "
                           "WHERE id = 1").fetchone()
        now = db.execute("SELECT token, seq FROM change_seq WHERE id = 1").fetchone()
    except Exception as e:  # an older store: no saved state
        raise _Full from e
    if (saved is None or now is None or saved[0] != now[0] or saved[3] != version
            or saved[2] != inputs_digest(db, sides)):
        raise _Full
    changed: dict[str, set[str]] = {"events": set(), "documents": set()}
    for table, row_id, deleted in db.execute(
            "SELECT table_name, row_id, deleted FROM change_log WHERE seq > ?", [saved[1]]):
        if table in ("stories", "event_links"):
            raise _Full  # written by someone else since
        if table in changed:
            if deleted:
                raise _Full  # what it held may have been in a story
            changed[table].add(row_id)
    if not changed["events"] and not changed["documents"]:
        return set()
    # An event in a story that changed since, or of a document that changed: not new.
    if db.execute(f"SELECT 1 FROM events WHERE story_id IS NOT NULL AND (id IN {_IN} OR "
                  f"document_id IN {_IN}) LIMIT 1",
                  [json.dumps(sorted(changed["events"])),
                   json.dumps(sorted(changed["documents"]))]).fetchone():
        raise _Full
    # A story that lost an event (deleted and tagged again under the same id): not new either.
    # The totals tell (only the clustering writes both; per story, counting took 0.27 s).
    members = db.execute("SELECT count(*) FROM events WHERE story_id IS NOT NULL").fetchone()[0]
    if members != db.execute("SELECT coalesce(sum(event_count), 0) FROM stories").fetchone()[0]:
        raise _Full
    # In no story and reported as news: new (or a negated one edited: it joins nothing).
    return {r[0] for r in db.execute(f"SELECT id FROM events WHERE role = 'new' AND "
                                     f"story_id IS NULL AND id IN {_IN}",
                                     [json.dumps(sorted(changed["events"]))])}


def _replay_from(db, new: list[Ev]) -> str | None:
    """The first event date to place again (ISO), or None: only undated events."""
    days = [e.day for e in new if e.day]
    keys = sorted({k for e in new if (k := e.doc_key or e.sent_key)})
    for (first,) in db.execute(f"SELECT first_date FROM stories WHERE key IN {_IN}",
                               [json.dumps(keys)]):
        if _day(first):
            days.append(_day(first))  # type: ignore[arg-type]  # checked
    return _iso(_plus(min(days), -WINDOW_DAYS)) if days else None


def _share_from(db, start: str) -> float:
    """The share of the events dated `start` or later."""
    later, total = db.execute("SELECT sum(event_date >= ?), count(*) FROM events WHERE role = 'new'",
                              [start]).fetchone()
    return (later or 0) / max(total, 1)


def _keys_are_ours(db, keys: set[str], read: dict) -> None:
    """_Full when a story not read shares a key with a story made here: their suffixes
    (stories._unique_keys) depend on the order of all stories."""
    for key in keys:
        # the key itself and the key with a suffix: a range of the keys' index
        for sid, stored in db.execute("SELECT id, key FROM stories WHERE key = ? OR "
                                      "(key > ? AND key < ?)", [key, key + "#", key + "$"]):
            if sid not in read and _SUFFIX.sub("", stored) == key:
                raise _Full


def _links(db, sides: Sides, version, clusters: list[Cluster], rows: dict, changed_from: date,
           read: set) -> tuple[set, list[dict]]:
    """(the stories whose links were found again, their links). Every story anchored at or
    after `changed_from` may answer a changed one: their links are found again, from the
    stories up to the response windows before them."""
    made = {story_id(c.key): c for c in clusters}
    anchor = {sid: anchor_of(c) for sid, c in made.items()}
    anchor.update(_anchors(db, changed_from, made.keys() | read))
    of_ids = {sid for sid, day in anchor.items() if day >= changed_from}
    pool = dict(made)
    pool.update(_rebuild(db, sides, of_ids - made.keys()))
    of = [pool[sid] for sid in sorted(of_ids)]
    stated = any(stated_cue(e.evidence) for c in of for e in c.events if e.evidence)
    earliest = changed_from - timedelta(days=STATED_LOOKBACK_DAYS if stated else RESPONSE_DAYS)
    anchor.update(_anchors(db, earliest, made.keys() | read))
    pool.update(_rebuild(db, sides, {sid for sid, day in anchor.items()
                                     if earliest <= day and sid not in pool}))
    stored = {r[0]: {"primary_event_id": r[1]} for r in db.execute(
        f"SELECT id, primary_event_id FROM stories WHERE id IN {_IN}",
        [json.dumps(sorted(pool.keys() - made.keys()))])}
    links = find_responses(list(pool.values()), {**stored, **rows}, sides, mentions_reader(db), of)
    return of_ids, links


def _anchors(db, since: date, skip) -> dict[str, date]:
    """Story id -> anchor (responses.anchor_of) of the stories not in `skip` that may be
    anchored on `since` or later, from a narrow read of their events. A story's anchor is one
    of its events' days or documents' days, so such a story has an event dated `since` or later
    or published then; a story with no dated event takes part in no link and is left out."""
    days: dict[str, list] = {}
    firsts: dict[str, date] = {}
    parse: dict = {}

    def day(s):
        d = parse.get(s, parse)
        if d is parse:
            d = parse[s] = _day(s)
        return d
    for sid, event_date, published in db.execute(
            "SELECT e.story_id, e.event_date, d.published_at FROM events e "
            "JOIN documents d ON d.id = e.document_id "
            "WHERE e.role = 'new' AND e.story_id IN (SELECT story_id FROM events "
            "WHERE event_date >= :since UNION SELECT e2.story_id FROM documents d2 "
            "JOIN events e2 ON e2.document_id = d2.id WHERE d2.published_at >= :since)",
            {"since": since.isoformat()}):
        if sid in skip:
            continue
        lst = days.setdefault(sid, [])
        when = day(event_date)
        if pub := report_day(when, day(published[:10] if published else None)):
            lst.append(pub)
        if when and (sid not in firsts or when < firsts[sid]):
            firsts[sid] = when
    return {sid: min(lst) for sid, lst in days.items() if lst and sid in firsts}


def _rebuild(db, sides: Sides, ids: set) -> dict[str, Cluster]:
    """Stories not changed here, as the clustering made them (their events in its order)."""
    if not ids:
        return {}
    info = {r[0]: (r[1], r[2]) for r in db.execute(
        f"SELECT id, key, key_kind FROM stories WHERE id IN {_IN}", [json.dumps(sorted(ids))])}
    members: dict[str, list[Ev]] = {}
    for r in db.execute(events_sql(f"AND e.story_id IN {_IN}"), [json.dumps(sorted(ids))]):
        members.setdefault(r[18], []).append(_ev(r, sides))
    out = {}
    window = WindowPass([], sides)
    for sid, evs in members.items():
        key, kind = info[sid]
        if kind == "identifier":
            own = [e for e in evs if (e.doc_key or e.sent_key) == key]
            c = _identifier_cluster(key, own)
            for e in evs:
                if (e.doc_key or e.sent_key) != key:
                    c.add(e)
        else:
            c = Cluster("", "window", evs[0].action, evs[0].actor_side, evs[0].target_side, None, None)
            for e in evs:
                window.join(c, e)
        c.key = key
        out[sid] = c
    return out


def _drop_links(db, scope: set, links: list[dict]) -> list[dict]:
    """The response links from the stories in `scope` are to become `links`: deletes the ones
    that differ (inside the caller's transaction) and returns the ones to insert."""
    cols = ("from_event", "from_story", "to_event", "to_story", "kind", "basis", "evidence")
    old = {(r[1], r[3]): r for r in db.execute(
        f"SELECT {', '.join(cols)}, id FROM event_links WHERE kind = 'response' "
        f"AND from_story IN {_IN}", [json.dumps(sorted(scope))])}
    new = {(x["from_story"], x["to_story"]): x for x in links}
    drop = [(r[7],) for k, r in old.items() if k not in new or tuple(new[k][c] for c in cols) != r[:7]]
    add = [x for k, x in new.items() if k not in old or tuple(x[c] for c in cols) != old[k][:7]]
    if drop:
        db.conn.executemany("DELETE FROM event_links WHERE id = ?", drop)
    return add


def _done(db, sides: Sides, version, changed: int, moved: int, placed: int) -> dict:
    with db.atomic():
        save_state(db, sides, version)
    return _counts(db, changed, moved, placed)


def _counts(db, changed: int, moved: int, placed: int) -> dict:
    """The counts cluster_stories returns, the totals read from the store."""
    total = db.execute("SELECT count(*) FROM stories").fetchone()[0]
    n_links, n_stated = db.execute(
        "SELECT count(*), coalesce(sum(basis = 'stated'), 0) FROM event_links "
        "WHERE kind = 'response'").fetchone()
    return {"stories": total, "stories_changed": changed, "events_moved": moved,
            "links": n_links, "links_stated": n_stated, "events_placed": placed}


def _bare(events: list[Ev]) -> Cluster:
    """A story as far as anchor_of reads it: its events."""
    c = Cluster("", "window", "", "*", "*", None, None)
    for e in events:
        c.add(e)
    return c


def _plus(day: date | str, days: int) -> date:
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return d + timedelta(days=days)


def _iso(day: date) -> str:
    return day.isoformat()
