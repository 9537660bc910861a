"""The sources file (TOML): which sources to crawl and how. Declared in config, never in code.

Every field is checked here so that a mistake is reported as
``sources.toml: source 'whitehouse': field 'delay': expected a number, got 'fast'``
instead of a traceback half way through a crawl.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

DEFAULT_SOURCES = Path(__file__).resolve().parent / "sources.toml"
KINDS = ("feed", "api")
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

# field -> (type, required). Types are checked exactly; ints are accepted where floats are.
SOURCE_FIELDS = {
    "id": (str, True),
    "name": (str, True),
    "kind": (str, True),
    "url": (str, True),
    "owner": (str, False),
    "country": (str, False),
    "language": (str, False),
    "timezone": (str, False),          # for dates a source gives without one
    "delay": (float, False),           # seconds between requests to this source
    "enabled": (bool, False),
    "max_pages": (int, False),         # api: how many result pages to follow at most
    "fields": (dict, False),           # api: where each document field sits in a result
}
DEFAULTS_FIELDS = {"user_agent": (str, False), "contact": (str, False), "delay": (float, False)}
API_FIELD_KEYS = {"results", "url", "title", "text", "published", "next", "identifier", "type"}
API_REQUIRED = ("results", "url", "title", "published")


class SourcesError(Exception):
    """A sources file that cannot be used; the message names the file, source and field."""


def _check_type(value, expected, where: str) -> None:
    ok = isinstance(value, expected) and not (expected is int and isinstance(value, bool))
    if expected is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not ok:
        raise SourcesError(f"{where}: expected {expected.__name__}, got {value!r}")


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
        if entry["kind"] == "api":
            fields = entry.get("fields")
            if fields is None:
                raise SourcesError(f"{label}: missing required field 'fields' for an api source")
            for key, value in fields.items():
                if key not in API_FIELD_KEYS:
                    raise SourcesError(f"{label}: field 'fields.{key}': unknown")
                _check_type(value, str, f"{label}: field 'fields.{key}'")
            for key in API_REQUIRED:
                if key not in fields:
                    raise SourcesError(f"{label}: missing required field 'fields.{key}'")
        sources.append({"delay": defaults.get("delay", 1.0), "timezone": "UTC",
                        "enabled": True, "max_pages": 5, **entry})
    return {"defaults": defaults, "sources": sources, "path": str(path)}
