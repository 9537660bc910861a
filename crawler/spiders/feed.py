"""RSS/Atom feeds whose items link to article pages (or, for copyrighted news, are kept as
metadata and the feed's snippet: ``content = "snippet"``)."""

from __future__ import annotations

import calendar
import xml.sax
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

import feedparser
import parsel

from crawler.spiders.base import CLAIMED, SourceSpider
from crawler.urls import canonical_url


def entry_date(entry) -> str | None:
    """The item's own date in UTC (feedparser normalises published/updated to UTC structs)."""
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    moment = datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
    return moment.isoformat()


def snippet(entry) -> str | None:
    html = entry.get("summary") or ""
    text = " ".join(parsel.Selector(text=f"<div>{html}</div>").xpath("//text()").getall()).split()
    return " ".join(text)[:1000] or None


def parse_body(response) -> feedparser.FeedParserDict:
    """feedparser with the response's own headers (so an HTTP charset is honoured) and its URL as
    the base (``content-location``: feedparser's href), so relative item links resolve."""
    headers = {key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
               for key, values in response.headers.items()}
    headers["content-location"] = urljoin(response.url, headers.get("content-location", ""))
    return feedparser.parse(response.body, response_headers=headers)


def is_invalid_xml(feed) -> bool:
    """Broken XML, not a quirk: feedparser also sets bozo for a charset it had to override."""
    return bool(feed.bozo) and isinstance(feed.get("bozo_exception"), xml.sax.SAXException)


def split_outlet(entry) -> tuple[str | None, str | None, str | None]:
    """(headline, outlet name, publisher's article URL) of a news aggregator's item. Google News
    titles end with " - Outlet" and name the outlet in the item's <source> element; its url is
    the publisher's address (usually the outlet's home page: only a URL with a path is an
    article's)."""
    title = (entry.get("title") or "").strip() or None
    source = entry.get("source") or {}
    outlet = (source.get("title") or "").strip() or None
    if title and outlet and title.endswith(f" - {outlet}"):
        title = title[: -len(outlet) - 3].rstrip() or title
    href = source.get("href") or ""
    article = href if href.startswith(("http://", "https://")) and urlsplit(href).path.strip("/") else None
    return title, outlet, article


class FeedSpider(SourceSpider):
    name = "feed"

    async def start(self):
        yield self.request(self.source["url"], self.parse_feed, index=True, conditional=True)

    def parse_feed(self, response):
        if self.not_modified(response):
            return
        text = self.text_of(response)
        if self.is_bot_check(response, text):
            return
        feed = parse_body(response)
        linked = [entry for entry in feed.entries if entry.get("link")]
        if not feed.entries and not feed.get("version"):
            self.index_fail("not an RSS or Atom feed", response)  # an HTML page, a JSON error...
            return
        if not linked and is_invalid_xml(feed):
            # A feed with a quirk still yields linked entries and is used; XML that breaks
            # before any is a failure, not an empty feed.
            self.index_fail("invalid XML feed", response)
            return
        self.crawler.stats.set_value("rivalry/feed_entries", len(feed.entries))
        seen = set()
        for entry in feed.entries:
            link = entry.get("link")
            if not link or not link.startswith(("http://", "https://")):
                self.record("note", "feed entry without a link", response.url)  # counted, skipped
                continue
            if link in seen:
                continue  # a feed listing one story twice is one story
            seen.add(link)
            published = entry_date(entry)
            if self.source.get("content") == "snippet":
                yield from self.snippet_item(entry, link, published)
                continue
            request = self.follow_article(response, link, published_at=published, date_source="feed",
                                          feed_title=entry.get("title"), feed_text=None)
            if request is not None:
                yield request

    def snippet_item(self, entry, link, published):
        """Copyrighted news: keep the headline, date, link and the feed's own snippet. An
        aggregator's item is keyed by the publisher's URL when the feed gives it, so the same
        article reached from the outlet's own feed is one document."""
        stats = self.crawler.stats
        stats.inc_value("rivalry/entries")
        title, outlet, article = split_outlet(entry)
        url = article or link
        if self.is_known(url):
            stats.inc_value("rivalry/skipped_known")
            return
        if self.too_old(published):
            stats.inc_value("rivalry/skipped_old")
            return
        key = canonical_url(url)
        if key in CLAIMED:  # another feed of this crawl has the same article
            stats.inc_value("rivalry/skipped_known")
            return
        CLAIMED.add(key)
        extra = {"outlet": outlet} if outlet else {}
        if article:
            extra["via"] = link  # the aggregator's redirect link
        yield self.make_item(url=url, title=title, text=snippet(entry), published_at=published,
                             date_source="feed", extra=extra or None)
