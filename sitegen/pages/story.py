"""Story pages: stories/<id>.html, one per real-world action however many reports it has
(the tagger's clusters, nlp/stories.py).

Changes that touch them: a story's page when its page key may have changed (changes.stories:
the stories derived again, those linked to them, the stories of changed links and of the
actor-target pairs whose related stories moved; stories.derive_again); a page whose story is
gone or has no report left is removed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import data as sitedata
from ..index import ID
from ..plan import Plan
from ..render import full

if TYPE_CHECKING:
    from ..planner import Planner

TEMPLATE = "story.html"
STORY_SOURCES = 60  # a story page lists this many sources, then says how many more


def plan(p: Planner, plan: Plan) -> None:
    pages = p.index.stories
    if p.changes is not None:
        changed = p.changes.stories
        pages = [page for page in pages if page[2][ID] in changed]
        p.removed.update(f"stories/{sid}.html" for sid in changed - {page[2][ID] for page in pages})
    plan.kinds["stories"] += len(pages)
    for href, key, st in pages:
        plan.pages.append((href, key, TEMPLATE, (context, st)))


def context(entry):
    st = full(entry)
    quotes, seen = [], set()
    for ev in ([st["primary_event"]] if st["primary_event"] else []) + st["events"]:
        if ev["evidence"] not in seen and len(quotes) < sitedata.MAX_QUOTES:
            seen.add(ev["evidence"])
            quotes.append(ev)
    return {"st": st, "title": st["headline"],
            "quotes": quotes, "docs": st["documents"][:STORY_SOURCES],
            "more_docs": max(0, len(st["documents"]) - STORY_SOURCES),
            "events": st["events"][:STORY_SOURCES]}
