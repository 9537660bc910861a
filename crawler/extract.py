"""Main text, title and publication date of an article page.

Text comes from trafilatura. The date is taken from the most precise place that has one:
the source's configured date element, a timestamp meta tag (keeps the time zone), then what the
caller already knows from a feed, API or listing, then htmldate's search of the page's own
metadata and visible text, and only then a date in the URL (China's MFA moved old pages: a
February 2022 press conference lives at a ``t20240530_`` URL). A page with none is left undated
(``published_at`` None), never given the crawl time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import htmldate
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
    'meta[name="PubDate"]::attr(content)',          # Chinese government CMSs (MFA, MOFCOM)
    'time[datetime]::attr(datetime)',
)
# Inside HTML a line break is only whitespace (government pages often wrap their source at 72
# columns); only <pre> keeps its lines. trafilatura keeps such breaks in its text, and the
# tagger reads every line as a paragraph.
_PRE_BLOCK = re.compile(r"(<pre\b.*?</pre\s*>)", re.I | re.S)
_LINE_BREAKS = re.compile(r"[ \t]*[\r\n]+[ \t]*")


def html_line_breaks_as_spaces(html: str) -> str:
    parts = _PRE_BLOCK.split(html)
    return "".join(part if i % 2 else _LINE_BREAKS.sub(" ", part) for i, part in enumerate(parts))


URL_DATE = re.compile(r"(?:/|t)(20\d\d)[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:[/_.-]|$)")


@dataclass
class Extracted:
    title: str | None
    text: str | None
    published_at: str | None  # UTC ISO 8601
    date_source: str | None
    selector_misses: tuple[str, ...] = ()  # configured selectors (title, date, text) that matched nothing


def to_utc_iso(value: str | datetime | None, default_tz: str = "UTC") -> str | None:
    """Parse a date or timestamp; a naive one is read in the source's time zone. UTC ISO out."""
    if value is None or value == "":
        return None
    try:
        # Listings wrap dates in brackets ("[2025-02-04]", MOFCOM) or label them ("Date: ...").
        text = str(value).strip().strip("[]()").strip() if not isinstance(value, datetime) else value
        moment = value if isinstance(value, datetime) else dateutil_parser.parse(text)
    except (ValueError, OverflowError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(default_tz))
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def date_from_url(url: str) -> str | None:
    match = URL_DATE.search(url)
    return "-".join(match.groups()) if match else None


def select(selector: parsel.Selector, expr: str) -> list[str]:
    """Texts matched by a configured selector: XPath if it starts with '/' or '(', else CSS.
    A CSS selector without ::text / ::attr() gives the matched elements' whole text."""
    if expr.startswith(("/", "(")):
        nodes = selector.xpath(expr)
    else:
        nodes = selector.css(expr)
    out = []
    for node in nodes:
        # Text or attribute nodes are values already; an element gives all the text inside it.
        value = node.get() if isinstance(node.root, str) else " ".join(node.xpath(".//text()").getall())
        value = " ".join((value or "").split())
        if value:
            out.append(value)
    return out


def page_date_of(html: str) -> str | None:
    """The publication date the page itself shows, in its metadata or visible text (htmldate).
    No URL is given: a date in the URL is the last resort, not a page date (trafilatura's own
    date search takes the URL's first)."""
    try:
        return htmldate.find_date(html, original_date=True, extensive_search=True)
    except (ValueError, TypeError):
        return None


def json_ld_date(selector: parsel.Selector) -> str | None:
    """datePublished from JSON-LD (dates inside scripts), never dateModified."""
    import json

    for raw in selector.css('script[type="application/ld+json"]::text').getall():
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        for node in (data if isinstance(data, list) else data.get("@graph", [data]) if isinstance(data, dict) else []):
            if isinstance(node, dict) and node.get("datePublished"):
                return str(node["datePublished"])
    return None


def extract_article(html: str, url: str, *, known_date: str | None = None,
                    known_date_source: str | None = None, tz: str = "UTC",
                    selectors: dict | None = None) -> Extracted:
    selector = parsel.Selector(text=html)
    selectors = selectors or {}
    misses = tuple(key for key in ("title", "date", "text")
                   if selectors.get(key) and not select(selector, selectors[key]))
    published, source = None, None
    if selectors.get("date"):  # the source's own date element beats generic guesses
        for value in select(selector, selectors["date"]):
            if published := to_utc_iso(value, tz):
                source = "page"
                break
    if not published and (published := to_utc_iso(json_ld_date(selector), tz)):
        source = "meta"
    for css in () if published else META_DATE_SELECTORS:
        published = to_utc_iso(selector.css(css).get(), tz)
        if published:
            source = "meta"
            break
    if not published and known_date and known_date_source != "url":
        published, source = known_date, known_date_source
    if not published and (page_date := page_date_of(html)):
        published, source = to_utc_iso(page_date, tz), "page"
    if not published and known_date:  # a listing's date read from the article's URL
        published, source = known_date, known_date_source
    if not published and (url_date := date_from_url(url)):
        published, source = to_utc_iso(url_date, tz), "url"
    doc = trafilatura.bare_extraction(html_line_breaks_as_spaces(html), url=url, with_metadata=True,
                                      include_comments=False, include_tables=False, favor_precision=True)
    configured_title = select(selector, selectors["title"]) if selectors.get("title") else []
    title = (next(iter(configured_title), None)
             or selector.css('meta[property="og:title"]::attr(content)').get()
             or getattr(doc, "title", None)  # a trafilatura Document, or None
             or selector.css("title::text").get())
    title = (title or "").strip() or None
    text = getattr(doc, "text", None) or ""
    if selectors.get("text"):  # trafilatura guesses; a configured main-text element is exact
        text = "\n".join(select(selector, selectors["text"])) or text
    first, _, rest = text.partition("\n")
    if title and first.strip() == title:  # the page's <h1> repeats the title: keep it out of the text
        text = rest
    return Extracted(title=title, text=text.strip() or None,
                     published_at=published, date_source=source, selector_misses=misses)
