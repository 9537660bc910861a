"""XML sitemaps (and sitemap indexes): article URLs matching ``url_pattern``, newest first.

``<lastmod>`` decides what is worth fetching: a URL already stored is fetched again only when
--refresh is given; a sitemap whose lastmod is older than --since is not opened at all.
"""

from __future__ import annotations

import re

from scrapy.utils.sitemap import Sitemap

from crawler.extract import to_utc_iso
from crawler.spiders.base import SourceSpider


class SitemapSpider(SourceSpider):
    name = "sitemap"

    async def start(self):
        yield self.request(self.source["url"], self.parse_sitemap, index=True, conditional=True)

    def parse_sitemap(self, response):
        if self.not_modified(response):
            return
        body = response.body
        if self.is_bot_check(response, self.text_of(response)):
            return
        try:
            sitemap = Sitemap(body)
            entries = list(sitemap)
        except Exception:  # lxml raises several types for broken XML
            self.index_fail("invalid XML sitemap", response)
            return
        if sitemap.type not in ("urlset", "sitemapindex"):
            self.index_fail("invalid XML sitemap", response)
            return
        self.crawler.stats.inc_value("rivalry/index_pages")
        if sitemap.type == "sitemapindex":
            for entry in entries:
                lastmod = to_utc_iso(entry.get("lastmod"), self.tz)
                if self.too_old(lastmod):
                    continue  # nothing in it changed since --since
                yield self.request(response.urljoin(entry["loc"]), self.parse_sitemap, index=True,
                                   conditional=True)
            return
        pattern = re.compile(self.source["url_pattern"]) if self.source.get("url_pattern") else None
        entries.sort(key=lambda e: e.get("lastmod", ""), reverse=True)
        for entry in entries[: 50 * self.source.get("max_pages", 5)]:
            url = response.urljoin(entry["loc"])
            if pattern and not pattern.search(url):
                continue
            if self.too_old(to_utc_iso(entry.get("lastmod"), self.tz)):
                continue  # unchanged since before --since
            # lastmod is when the page last changed, not when it was published: only a fallback.
            request = self.follow_article(response, url, published_at=None, date_source=None)
            if request is not None:
                yield request
