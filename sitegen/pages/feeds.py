"""Atom feeds: feeds/all.xml, feeds/actions/<action>.xml, feeds/countries/<country>.xml and
feeds/entities/<id>.xml. Each lists the FEED_SIZE entries the project saw or changed last,
whatever their event date: a story newly found about an older event reaches subscribers too.

Changes that touch them: the feeds of the timeline filters are planned on every build; an
entity's feed only when its entries changed (changes.entities), and removed when it has none.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from .. import data as sitedata
from ..index import ALL, DATE, keys
from ..plan import FEED_EPOCH, FEED_SIZE, Plan, feed_rel

if TYPE_CHECKING:
    from ..planner import Planner


def plan(p: Planner, plan: Plan) -> None:
    feed(p, plan, feed_rel(ALL, ""), "All stories", p.index.entries, "timeline/all/all.html")
    for (country, action), events in sorted(p.facets.items()):
        if country == ALL and action != ALL:
            feed(p, plan, feed_rel("actions", action), p.labels[action], events,
                 f"timeline/all/{action}.html")
        elif action == ALL and country != ALL:
            feed(p, plan, feed_rel("countries", country), sitedata.country_label(country),
                 events, f"timeline/{country}/all.html")
    changed = p.changes.entities if p.changes else None
    for ent in p.entities:
        if changed is not None and ent["id"] not in changed:
            continue
        entries = p.index.entity_entries.get(ent["id"])
        if entries:
            feed(p, plan, feed_rel("entities", ent["id"]), ent["name"], entries, ent["href"])
        elif changed is not None:
            p.removed.add(feed_rel("entities", ent["id"]))


def feed(p: Planner, plan: Plan, rel: str, title: str, events, alternate: str) -> None:
    """A feed of the entries the project saw or changed last."""
    times = p.feed_times()
    for e in events:
        if e[0] not in times:
            times[e[0]] = p.time_of(e)
    # Latest change first; entries seen at the same moment (one night's crawl) newest first.
    # nlargest, not a sort: ~425 feeds over 50,000 entries are planned on every build.
    entries = heapq.nlargest(FEED_SIZE, events, key=lambda e: (*times[e[0]], e[DATE] or "", e[0]))
    updated = max((times[e[0]][0] for e in entries), default=FEED_EPOCH)
    ctx = {"root": p.site_url} if p.site_url else {}
    plan.add("feeds", rel, "feed.xml", (title, alternate, updated, p.site_url, keys(entries),
                                        tuple(times[e[0]][::-1] for e in entries)),
             title=title, _lazy={"entries": ("feed", entries)}, updated=updated,
             alternate=alternate, feed_id=rel, **ctx)
