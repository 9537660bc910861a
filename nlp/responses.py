"""Responses between stories: a countermeasure answering a rule (event_links, kind `response`).

A story whose sentence says it answers another ("in response to", "countermeasures against",
"retaliation for") is linked to the most recent earlier story of the other side that its sentence
names (basis `stated`); a measure by one side within `RESPONSE_DAYS` after a measure by the other
that touches the same target or object, or aims back at the actor, is linked as `inferred`.
Called by nlp/stories.py after clustering; no database here.
"""

from __future__ import annotations

from datetime import date, timedelta

from .stories import Cluster, Sides, _day, story_id
from .story_cues import stated_cue

RESPONSE_DAYS = 30      # an inferred response follows what it answers within this many days
STATED_LOOKBACK_DAYS = 400  # a stated response may answer an act this far back

# Measures one government takes against the other; inferred responses link only these.
MEASURES = {"export_control", "entity_listing", "license_action", "investment_restriction",
            "tariff", "sanction", "investigation", "access_restriction", "compute_control",
            "criminal_charge"}
# Measures that answer each other across kinds (a chip rule answered by a minerals ban).
TECH_CONTROLS = {"export_control", "entity_listing", "license_action", "sanction"}


def report_day(day: date | None, published: date | None) -> date | None:
    """One report's day for a story's anchor: its publication, or an earlier stated day (a
    date on the 1st of a month may stand for the whole month: not used)."""
    pub = published or day
    if day and pub and day < pub and day.day != 1:
        pub = day
    return pub


def anchor_of(c: Cluster) -> date:
    """When the story happened, for ordering responses: its earliest report_day."""
    days = [d for e in c.events if (d := report_day(e.day, _day(e.published_at)))]
    return min(days) if days else (c.first or date.max)


def find_responses(clusters: list[Cluster], rows: dict[str, dict], sides: Sides,
                   mentions_of, of: list[Cluster] | None = None) -> list[dict]:
    """event_links rows: stated ("in response to") first, else inferred from timing+overlap.
    of: the stories whose responses to find (default: all); what they answer is looked for in
    `clusters`, which must hold every story in their windows (nlp/stories_incremental.py)."""
    import bisect

    links: dict[tuple[str, str], dict] = {}
    stated: set[str] = set()  # stories linked by a stated response (no inferred link then)
    anchors: dict[str, date] = {}
    ents_of: dict[str, set[str]] = {}

    def anchor(c: Cluster) -> date:
        if c.key not in anchors:
            anchors[c.key] = anchor_of(c)
        return anchors[c.key]

    def ents(c: Cluster) -> set[str]:
        # what a measure touches: firms, chips, models, rules (governments are sides, not
        # things: "both touching the United States" says nothing)
        if c.key not in ents_of:
            ents_of[c.key] = {x for e in c.events for x in (e.target_id, e.object_id)
                              if x and sides.side(x) == x}
        return ents_of[c.key]

    # each side's stories sorted by anchor, so a time window is two bisections
    by_side: dict[str, list[tuple[date, str, Cluster]]] = {}
    for c in clusters:
        if len(c.actor_side) == 2 and c.first:
            by_side.setdefault(c.actor_side, []).append((anchor(c), c.key, c))
    for side_list in by_side.values():
        side_list.sort(key=lambda t: (t[0], t[1]))
    side_days = {side: [t[0] for t in lst] for side, lst in by_side.items()}

    def between(side: str, lo: date, hi: date) -> list[Cluster]:
        """Stories of `side` whose anchor is in [lo, hi]."""
        days = side_days.get(side)
        if not days:
            return []
        i, j = bisect.bisect_left(days, lo), bisect.bisect_right(days, hi)
        return [t[2] for t in by_side[side][i:j]]

    for c in clusters if of is None else of:
        if len(c.actor_side) != 2 or c.first is None:
            continue
        sid = story_id(c.key)
        # stated
        for ev in sorted(c.events, key=lambda e: (e.day or date.max, e.id)):
            m = stated_cue(ev.evidence)
            if not m or ev.modality == "negated" or ev.actor_side != c.actor_side:
                continue
            at = ev.evidence.find(ev.trigger) if ev.trigger else -1
            if at < 0 or at >= m.start():
                continue  # the act after the cue is what is answered, not the answer
            named = mentions_of(ev)  # entity ids named in the sentence after the cue
            named_sides = {sides.side(x) for x in named}
            when = anchor(c)
            best, best_rank = None, None
            # what is answered: an earlier act of a side named after the cue
            others = [o for side in sorted(named_sides) if side != c.actor_side
                      for o in between(side, when - timedelta(days=STATED_LOOKBACK_DAYS), when)]
            for o in others:
                overlap = len((ents(o) - {x for x in named if sides.side(x) == o.actor_side})
                              & named) * 2 + (o.action in MEASURES) + 1
                rank = (-overlap, (when - anchor(o)).days, o.key)
                if best_rank is None or rank < best_rank:
                    best, best_rank = o, rank
            if best is not None:
                stated.add(sid)
                links[(sid, story_id(best.key))] = {
                    "from_event": ev.id, "from_story": sid,
                    "to_event": rows[story_id(best.key)]["primary_event_id"],
                    "to_story": story_id(best.key), "kind": "response", "basis": "stated",
                    "evidence": ev.evidence}
                break
        if sid in stated or c.action not in MEASURES:
            continue
        # inferred: a measure by the other side shortly before, touching what this one touches
        mine = ents(c)
        best, inferred_rank = None, None
        lo, hi = anchor(c) - timedelta(days=RESPONSE_DAYS), anchor(c) - timedelta(days=1)
        others = [o for side in sorted(by_side) if side != c.actor_side
                  for o in between(side, lo, hi)]
        for o in others:
            if o.action not in MEASURES:
                continue
            theirs = ents(o)
            shared = mine & theirs
            aims_back = c.target_side == o.actor_side and o.target_side == c.actor_side and \
                (o.action == c.action or {o.action, c.action} <= TECH_CONTROLS)
            if not shared and not aims_back:
                continue
            ranked = (-len(shared), -aims_back, (anchor(c) - anchor(o)).days, o.key)
            if inferred_rank is None or ranked < inferred_rank:
                best, inferred_rank = o, ranked
        if best is not None:
            days = (anchor(c) - anchor(best)).days
            both = sorted(mine & ents(best))
            why = (f"{c.actor_side} {c.action} {days} days after {best.actor_side} "
                   f"{best.action}" + (f", both touching {', '.join(both)}" if both
                                       else ", each aimed at the other"))
            oid = story_id(best.key)
            links[(sid, oid)] = {
                "from_event": rows[sid]["primary_event_id"], "from_story": sid,
                "to_event": rows[oid]["primary_event_id"], "to_story": oid,
                "kind": "response", "basis": "inferred", "evidence": why}
    return list(links.values())


