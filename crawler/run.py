"""Run a crawl of the configured sources and report what each one did.

Scrapy's Twisted reactor starts once per process, so ``run_crawl`` is called at most once per
process (the CLI does; tests call the CLI in a subprocess). One crawler per source, each with
its own settings (delay, timeout, size limit), so one source's failure or slowness never stops
another's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from crawler import health
from crawler import settings as default_settings
from crawler.spiders.registry import spider_class

# Kept for callers of the old names.
summarise, problem = health.summarise, health.problem


def crawl_settings(db_path, *, defaults: dict, replay=None, archive_dir=None, log_level=None,
                   progress: float = 0):
    from scrapy.settings import Settings  # here, not at the top: the CLI imports this module

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


# Why a source is skipped in a replay: the archive holds no saved response of its index URL.
REPLAY_SKIPPED = "no saved page in the replay archive"


def run_crawl(db_path, sources: list[dict], *, defaults: dict | None = None, replay=None,
              archive_dir=None, refresh=False, since=None, log_level=None, progress: float = 0) -> dict:
    """Crawl every given source; returns {source_id: summary with 'error' and 'canary'}."""
    from scrapy.crawler import CrawlerProcess

    settings = crawl_settings(db_path, defaults=defaults or {}, replay=replay,
                              archive_dir=archive_dir, log_level=log_level, progress=progress)
    settings.set("LOG_INSTALL_ROOT_HANDLER", bool(log_level))
    report = {}
    if replay:  # a source the archive never saw is skipped, not failed (the sample has 5 of 21)
        archived = _archived_urls(settings.get("RIVALRY_REPLAY"))
        for source in sources:
            if not any(_same_query(source["url"], url) for url in archived):
                report[source["id"]] = {**health.summarise({}), "error": None, "canary": None,
                                        "skipped": REPLAY_SKIPPED}
        sources = [s for s in sources if s["id"] not in report]
    before = health.history(db_path, [s["id"] for s in sources])
    health.mark_started(db_path, [s["id"] for s in sources])
    process = CrawlerProcess(settings)
    crawlers = {}
    for source in sources:
        crawler = process.create_crawler(source_spider(source, bool(replay)))
        crawlers[source["id"]] = crawler
        # resume: the last crawl of this source crashed or failed half way: walk every page.
        process.crawl(crawler, source=source, refresh=refresh, since=since,
                      resume=not before[source["id"]][3])
    process.start()
    for source_id, crawler in crawlers.items():
        stats = crawler.stats.get_stats()
        summary = health.summarise(stats)
        summary["error"] = health.problem(summary, stats)
        if stats.get("finish_reason") not in (None, "finished"):  # Ctrl-C, SIGTERM, parent died
            summary["error"] = f"crawl interrupted ({stats['finish_reason']})" + (
                f"; {summary['error']}" if summary["error"] else "")
        health.record(db_path, source_id, summary, before[source_id])
        report[source_id] = summary
    return report


def _same_query(start_url: str, archived_url: str) -> bool:
    """Was this archived URL asked for by a source starting at start_url? Same path, and every
    query parameter of the start URL present (paging and date windows add their own)."""
    from urllib.parse import parse_qsl, urlsplit

    a, b = urlsplit(start_url), urlsplit(archived_url)
    if (a.netloc, a.path.rstrip("/")) != (b.netloc, b.path.rstrip("/")):
        return False
    return set(parse_qsl(a.query, keep_blank_values=True)) <= set(parse_qsl(b.query, keep_blank_values=True))


def _archived_urls(path) -> set[str]:
    from crawler.archive import WarcReplayMiddleware, read_responses

    cache = WarcReplayMiddleware._cache  # the replay middleware reuses this index
    if path not in cache:
        cache[path] = read_responses(path)
    return set(cache[path])


def run_crawl_isolated(db_path, sources: list[dict], **options) -> dict:
    """``run_crawl`` in a child process. Scrapy's reactor runs once per process and leaves
    threads behind (DNS resolver pool); the caller may fork workers afterwards (tagger, site
    build), and forking a process with such threads can deadlock. The child shares stdout and
    stderr, so the progress lines show as usual."""
    with tempfile.TemporaryDirectory(prefix="rivalry-crawl-") as tmp:
        spec, out = Path(tmp) / "spec.json", Path(tmp) / "report.json"
        options = {k: str(v) if isinstance(v, Path) else v for k, v in options.items()}
        spec.write_text(json.dumps({"db_path": str(db_path), "sources": sources, "options": options}))
        result = subprocess.run([sys.executable, "-m", "crawler.run", str(spec), str(out)])
        if result.returncode != 0 or not out.exists():
            raise RuntimeError(f"the crawl process failed (exit {result.returncode})")
        return json.loads(out.read_text())


def _die_with_parent() -> None:
    """Linux: kill this crawl when the `rivalry` process that started it dies (cron's timeout,
    the OOM killer), so no orphan keeps writing after the writer lock is gone. SIGKILL, not
    SIGTERM: a graceful stop would wait for hanging downloads. Nothing is lost: each document
    is committed as it comes, and the source stays marked incomplete, so the next run resumes."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def main(argv=None) -> int:
    _die_with_parent()
    spec_path, out_path = (argv or sys.argv[1:])[:2]
    spec = json.loads(Path(spec_path).read_text())
    report = run_crawl(spec["db_path"], spec["sources"], **spec["options"])
    Path(out_path).write_text(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
