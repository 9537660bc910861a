"""JSON APIs (Federal Register, DOJ, GOV.UK, GDELT, WordPress REST...). Config says where each
field sits (``[source.fields]``, dotted paths; ``results = "."`` when the body is the list),
how to page (``[source.paging]``: ``next`` link, ``page`` number or ``offset``) and, for APIs that
cap a query's results (Federal Register: 10,000) or its time span (GDELT: about 3 months), how to
split the query into date windows (``[source.window]``).

The document text is the API's own field; with no ``text`` field and ``content = "full"`` the
article page is fetched instead. ``fields.url`` may be a template: ``"https://x/{refCode}"``.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import parsel

from crawler.extract import to_utc_iso
from crawler.spiders.base import SourceSpider
from rivalry import store


def pick(data, path: str | None):
    """Value at a dotted path ('agencies.0.name'); '.' is the whole value; None if absent."""
    if not path:
        return None
    if path == ".":
        return data
    for part in path.split("."):
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data


def with_params(url: str, **params) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query += [(k, str(v)) for k, v in params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def html_to_text(value: str) -> str:
    """API fields holding HTML (DOJ's body, WordPress content.rendered) -> paragraphs of text."""
    selector = parsel.Selector(text=f"<div>{value}</div>")
    blocks = []
    for node in selector.xpath("//p|//li|//h2|//h3"):
        text = " ".join(" ".join(node.xpath(".//text()").getall()).split())
        if text:
            blocks.append(text)
    return "\n".join(blocks) or " ".join(" ".join(selector.xpath("//text()").getall()).split())


def windows(start: date, end: date, days: int) -> list[tuple[date, date]]:
    """[start, end] cut into consecutive windows of at most `days` days, newest first."""
    out, cursor = [], start
    while cursor <= end:
        stop = min(cursor + timedelta(days=days - 1), end)
        out.append((cursor, stop))
        cursor = stop + timedelta(days=1)
    return out[::-1]


class ApiSpider(SourceSpider):
    name = "api"

    def paging(self) -> dict:
        return {"mode": "next" if self.source.get("fields", {}).get("next") else "none",
                "param": "page", "first": 1, **self.source.get("paging", {})}

    async def start(self):
        if "window" not in self.source:
            for request in self.first_requests(self.source["url"], None):
                yield request
            return
        for start, end in windows(*self.window_span(), self.source["window"]["days"]):
            for request in self.first_requests(self.source["url"], (start, end)):
                yield request

    def window_span(self) -> tuple[date, date]:
        """From the configured start (or --since, or shortly before the newest stored item) to today."""
        spec = self.source["window"]
        today = datetime.now(timezone.utc).date()
        if spec["start"].startswith("-") and spec["start"].endswith("d"):  # "-84d": APIs that forget (GDELT)
            start = today - timedelta(days=int(spec["start"][1:-1]))
        else:
            start = date.fromisoformat(spec["start"])
        end = date.fromisoformat(spec["end"]) if spec.get("end") else today
        if self.since:
            start = max(start, date.fromisoformat(self.since[:10]))
        newest = None if self.refresh else self.newest_stored()
        if newest:  # incremental: re-ask only the recent past (late additions, corrections)
            start = max(start, date.fromisoformat(newest[:10]) - timedelta(days=spec.get("overlap_days", 7)))
        return start, end

    def newest_stored(self) -> str | None:
        import sqlite3
        if not self.db_path:
            return None
        try:
            conn = store.connect(self.db_path, mode="mode=ro")
            row = conn.execute("SELECT max(published_at) FROM documents WHERE source_id = ?",
                               [self.source["id"]]).fetchone()
            conn.close()
            return row[0]
        except (sqlite3.Error, TypeError):
            return None

    def window_url(self, url: str, window) -> str:
        if window is None:
            return url
        spec = self.source["window"]
        fmt = spec.get("format", "%Y-%m-%d")
        start, end = window
        end_value = datetime.combine(end, datetime.max.time()) if "%H" in fmt else end
        return with_params(url, **{spec["start_param"]: start.strftime(fmt),
                                   spec["end_param"]: end_value.strftime(fmt)})

    def first_requests(self, url, window):
        paging = self.paging()
        url = self.window_url(url, window)
        if paging["mode"] == "page":
            url = with_params(url, **{paging["param"]: paging["first"]})
        elif paging["mode"] == "offset":
            url = with_params(url, **{paging["param"]: paging.get("first", 0)})
        yield self.request(url, self.parse_page, index=True, conditional=window is None,
                           page=1, number=paging["first"], window=window)

    # --- one page of results ------------------------------------------------------------------

    def result_date(self, value) -> str | None:
        return to_utc_iso(value, self.tz)

    def result_url(self, result) -> str | None:
        spec = self.source["fields"]["url"]
        if "{" in spec:
            try:
                return spec.format(**{k: v for k, v in result.items() if isinstance(v, (str, int))})
            except (KeyError, IndexError, ValueError):
                return None
        value = pick(result, spec)
        return value if isinstance(value, str) else None

    def parse_page(self, response, page, number, window):
        if self.not_modified(response):
            return
        text = self.text_of(response)
        if self.is_bot_check(response, text):
            return
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            tries = response.meta.get("rivalry_json_retries", 0)
            if tries < 1:  # GDELT sometimes answers broken JSON once: ask again before failing
                self.crawler.stats.inc_value("rivalry/json_retries")
                retry = response.request.replace(dont_filter=True)
                retry.meta["rivalry_json_retries"] = tries + 1
                yield retry
                return
            self.index_fail("invalid JSON", response)
            return
        fields = self.source["fields"]
        results = pick(data, fields["results"])
        if results is None and isinstance(data, dict) and not data.get(fields["results"].split(".")[0]):
            results = []  # GDELT answers {} for an empty window
        if not isinstance(results, list):
            self.index_fail(f"no result list at {fields['results']!r}", response)
            return
        self.crawler.stats.inc_value("rivalry/index_pages")
        cap = self.source.get("window", {}).get("cap")
        total = pick(data, fields.get("total"))
        if window and cap and isinstance(total, int) and total > cap and page == 1:
            yield from self.split_window(response, window, total, cap)
            return
        fresh = 0
        for result in results:
            if not isinstance(result, dict):
                continue
            for item in self.handle_result(response, result):
                fresh += 1
                yield item
        yield from self.next_page(response, data, results, fresh, page, number, window)

    def split_window(self, response, window, total, cap):
        """More results than the API will ever return: ask for each half of the window."""
        start, end = window
        if start == end:
            self.record("note", f"result cap {cap} hit in a one-day window", response.url)
            return
        middle = start + (end - start) // 2
        self.crawler.stats.inc_value("rivalry/windows_split")
        for half in ((start, middle), (middle + timedelta(days=1), end)):
            yield from self.first_requests(self.source["url"], half)

    def handle_result(self, response, result):
        fields = self.source["fields"]
        url = self.result_url(result)
        if not url:
            return
        url = response.urljoin(url)
        if not url.startswith(("http://", "https://")):
            return
        published = self.result_date(pick(result, fields["published"]))
        stats = self.crawler.stats
        if not fields.get("text") and self.source.get("content") == "full":
            request = self.follow_article(response, url, published_at=published, date_source="api",
                                          feed_title=pick(result, fields["title"]))
            if request is not None:
                yield request
            return
        stats.inc_value("rivalry/entries")
        if self.is_known(url):
            stats.inc_value("rivalry/skipped_known")
            return
        if self.too_old(published):
            stats.inc_value("rivalry/skipped_old")
            return
        text = pick(result, fields.get("text"))
        if isinstance(text, str) and "<" in text and self.source.get("html_text", True):
            text = html_to_text(text)
        title = pick(result, fields["title"])
        if isinstance(title, str) and ("<" in title or "&" in title):
            title = html_to_text(title)
        extra = {key: pick(result, fields.get(key)) for key in ("identifier", "type", "scheduled")
                 if fields.get(key)}
        item = self.make_item(url=url, title=title if isinstance(title, str) else None,
                              text=text if isinstance(text, str) else None, published_at=published,
                              date_source="api", extra=extra or None)
        if self.source.get("public_inspection"):
            item["status"] = store.TO_BE_PUBLISHED  # until the published document replaces it
        yield item

    def next_page(self, response, data, results, fresh, page, number, window):
        paging = self.paging()
        if not results or (fresh == 0 and not self.resume) or page >= self.source.get("max_pages", 5):
            return  # empty, only known items, or enough pages
        if paging["mode"] == "next":
            next_url = pick(data, self.source["fields"].get("next"))
            if isinstance(next_url, str) and next_url:
                # The API's own next link: when it leads nowhere (404, an error) paging ends there.
                yield self.request(response.urljoin(next_url), self.parse_page, index=True,
                                   next_link=True, page=page + 1, number=number + 1, window=window)
        elif paging["mode"] in ("page", "offset"):
            if paging.get("size") and len(results) < paging["size"]:
                return  # a short page is the last one
            step = 1 if paging["mode"] == "page" else len(results)
            url = with_params(response.url, **{paging["param"]: number + step})
            yield self.request(url, self.parse_page, index=True, end_ok=True, page=page + 1,
                               number=number + step, window=window)
