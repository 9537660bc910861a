"""Run a crawl of the configured sources and report what each one did.

Scrapy's Twisted reactor starts once per process, so ``run_crawl`` is called at most once per
process (the CLI does; tests call the CLI in a subprocess).
"""

from __future__ import annotations

from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler import settings as default_settings
from crawler.spiders.api import ApiSpider
from crawler.spiders.feed import FeedSpider

SPIDERS = {"feed": FeedSpider, "api": ApiSpider}


def crawl_settings(db_path, *, defaults: dict, replay=None, archive_dir=None, log_level=None) -> Settings:
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.set("RIVALRY_DB", str(db_path))
    user_agent = defaults.get("user_agent")
    if user_agent:
        contact = defaults.get("contact")
        settings.set("USER_AGENT", f"{user_agent} contact: {contact}" if contact else user_agent)
    if archive_dir:
        settings.set("RIVALRY_ARCHIVE_DIR", str(archive_dir))
    if replay:
        settings.set("RIVALRY_REPLAY", str(Path(replay).resolve()))
        # Replaying reads a local file: no politeness delays are owed to anyone.
        settings.set("AUTOTHROTTLE_ENABLED", False)
        settings.set("CONCURRENT_REQUESTS_PER_DOMAIN", 8)
    if log_level:
        settings.set("LOG_LEVEL", log_level)
    return settings


def summarise(stats: dict) -> dict:
    """The per-source figures the run record and `rivalry sources` show."""
    return {
        "requests": stats.get("downloader/request_count", 0),
        "responses": stats.get("downloader/response_count", 0),
        "items": stats.get("item_scraped_count", 0),
        "new": stats.get("rivalry/new", 0),
        "changed": stats.get("rivalry/changed", 0),
        "unchanged": stats.get("rivalry/unchanged", 0),
        "skipped_known": stats.get("rivalry/skipped_known", 0),
        "no_date": stats.get("rivalry/no_date", 0),
        "no_text": stats.get("rivalry/no_text", 0),
        "http_errors": sum(v for k, v in stats.items()
                           if k.startswith("downloader/response_status_count/") and k[-3] in "45"),
        "exceptions": stats.get("spider_exceptions/count", 0)
                      + stats.get("downloader/exception_count", 0),
    }


def problem(summary: dict, stats: dict) -> str | None:
    """One line saying why a source failed, or None when it worked."""
    reasons = [key.split("/", 1)[1] for key in stats if key.startswith("spider_exceptions/")
               and key != "spider_exceptions/count"]
    reasons += [key.split("/", 2)[2] for key in stats if key.startswith("downloader/exception_type_count/")
                and not key.endswith("IgnoreRequest")]  # robots.txt said no: obeyed, not failed
    if stats.get("log_count/ERROR"):
        reasons.append(f"{stats['log_count/ERROR']} error(s) logged")
    if reasons:
        return "errors: " + ", ".join(sorted(set(reasons)))
    if summary["http_errors"] and not summary["items"]:
        return f"{summary['http_errors']} HTTP error response(s), no items"
    if summary["responses"] == 0:
        return "no response"
    return None


def run_crawl(db_path, sources: list[dict], *, defaults: dict | None = None, replay=None,
              archive_dir=None, refresh=False, log_level=None) -> dict:
    """Crawl every given source; returns {source_id: summary with 'error' (None if fine)}."""
    settings = crawl_settings(db_path, defaults=defaults or {}, replay=replay,
                              archive_dir=archive_dir, log_level=log_level)
    settings.set("LOG_INSTALL_ROOT_HANDLER", bool(log_level))
    process = CrawlerProcess(settings)
    crawlers = {}
    for source in sources:
        crawler = process.create_crawler(SPIDERS[source["kind"]])
        crawlers[source["id"]] = crawler
        process.crawl(crawler, source=source, refresh=refresh)
    process.start()
    report = {}
    for source_id, crawler in crawlers.items():
        stats = crawler.stats.get_stats()
        summary = summarise(stats)
        summary["error"] = problem(summary, stats)
        report[source_id] = summary
    return report
