"""What every source spider shares: its source config, requests that report why they failed,
the store lookup for URLs already fetched, hostile-response checks, and turning an article page
(or a PDF) into a document item."""

from __future__ import annotations

import sqlite3

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError

from crawler import checks, relevance
from crawler.extract import extract_article, to_utc_iso
from crawler.pdf import is_pdf, pdf_text
from crawler.urls import canonical_url
from rivalry import store

# Exception class name -> the reason recorded for the source (Scrapy 2.13+ and Twisted names).
ERROR_REASONS = {
    "CannotResolveHostError": "DNS lookup failed", "DNSLookupError": "DNS lookup failed",
    "DownloadTimeoutError": "timeout", "TimeoutError": "timeout", "TCPTimedOutError": "timeout",
    "DownloadConnectionRefusedError": "connection refused", "ConnectionRefusedError": "connection refused",
    "DownloadCancelledError": "oversize body", "ResponseNeverReceived": "connection failed",
    "ResponseDataLossError": "truncated response", "DownloadFailedError": "download failed",
}

# Canonical URLs some spider of this crawl process has asked for: every source runs in one
# process, so the same article reached through a feed and a listing is fetched once.
CLAIMED: set[str] = set()


def ignored_reason(message: str) -> str | None:
    """The failure an IgnoreRequest stands for, or None when it is robots.txt's polite no."""
    if "redirect loop" in message or "max redirections" in message:
        return "redirect loop"
    if "DOWNLOAD_MAXSIZE" in message:
        return "oversize body (decompressed)"
    return None


