"""The only gatekeepers between crawled text and the file system / the reader's browser.

Everything in the store came from the web, so it is hostile: ids pick file names only after
matching SLUG, a URL becomes a link only when it is plain http(s), text reaches a page or a
feed only without the characters XML forbids, and a date only as YYYY-MM-DD.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,80}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}")
# Characters XML 1.0 forbids (and no page needs): one stray NUL would make every feed invalid.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
# The common case, decided without urlsplit: http(s), a plain host name, no space or control
# character anywhere. Anything else takes the careful path below.
_PLAIN_HTTP = re.compile(r"https?://[A-Za-z0-9.-]*[A-Za-z0-9](?::[0-9]{1,5})?(?:[/?#][\x21-\x7e]*)?")


def valid_id(value: object) -> bool:
    """True when value may be used as (part of) a file name in the output."""
    return isinstance(value, str) and SLUG.fullmatch(value) is not None


def slug(code: object) -> str | None:
    """Turn a taxonomy code or country code ('export_control', 'US') into a file-name id, or None."""
    if not isinstance(code, str):
        return None
    candidate = code.strip().lower().replace("_", "-")
    return candidate if valid_id(candidate) else None


def http_url(url: object) -> str | None:
    """The URL if it is an absolute http(s) URL that is safe to put in href, else None.

    Browsers strip tabs/newlines inside schemes ("java\\tscript:"), so any control character or
    space rejects the URL outright instead of trying to clean it.
    """
    if not isinstance(url, str) or not url or len(url) > 2048:
        return None
    if _PLAIN_HTTP.fullmatch(url):
        return url
    if _CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def xml_text(value):
    """Stored text without the characters XML 1.0 forbids; anything not a str as it is."""
    if value.__class__ is str and value.isascii() and value.isprintable():
        return value  # the common case, decided without the regex: nothing to remove
    return _BAD_CHARS.sub("", value) if isinstance(value, str) else value


def iso_day(value: object) -> str | None:
    """YYYY-MM-DD from an ISO date or timestamp, else None (bad dates sort as unknown)."""
    if isinstance(value, str) and _DAY.match(value):
        return value[:10]
    return None
