"""Event pages: events/<id>.html, one per report (an event a document reports as news).

Changes that touch them: an event's own row, its document's or its entities' (changes.events
holds the events read again for any of those), and, since each page names its story and its
sources, its story's (changes.events holds the reports of the stories derived again too); a
page whose event is gone is removed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import fragments
from ..index import ID, KEY
from ..plan import Plan, page_key
from ..render import full

if TYPE_CHECKING:
    from ..planner import Planner

TEMPLATE = "event.html"


def plan(p: Planner, plan: Plan) -> None:
    index = p.index
    events = index.events
    if p.changes is not None:
        by_id = {e[ID]: e for e in events}
        events = [by_id[i] for i in sorted(p.changes.events) if i in by_id]
        p.removed.update(f"events/{i}.html" for i in p.changes.events if i not in by_id)
    plan.kinds["events"] += len(events)
    story_of, append = index.event_story.get, plan.pages.append
    for ev in events:
        st = story_of(ev[ID])
        key = page_key((ev[KEY], st[0], st[1])) if st else ev[KEY].hex()
        append((f"events/{ev[ID]}.html", key, TEMPLATE, (context, ev)))


def context(entry):
    ev = full(entry)
    return {"ev": ev, "title": ev["headline"], "_lazy": {"body": (fragments.event_body, ev)}}
