"""Sites that need a little logic: small subclasses of a kind's spider, named by ``spider = ...``
in sources.toml (registered in crawler/spiders/registry.py)."""

from __future__ import annotations

from datetime import datetime, timezone

from crawler.extract import date_from_url, to_utc_iso
from crawler.spiders.api import ApiSpider
from crawler.spiders.listing import ListingSpider


class MfaSpider(ListingSpider):
    """China's Ministry of Foreign Affairs: ``index_N.html`` listings whose article URLs carry
    the date (``./202501/t20250115_11111111.html``); the pages' own markup rarely does."""

    name = "mfa"

    def item_date(self, node, link):
        found = date_from_url(link)
        if found:
            return to_utc_iso(found, self.tz), "url"
        return super().item_date(node, link)


class DojSpider(ApiSpider):
    """DOJ Office of Public Affairs API: ``date`` is a Unix timestamp (seconds, as a string)."""

    name = "doj"

    def result_date(self, value):
        if isinstance(value, (int, str)) and str(value).isdigit():
            return datetime.fromtimestamp(int(value), tz=timezone.utc).isoformat()
        return super().result_date(value)
