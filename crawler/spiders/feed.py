"""RSS/Atom feeds whose items link to article pages (or, for copyrighted news, are kept as
metadata and the feed's snippet: ``content = "snippet"``)."""

from __future__ import annotations

import calendar
from datetime import datetime, timezone

import feedparser
import parsel

from crawler.spiders.base import SourceSpider


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
        feed = feedparser.parse(response.body)
        if feed.bozo and not any(entry.get("link") for entry in feed.entries):
            # A feed with a quirk (bad encoding declaration, stray entity) still yields linked
            # entries and is used; broken XML that yields none is a failure, not an empty feed.
            self.index_fail("invalid XML feed", response)
            return
        self.crawler.stats.set_value("rivalry/feed_entries", len(feed.entries))
        seen = set()
        for entry in feed.entries:
            link = entry.get("link")
            if not link or not link.startswith(("http://", "https://")) or link in seen:
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
        """Copyrighted news: keep the headline, date, link and the feed's own snippet."""
        stats = self.crawler.stats
        stats.inc_value("rivalry/entries")
        if self.is_known(link):
            stats.inc_value("rivalry/skipped_known")
            return
        if self.too_old(published):
            stats.inc_value("rivalry/skipped_old")
            return
        source = entry.get("source", {})
        yield self.make_item(url=link, title=entry.get("title"), text=snippet(entry),
                             published_at=published, date_source="feed",
                             extra={"outlet": source.get("title")} if source.get("title") else None)
