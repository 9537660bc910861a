"""Document pages: documents/<id>.html, one per stored document whose id can be a file name,
with the reports read from it.

Changes that touch them: a document's page when the document changed or one of its events did
(changes.documents); a page whose document is gone is removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..index import keys
from ..plan import Plan, page_key

if TYPE_CHECKING:
    from ..planner import Planner

TEMPLATE = "document.html"


def plan(p: Planner, plan: Plan) -> None:
    index, append = p.index, plan.pages.append
    docs: Iterable[dict] = index.documents.values()
    if p.changes is not None:
        docs = [index.documents[d] for d in sorted(p.changes.documents) if d in index.documents]
        p.removed.update(f"documents/{d}.html" for d in p.changes.documents
                         if d not in index.documents or not index.documents[d]["href"])
    for doc in docs:
        if doc["href"]:
            plan.kinds["documents"] += 1
            key = (page_key((doc["key"], keys(doc["events"]))) if doc["events"]
                   else doc["key"].hex())
            append((doc["href"], key, TEMPLATE, (context, doc)))


def context(doc):
    return {"doc": doc, "title": doc["title"], "_lazy": {"listing": ("plain", doc["events"])}}
