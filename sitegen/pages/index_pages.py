"""The site's fixed pages: actions.html, countries.html (the timeline filters with their
counts), downloads.html (the data files and their columns) and search.html.

Changes that touch them: any (they show counts and totals), so they are planned on every
build; their keys say when they must be rendered again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import downloads
from ..plan import Plan

if TYPE_CHECKING:
    from ..planner import Planner


def plan(p: Planner, plan: Plan) -> None:
    common, common_key = p.common, p.common_key
    plan.add("index_pages", "actions.html", "actions.html", (common_key,), title="Action types",
             **common)
    plan.add("index_pages", "countries.html", "countries.html", (common_key,),
             title="Countries", **common)
    plan.add("index_pages", "downloads.html", "downloads.html", (repr(p.totals),),
             title="Downloads", columns=downloads.COLUMNS, story_columns=downloads.STORY_COLUMNS,
             totals=p.totals, snapshot_tables=downloads.SNAPSHOT_TABLES)
    plan.add("index_pages", "search.html", "search.html", (common_key,), title="Search",
             **common)
