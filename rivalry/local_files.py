"""Reading an analyst's own file for `rivalry ingest`: bounded, decompressed, decoded.

A file is refused, named, when it is larger than a body the crawler accepts (limits.py), is a
gzip file that is broken or inflates past that bound, or is not text. Text is decoded the way
a browser would: a byte order mark first, then (HTML) the charset its <meta> declares, then a
guess by charset_normalizer (a dependency).
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from pathlib import Path

from rivalry.limits import MAX_BODY_BYTES
from rivalry.store import StoreError

HTML_SUFFIXES = (".html", ".htm", ".xhtml")
# In a folder, only these are read (a page saved "complete" sits beside its images and scripts);
# a file named on the command line is read whatever its name.
TEXT_SUFFIXES = HTML_SUFFIXES + (".txt", ".text", ".md")


class FileRefused(StoreError):
    """A local file ingest will not store; the message names it and says why."""


@dataclass
class LocalFile:
    path: Path
    content: str
    is_html: bool
    encoding: str


def files_in(paths) -> tuple[list[Path], int]:
    """The files to read for the given paths: a file as it is, a folder's HTML and text files
    (and .gz of them) at any depth, sorted, dot-files and dot-folders left out. Also returns how
    many other files the folders held (not read)."""
    found, others = [], 0
    for given in paths:
        path = Path(given)
        if not path.is_dir():
            found.append(path)
            continue
        for candidate in sorted(path.rglob("*")):
            relative = candidate.relative_to(path).parts
            if not candidate.is_file() or any(part.startswith(".") for part in relative):
                continue
            name = candidate.name.lower().removesuffix(".gz")
            if name.endswith(TEXT_SUFFIXES):
                found.append(candidate)
            else:
                others += 1
    return found, others


def canonical_link(html: str) -> str | None:
    """The page's own <link rel="canonical"> when it is an absolute http(s) URL, in the
    crawler's canonical form: the key a crawled copy of the same article is stored under."""
    import parsel

    from crawler.urls import canonical_url
    from sitegen.safe import http_url

    selector = parsel.Selector(text=html)
    for link in selector.xpath("//link[@href]"):
        rels = (link.attrib.get("rel") or "").lower().split()
        if "canonical" in rels:
            href = http_url(link.attrib["href"].strip())
            return canonical_url(href) if href else None
    return None


def read_local_file(path: Path) -> LocalFile:
    name = path.name
    size = path.stat().st_size
    if size > MAX_BODY_BYTES:
        raise FileRefused(f"{path}: {size:,} bytes, over the {MAX_BODY_BYTES:,}-byte limit a crawled "
                          f"page has (crawler/settings.py DOWNLOAD_MAXSIZE); split it or cut it")
    raw = path.read_bytes()
    if name.lower().endswith(".gz") or raw[:2] == GZIP_MAGIC:
        raw = _gunzip(path, raw)
        name = name[:-3] if name.lower().endswith(".gz") else name
    is_html = name.lower().endswith(HTML_SUFFIXES) or raw.lstrip()[:1] == b"<"
    encoding, content = _decode(raw, is_html)
    if _looks_binary(content):
        raise FileRefused(f"{path}: not text or HTML (binary content, or no text encoding fits); "
                          "ingest takes HTML or plain text files, optionally gzipped")
    is_html = is_html or content.lstrip(" \t\r\n")[:1] == "<"
    return LocalFile(path, content, is_html, encoding)


GZIP_MAGIC = b"\x1f\x8b"


def _gunzip(path: Path, raw: bytes) -> bytes:
    """Decompress at most MAX_BODY_BYTES + 1 bytes: a gzip bomb is refused without inflating."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
            body = gz.read(MAX_BODY_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise FileRefused(f"{path}: not a valid gzip file ({exc})") from None
    if len(body) > MAX_BODY_BYTES:
        raise FileRefused(f"{path}: decompresses to over the {MAX_BODY_BYTES:,}-byte limit a crawled page has")
    return body


def _detect(raw: bytes) -> str | None:
    """UTF-8 if it decodes as UTF-8, else charset_normalizer's best guess (None: no guess)."""
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw[:1_000_000]).best()
    return best.encoding if best else None


def _decode(raw: bytes, is_html: bool) -> tuple[str, str]:
    from w3lib.encoding import html_to_unicode, read_bom, to_unicode

    if is_html:
        # BOM, then <meta charset>, then the guess: how Scrapy (w3lib) decodes a crawled page.
        return html_to_unicode(None, raw, auto_detect_fun=_detect, default_encoding="utf-8")
    bom_encoding, bom = read_bom(raw)
    if bom_encoding:
        return bom_encoding, to_unicode(raw[len(bom or b""):], bom_encoding)
    encoding = _detect(raw) or "utf-8"
    return encoding, to_unicode(raw, encoding)


def _looks_binary(content: str) -> bool:
    # NUL never appears in text; undecodable bytes (U+FFFD) in more than 1 % of it: not text.
    return "\x00" in content or content.count("\ufffd") > max(8, len(content) // 100)
