"""The home page, index.html: the latest stories and the monthly chart.

Changes that touch it: any (it shows the totals and the latest entries), so it is planned on
every build; its key says when it must be rendered again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import chart
from .. import data as sitedata
from ..index import ACTION, ALL, MONTH, keys
from ..plan import HOME_SIZE, Plan, feed_rel

if TYPE_CHECKING:
    from ..planner import Planner


def plan(p: Planner, plan: Plan) -> None:
    index = p.index
    codes = list(index.actions)
    latest = index.entries[:HOME_SIZE]
    # The chart stacks what the timeline lists (stories), so its bars and the timeline's
    # months say the same numbers.
    the_chart = chart.monthly_chart([(e[MONTH], e[ACTION]) for e in index.entries], codes,
                                    {c: sitedata.action_label(c) for c in codes})
    plan.add("home", "index.html", "home.html",
             (repr(the_chart), keys(latest), repr(p.totals), p.common_key,
              repr(index.to_be_published)),
             title="Latest stories", latest=None, _lazy={"latest": ("plain", latest)},
             to_be_published=index.to_be_published, totals=p.totals,
             total=len(index.entries), chart=the_chart, feed=feed_rel(ALL, ""), **p.common)
