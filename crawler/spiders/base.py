"""What every source spider shares: its source config, the store lookup for URLs already
fetched, and turning an article page into a document item."""

from __future__ import annotations

import sqlite3

import scrapy

from crawler.extract import extract_article
from crawler.urls import canonical_url


class SourceSpider(scrapy.Spider):
    """A spider for one configured source (``source`` is a dict from sources.toml)."""

    def __init__(self, source: dict | str | None = None, refresh: bool = False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(source, dict):  # `scrapy crawl feed -a source=whitehouse` in crawler/
            from crawler.sources import load_sources
            matches = [s for s in load_sources()["sources"] if s["id"] == source]
            if not matches:
                raise ValueError(f"no source {source!r} in the sources file (-a source=ID)")
            source = matches[0]
        self.source = source
        self.refresh = refresh in (True, "1", "true", "yes")
        self.download_delay = source.get("delay", 1.0)
        self._known: set[str] | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.db_path = crawler.settings.get("RIVALRY_DB")
        return spider

    def is_known(self, url: str) -> bool:
        """Already stored? Then an incremental crawl does not fetch it again."""
        if self.refresh or not self.db_path:
            return False
        if self._known is None:
            try:
                conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
                rows = conn.execute("SELECT canonical_url FROM documents WHERE source_id = ?",
                                    [self.source["id"]]).fetchall()
                conn.close()
            except sqlite3.Error:
                rows = []  # no store yet: nothing is known
            self._known = {row[0] for row in rows}
        return canonical_url(url) in self._known

    def parse_article(self, response, published_at=None, date_source=None, feed_title=None):
        """Article page -> document item; text and date from the page, feed values as fallback."""
        html = response.text
        found = extract_article(html, response.url, known_date=published_at,
                                known_date_source=date_source, tz=self.source.get("timezone", "UTC"))
        yield {
            "source_id": self.source["id"],
            "url": response.url,
            "canonical_url": canonical_url(response.url),
            "title": found.title or feed_title,
            "text": found.text,
            "published_at": found.published_at,
            "date_source": found.date_source,
            "language": self.source.get("language"),
        }
