"""The sources file (TOML): which sources to crawl and how. Declared in config, never in code.

Every field is checked here so that a mistake is reported as
``sources.toml: source 'whitehouse': field 'delay': expected float, got 'fast'``
instead of a traceback half way through a crawl.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from crawler import relevance

DEFAULT_SOURCES = Path(__file__).resolve().parent / "sources.toml"
KINDS = ("feed", "api", "listing", "sitemap")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

# field -> (type, required). Types are checked exactly; ints are accepted where floats are.
SOURCE_FIELDS = {
    "id": (str, True),
    "name": (str, True),
    "kind": (str, True),
    "url": (str, True),
    "owner": (str, False),
    "issuer": (str, False),            # gazetteer id of who issues its documents: the default
                                       # actor of a document's own act (none for news outlets)
    "country": (str, False),
    "language": (str, False),
    "timezone": (str, False),          # for dates a source gives without one
    "delay": (float, False),           # seconds between requests to this source
    "timeout": (float, False),         # seconds before a request is given up
    "max_bytes": (int, False),         # a bigger body is refused (oversize)
    "enabled": (bool, False),
    "max_pages": (int, False),         # listing/api: how many index pages to follow at most
    "spider": (str, False),            # a subclass for a site that needs logic (crawler/spiders/sites.py)
    "content": (str, False),           # "full" (fetch the article) | "snippet" (feed/API text only: copyright)
    "relevance": (bool, False),        # false: everything this source publishes is on topic
    "public_inspection": (bool, False),  # api: documents not yet published (status 'to_be_published'),
                                       # replaced in place by the published one (same canonical URL)
    "keywords": (list, False),         # extra relevance keywords for this source
    "relevance_given": (str, False),   # "party" | "topic": the relevance signal the source vouches
                                       # for (its query asks for China; it only publishes export
                                       # controls); its documents need only the other one
    "follow_pdfs": (bool, False),      # article pages: fetch linked PDF reports as documents
    "url_pattern": (str, False),       # sitemap/listing: only article URLs matching this regex
    "fields": (dict, False),           # api: where each document field sits in a result
    "paging": (dict, False),           # api/listing: how to reach the next page
    "window": (dict, False),           # api: split the query into date windows (capped APIs)
    "selectors": (dict, False),        # listing: CSS or XPath selectors
}
DEFAULTS_FIELDS = {"user_agent": (str, False), "contact": (str, False), "delay": (float, False),
                   "keywords": (list, False)}
API_FIELD_KEYS = {"results", "url", "title", "text", "published", "next", "identifier", "type", "total",
                  "scheduled"}  # scheduled: a public-inspection document's publication date
API_REQUIRED = ("results", "url", "title", "published")
PAGING_KEYS = {"mode": str, "param": str, "first": int, "size_param": str, "size": int}
PAGING_MODES = {"api": ("next", "page", "offset", "none"), "listing": ("next", "index", "query", "none")}
WINDOW_KEYS = {"start_param": str, "end_param": str, "format": str, "days": int, "start": str,
               "end": str, "cap": int, "overlap_days": int}
SELECTOR_KEYS = {"item", "item_date", "item_title", "next", "title", "date", "text", "pdf"}
CONTENT_MODES = ("full", "snippet")


class SourcesError(Exception):
    """A sources file that cannot be used; the message names the file, source and field."""


def _check_type(value, expected, where: str) -> None:
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok:
        raise SourcesError(f"{where}: expected {expected.__name__}, got {value!r}")


def _check_table(table: dict, allowed: dict, where: str) -> None:
    for key, value in table.items():
        if key not in allowed:
            raise SourcesError(f"{where}.{key}': unknown")
        _check_type(value, allowed[key], f"{where}.{key}'")


def _check_source(entry: dict, label: str) -> None:
    kind = entry["kind"]
    if kind == "api":
        fields = entry.get("fields")
        if fields is None:
            raise SourcesError(f"{label}: missing required field 'fields' for an api source")
        _check_table(fields, dict.fromkeys(API_FIELD_KEYS, str), f"{label}: field 'fields")
        for key in API_REQUIRED:
            if key not in fields:
                raise SourcesError(f"{label}: missing required field 'fields.{key}'")
    if "selectors" in entry:
        _check_table(entry["selectors"], dict.fromkeys(SELECTOR_KEYS, str), f"{label}: field 'selectors")
    if kind == "listing" and "item" not in entry.get("selectors", {}):
        raise SourcesError(f"{label}: missing required field 'selectors.item' for a listing source")
    if "paging" in entry:
        _check_table(entry["paging"], PAGING_KEYS, f"{label}: field 'paging")
        mode = entry["paging"].get("mode", "none")
        modes = PAGING_MODES.get(kind, ("none",))
        if mode not in modes:
            raise SourcesError(f"{label}: field 'paging.mode': {mode!r} is not one of {', '.join(modes)}")
    if "window" in entry:
        _check_table(entry["window"], WINDOW_KEYS, f"{label}: field 'window")
        for key in ("start_param", "end_param", "days", "start"):
            if key not in entry["window"]:
                raise SourcesError(f"{label}: missing required field 'window.{key}'")
        for key in ("start", "end"):
            value = entry["window"].get(key)
            if value and not re.fullmatch(r"\d{4}-\d\d-\d\d|-\d+d", value):
                raise SourcesError(f"{label}: field 'window.{key}': use YYYY-MM-DD or -Nd (N days ago)")
    if entry.get("content", "full") not in CONTENT_MODES:
        raise SourcesError(f"{label}: field 'content': use one of {', '.join(CONTENT_MODES)}")
    if entry.get("relevance_given", "party") not in relevance.SIGNALS:
        raise SourcesError(f"{label}: field 'relevance_given': use one of {', '.join(relevance.SIGNALS)}")
    for index, word in enumerate(entry.get("keywords", [])):
        _check_type(word, str, f"{label}: field 'keywords[{index}]'")
    if "url_pattern" in entry:
        try:
            re.compile(entry["url_pattern"])
        except re.error as exc:
            raise SourcesError(f"{label}: field 'url_pattern': not a regular expression: {exc}") from None
    if "timezone" in entry:
        from zoneinfo import ZoneInfo
        try:
            ZoneInfo(entry["timezone"])
        except (KeyError, ValueError):
            raise SourcesError(f"{label}: field 'timezone': unknown time zone {entry['timezone']!r}") from None


def load_sources(path: str | Path | None = None) -> dict:
    """Read and validate a sources file. Returns {"defaults": {...}, "sources": [...]}."""
    path = Path(path or DEFAULT_SOURCES)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourcesError(f"{path}: file not found") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourcesError(f"{path}: not valid TOML: {exc}") from None

    unknown = set(raw) - {"defaults", "source"}
    if unknown:
        raise SourcesError(f"{path}: unknown top-level key(s): {', '.join(sorted(unknown))}")
    defaults = raw.get("defaults", {})
    for key, value in defaults.items():
        if key not in DEFAULTS_FIELDS:
            raise SourcesError(f"{path}: [defaults]: unknown field {key!r}")
        _check_type(value, DEFAULTS_FIELDS[key][0], f"{path}: [defaults]: field {key!r}")

    if not raw.get("source"):
        # An empty file would crawl nothing, night after night, and say nothing.
        raise SourcesError(f"{path}: no [[source]] table: nothing to crawl "
                           "(see docs/adding-a-source.md)")
    sources, seen = [], set()
    for index, entry in enumerate(raw.get("source", []), start=1):
        label = f"{path}: source {entry.get('id', f'#{index}')!r}"
        for key, value in entry.items():
            if key not in SOURCE_FIELDS:
                raise SourcesError(f"{label}: unknown field {key!r}")
            _check_type(value, SOURCE_FIELDS[key][0], f"{label}: field {key!r}")
        for key, (_, required) in SOURCE_FIELDS.items():
            if required and key not in entry:
                raise SourcesError(f"{label}: missing required field {key!r}")
        if not ID_PATTERN.match(entry["id"]):
            raise SourcesError(f"{label}: field 'id': use lower-case letters, digits and '-'")
        if entry["id"] in seen:
            raise SourcesError(f"{label}: field 'id': defined twice")
        seen.add(entry["id"])
        if entry["kind"] not in KINDS:
            raise SourcesError(f"{label}: field 'kind': {entry['kind']!r} is not one of {', '.join(KINDS)}")
        if not entry["url"].startswith(("http://", "https://")):
            raise SourcesError(f"{label}: field 'url': must be an http(s) URL")
        _check_source(entry, label)
        if "spider" in entry:
            from crawler.spiders import registry
            if entry["spider"] not in registry.SUBCLASSES:
                raise SourcesError(f"{label}: field 'spider': {entry['spider']!r} is not one of "
                                   f"{', '.join(sorted(registry.SUBCLASSES))}")
        sources.append({"delay": defaults.get("delay", 1.0), "timezone": "UTC", "enabled": True,
                        "max_pages": 5, "content": "full", "relevance": True, "keywords": [],
                        "default_keywords": defaults.get("keywords", []), **entry})
    return {"defaults": defaults, "sources": sources, "path": str(path)}
