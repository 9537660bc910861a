"""Entity pages: entities/<id>.html (what it did, what was done to it, with whom, and its
newest PER_PAGE entries), entities/<id>/<YYYY-MM>.html for an entity with more, and the index
entities.html.

Changes that touch them: an entity's pages only when its entries changed (changes.entities),
and of its month pages only the months that gained or lost entries, unless its months or its
paging changed. The index is planned on every build.
"""

from __future__ import annotations

import itertools
import operator
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from ..index import ACTOR, LABEL, OBJECT, TARGET, keys
from ..plan import PER_PAGE, Plan, feed_rel, month_counts, month_index, month_pages, page_key
from ..render import current_index

if TYPE_CHECKING:
    from ..planner import Planner

TEMPLATE = "entity.html"


def plan(p: Planner, plan: Plan) -> None:
    index = p.index
    no_events: list = []
    changed = p.changes.entities if p.changes else None
    for ent in p.entities:
        if changed is not None and ent["id"] not in changed:
            continue
        events = index.entity_entries.get(ent["id"], no_events)
        own = index.entity_events.get(ent["id"], no_events)
        paged = len(events) > PER_PAGE
        counts = month_counts(events)
        only = p.months_to_plan(ent["href"][:-5], events, counts, changed[ent["id"]]) if changed else None
        month_list = month_index(counts) if paged else []
        base = ent["href"][:-5]
        feed = feed_rel("entities", ent["id"]) if events else None
        # The summary (what it did, what was done to it, with whom) is a function of its own
        # events' keys (they cover actions, roles and the other entities' names): made only
        # when the page is rendered.
        key = page_key((ent["key"], keys(own), len(events), repr(month_list),
                        keys(events[:PER_PAGE]), feed))
        plan.add_lazy("entities", ent["href"], TEMPLATE, key, context,
                      (ent, own, events, month_list, base, feed))
        if paged:
            month_pages(plan, "entity_months", base, TEMPLATE, events, counts,
                        ent["name"], only=only, ent=ent, feed=feed, entity_key=ent["key"])
    # Only entities something happened to or by: a page with no story is not listed (it
    # exists, and says so).
    groups = [(t, [(e, n) for e in es
                   if (n := len(index.entity_entries.get(e["id"], no_events)))])
              for t, es in _group_entities(p.entities)]
    groups = [(t, es) for t, es in groups if es]
    plan.add("index_pages", "entities.html", "entities.html",
             (tuple((t, tuple((e["key"], n) for e, n in es)) for t, es in groups),),
             title="Entities", groups=groups)


def context(arg):
    ent, own, events, month_list, base, feed = arg
    return {"ent": ent, "title": ent["name"], "total": len(events), "month": None,
            "noindex": not events,  # a name no story involves yet: not for search engines
            "summary": summary(ent, own, current_index().entities), "n_events": len(own),
            "index": month_list, "base": base, "feed": feed,
            "_lazy": {"listing": ("months", events[:PER_PAGE])}}


_ROLES = operator.itemgetter(ACTOR, TARGET, OBJECT)
_ACTOR, _TARGET, _LABEL = (operator.itemgetter(i) for i in (ACTOR, TARGET, LABEL))


def summary(ent, events, entities) -> dict:
    """What an entity did, what was done to it, and whom it appears with, over its events."""
    # Counted by C code (map, compress, Counter): the largest entities have tens of thousands.
    me = ent["id"]
    labels, eq, mine = list(map(_LABEL, events)), operator.eq, itertools.repeat(me)
    took = Counter(itertools.compress(labels, map(eq, mine, map(_ACTOR, events))))
    against = Counter(itertools.compress(labels, map(eq, mine, map(_TARGET, events))))
    # Every role of its events, less itself and the empty ones: the others, once per role.
    partners = Counter(itertools.chain.from_iterable(map(_ROLES, events)))
    partners.pop(me, None)
    partners.pop(None, None)
    top = sorted(partners.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return {"took": sorted(took.items()), "against": sorted(against.items()),
            "partners": [(entities[i]["name"], entities[i]["href"], n) for i, n in top]}


def _group_entities(entities):
    groups = defaultdict(list)
    for e in entities:
        groups[(e["type"] or "other")].append(e)
    return [(t, sorted(es, key=lambda e: (e["name"].lower(), e["id"]))) for t, es in sorted(groups.items())]
