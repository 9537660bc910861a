"""A story's headline: one readable line for the timeline, from its primary document.

The primary document's title says what happened when it is about the act ("Fact Sheet: President
Biden Takes Action to Protect American Workers ... from China's Unfair Trade Practices",
"Readout of President Biden's Call with President Xi Jinping"); a title that only says what
kind of document it is ("Press Briefing by Press Secretary Jen Psaki, February 2, 2022",
"Remarks by President Biden ...") gives way to the sentence that states the act. Never
"unknown → Nvidia": the actor → target line is shown beside the headline, not as it.
"""

from __future__ import annotations

import re

MAX_CHARS = 160
# Site names and document-kind prefixes that carry no news.
_SUFFIX = re.compile(r"\s+[|–—-]\s+(?:The White House|U\.S\. Department of [\w ]+|[\w.]+\.gov)\s*$",
                     re.I)
_PREFIX = re.compile(r"^(?:fact sheet|factsheet|press release|media note|readout)\s*:\s*", re.I)
# Titles that name a kind of document or a series, not an act.
_GENERIC = re.compile(
    r"^(?:press (?:briefing|gaggle|call)|background (?:press )?call|on-the-record|"
    r"remarks (?:by|of)|remarks as prepared|statement by press secretary|"
    r"readout of (?:the )?(?:press|white house) |week \w+ wins|(?:\d+|one) wins|"
    r"briefing|transcript|interview|daily|weekly)",
    re.I)


def clean_title(title: str | None) -> str | None:
    if not title:
        return None
    t = " ".join(title.split())
    t = _SUFFIX.sub("", t)
    t = _PREFIX.sub("", t)
    return t or None


def shorten(text: str, limit: int = MAX_CHARS) -> str:
    text = " ".join(text.split()).strip(" -–—•*")
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def headline(title: str | None, evidence: str | None) -> str | None:
    """The primary document's title when it states the news, else the primary sentence."""
    t = clean_title(title)
    if t and not _GENERIC.match(t):
        return shorten(t)
    if evidence and evidence.strip():
        return shorten(evidence)
    return shorten(t) if t else None
