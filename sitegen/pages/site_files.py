"""sitemap.xml (the pages worth finding: no month page, no entity without a story) and the
404 page, whose links start at the site's root (it is served at any depth).

Changes that touch them: any, so they are planned on every build; their keys say when they
must be rendered again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..index import ID
from ..plan import SITEMAP_MAX, Plan

if TYPE_CHECKING:
    from ..planner import Planner

SITEMAP = "sitemap.xml"


def plan(p: Planner, plan: Plan) -> None:
    index = p.index
    rels = [f"{name}.html" for name in ("index", "actions", "countries", "entities",
                                         "sources", "methodology", "downloads", "search")]
    rels += [f"timeline/{c}/{a}.html" for c, a in sorted(p.facets)]
    rels += [href for href, _, _ in sorted(index.stories)]
    rels += [e["href"] for e in p.entities if index.entity_entries.get(e["id"])]
    rels += [s["href"] for s in index.sources.values() if s["href"]]
    rels += [f"events/{e[ID]}.html" for e in index.events]
    rels = rels[:SITEMAP_MAX]
    plan.add("index_pages", SITEMAP, "sitemap.xml", (p.site_url, tuple(rels)),
             rels=rels, site_url=p.site_url)
    root = urlsplit(p.site_url).path if p.site_url else "/"
    plan.add("index_pages", "404.html", "404.html", (root,), title="Page not found",
             root=root)
