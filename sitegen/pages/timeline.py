"""The timelines: timeline/<country|all>/<action|all>.html, one per filter (the newest
PER_PAGE entries and an index of months), and timeline/<country|all>/<action|all>/<YYYY-MM>.html,
one per month of a filter with more entries than that.

Changes that touch them: a filter's head page shows its counts and the filters beside it, so
every head is planned on every build; its month pages only for the filters whose entries
changed (changes.facets), and of those only the months that gained or lost entries, unless the
filter's months or its paging changed. A filter left with no entry is removed, with its feed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..index import keys
from ..plan import PER_PAGE, Plan, month_index, month_pages

if TYPE_CHECKING:
    from ..planner import Planner


def plan(p: Planner, plan: Plan) -> None:
    facets = p.facets
    for (country, action), events in sorted(facets.items()):
        base = f"timeline/{country}/{action}"
        feed = p.facet_feed(country, action)
        title = p.facet_title(country, action)
        month_list = (month_index(p.facet_months(country, action))
                      if len(events) > PER_PAGE else [])
        nav_c = tuple((c, len(facets[(c, action)])) for c in p.country_counts
                      if (c, action) in facets)
        nav_a = tuple((a, len(facets[(country, a)])) for a in p.action_counts
                      if (country, a) in facets)
        plan.add("timeline", base + ".html", "timeline.html",
                 (title, len(events), nav_c, nav_a, repr(month_list), feed,
                  keys(events[:PER_PAGE]), p.common_key),
                 country=country, action=action, nav_c=nav_c, nav_a=nav_a, feed=feed,
                 title=title, month=None, index=month_list, total=len(events), base=base,
                 _lazy={"listing": ("months", events[:PER_PAGE])}, **p.common)
    _month_pages(p, plan)


def _month_pages(p: Planner, plan: Plan) -> None:
    changed = p.changes.facets if p.changes else None
    for (country, action), events in sorted(p.facets.items()):
        base = f"timeline/{country}/{action}"
        if changed is not None and (country, action) not in changed:
            continue
        counts = p.facet_months(country, action)
        only = p.months_to_plan(base, events, counts, changed[(country, action)]) if changed else None
        if len(events) > PER_PAGE:
            month_pages(plan, "timeline_months", base, "timeline.html", events, counts,
                        p.facet_title(country, action), only=only,
                        country=country, action=action,
                        feed=p.facet_feed(country, action), **p.common)
    for country, action in (changed or {}):
        if changed is not None and (country, action) not in p.facets:  # no entry left under this filter
            base = f"timeline/{country}/{action}"
            p.months_to_plan(base, [], [], changed[(country, action)])
            p.removed.add(base + ".html")
            feed = p.facet_feed(country, action)
            if feed:
                p.removed.add(feed)
