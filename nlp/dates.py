"""Event dates: a DATE stated in the sentence, resolved against the document's publication date.

"on Tuesday" in a story published Wednesday 15 January 2025 is 2025-01-14. Durations ("for one
year", "90 days") and vague periods ("the past decade") are not dates of an event.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import lru_cache

from dateparser.date import DateDataParser

_MONTHS = ("jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|"
           "june|july|august|september|october|november|december")
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
# A text names a point in time if it has a month, a weekday, a year, a numeric date, or a
# deictic word; otherwise ("one year", "90 days", "decades") it is a duration or vague.
_POINT_RE = re.compile(
    rf"\b(?:{_MONTHS}|{_WEEKDAYS})\b\.?|\b(?:19|20)\d\d\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b|"
    r"\b(?:today|yesterday|tomorrow|tonight)\b|"
    r"\b(?:last|this|next|past|previous|coming)\s+(?:week|month|year|weekend)\b",
    re.I)
_DURATION_RE = re.compile(r"^\s*(?:for|over|within|during|in)\s+(?:the\s+)?(?:next|past|last)?\s*"
                          r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|a|several)\s+"
                          r"(?:days?|weeks?|months?|years?)\b", re.I)
_LEAD_RE = re.compile(r"^(?:on|in|since|from|by|as of|until|through|the)\s+", re.I)

def is_point_in_time(text: str) -> bool:
    return bool(_POINT_RE.search(text)) and not _DURATION_RE.match(text)


def base_datetime(published_at: str | None) -> datetime | None:
    if not published_at:
        return None
    try:
        dt = datetime.fromisoformat(published_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt.replace(tzinfo=None)


@lru_cache(maxsize=4096)
def resolve(text: str, base_iso: str, future: bool = False) -> tuple[str, str] | None:
    """(YYYY-MM-DD, precision) for a stated date, or None if it is not a point in time.

    precision is 'day', 'week', 'month' or 'year'; a month or year is given as its first day.
    `future`: the sentence speaks of what will happen ("will take effect on March 1").
    """
    if not is_point_in_time(text):
        return None
    base = datetime.fromisoformat(base_iso)
    cleaned = _LEAD_RE.sub("", text.strip()).strip(" ,.;")
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future" if future else "past",
                "RETURN_AS_TIMEZONE_AWARE": False}
    day = _WEEKDAY_ONLY.match(cleaned)
    if day and _WEEKDAY_NUM[day.group(1).lower()[:3]] == base.weekday():
        # "said on Monday" in a story published that Monday: the same day, not a week before
        return base.date().isoformat(), "day"
    data = DateDataParser(languages=["en"], settings=settings).get_date_data(cleaned)
    if data is None or data.date_obj is None:
        return _fallback(cleaned, base)
    parsed = data.date_obj.replace(tzinfo=None)
    period = data.period or "day"
    if period == "day" and not _YEAR_RE.search(cleaned) and _MONTH_RE.search(cleaned):
        # "Jan. 13" without a year: the year that puts it nearest the publication date
        # (dateparser's past/future preference jumps a whole year for a date a few days away).
        parsed = min((parsed.replace(year=y) for y in (base.year - 1, base.year, base.year + 1)),
                     key=lambda c: abs(c - base))
    return _truncate(parsed.date(), period), period


_YEAR_RE = re.compile(r"\b(?:19|20)\d\d\b")
_WEEKDAY_ONLY = re.compile(rf"^({_WEEKDAYS})$", re.I)
_WEEKDAY_NUM = {d: i for i, d in enumerate("mon tue wed thu fri sat sun".split())}
_MONTH_RE = re.compile(rf"\b({_MONTHS})\b", re.I)
_MONTH_NUM = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}


def _truncate(d: date, period: str) -> str:
    if period == "month":
        d = d.replace(day=1)
    elif period == "year":
        d = date(d.year, 1, 1)
    return d.isoformat()


def _fallback(text: str, base: datetime) -> tuple[str, str] | None:
    """'early 2024', 'the end of 2024', 'mid-October': keep the month or year that is stated."""
    year = _YEAR_RE.search(text)
    month = _MONTH_RE.search(text)
    if month:
        m = _MONTH_NUM[month.group(1).lower()[:3]]
        if year:
            return date(int(year.group()), m, 1).isoformat(), "month"
        candidates = [date(y, m, 1) for y in (base.year - 1, base.year, base.year + 1)]
        return min(candidates, key=lambda c: abs((c - base.date()).days)).isoformat(), "month"
    if year:
        return date(int(year.group()), 1, 1).isoformat(), "year"
    return None
