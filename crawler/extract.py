"""Main text, title and publication date of an article page.

Text comes from trafilatura. The date is taken from the most precise place that has one:
a timestamp meta tag (keeps the time zone), then what the caller already knows (feed or API),
then trafilatura's date search, then a date in the URL. A page with none is left undated
(``published_at`` None), never given the crawl time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import parsel
import trafilatura
from dateutil import parser as dateutil_parser

META_DATE_SELECTORS = (
    'meta[property="article:published_time"]::attr(content)',
    'meta[name="article:published_time"]::attr(content)',
    'meta[itemprop="datePublished"]::attr(content)',
    'meta[name="dcterms.date"]::attr(content)',
    'meta[name="DC.date.issued"]::attr(content)',
    'meta[name="publishdate"]::attr(content)',
    'time[datetime]::attr(datetime)',
)
URL_DATE = re.compile(r"(?:/|t)(20\d\d)[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:[/_.-]|$)")


@dataclass
class Extracted:
    title: str | None
    text: str | None
    published_at: str | None  # UTC ISO 8601
    date_source: str | None


def to_utc_iso(value: str | datetime | None, default_tz: str = "UTC") -> str | None:
    """Parse a date or timestamp; a naive one is read in the source's time zone. UTC ISO out."""
    if value is None or value == "":
        return None
    try:
        moment = value if isinstance(value, datetime) else dateutil_parser.parse(str(value))
    except (ValueError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(default_tz))
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def date_from_url(url: str) -> str | None:
    match = URL_DATE.search(url)
    return "-".join(match.groups()) if match else None


def extract_article(html: str, url: str, *, known_date: str | None = None,
                    known_date_source: str | None = None, tz: str = "UTC") -> Extracted:
    selector = parsel.Selector(text=html)
    published, source = None, None
    for css in META_DATE_SELECTORS:
        published = to_utc_iso(selector.css(css).get(), tz)
        if published:
            source = "meta"
            break
    if not published and known_date:
        published, source = known_date, known_date_source
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      include_tables=False, favor_precision=True)
    if not published and doc is not None and doc.date:
        published, source = to_utc_iso(doc.date, tz), "page"
    if not published and (url_date := date_from_url(url)):
        published, source = to_utc_iso(url_date, tz), "url"
    title = (selector.css('meta[property="og:title"]::attr(content)').get()
             or (doc.title if doc is not None else None)
             or selector.css("title::text").get())
    title = (title or "").strip() or None
    text = (doc.text if doc is not None else "") or ""
    first, _, rest = text.partition("\n")
    if title and first.strip() == title:  # the page's <h1> repeats the title: keep it out of the text
        text = rest
    return Extracted(title=title, text=text.strip() or None,
                     published_at=published, date_source=source)
