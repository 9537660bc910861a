"""HTML listing pages linking to article pages; selectors and paging from config.

``selectors.item`` finds each item (an <a>, or an element holding one); ``item_date`` and
``item_title`` (relative to the item) give a date and title where the listing has them.
Paging (``[source.paging]``): ``mode = "index"`` (``index.html``, ``index_1.html``...),
``"query"`` (``?page=N``), ``"next"`` (a next-page link, ``selectors.next``). Paging stops at
``max_pages`` or as soon as a page holds only items already stored (or older than --since).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import parsel

from crawler.extract import select, to_utc_iso
from crawler.spiders.base import SourceSpider


def page_url(first_url: str, mode: str, number: int, param: str = "page") -> str:
    if mode == "index":  # .../index.html -> .../index_1.html (China's government sites)
        base = first_url if first_url.endswith(".html") else first_url.rstrip("/") + "/index.html"
        return re.sub(r"index(?:_\d+)?\.html$", f"index_{number}.html" if number else "index.html", base)
    parts = urlsplit(first_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != param]
    query.append((param, str(number)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


class ListingSpider(SourceSpider):
    name = "listing"

    def paging(self) -> dict:
        return {"mode": "none", "param": "page", "first": 0, **self.source.get("paging", {})}

    async def start(self):
        paging = self.paging()
        url = self.source["url"]
        if paging["mode"] in ("index", "query") and paging["first"]:
            url = page_url(url, paging["mode"], paging["first"], paging["param"])
        yield self.request(url, self.parse_listing, index=True, conditional=True, page=1,
                           number=paging["first"])

    def item_date(self, node, link: str) -> tuple[str | None, str | None]:
        expr = self.source["selectors"].get("item_date")
        if expr:
            for value in select(node, expr):
                if found := to_utc_iso(value, self.tz):
                    return found, "listing"
        return None, None

    def parse_listing(self, response, page, number):
        if self.not_modified(response):
            return
        html = self.text_of(response)
        if self.is_bot_check(response, html):
            return
        selector = parsel.Selector(text=html, base_url=response.url)
        selectors = self.source["selectors"]
        item_expr = selectors["item"]
        nodes = selector.xpath(item_expr) if item_expr.startswith(("/", "(")) else selector.css(item_expr)
        pattern = re.compile(self.source["url_pattern"]) if self.source.get("url_pattern") else None
        self.crawler.stats.inc_value("rivalry/index_pages")
        fresh = 0
        matched, considered = {key: 0 for key in ("item_date", "item_title") if selectors.get(key)}, 0
        for node in nodes:
            href = node.attrib.get("href") or node.css("a::attr(href)").get()
            if not href or href.startswith(("javascript:", "mailto:", "#")):
                continue
            link = response.urljoin(href)
            if pattern and not pattern.search(link):
                continue
            considered += 1
            published, date_source = self.item_date(node, link)
            title = None
            if selectors.get("item_title"):
                title = next(iter(select(node, selectors["item_title"])), None)
            for key in matched:
                matched[key] += bool(select(node, selectors[key]))
            title = title or " ".join(" ".join(node.xpath(".//text()").getall()).split()) or None
            request = self.follow_article(response, link, published_at=published,
                                          date_source=date_source, feed_title=title)
            if request is not None:
                fresh += 1
                yield request
        if not nodes:
            if page == 1:  # the layout changed (a later empty page is only the end of paging)
                self.selector_failed(f"listing selector item = {item_expr!r} matched nothing")
            return
        for key, count in matched.items():
            if considered and count == 0:  # on every item of the page: the markup changed, not one odd item
                self.selector_failed(f"listing selector {key} = {selectors[key]!r} matched nothing")
        if fresh == 0 and not self.resume:
            self.crawler.stats.inc_value("rivalry/paging_stopped_known")
            return  # only known (or too old) items here: the older pages hold nothing new
        if page >= self.source.get("max_pages", 5):
            return
        paging = self.paging()
        next_url = None
        if paging["mode"] in ("index", "query"):
            next_url = page_url(self.source["url"], paging["mode"], number + 1, paging["param"])
        elif paging["mode"] == "next" and selectors.get("next"):
            href = next(iter(select(selector, selectors["next"])), None)
            next_url = response.urljoin(href) if href else None
        if next_url:
            yield self.request(next_url, self.parse_listing, index=True, end_ok=True, page=page + 1,
                               number=number + 1)
