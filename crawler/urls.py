"""Canonical URLs: the key that makes one article one document, however it was reached."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Query parameters that only say how a reader arrived; they never change the content.
TRACKING_PARAMS = {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_hsenc", "_hsmi",
                   "igshid", "ref", "ref_src", "cmpid", "smid", "sref", "ncid"}


# A Federal Register document is one document from the public-inspection desk to its published
# page (/public-inspection/2025-00636/slug, /documents/2025/01/15/2025-00636/slug): keyed by its
# number, as the site's own short link /d/2025-00636.
FEDERAL_REGISTER_HOSTS = {"www.federalregister.gov", "federalregister.gov"}
FEDERAL_REGISTER_DOCUMENT = re.compile(
    r"^/(?:public-inspection/|documents/\d{4}/\d\d/\d\d/|d/)([A-Z0-9]{1,4}-?\d{3,6}(?:-\d+)?)(?:/|$)", re.I)


def _is_tracking(pair: str) -> bool:
    key = unquote_plus(pair.partition("=")[0]).lower()
    return key.startswith("utm_") or key in TRACKING_PARAMS


def canonical_url(url: str) -> str:
    """w3lib's canonical form (percent-encoding normalised, dot segments resolved, query sorted,
    no fragment), then the project's own rules: https, lower-case host, no default port, no
    tracking parameters, no trailing slash."""
    url = url.strip()
    try:
        url = canonicalize_url(url)
    except (ValueError, UnicodeError):
        pass  # a URL w3lib cannot parse keeps its own spelling; the rules below still apply
    parts = urlsplit(url)
    scheme = "https" if parts.scheme in ("http", "https") else parts.scheme
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = "&".join(p for p in parts.query.split("&") if p and not _is_tracking(p))
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    if host in FEDERAL_REGISTER_HOSTS and (number := FEDERAL_REGISTER_DOCUMENT.match(path)):
        return f"https://www.federalregister.gov/d/{number.group(1)}"
    return urlunsplit((scheme, host, path, query, ""))
