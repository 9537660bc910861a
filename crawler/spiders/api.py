"""JSON APIs (Federal Register and the like). The config says where each field sits:
``fields = {results = "results", url = "html_url", title = "title", text = "abstract", ...}``.
The document text is the API's own field; pages are followed through the ``next`` field."""

from __future__ import annotations

import json

import scrapy

from crawler.extract import to_utc_iso
from crawler.spiders.base import SourceSpider
from crawler.urls import canonical_url


def pick(data, path: str | None):
    """Value at a dotted path ('agencies.0.name'), or None."""
    if not path:
        return None
    for part in path.split("."):
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data


class ApiSpider(SourceSpider):
    name = "api"

    async def start(self):
        yield scrapy.Request(self.source["url"], callback=self.parse_page, cb_kwargs={"page": 1})

    def parse_page(self, response, page):
        try:
            data = json.loads(response.text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON from {response.url}: {exc}") from None
        fields = self.source["fields"]
        results = pick(data, fields["results"])
        if not isinstance(results, list):
            raise ValueError(f"no result list at {fields['results']!r} in {response.url}")
        tz = self.source.get("timezone", "UTC")
        for result in results:
            url = pick(result, fields["url"])
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                continue
            published = to_utc_iso(pick(result, fields["published"]), tz)
            extra = {key: pick(result, fields.get(key)) for key in ("identifier", "type")
                     if fields.get(key)}
            yield {
                "source_id": self.source["id"],
                "url": url,
                "canonical_url": canonical_url(url),
                "title": pick(result, fields["title"]),
                "text": pick(result, fields.get("text")),
                "published_at": published,
                "date_source": "api" if published else None,
                "language": self.source.get("language"),
                "extra": json.dumps(extra, sort_keys=True) if extra else None,
            }
        next_url = pick(data, fields.get("next"))
        if next_url and page < self.source.get("max_pages", 5):
            yield response.follow(next_url, callback=self.parse_page, cb_kwargs={"page": page + 1})
