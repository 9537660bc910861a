"""RSS/Atom feeds whose items link to article pages."""

from __future__ import annotations

import calendar
from datetime import datetime, timezone

import feedparser
import scrapy

from crawler.spiders.base import SourceSpider


def entry_date(entry) -> str | None:
    """The item's own date in UTC (feedparser normalises published/updated to UTC structs)."""
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    moment = datetime.fromtimestamp(calendar.timegm(parsed), tz=timezone.utc)
    return moment.isoformat()


class FeedSpider(SourceSpider):
    name = "feed"

    async def start(self):
        yield scrapy.Request(self.source["url"], callback=self.parse_feed)

    def parse_feed(self, response):
        feed = feedparser.parse(response.body)
        if feed.bozo and not feed.entries:
            raise ValueError(f"not a valid feed: {feed.get('bozo_exception')}")
        self.crawler.stats.set_value("rivalry/feed_entries", len(feed.entries))
        for entry in feed.entries:
            link = entry.get("link")
            if not link or not link.startswith(("http://", "https://")):
                continue
            if self.is_known(link):
                self.crawler.stats.inc_value("rivalry/skipped_known")
                continue
            yield response.follow(link, callback=self.parse_article, cb_kwargs={
                "published_at": entry_date(entry), "date_source": "feed",
                "feed_title": entry.get("title"),
            })