class SourceSpider(scrapy.Spider):
    """A spider for one configured source (``source`` is a dict from sources.toml)."""

    def __init__(self, source: dict | str | None = None, refresh: bool = False,
                 since: str | None = None, resume: bool = False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(source, dict):
            config: dict = source
        else:  # `scrapy crawl feed -a source=whitehouse` in crawler/
            from crawler.sources import load_sources
            matches = [s for s in load_sources()["sources"] if s["id"] == source]
            if not matches:
                raise ValueError(f"no source {source!r} in the sources file (-a source=ID)")
            config = matches[0]
        self.source = config
        self.refresh = refresh in (True, "1", "true", "yes")
        # The previous crawl did not finish: do not stop paging at the first page of known items.
        self.resume = resume in (True, "1", "true", "yes") or self.refresh
        self.since = to_utc_iso(since) if since else None
        self.tz = config.get("timezone", "UTC")
        self._known: set[str] | None = None
        self.db_path: str | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.db_path = crawler.settings.get("RIVALRY_DB")
        return spider

    # --- requests and their failures ------------------------------------------------------

    def request(self, url, callback, *, index=False, conditional=False, end_ok=False,
                next_link=False, **cb_kwargs):
        """A request whose failure is recorded with a reason. ``index``: a feed, listing or API
        page, whose failure fails the source; ``conditional``: send the stored ETag/Last-Modified;
        ``end_ok``: a 404 here is the end of the paging, not a failure; ``next_link``: a page the
        previous page linked to, whose failure (any) ends the paging with a note."""
        meta = {"rivalry_index": index, "rivalry_end_ok": end_ok, "rivalry_next_link": next_link}
        if conditional and not self.refresh:
            meta["rivalry_conditional"] = True
            meta["handle_httpstatus_list"] = [304]
        return scrapy.Request(url, callback=callback, errback=self.on_error, meta=meta,
                              cb_kwargs=cb_kwargs, dont_filter=index)

    def record(self, kind: str, reason: str, url: str | None = None) -> None:
        """kind 'fail' fails the source; 'note' is shown but does not."""
        stats = self.crawler.stats
        stats.inc_value(f"rivalry/{kind}/{reason}")
        if url:
            stats.set_value(f"rivalry/{kind}_url/{reason}", url)
        if kind == "fail" and url and self.db_path:
            self.forget_validators(url)

    def forget_validators(self, url: str) -> None:
        """A page that failed (bot-check, broken JSON) must not earn a 304 next time: the
        conditional-GET middleware stored its ETag before the page was parsed."""
        if not self.db_path:
            return
        try:
            conn = store.connect(self.db_path)
            with conn:
                conn.execute("DELETE FROM http_cache WHERE url = ?", [url])
            conn.close()
        except sqlite3.Error:
            pass

    def on_error(self, failure):
        request = failure.request
        if failure.check(HttpError):
            response = failure.value.response
            reason = f"HTTP {response.status}"
            if request.meta.get("rivalry_end_ok") and response.status == 404:
                return  # ran past the last page
            # Bot walls usually answer 403/429/503 with a challenge page: that is the news here.
            if checks.is_bot_check(response.status, response.body[:200_000].decode("utf-8", "replace")):
                self.record("fail", "bot-check page", request.url)
                return
        elif failure.check(IgnoreRequest):
            # Scrapy gives up on a redirect loop and on a body that decompresses past
            # DOWNLOAD_MAXSIZE (a gzip bomb) with IgnoreRequest too: those are failures to record.
            reason = ignored_reason(str(failure.value))
            if reason is None:
                return  # robots.txt said no: not a failure here
        else:
            reason = ERROR_REASONS.get(type(failure.value).__name__, type(failure.value).__name__)
        if request.meta.get("rivalry_next_link"):
            # The pages before it were read and their documents stored: not a failed source.
            self.record("note", f"paging ended: next page {reason}", request.url)
        elif request.meta.get("rivalry_index"):
            self.record("fail", reason, request.url)
        else:
            self.record("note", f"article {reason}", request.url)
            self.crawler.stats.inc_value("rivalry/article_errors")

    def index_fail(self, reason: str, response) -> None:
        if response.meta.get("rivalry_next_link"):  # a broken next page ends paging, see on_error
            self.record("note", f"paging ended: next page {reason}", response.url)
            return
        self.record("fail", reason, response.url)

    # --- configured selectors that match nothing: a layout change, said by name -----------------

    def selector_failed(self, reason: str) -> None:
        """A configured selector matched nothing: the canary flags the source naming it (an
        empty result is never a quiet success; health.canary)."""
        self.crawler.stats.inc_value(f"rivalry/selector/{reason}")

    def closed(self, reason):
        """A configured article selector that matched on none of tonight's pages flags the
        source by name (on some pages only: a note); the pages were stored with what trafilatura
        found."""
        stats = self.crawler.stats
        pages = stats.get_value("rivalry/article_pages_with_selectors", 0)
        prefix = "rivalry/selector_miss/"
        for key, count in list(stats.get_stats().items()):
            if not key.startswith(prefix):
                continue
            name = key[len(prefix):]
            if count >= pages:
                self.selector_failed(f"{name} matched nothing on {count} page(s)")
            else:
                self.record("note", f"{name} matched nothing on {count} of {pages} pages",
                            stats.get_value(f"rivalry/selector_miss_url/{name}"))

    # --- responses ----------------------------------------------------------------------------

    def not_modified(self, response) -> bool:
        """A 304 to a conditional request: nothing new since last time."""
        if response.status == 304:
            self.crawler.stats.inc_value("rivalry/not_modified")
            return True
        return False

    def text_of(self, response) -> str:
        """The body as text, repairing a declared charset that lies (recorded as a note)."""
        declared = checks.declared_charset(
            response.headers.get("Content-Type", b"").decode("latin-1"), response.body)
        text, note = checks.decode_body(response.body, declared)
        if note:
            self.record("note", note, response.url)
        return text

    def is_bot_check(self, response, text: str) -> bool:
        if checks.is_bot_check(response.status, text):
            self.record("fail", "bot-check page", response.url)  # never stored as a document
            return True
        return False

    def is_known(self, url: str) -> bool:
        """Already stored? Then an incremental crawl does not fetch it again."""
        if self.refresh or not self.db_path:
            return False
        if self._known is None:
            self._known = set()
            try:
                conn = store.connect(self.db_path, mode="mode=ro")
                # Every source's documents: the same item reached by another route is known too.
                # Not one still to be published: its published version must be fetched.
                self._known = {row[0] for row in conn.execute(
                    "SELECT canonical_url FROM documents WHERE status != ?", [store.TO_BE_PUBLISHED])}
                conn.close()
            except sqlite3.Error:
                pass  # no store yet: nothing is known
        return canonical_url(url) in self._known

    def too_old(self, published_at: str | None) -> bool:
        """Older than --since (an undated item is never too old: it is kept and flagged)."""
        return bool(self.since and published_at and published_at < self.since)

    def follow_article(self, response, url: str, **kw):
        """Request an article unless it is stored already; counts every entry seen."""
        stats = self.crawler.stats
        stats.inc_value("rivalry/entries")
        if self.is_known(url):
            stats.inc_value("rivalry/skipped_known")
            return None
        if self.too_old(kw.get("published_at")):
            stats.inc_value("rivalry/skipped_old")
            return None
        key = canonical_url(response.urljoin(url))
        if key in CLAIMED:  # another source (or route) of this crawl fetches it already
            stats.inc_value("rivalry/skipped_known")
            return None
        CLAIMED.add(key)
        return self.request(response.urljoin(url), self.parse_article, **kw)

    # --- items ----------------------------------------------------------------------------------

    def make_item(self, *, url, title, text, published_at, date_source, extra=None) -> dict:
        src = self.source
        item = {
            "source_id": src["id"], "url": url, "canonical_url": canonical_url(url),
            "title": (title or "").strip() or None, "text": text, "published_at": published_at,
            "date_source": date_source if published_at else None,
            "language": src.get("language"), "status": "ok",
        }
        if extra:
            import json
            item["extra"] = json.dumps(extra, sort_keys=True)
        if src.get("relevance", True) and not relevance.is_relevant(
                title, text, src.get("keywords", ()), src.get("default_keywords", ()),
                given=src.get("relevance_given")):
            item["status"] = "irrelevant"
        return item

    def parse_article(self, response, published_at=None, date_source=None, feed_title=None,
                      feed_text=None):
        """Article page (or PDF) -> document item; page values first, listing/feed values as fallback."""
        if is_pdf(response.body, response.headers.get("Content-Type", b"").decode("latin-1")):
            yield from self.parse_pdf(response, published_at, date_source, feed_title)
            return
        html = self.text_of(response)
        if self.is_bot_check(response, html):
            return
        found = extract_article(html, response.url, known_date=published_at,
                                known_date_source=date_source, tz=self.tz,
                                selectors=self.source.get("selectors"))
        if self.source.get("selectors") and set(self.source["selectors"]) & {"title", "date", "text"}:
            self.crawler.stats.inc_value("rivalry/article_pages_with_selectors")
            for key in found.selector_misses:
                expr = self.source["selectors"][key]
                self.crawler.stats.inc_value(f"rivalry/selector_miss/article selector {key} = {expr!r}")
                self.crawler.stats.set_value(f"rivalry/selector_miss_url/article selector {key} = {expr!r}",
                                             response.url)
        if self.too_old(found.published_at):
            self.crawler.stats.inc_value("rivalry/skipped_old")
            return
        yield self.make_item(url=response.url, title=found.title or feed_title,
                             text=found.text or feed_text, published_at=found.published_at,
                             date_source=found.date_source)
        if self.source.get("follow_pdfs"):
            # A linked report inherits the linking page's date (a PDF's own dates are unreliable).
            css = (self.source.get("selectors") or {}).get("pdf", 'a[href$=".pdf"]')
            for link in scrapy.Selector(text=html).css(css):
                href = link.attrib.get("href", "")
                if not href or href.startswith(("javascript:", "mailto:", "data:")):
                    continue
                request = self.follow_article(response, href, published_at=found.published_at,
                                              date_source=found.date_source,
                                              feed_title=" ".join(link.css("::text").getall()).strip() or None)
                if request is not None:
                    yield request

    def parse_pdf(self, response, published_at, date_source, fallback_title):
        title, text = pdf_text(response.body)
        if text is None:
            self.record("note", "unreadable PDF", response.url)
        self.crawler.stats.inc_value("rivalry/pdfs")
        yield self.make_item(url=response.url, title=title or fallback_title, text=text,
                             published_at=published_at, date_source=date_source,
                             extra={"format": "pdf"})

