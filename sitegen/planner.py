"""Which pages the site has: every page type of sitegen/pages/ plans its pages here, in turn.

PAGE_TYPES is the plan's one list of page types. Each module has plan(planner, plan), which
adds its pages (with their keys) to the plan, and says in its docstring which changes touch its
pages: with `changes` (an incremental build, see index.Changes), a page type plans only the
pages those changes can touch and adds the pages they remove to `planner.removed`; every other
live page is kept as it is. The recipe for a new page type: docs/architecture.md.

What several page types need is worked out once, here.
"""

from __future__ import annotations

from . import data as sitedata
from . import fragments
from .index import ALL, DATE, Changes, Index
from .pages import (document, entity, event, feeds, home, index_pages, methodology, site_files,
                    source, story, timeline)
from .plan import FEED_EPOCH, PER_PAGE, Plan, facets, feed_rel, month_counts

PAGE_TYPES = (
    home,           # index.html
    timeline,       # timeline/<country|all>/<action|all>.html and their month pages
    feeds,          # feeds/all.xml, feeds/{actions,countries,entities}/<id>.xml
    event,          # events/<id>.html
    story,          # stories/<id>.html
    entity,         # entities/<id>.html, their month pages and entities.html
    document,       # documents/<id>.html
    source,         # sources/<id>.html, their month pages and sources.html
    index_pages,    # actions.html, countries.html, downloads.html, search.html
    methodology,    # methodology.html
    site_files,     # sitemap.xml, 404.html
)


class Planner:
    """What each page shows, worked out once for every page type."""

    def __init__(self, index: Index, site_url: str, changes: Changes | None = None):
        self.index, self.site_url = index, site_url
        # With changes (since the live build), only the pages they can change are planned, and
        # the pages they remove are listed here; every other live page is kept as it is.
        self.changes = changes
        self.removed: set[str] = set()
        labels: dict = {}  # action slug -> label (index.actions: codes with a slug)
        for code in index.actions:  # two codes with the same slug share one page: first label wins
            labels.setdefault(sitedata.slug(code), sitedata.action_label(code))
        self.labels = labels
        self.facets = found = facets(index.entries)
        self.action_counts = {a: len(found[(ALL, a)]) for a in labels if (ALL, a) in found}
        self.country_counts = {c: len(found[(c, ALL)]) for c in index.countries if (c, ALL) in found}
        self.common = {"labels": labels, "action_counts": self.action_counts,
                       "country_counts": self.country_counts}
        self.common_key = (tuple(sorted(labels.items())), tuple(sorted(self.action_counts.items())),
                           tuple(sorted(self.country_counts.items())))
        self.totals = totals(index)
        self.entities = [e for e in index.entities.values() if e["href"]]
        self._months: dict[tuple[str, str], list] = {}  # filter -> month_counts of its entries
        self._times: dict[str, tuple[str, str]] | None = None  # entry id -> feed order (feed_times)

    def plan(self) -> Plan:
        plan = Plan()
        for page_type in PAGE_TYPES:
            page_type.plan(self, plan)
        return plan

    # -- shared ------------------------------------------------------------------------------------

    def facet_months(self, country: str, action: str) -> list[tuple[str, int]]:
        """month_counts of a timeline filter's entries, counted once for every page type."""
        counts = self._months.get((country, action))
        if counts is None:
            counts = self._months[(country, action)] = month_counts(self.facets[(country, action)])
        return counts

    def months_to_plan(self, base: str, entries, counts, delta) -> set | None:
        """The month pages of one list (timeline filter or entity) to plan after changes: the
        months that gained or lost entries (delta: month -> gained minus lost), or all (None)
        when the list's months or its paging changed (every page links its neighbours). The
        month pages that no longer exist are added to self.removed."""
        new = dict(counts)
        old = {m: new.get(m, 0) - delta.get(m, 0) for m in new.keys() | delta.keys()}
        old_months = {m for m, n in old.items() if n > 0}
        was_paged, paged = sum(old.values()) > PER_PAGE, len(entries) > PER_PAGE
        if was_paged:
            gone = old_months - set(new) if paged else old_months
            self.removed.update(f"{base}/{fragments.month_slug(m)}.html" for m in gone)
        if paged and was_paged and old_months == set(new):
            return set(delta)
        return None

    @staticmethod
    def facet_feed(country: str, action: str) -> str | None:
        """The feed of a timeline filter: all, one action's or one country's (else None)."""
        return (feed_rel(ALL, "") if country == ALL and action == ALL else
                feed_rel("actions", action) if country == ALL else
                feed_rel("countries", country) if action == ALL else None)

    def facet_title(self, country, action) -> str:
        what = self.labels[action] if action != ALL else "All stories"
        return what if country == ALL else f"{what} · {sitedata.country_label(country)}"

    def feed_times(self) -> dict[str, tuple[str, str]]:
        """Entry id -> (last changed, first seen) for every entry, made once per plan: when the
        project saw it (data.seen_times), else its event date."""
        if self._times is None:
            self._times = {e[0]: self.time_of(e) for e in self.index.entries}
        return self._times

    def time_of(self, entry) -> tuple[str, str]:
        first, changed = self.index.seen.get(entry[0]) or (
            (f"{entry[DATE]}T00:00:00Z",) * 2 if entry[DATE] else (FEED_EPOCH,) * 2)
        return changed, first


def totals(index: Index):
    """The site's figures, the same on every page that names them (see terms.py)."""
    return {"stories": len(index.entries), "reports": len(index.events),
            "entities": len(index.entities), "documents": len(index.documents),
            "sources": len(index.sources)}
