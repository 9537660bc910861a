"""Story pages: stories/<id>.html, one per real-world action however many reports it has
(the tagger's clusters, nlp/stories.py).

Changes that touch them: with stories in use every build plans every page (a story is keyed by
all of its reports, data.fill), so there is no incremental rule here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import data as sitedata
from ..plan import Plan
from ..render import full

if TYPE_CHECKING:
    from ..planner import Planner

TEMPLATE = "story.html"
STORY_SOURCES = 60  # a story page lists this many sources, then says how many more


def plan(p: Planner, plan: Plan) -> None:
    plan.kinds["stories"] += len(p.index.stories)
    for href, key, st in p.index.stories:
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
