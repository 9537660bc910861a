"""What the story stage reads in a sentence's own words: official identifiers and stated responses.

An **official identifier** (a Federal Register document number, a bill number "H.R. 1234", a
court case number "1:24-cr-00123", a MOFCOM announcement "Announcement No. 61 of 2025", or the
identifier a source stores in `documents.extra`) is the strongest sign that two reports are one
action: nlp/stories.py keys a story by it. A **stated response** ("in response to the U.S.
decision", "countermeasures against ... rules") is how a sentence says which act it answers:
nlp/responses.py links the two stories. Text patterns only: no database, no spaCy.
"""

from __future__ import annotations

import json
import re

_FR_RE = re.compile(r"\b(?:FR\s+Doc\.?|Federal\s+Register\s+(?:document|doc\.?)(?:\s+(?:No\.?|number))?)"
                    r"\s*(\d{4}-\d{5})\b", re.I)
_MOFCOM_RE = re.compile(r"\bAnnouncement\s+No\.?\s*(\d{1,3})\s+of\s+(\d{4})\b|"
                        r"\bAnnouncement\s*[\[〔(](\d{4})[\]〕)]\s*No\.?\s*(\d{1,3})\b", re.I)
_BILL_RE = re.compile(r"(?<![\w.])(H\.\s?R\.|S\.|H\.\s?Res\.|S\.\s?Res\.|H\.\s?J\.\s?Res\.)\s?"
                      r"(\d{1,5})\b")
_CASE_RE = re.compile(r"\b(\d{1,2}:\d{2}-(?:cr|cv|mj|mc|po)-\d{3,6})\b", re.I)
_FR_NUMBER_RE = re.compile(r"^\d{4}-\d{5}$")

STATED_RE = re.compile(
    r"\b(?:in\s+(?:response|retaliation|reaction)\s+to|in\s+response\s+against|"
    r"(?:as\s+a\s+)?(?:response|retaliation|reprisal)\s+(?:to|for|against)|"
    r"counter-?measures?\s+(?:against|to|over)|retaliat\w*\s+(?:for|against)|"
    r"(?:respond|responds|responded|responding)\s+to)\b", re.I)


# What a stated response answers is an act ("in response to the U.S. decision"), not a party
# ("countermeasures against U.S. companies" says what the measure hits, not what it answers).
ACT_NOUNS = {"decision", "decisions", "move", "moves", "rule", "rules", "measure", "measures",
             "sanction", "sanctions", "listing", "listings", "addition", "additions", "inclusion",
             "designation", "designations", "control", "controls", "restriction", "restrictions",
             "tariff", "tariffs", "duty", "duties", "sale", "sales", "assistance", "action",
             "actions", "ban", "bans", "investigation", "probe", "crackdown", "curbs", "policy",
             "policies", "order", "orders", "suppression", "announcement", "step", "steps",
             "blacklisting", "increase", "hike", "hikes", "levies", "charges", "indictment",
             "accusations", "provocation", "provocations", "interference"}


def stated_cue(sentence: str) -> re.Match | None:
    """The "in response to <an act>" cue of a sentence, or None."""
    for m in STATED_RE.finditer(sentence):
        words = re.findall(r"[A-Za-z][\w'’.-]*", sentence[m.end():])[:8]
        if any(w.lower().strip(".") in ACT_NOUNS for w in words):
            return m
    return None



def identifiers_in(text: str) -> list[str]:
    """Official identifiers named in a sentence, as story keys, in order of appearance."""
    found: list[tuple[int, str]] = []
    for m in _FR_RE.finditer(text):
        found.append((m.start(), f"fr:{m.group(1)}"))
    for m in _MOFCOM_RE.finditer(text):
        if m.group(1):
            found.append((m.start(), f"mofcom:{m.group(2)}-{int(m.group(1))}"))
        else:
            found.append((m.start(), f"mofcom:{m.group(3)}-{int(m.group(4))}"))
    for m in _BILL_RE.finditer(text):
        prefix = re.sub(r"[\s.]", "", m.group(1)).lower()
        found.append((m.start(), f"bill:{prefix}-{int(m.group(2))}"))
    for m in _CASE_RE.finditer(text):
        found.append((m.start(), f"case:{m.group(1).lower()}"))
    return [k for _, k in sorted(found)]


def document_identifier(source_id: str, extra: str | None) -> str | None:
    """The story key of a document's own identifier (documents.extra "identifier")."""
    if not extra:
        return None
    try:
        ident = (json.loads(extra) or {}).get("identifier")
    except (ValueError, AttributeError):
        return None
    if not ident:
        return None
    ident = str(ident).strip()
    if _FR_NUMBER_RE.match(ident):
        return f"fr:{ident}"
    return f"{source_id}:{ident}"


