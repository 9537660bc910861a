"""Raw archive: every response a crawl sees can be written to a WARC file, and a crawl can be
replayed from one with no network at all. Two downloader middlewares, enabled by settings:

- ``RIVALRY_ARCHIVE_DIR``: ``WarcArchiveMiddleware`` appends each response to
  ``<dir>/rivalry-<UTC time>-<source id>.warc.gz`` (one file per source and crawl).
- ``RIVALRY_REPLAY``: ``WarcReplayMiddleware`` answers every request from a WARC file, or from
  every ``*.warc.gz`` in a folder; a URL the archive lacks gets a 404 marked
  ``X-Rivalry-Replay: missing`` and nothing is fetched.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

# The body is stored decoded, so headers describing the transfer encoding would lie.
DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def write_response(writer: WARCWriter, url: str, status: int, headers: list[tuple[str, str]],
                   body: bytes) -> None:
    """Append one HTTP response record."""
    kept = [(k, v) for k, v in headers if k.lower() not in DROPPED_HEADERS]
    kept.append(("Content-Length", str(len(body))))
    http_headers = StatusAndHeaders(f"{status} {'OK' if status == 200 else 'Status'}", kept,
                                    protocol="HTTP/1.1")
    record = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                       http_headers=http_headers)
    writer.write_record(record)


def archive_files(path: str | Path) -> list[Path]:
    path = Path(path)
    if path.is_dir():
        return sorted(path.glob("*.warc.gz")) + sorted(path.glob("*.warc"))
    if not path.is_file():
        raise FileNotFoundError(f"{path}: replay archive not found")
    return [path]


def read_responses(path: str | Path) -> dict[str, tuple[int, list[tuple[str, str]], bytes]]:
    """url -> (status, headers, body) for every response record; the last one of a URL wins."""
    responses = {}
    for warc in archive_files(path):
        with open(warc, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type != "response":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                status = int(record.http_headers.get_statuscode())
                if status == 304 and url in responses:
                    continue  # "not modified" says nothing new: replay the full response seen before
                headers = list(record.http_headers.headers)
                responses[url] = (status, headers, record.content_stream().read())
    return responses


class WarcArchiveMiddleware:
    def __init__(self, directory: str, crawler):
        Path(directory).mkdir(parents=True, exist_ok=True)
        self.directory = Path(directory)
        self.crawler = crawler
        self.path = None
        self._file = None
        self._writer = None

    @classmethod
    def from_crawler(cls, crawler):
        directory = crawler.settings.get("RIVALRY_ARCHIVE_DIR")
        if not directory:
            raise NotConfigured
        middleware = cls(directory, crawler)
        crawler.signals.connect(middleware.close, signal=signals.spider_closed)
        return middleware

    def process_response(self, request, response, spider=None):
        if self._writer is None:
            # One file per source: crawlers of one process must never share a file handle.
            source_id = (spider or self.crawler.spider).source["id"]
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            self.path = self.directory / f"rivalry-{stamp}-{source_id}.warc.gz"
            self._file = open(self.path, "ab")
            self._writer = WARCWriter(self._file, gzip=True)
        headers = [(k.decode("latin-1"), v.decode("latin-1"))
                   for k, values in response.headers.items() for v in values]
        write_response(self._writer, response.url, response.status, headers, response.body)
        return response

    def close(self, spider=None):
        if self._file is not None:
            self._file.close()
            self._file = self._writer = None


class WarcReplayMiddleware:
    _cache: dict[str, dict] = {}  # one index per archive per process, shared by all spiders

    def __init__(self, path: str):
        if path not in self._cache:
            self._cache[path] = read_responses(path)
        self.responses = self._cache[path]

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("RIVALRY_REPLAY")
        if not path:
            raise NotConfigured
        return cls(path)

    def process_request(self, request, spider=None):
        found = self.responses.get(request.url)
        if found is None:
            return responsetypes.from_args(url=request.url)(
                url=request.url, status=404, body=b"", request=request,
                headers={"X-Rivalry-Replay": "missing"})
        status, headers, body = found
        header_obj = Headers()
        for key, value in headers:
            header_obj.appendlist(key, value)
        cls = responsetypes.from_args(headers=header_obj, url=request.url, body=body)
        return cls(url=request.url, status=status, headers=header_obj, body=body, request=request)
