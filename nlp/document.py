"""What the tagger knows about a document before its sentences: who issued it, the publisher's
day, and where each sentence stands (lead or body, a reporter's question, a speaker's turn).

Real documents are not a list of equal sentences: a press briefing alternates speakers and
reporters' questions, a fact sheet states its act in the title and the first paragraph and
then elaborates, a speech recounts years of history. `Structure` reads that from the text's
lines (the crawler keeps one paragraph per line) so the entry builder (nlp/entries.py) can tell
the document's own news from questions and background.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from spacy.tokens import Doc, Span

# "MS. PSAKI:", "THE PRESIDENT:", "SENIOR ADMINISTRATION OFFICIAL:", "PRIME MINISTER MODI:"
_SPEAKER_RE = re.compile(r"^\s*((?:[A-Z][A-Z.'’\-]*\s){0,5}[A-Z][A-Z.'’\-]+):\s")
# A reporter's question: "Q    Thank you ..." / "Q: ..." / "Q. ..."
_QUESTION_RE = re.compile(r"^\s*Q(?:[.:]|\s{1,8})\s*\S")
# Paragraphs at the top that hold the document's own news (after any dateline).
LEAD_PARAGRAPHS = 3


@dataclass(frozen=True)
class DocumentInfo:
    """The document fields the tagger uses besides its text."""
    id: str
    title: str | None = None
    published_at: str | None = None   # UTC ISO 8601, as stored
    timezone: str | None = None       # the publisher's (sources.timezone)
    issuer_id: str | None = None      # who issues it (sources.issuer_id): the default actor
    url: str | None = None

    def local_published(self) -> datetime | None:
        """The publication time on the publisher's clock (naive): its date is the publisher's
        day — a 23:48 EDT release is dated that day, not the next day in UTC."""
        if not self.published_at:
            return None
        try:
            moment = datetime.fromisoformat(self.published_at.replace("Z", "+00:00"))
        except ValueError:
            return None
        if moment.tzinfo is not None and self.timezone:
            try:
                moment = moment.astimezone(ZoneInfo(self.timezone))
            except (KeyError, ValueError):
                pass
        return moment.replace(tzinfo=None)

    def publisher_day(self) -> date | None:
        local = self.local_published()
        return local.date() if local else None


@dataclass(frozen=True)
class Place:
    """Where a sentence stands in its document."""
    paragraph: int          # index among the non-empty lines
    lead: bool              # in the first LEAD_PARAGRAPHS paragraphs of prose
    question: bool          # inside a reporter's question turn
    speaker: str | None     # the turn's speaker ("MS. PSAKI"), None outside a transcript
    transcript: bool        # the document alternates speakers (a briefing, remarks)


class Structure:
    """Per-line roles of a parsed document, looked up per sentence."""

    def __init__(self, doc: Doc):
        self.doc = doc
        text = doc.text
        self._starts: list[int] = []
        self._places: list[Place] = []
        speaker: str | None = None
        question = False
        paragraph = prose = 0
        speakers = 0
        pos = 0
        lines = text.split("\n")
        for line in lines:
            start, pos = pos, pos + len(line) + 1
            if not line.strip():
                continue
            if _QUESTION_RE.match(line):
                question, speaker = True, "Q"
                speakers += 1
            elif m := _SPEAKER_RE.match(line):
                question, speaker = False, m.group(1)
                speakers += 1
            # a short line without final punctuation is a heading or a dateline, not prose
            is_prose = len(line.strip()) > 60 or line.rstrip()[-1:] in ".!?”\""
            self._starts.append(start)
            self._places.append(Place(paragraph, prose < LEAD_PARAGRAPHS and is_prose,
                                      question, speaker, False))
            paragraph += 1
            prose += is_prose
        self.transcript = speakers >= 3
        self.prose_paragraphs = prose  # a short item (a news snippet, a one-paragraph release)
        if self.transcript:
            self._places = [Place(p.paragraph, p.lead, p.question, p.speaker, True)
                            for p in self._places]

    def place(self, sent: Span) -> Place:
        from bisect import bisect_right

        i = bisect_right(self._starts, sent.start_char) - 1
        if i < 0:
            return Place(0, True, False, None, self.transcript)
        return self._places[i]
