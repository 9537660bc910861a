"""Static site generator: store -> HTML pages in a folder that needs no server.

Public API: build_site(db, out_dir, search=True) -> counts.

Every link is relative (templates prefix site-root paths with `root`), so the output works opened
from disk or served under any path. Page addresses:

    index.html                       home: latest events and the monthly chart
    timeline/<country|all>/<action|all>[.N].html   the timeline and its pre-rendered filters
    events/<id>.html  entities/<id>[.N].html  documents/<id>.html  sources/<id>[.N].html
    actions.html  countries.html  entities.html  sources.html  methodology.html  downloads.html
    feeds/all.xml  feeds/{entities,actions,countries}/<id>.xml   Atom
    downloads/events.csv  downloads/events.json  search.html  pagefind/ (search index)

Page N>1 of a list is `<base>.N.html`: a dot cannot occur in an id, so it never collides.
"""

from __future__ import annotations

import calendar
import itertools
import posixpath
from collections import Counter, defaultdict
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from . import chart, downloads, search, taxonomy
from . import data as sitedata
from .output import Output

SITE_DIR = Path(__file__).resolve().parent.parent / "site"
TEMPLATES = SITE_DIR / "templates"
STATIC = SITE_DIR / "static"
PER_PAGE = 50
FEED_SIZE = 50
ALL = "all"


def make_env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,  # every template, whatever its extension: all crawled text is hostile
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["month_label"] = month_label
    env.filters["country_label"] = sitedata.country_label
    return env


def month_label(month: str) -> str:
    try:
        year, mon = month.split("-")
        return f"{calendar.month_name[int(mon)]} {int(year)}"
    except (ValueError, IndexError):
        return "Date unknown"


def by_month(events):
    """[(month, [events])] in the (newest first) order given."""
    return [(m, list(g)) for m, g in itertools.groupby(events, key=lambda e: e["month"])]


def page_rel(base: str, n: int) -> str:
    return f"{base}.html" if n == 1 else f"{base}.{n}.html"


class Renderer:
    def __init__(self, out: Output):
        self.env = make_env()
        self.out = out
        self.counts: Counter = Counter()
        self._templates = {}

    def page(self, rel: str, template: str, kind: str, **ctx) -> None:
        ctx.setdefault("root", "../" * rel.count("/"))
        ctx.setdefault("path", rel)
        ctx.setdefault("feed", None)
        tpl = self._templates.get(template) or self._templates.setdefault(
            template, self.env.get_template(template))
        self.out.write(rel, tpl.render(**ctx))
        self.counts[kind] += 1

    def paged(self, base: str, template: str, kind: str, events: list, **ctx) -> None:
        chunks = [events[i:i + PER_PAGE] for i in range(0, len(events), PER_PAGE)] or [[]]
        n = len(chunks)
        for i, chunk in enumerate(chunks, 1):
            pager = {"page": i, "pages": n,
                     "prev": page_rel(base, i - 1) if i > 1 else None,
                     "next": page_rel(base, i + 1) if i < n else None,
                     "first": page_rel(base, 1), "last": page_rel(base, n)}
            self.page(page_rel(base, i), template, kind if i == 1 else kind + "_pages",
                      months=by_month(chunk), pager=pager, total=len(events), **ctx)


def _copy_static(out: Output) -> None:
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            out.write(posixpath.join("static", path.relative_to(STATIC).as_posix()), path.read_bytes())


def _facets(site) -> dict[tuple[str, str], list]:
    """(country slug | 'all', action slug | 'all') -> events, newest first. Only non-empty keys."""
    facets: dict[tuple[str, str], list] = defaultdict(list)
    for ev in site.events:
        actions = (ALL, ev["action_slug"]) if ev["action_slug"] not in (None, ALL) else (ALL,)
        countries = (ALL, *[c for c in ev["countries"] if c != ALL])
        for key in itertools.product(countries, actions):
            facets[key].append(ev)
    return facets


