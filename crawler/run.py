"""Run a crawl of the configured sources and report what each one did.

Scrapy's Twisted reactor starts once per process, so ``run_crawl`` is called at most once per
process (the CLI does; tests call the CLI in a subprocess). One crawler per source, each with
its own settings (delay, timeout, size limit), so one source's failure or slowness never stops
another's.
"""

from __future__ import annotations

from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler import health
from crawler import settings as default_settings
from crawler.spiders.registry import spider_class

# Kept for callers of the old names.
summarise, problem = health.summarise, health.problem


def crawl_settings(db_path, *, defaults: dict, replay=None, archive_dir=None, log_level=None,
                   progress: float = 0) -> Settings:
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
    settings.set("RIVALRY_PROGRESS_INTERVAL", progress)
    return settings


def source_spider(source: dict, replay: bool):
    """The source's spider class with the source's own politeness and limits as settings."""
    cls = spider_class(source)
    delay = 0.0 if replay else float(source.get("delay", 1.0))
    custom = {
        "DOWNLOAD_DELAY": delay,
        # AutoThrottle starts at the source's delay and only ever slows down from there.
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.05),
    }
    if source.get("timeout"):
        custom["DOWNLOAD_TIMEOUT"] = float(source["timeout"])
    if source.get("max_bytes"):
        custom["DOWNLOAD_MAXSIZE"] = int(source["max_bytes"])
        custom["DOWNLOAD_WARNSIZE"] = 0
    return type(f"{cls.__name__}_{source['id'].replace('-', '_')}", (cls,),
                {"custom_settings": {**(cls.custom_settings or {}), **custom}})


def run_crawl(db_path, sources: list[dict], *, defaults: dict | None = None, replay=None,
              archive_dir=None, refresh=False, since=None, log_level=None, progress: float = 0) -> dict:
    """Crawl every given source; returns {source_id: summary with 'error' and 'canary'}."""
    settings = crawl_settings(db_path, defaults=defaults or {}, replay=replay,
                              archive_dir=archive_dir, log_level=log_level, progress=progress)
    settings.set("LOG_INSTALL_ROOT_HANDLER", bool(log_level))
    before = health.history(db_path, [s["id"] for s in sources])
    process = CrawlerProcess(settings)
    crawlers = {}
    for source in sources:
        crawler = process.create_crawler(source_spider(source, bool(replay)))
        crawlers[source["id"]] = crawler
        process.crawl(crawler, source=source, refresh=refresh, since=since)
    process.start()
    report = {}
    for source_id, crawler in crawlers.items():
        stats = crawler.stats.get_stats()
        summary = health.summarise(stats)
        summary["error"] = health.problem(summary, stats)
        health.record(db_path, source_id, summary, before[source_id])
        report[source_id] = summary
    return report
