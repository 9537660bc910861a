"""Scrapy settings for the rivalry crawler (also used by `scrapy list` / `scrapy crawl` here).

`crawler.run` overrides RIVALRY_DB, RIVALRY_ARCHIVE_DIR and RIVALRY_REPLAY per run.
"""

from rivalry import limits  # a module, not an upper-case name: Scrapy reads no setting from it

BOT_NAME = "rivalry"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "AIRivalryTracker/0.1 (research crawler)"  # sources.toml [defaults] adds a contact
ROBOTSTXT_OBEY = True

# Politeness: one request at a time per site, a per-source delay (the spider's download_delay,
# from sources.toml) and AutoThrottle on top of it.
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 1
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_MAX_DELAY = 30.0
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 408]  # 429 is RetryAfterMiddleware's: it waits as asked
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = limits.MAX_BODY_BYTES  # rivalry/limits.py: ingest refuses a larger file too
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024

DOWNLOADER_MIDDLEWARES = {
    # Below HttpCompression (590) and Retry (550) so the archive sees final, decoded bodies.
    "crawler.archive.WarcArchiveMiddleware": 500,
    # Next to the downloader: answers requests from a WARC instead of the network.
    "crawler.archive.WarcReplayMiddleware": 950,
    # Before Retry (550) sees the response: a 429 waits for Retry-After, then is asked again.
    "crawler.middlewares.RetryAfterMiddleware": 545,
    # Adds If-None-Match / If-Modified-Since to feed, listing and API requests; keeps validators.
    "crawler.middlewares.ConditionalGetMiddleware": 580,
    # Sees a 3xx before Redirect (600) follows it: a redirect back into its own chain fails
    # with a reason instead of being dropped by the duplicate filter.
    "crawler.middlewares.RedirectLoopMiddleware": 610,
}
EXTENSIONS = {"crawler.middlewares.ProgressExtension": 500}
RIVALRY_PROGRESS_INTERVAL = 0   # seconds between live progress lines on stderr (0: off)
RIVALRY_MAX_RETRY_AFTER = 120   # a longer Retry-After fails the source for tonight instead
ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 300}

RIVALRY_DB = "data/rivalry.db"
RIVALRY_ARCHIVE_DIR = None
RIVALRY_REPLAY = None

LOG_LEVEL = "WARNING"
TELNETCONSOLE_ENABLED = False
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
FEED_EXPORT_ENCODING = "utf-8"
