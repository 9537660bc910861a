"""Hostile or broken responses: bot-check pages and bodies whose declared charset lies.

A bot-check page (Akamai, Cloudflare, Incapsula, a CAPTCHA) looks like an article to a naive
extractor; stored, it would become a "document" saying "verify you are human". Such a page is an
error for its source, never content.
"""

from __future__ import annotations

import re

BOT_CHECK_MARKERS = re.compile(
    r"captcha|are you a robot|verify (?:that )?you are (?:a )?human|just a moment\.\.\.|"
    r"checking your browser|cf-chl|challenge-platform|_incapsula_resource|"
    r"access denied.{0,200}reference\s*#|please enable javascript and cookies|"
    r"request unsuccessful|bot[- ]check|automated (?:requests|access)|unusual traffic",
    re.IGNORECASE | re.DOTALL,
)
TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def is_bot_check(status: int, text: str) -> bool:
    """A challenge page: a marker in a page with little visible text (articles are long)."""
    head = text[:200_000]
    visible = " ".join(TAGS.sub(" ", head).split())
    if not BOT_CHECK_MARKERS.search(head):
        return False
    return status in (401, 403, 429, 503) or len(visible) < 1500


DECLARED = re.compile(rb"""<meta[^>]+charset=["']?([\w-]+)""", re.IGNORECASE)
MOJIBAKE = re.compile("[ÃÂâ][\u0080-\u00bf€™œ]|Ã.|â€")


def decode_body(body: bytes, declared: str | None) -> tuple[str, str | None]:
    """(text, note). Trust the declared charset unless the bytes say otherwise.

    Pages (the MFA's among them) sometimes declare gb2312 or iso-8859-1 while sending UTF-8:
    decoded as declared they turn into mojibake. Strict UTF-8 decoding of non-ASCII bytes is a
    very strong signal, so it wins; the note records that the declaration was wrong.
    """
    declared = (declared or "").lower().replace("_", "-") or None
    try:
        as_utf8 = body.decode("utf-8")
    except UnicodeDecodeError:
        as_utf8 = None
    if declared in (None, "utf-8", "utf8"):
        if as_utf8 is not None:
            return as_utf8, None
        for fallback in ("gb18030", "cp1252"):
            try:
                return body.decode(fallback), f"declared charset {declared or 'none'} is wrong: decoded as {fallback}"
            except UnicodeDecodeError:
                continue
        return body.decode("utf-8", errors="replace"), "undecodable body: invalid UTF-8"
    if as_utf8 is not None and not body.isascii():
        return as_utf8, f"declared charset {declared} is wrong: body is UTF-8"
    try:
        return body.decode(declared), None
    except (LookupError, UnicodeDecodeError):
        return body.decode("utf-8", errors="replace"), f"declared charset {declared} does not decode the body"


def declared_charset(headers_content_type: str, body: bytes) -> str | None:
    match = re.search(r"charset=([\w-]+)", headers_content_type or "", re.IGNORECASE)
    if match:
        return match.group(1)
    in_body = DECLARED.search(body[:4096])
    return in_body.group(1).decode("ascii") if in_body else None
