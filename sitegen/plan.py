"""The plan: every page the site has, with its key and how to render it, and the pieces page
types share (month pages, feeds' addresses, the timeline filters).

A page's key is a fingerprint of everything it shows; a page whose key matches the live site's
manifest is not rendered (render.py). The page types themselves are in sitegen/pages/, listed
in planner.py.
"""

from __future__ import annotations

import hashlib
import itertools
import operator
from collections import Counter, defaultdict

from . import fragments
from .index import ALL, COUNTRIES, MONTH, SLUG, facets_of, keys

PER_PAGE = 50  # a list longer than this gets month pages
FEED_SIZE = 50
FEED_EPOCH = "1970-01-01T00:00:00Z"  # the time of an entry with no date and no document
HOME_SIZE = 20
SITEMAP_MAX = 50_000  # URLs a sitemap may hold (sitemaps.org)

month_label = fragments.month_label


def page_key(parts) -> str:
    """Fingerprint of what a page shows: bytes parts (row keys) as they are, others by repr.
    The page's path and the code's version (the salt, kept once in the manifest) are implied."""
    if len(parts) == 1 and isinstance(parts[0], bytes) and len(parts[0]) == 16:
        return parts[0].hex()  # an event or document page: its row's key is the page's
    h = hashlib.blake2b(digest_size=16)
    for p in parts:
        h.update(p if isinstance(p, bytes) else repr(p).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()


class Plan:
    """Pages to have, each with its key and how to render it, counted by kind."""

    def __init__(self):
        # rel, key, template, context: a dict, or (function, argument) that makes it when rendered
        self.pages: list[tuple[str, str, str, object]] = []
        self.kinds: Counter = Counter()

    def add(self, kind: str, rel: str, template: str, key_parts: tuple, **ctx) -> None:
        self.kinds[kind] += 1
        self.pages.append((rel, page_key(key_parts), template, ctx))

    def add_lazy(self, kind: str, rel: str, template: str, key: str, make, arg) -> None:
        self.kinds[kind] += 1
        self.pages.append((rel, key, template, (make, arg)))


def feed_rel(kind: str, ident: str) -> str:
    return "feeds/all.xml" if kind == ALL else f"feeds/{kind}/{ident}.xml"


def month_index(counts):
    """[(year, [(month, slug, n)])], newest first, from (month, n) pairs (newest first)."""
    years: dict[str, list] = {}
    for month, n in counts:
        years.setdefault(month[:4] or "Undated", []).append((month, fragments.month_slug(month), n))
    return list(years.items())


def month_counts(entries) -> list[tuple[str, int]]:
    """(month, number of entries), newest first, of entries sorted newest first (a month's
    entries are next to each other). Counted by C code: no list per month."""
    return list(Counter(map(_MONTH, entries)).items())


_MONTH = operator.itemgetter(MONTH)
_DOC_MONTH = operator.itemgetter("month")


def docs_by_month(docs) -> list[tuple[str, list]]:
    """Documents (newest first) in runs of one month."""
    return [(m, list(g)) for m, g in itertools.groupby(docs, key=_DOC_MONTH)]


def month_pages(plan: Plan, kind, base, template, entries, counts, title, only=None, **ctx):
    """One page per month of a long list (entries newest first; counts: month_counts of them).
    There are tens of thousands: the key is one hash of the page's fixed facts and its entries'
    keys, and the context is made only for a page that is rendered (month_context). only: the
    months to plan (None: all), when the others are known not to have changed."""
    entity_key = ctx.pop("entity_key", None)
    slugs = [fragments.month_slug(month) for month, _ in counts]
    fixed = (title, entity_key, ctx.get("feed"), ctx.get("country"), ctx.get("action"))
    blake2b, last = hashlib.blake2b, len(counts) - 1
    append = plan.pages.append
    start = 0
    for i, (month, n) in enumerate(counts):
        evs_start, start = start, start + n
        if only is not None and month not in only:
            continue
        plan.kinds[kind] += 1
        evs = entries[evs_start:start]
        slug = slugs[i]
        newer = slugs[i - 1] if i > 0 else None
        older = slugs[i + 1] if i < last else None
        # repr of the tuple is unambiguous, and the entries' keys (16 bytes each) come last
        key = blake2b(repr((fixed, month, newer, older)).encode("utf-8", "surrogatepass")
                      + keys(evs), digest_size=16).hexdigest()
        append((f"{base}/{slug}.html", key, template,
                (month_context, (ctx, title, base, month, slug, newer, older, evs))))


def month_context(arg):
    ctx, title, base, month, slug, newer, older, evs = arg
    return {**ctx, "title": f"{title} · {month_label(month)}", "month": month, "month_slug": slug,
            "newer": newer, "older": older, "total": len(evs), "base": base, "index": [],
            "_lazy": {"listing": ("months", evs)}}


def facets(entries) -> dict[tuple[str, str], list]:
    """(country slug | 'all', action slug | 'all') -> entries, newest first. Only non-empty keys."""
    found: dict[tuple[str, str], list] = defaultdict(list)
    # Entries share a few (countries, action) combinations: the lists each one goes into are
    # looked up once per combination, not once per entry.
    lists_of: dict[tuple, list] = {}
    for ev in entries:
        combination = (ev[COUNTRIES], ev[SLUG])
        lists = lists_of.get(combination)
        if lists is None:
            lists = lists_of[combination] = [found[k] for k in facets_of(ev)]
        for facet in lists:
            facet.append(ev)
    return found
