"""Source pages: sources/<id>.html (its newest PER_PAGE documents), sources/<id>/<YYYY-MM>.html
for a source with more, and the index sources.html.

Changes that touch them: every source page is planned on every build (a few of them; they list
documents with their report counts): their keys say which must be rendered again.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from .. import fragments
from ..plan import PER_PAGE, Plan, docs_by_month, month_index, month_label

if TYPE_CHECKING:
    from ..planner import Planner

TEMPLATE = "source.html"


def plan(p: Planner, plan: Plan) -> None:
    index = p.index
    by_source = defaultdict(list)
    for doc in sorted(index.documents.values(), key=lambda d: (d["published"] or "", d["id"]),
                      reverse=True):
        if doc["source"]:
            doc["month"] = (doc["published"] or "")[:7]
            by_source[doc["source"]["id"]].append(doc)
    sources = [s for s in index.sources.values() if s["href"]]
    for src in sources:
        _source_pages(plan, src, by_source.get(src["id"], []))
    plan.add("index_pages", "sources.html", "sources.html",
             (tuple((s["key"], len(by_source.get(s["id"], []))) for s in sources),),
             title="Sources", sources=[(s, len(by_source.get(s["id"], []))) for s in sources])


def _document_keys(docs) -> bytes:
    return b"".join(d["key"] + str(len(d["events"])).encode() for d in docs)


def _source_pages(plan: Plan, src, docs):
    base = src["href"][:-5]
    paged = len(docs) > PER_PAGE
    index = month_index((m, len(ds)) for m, ds in docs_by_month(docs)) if paged else []
    plan.add("sources", src["href"], TEMPLATE,
             (src["key"], len(docs), repr(index), _document_keys(docs[:PER_PAGE])),
             src=src, docs=docs[:PER_PAGE], total=len(docs), title=src["name"], month=None,
             index=index, base=base)
    if paged:
        groups = docs_by_month(docs)
        for i, (month, ds) in enumerate(groups):
            slug = fragments.month_slug(month)
            newer = fragments.month_slug(groups[i - 1][0]) if i > 0 else None
            older = fragments.month_slug(groups[i + 1][0]) if i + 1 < len(groups) else None
            plan.add("source_months", f"{base}/{slug}.html", TEMPLATE,
                     (src["key"], month, newer, older, _document_keys(ds)),
                     src=src, docs=ds, total=len(ds), title=f"{src['name']} · {month_label(month)}",
                     month=month, month_slug=slug, newer=newer, older=older, index=[], base=base)
