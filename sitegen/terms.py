"""The site's vocabulary, its counts and its dates: one place, so every page says the same thing.

Two things are counted, and they are never called by each other's name:

    story   one real-world action (a rule, a listing, a charge), however many documents report
            it. Timelines, the home page, the chart, the feeds and the per-page downloads list
            stories. An event the tagger put in no story counts as a story of one report.
    report  one document's account of an action (the `events` table: who did what to whom,
            when, quoting the sentence). Event pages, search results and events.csv are reports.

So "22 stories from 34 reports" on the home page is the same 22 the timeline lists, the chart
stacks and the methodology and downloads pages name.
"""

from __future__ import annotations

import calendar
import functools

STORY_DEFINITION = ("A story is one real-world action (a rule, a listing, a charge, a tariff), "
                    "however many documents report it.")
REPORT_DEFINITION = ("A report is one document's account of an action: who did what to whom, "
                     "when, with the sentence it was read from (a row of the events table).")

_PLURALS = {"story": "stories", "report": "reports", "source": "sources", "document": "documents",
            "entity": "entities", "event": "events"}


def plural(n: int, word: str) -> str:
    """'1 story', '2 stories', '0 reports': the number and the word agreeing with it."""
    return f"{n} {word if n == 1 else _PLURALS.get(word, word + 's')}"


def counts(stories: int, reports: int) -> str:
    """'22 stories from 34 reports' (the same words on every page)."""
    if stories == reports:
        return plural(stories, "story")
    return f"{plural(stories, 'story')} from {plural(reports, 'report')}"


@functools.lru_cache(maxsize=8192)
def date_text(d: str | None, precision: str | None = "day") -> str:
    """A YYYY-MM-DD date as a reader says it, at its precision: '2020', 'March 2025',
    'week of 3 March 2025', '15 April 2025'. (A month or year is stored as its first day.)"""
    if not d or len(d) < 10:
        return "date not stated"
    try:
        year, month, day = int(d[:4]), int(d[5:7]), int(d[8:10])
        name = calendar.month_name[month]
    except (ValueError, IndexError):
        return d
    if precision == "year":
        return str(year)
    if precision == "month":
        return f"{name} {year}"
    if precision == "week":
        return f"week of {day} {name} {year}"
    return f"{day} {name} {year}"
