"""Item pipeline: every document item goes into the store, upserted by canonical URL."""

from __future__ import annotations

from rivalry import store


class StorePipeline:
    def __init__(self, db_path: str):
        self.db_path = db_path
        self.db = None

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler.settings.get("RIVALRY_DB"))
        pipeline.crawler = crawler
        pipeline.stats = crawler.stats
        return pipeline

    def open_spider(self, spider=None):
        # `rivalry crawl` checked the file (quick_check) before starting this crawl; once per
        # spider would read the whole file once per source.
        self.db = store.open_db(self.db_path, check=False)
        with self.db.conn:  # documents reference their source
            store.upsert_source(self.db, (spider or self.crawler.spider).source)

    def close_spider(self, spider=None):
        if self.db is not None:
            self.db.close()

    def process_item(self, item, spider=None):
        item = dict(item)
        if item.get("status") == "irrelevant":
            self.stats.inc_value("rivalry/irrelevant")  # stored, set aside: see crawler/relevance.py
        if not item.get("text"):
            if item.get("status") != store.TO_BE_PUBLISHED:  # a filing has its title only: says so
                item["status"] = "no_text"
            self.stats.inc_value("rivalry/no_text")
        if not item.get("published_at"):
            self.stats.inc_value("rivalry/no_date")  # flagged in the run record, never invented
        with self.db.atomic():  # the new version, the document and its dropped tags together
            outcome = store.upsert_document(self.db, item)
        self.stats.inc_value(f"rivalry/{outcome}")
        return item
