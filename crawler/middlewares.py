"""Downloader middlewares and an extension: conditional GET, Retry-After, live progress."""

from __future__ import annotations

import email.utils
import sqlite3
import sys
import time
from datetime import datetime, timezone

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from rivalry import store


def _utc_now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class ConditionalGetMiddleware:
    """Feeds, listings and API pages marked ``rivalry_conditional`` are asked for with the
    ETag / Last-Modified of the last 200; a 304 then costs the site (and us) almost nothing.

    Validators are written only when the source's crawl finished with no failure: after a crash
    or a failure half way through a listing, a 304 on page 1 would otherwise hide the pages the
    crashed run never reached (resume), or a broken page that was never parsed."""

    def __init__(self, db_path: str, crawler):
        self.db_path = db_path
        self.crawler = crawler
        self.pending: dict[str, tuple[str | None, str | None]] = {}

    @classmethod
    def from_crawler(cls, crawler):
        db_path = crawler.settings.get("RIVALRY_DB")
        if not db_path or crawler.settings.get("RIVALRY_REPLAY"):
            raise NotConfigured  # replaying an archive asks no server anything
        middleware = cls(db_path, crawler)
        crawler.signals.connect(middleware.closed, signal=signals.spider_closed)
        return middleware

    def _connect(self):
        conn = store.connect(self.db_path)
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def process_request(self, request, spider=None):
        if not request.meta.get("rivalry_conditional"):
            return None
        try:
            conn = self._connect()
            row = conn.execute("SELECT etag, last_modified FROM http_cache WHERE url = ?",
                               [request.url]).fetchone()
            conn.close()
        except sqlite3.Error:
            return None
        if row:
            if row[0]:
                request.headers["If-None-Match"] = row[0]
            if row[1]:
                request.headers["If-Modified-Since"] = row[1]
        return None

    def process_response(self, request, response, spider=None):
        if request.meta.get("rivalry_conditional") and response.status == 200:
            etag = response.headers.get("ETag")
            modified = response.headers.get("Last-Modified")
            if etag or modified:
                self.pending[request.url] = (etag.decode("latin-1") if etag else None,
                                             modified.decode("latin-1") if modified else None)
        return response

    def closed(self, spider=None, reason=None):
        stats = self.crawler.stats.get_stats()
        failed = any(k.startswith("rivalry/fail/") or k.startswith("spider_exceptions/") for k in stats)
        if reason != "finished" or failed or not self.pending:
            return
        source_id = (spider or self.crawler.spider).source["id"]
        conn = self._connect()
        with conn:
            conn.executemany(
                "INSERT INTO http_cache (url, source_id, etag, last_modified, fetched_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET etag=excluded.etag, "
                "last_modified=excluded.last_modified, fetched_at=excluded.fetched_at",
                [(url, source_id, etag, modified, _utc_now()) for url, (etag, modified) in self.pending.items()])
        conn.close()


class RedirectLoopMiddleware:
    """A redirect back to a URL already in the request's redirect chain (A -> B -> A) is a loop:
    fail it with a reason. Without this, Scrapy's duplicate filter drops the repeated request
    without a word and the article is silently lost. (Endless chains end at REDIRECT_MAX_TIMES,
    which Scrapy reports as 'max redirections reached'.)"""

    def process_response(self, request, response, spider=None):
        if response.status in (301, 302, 303, 307, 308) and b"Location" in response.headers:
            from urllib.parse import urljoin

            target = urljoin(request.url, response.headers["Location"].decode("latin-1"))
            if target in (*request.meta.get("redirect_urls", ()), request.url):
                raise IgnoreRequest(f"redirect loop: {request.url} -> {target}")
        return response


def retry_after_seconds(value: bytes | None) -> float | None:
    """Retry-After is either seconds or an HTTP date."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


class RetryAfterMiddleware:
    """429 (and 503 with Retry-After): wait as long as the site asks, then ask again.

    A wait longer than RIVALRY_MAX_RETRY_AFTER is not sat through: the request fails with
    reason 'HTTP 429' and the source says so; tomorrow's run tries again."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.max_wait = crawler.settings.getfloat("RIVALRY_MAX_RETRY_AFTER", 120.0)
        self.max_times = crawler.settings.getint("RIVALRY_RETRY_AFTER_TIMES", 3)
        self.default_wait = crawler.settings.getfloat("RIVALRY_DEFAULT_RETRY_AFTER", 10.0)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_response(self, request, response, spider=None):
        if response.status != 429 and not (response.status == 503 and b"Retry-After" in response.headers):
            return response
        times = request.meta.get("rivalry_retry_after_times", 0)
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        wait = self.default_wait if wait is None else wait
        stats = self.crawler.stats
        if times >= self.max_times or wait > self.max_wait:
            stats.inc_value("rivalry/rate_limited_gave_up")
            return response  # becomes an HttpError: recorded as 'HTTP 429'
        stats.inc_value("rivalry/retry_after")
        from twisted.internet import reactor
        from twisted.internet.task import deferLater
        from scrapy.utils.defer import maybe_deferred_to_future

        await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        retry = request.replace(dont_filter=True)
        retry.meta["rivalry_retry_after_times"] = times + 1
        return retry


class ProgressExtension:
    """A live line per source on stderr while crawling: items, requests, errors."""

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.task = None
        self.started = time.monotonic()

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("RIVALRY_PROGRESS_INTERVAL", 0)
        if interval <= 0:
            raise NotConfigured
        ext = cls(crawler, interval)
        crawler.signals.connect(ext.opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.closed, signal=signals.spider_closed)
        return ext

    def line(self, state: str) -> str:
        stats = self.crawler.stats.get_stats()
        source_id = self.crawler.spider.source["id"]
        errors = sum(v for k, v in stats.items() if k.startswith("rivalry/fail/"))
        errors += stats.get("rivalry/article_errors", 0)
        return (f"  {source_id:<22} {state:<8} items {stats.get('item_scraped_count', 0):>4}  "
                f"requests {stats.get('downloader/request_count', 0):>4}  errors {errors:>3}  "
                f"{time.monotonic() - self.started:5.1f}s")

    def show(self, state="running"):
        print(self.line(state), file=sys.stderr, flush=True)

    def opened(self, spider=None):
        from twisted.internet import task

        self.task = task.LoopingCall(self.show)
        self.task.start(self.interval, now=False)

    def closed(self, spider=None, reason=None):
        if self.task and self.task.running:
            self.task.stop()
        self.show("done")


__all__ = ["ConditionalGetMiddleware", "RetryAfterMiddleware", "RedirectLoopMiddleware", "ProgressExtension",
           "IgnoreRequest"]