def _entity_summary(ent) -> dict:
    took, against = Counter(), Counter()
    partners: Counter = Counter()
    for ev in ent["events"]:
        if ev["actor"] is ent:
            took[ev["action_label"]] += 1
        if ev["target"] is ent:
            against[ev["action_label"]] += 1
        for role in ("actor", "target", "object"):
            other = ev[role]
            if other and other is not ent:
                partners[other["id"]] += 1
    top = sorted(partners.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return {"took": sorted(took.items()), "against": sorted(against.items()), "partners": top}


def feed_rel(kind: str, ident: str) -> str:
    return "feeds/all.xml" if kind == ALL else f"feeds/{kind}/{ident}.xml"


def build_site(db, out_dir, *, search_index: bool = True) -> dict:
    """Render the whole site from the store into out_dir, swapped in atomically.

    Returns counts: pages per kind, 'pages' (total), 'skipped' (rows whose id cannot be a file
    name), the file counts 'written', 'unchanged', 'removed', and 'search_seconds'.
    """
    site = sitedata.load(db)
    out = Output(out_dir)
    try:
        r = Renderer(out)
        _render(r, site, out)
        search_seconds = search.index(out.stage) if search_index and site.events else 0.0
        files = out.commit()
    except BaseException:
        out.abort()
        raise
    counts = dict(sorted(r.counts.items()))
    counts["pages"] = sum(r.counts.values())
    counts["skipped"] = site.skipped
    counts["search_seconds"] = round(search_seconds, 3)
    counts.update(files)
    return counts


def _render(r: Renderer, site, out: Output) -> None:
    _copy_static(out)
    labels = {}
    for code in site.actions:  # two codes with the same slug share one page: first label wins
        labels.setdefault(sitedata.slug(code), sitedata.action_label(code))
    facets = _facets(site)
    action_counts = {a: len(facets[(ALL, a)]) for a in labels if (ALL, a) in facets}
    country_counts = {c: len(facets[(c, ALL)]) for c in site.countries if (c, ALL) in facets}
    common = {"labels": labels, "action_counts": action_counts, "country_counts": country_counts}

    codes = [c for c in site.actions]
    r.page("index.html", "home.html", "home", title="Latest events", latest=site.events[:20],
           total=len(site.events), chart=chart.monthly_chart(
               site.events, codes, {c: sitedata.action_label(c) for c in codes}),
           feed=feed_rel(ALL, ""), **common)

    for (country, action), events in sorted(facets.items()):
        base = f"timeline/{country}/{action}"
        feed = (feed_rel(ALL, "") if country == ALL and action == ALL else
                feed_rel("actions", action) if country == ALL else
                feed_rel("countries", country) if action == ALL else None)
        r.paged(base, "timeline.html", "timeline", events, country=country, action=action,
                facets=facets, feed=feed, title=_facet_title(country, action, labels), **common)

    for ev in site.events:
        r.page(ev["href"], "event.html", "events", ev=ev, title=_event_title(ev))

    entities = [e for e in site.entities.values() if e["href"]]
    for ent in entities:
        r.paged(ent["href"][:-5], "entity.html", "entities", ent["events"], ent=ent,
                title=ent["name"], summary=_entity_summary(ent), entities=site.entities,
                feed=feed_rel("entities", ent["id"]) if ent["events"] else None)
    r.page("entities.html", "entities.html", "index_pages", title="Entities",
           groups=_group_entities(entities))

    for doc in site.documents.values():
        if doc["href"]:
            r.page(doc["href"], "document.html", "documents", doc=doc, title=doc["title"])

    by_source = defaultdict(list)
    for doc in sorted(site.documents.values(), key=lambda d: (d["published"] or "", d["id"]),
                      reverse=True):
        if doc["source"]:
            by_source[doc["source"]["id"]].append(doc)
    sources = [s for s in site.sources.values() if s["href"]]
    for src in sources:
        docs = by_source.get(src["id"], [])
        _paged_docs(r, src, docs)
    r.page("sources.html", "sources.html", "index_pages", title="Sources",
           sources=[(s, len(by_source.get(s["id"], []))) for s in sources])

    r.page("actions.html", "actions.html", "index_pages", title="Action types", **common)
    r.page("countries.html", "countries.html", "index_pages", title="Countries", **common)
    r.page("methodology.html", "methodology.html", "index_pages", title="Methodology",
           taxonomy=_taxonomy(codes, action_counts), totals=_totals(site), **common)
    r.page("downloads.html", "downloads.html", "index_pages", title="Downloads",
           columns=downloads.COLUMNS, total=len(site.events))
    r.page("search.html", "search.html", "index_pages", title="Search", **common)
    out.write("downloads/events.csv", downloads.to_csv(site.events))
    out.write("downloads/events.json", downloads.to_json(site.events))
    _feeds(r, site, facets, labels)


def _paged_docs(r: Renderer, src, docs) -> None:
    base = src["href"][:-5]
    chunks = [docs[i:i + PER_PAGE] for i in range(0, len(docs), PER_PAGE)] or [[]]
    for i, chunk in enumerate(chunks, 1):
        pager = {"page": i, "pages": len(chunks),
                 "prev": page_rel(base, i - 1) if i > 1 else None,
                 "next": page_rel(base, i + 1) if i < len(chunks) else None}
        r.page(page_rel(base, i), "source.html", "sources" if i == 1 else "sources_pages",
               src=src, docs=chunk, pager=pager, total=len(docs), title=src["name"])


def _feeds(r: Renderer, site, facets, labels) -> None:
    def feed(rel, title, events, alternate):
        entries = events[:FEED_SIZE]
        updated = max((e["date"] for e in entries if e["date"]), default="1970-01-01")
        r.page(rel, "feed.xml", "feeds", title=title, entries=entries, updated=updated,
               alternate=alternate, feed_id=rel)

    feed(feed_rel(ALL, ""), "All events", site.events, "timeline/all/all.html")
    for (country, action), events in sorted(facets.items()):
        if country == ALL and action != ALL:
            feed(feed_rel("actions", action), labels[action], events, f"timeline/all/{action}.html")
        elif action == ALL and country != ALL:
            feed(feed_rel("countries", country), sitedata.country_label(country), events,
                 f"timeline/{country}/all.html")
    for ent in site.entities.values():
        if ent["href"] and ent["events"]:
            feed(feed_rel("entities", ent["id"]), ent["name"], ent["events"], ent["href"])


def _facet_title(country, action, labels) -> str:
    what = labels[action] if action != ALL else "All events"
    return what if country == ALL else f"{what} · {sitedata.country_label(country)}"


def _event_title(ev) -> str:
    who = lambda e: e["name"] if e else "unknown"  # noqa: E731
    return f"{ev['action_label']}: {who(ev['actor'])} → {who(ev['target'])}"


def _group_entities(entities):
    groups = defaultdict(list)
    for e in entities:
        groups[(e["type"] or "other")].append(e)
    return [(t, sorted(es, key=lambda e: (e["name"].lower(), e["id"]))) for t, es in sorted(groups.items())]


def _taxonomy(seen_codes, action_counts):
    described = taxonomy.descriptions()
    codes = sorted(set(described) | set(seen_codes))
    return [{"code": c, "slug": sitedata.slug(c), "label": sitedata.action_label(c),
             "description": described.get(c, ""),
             "count": action_counts.get(sitedata.slug(c) or "", 0)} for c in codes]


def _totals(site):
    return {"events": len(site.events), "entities": len(site.entities),
            "documents": len(site.documents), "sources": len(site.sources)}
