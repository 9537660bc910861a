"""Text hygiene before tagging: mojibake, language, boilerplate, bullets and emoji.

The tagger must report offsets into documents.text as stored, so every step here either keeps
the length (boilerplate lines and bullets become spaces) or comes with an offset map (ftfy may
shorten "â€™" to "’").
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ftfy

DATA_DIR = Path(__file__).parent / "data"
BOILERPLATE_PATH = DATA_DIR / "boilerplate.txt"

# Line-leading list markers and decoration; emoji and pictographs anywhere.
_BULLET_RE = re.compile(r"^[ \t]*([•·▪▫◦‣⁃●○■□►▶➤✓✔☐☑*\-–—>]+)[ \t]+", re.M)
_EMOJI_RE = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\uFE0F\u200D]")


@dataclass
class Prepared:
    text: str                 # what the pipeline sees
    offsets: list[int] | None  # index in `text` -> index in the original (None: identical)

    def to_original(self, i: int) -> int:
        return i if self.offsets is None else self.offsets[i]


@lru_cache(maxsize=1)
def boilerplate_patterns(path: str = str(BOILERPLATE_PATH)) -> list[re.Pattern]:
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(re.compile(line, re.I))
    return out


def _align(fixed: str, original: str) -> list[int]:
    """Map each index of `fixed` (and its end) to an index of `original`."""
    mapping = [0] * (len(fixed) + 1)
    sm = difflib.SequenceMatcher(None, fixed, original, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        for k in range(i1, i2):
            # equal runs map one to one; a repaired run spreads over what it replaced
            step = k - i1 if tag == "equal" else (k - i1) * (j2 - j1) // (i2 - i1)
            mapping[k] = j1 + step
    mapping[len(fixed)] = len(original)
    return mapping


def mask_boilerplate(text: str, patterns: list[re.Pattern] | None = None) -> str:
    """Blank out navigation/boilerplate lines, bullets and emoji, keeping every offset."""
    patterns = boilerplate_patterns() if patterns is None else patterns
    lines = text.split("\n")
    for n, line in enumerate(lines):
        stripped = line.strip()
        if stripped and any(p.search(stripped) for p in patterns):
            lines[n] = " " * len(line)
    text = "\n".join(lines)
    text = _BULLET_RE.sub(lambda m: " " * len(m.group(0)), text)
    return _EMOJI_RE.sub(" ", text)


def _baltic_tables() -> tuple[dict[str, int], re.Pattern]:
    """char -> byte of Windows-1257 as decoders in the wild apply it: its own table, the
    Windows-1252 character where 1257 leaves a byte undefined (0x9C reads as "œ"), else the C1
    control of that byte."""
    to_byte: dict[str, int] = {}
    for codec in ("cp1257", "cp1252", "latin-1"):  # 1257's own bytes first: "š" is 0xF0
        for b in range(0x80, 0x100):
            try:
                ch = bytes([b]).decode(codec)
            except UnicodeDecodeError:
                continue
            if codec == "cp1257" or b not in to_byte.values():
                to_byte.setdefault(ch, b)
    chars = "".join(re.escape(c) for c in to_byte)
    return to_byte, re.compile(f"[{chars}]{{2,}}")


_BALTIC_TO_BYTE, _BALTIC_RUN = _baltic_tables()
_UTF8_SEQ = re.compile(rb"[\xC2-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}|[\xF0-\xF4][\x80-\xBF]{3}")


# What such runs stand for in real text: Latin letters, punctuation and symbols, CJK, emoji. Other
# scripts' two-byte letters would turn real "Ö§"-like pairs into noise.
_MOJIBAKE_TARGETS = ((0x00A0, 0x024F), (0x2000, 0x2BFF), (0x3000, 0x9FFF), (0xFF00, 0xFFEF),
                     (0x1F000, 0x1FAFF))


def fix_baltic_mojibake(text: str) -> str:
    """UTF-8 read as Windows-1257 ("ā€œ" for "“", "ā€™" for "’", "šŸ”„" for an emoji), which
    ftfy does not try. Only runs that re-encode to valid multi-byte UTF-8 are replaced; real
    Baltic letters ("šį") do not form such sequences, so they stay."""
    def repair(run: re.Match) -> str:
        raw = bytes(_BALTIC_TO_BYTE[c] for c in run.group())
        out, pos = [], 0
        for seq in _UTF8_SEQ.finditer(raw):
            char = seq.group().decode("utf-8", errors="strict")
            if not any(lo <= ord(char) <= hi for lo, hi in _MOJIBAKE_TARGETS):
                continue  # "Ö§" is a letter and a sign, not Hebrew read wrongly
            out.append(run.group()[pos:seq.start()])  # one char per byte: indexes agree
            out.append(char)
            pos = seq.end()
        out.append(run.group()[pos:])
        return "".join(out)

    return _BALTIC_RUN.sub(repair, text)


# A line break inside a sentence (text wrapped at 72 columns, a PDF's lines): the line before has
# no final punctuation and ends on a comma or on a word no heading ends on, or the next line goes
# on in lower case. Such a break is only whitespace; every other line break starts a sentence.
_CONTINUING_WORDS = frozenset(
    "a an the of for to in on at by with from and or but nor that which who its their his her our "
    "is are was were be been has have had will would shall should can could may as than into "
    "under over about against between".split())
_LINE_BREAK = re.compile(r"(\S*)[ \t]*\n[ \t]*(?=(\S+))")
_LIST_ITEM = re.compile(r"^(?:[-*•▪●]|\d+[.)])$")


def _wraps(line: str, last_word: str, next_word: str) -> bool:
    if not last_word or last_word[-1] in ".!?:;\"”’)]" or _LIST_ITEM.match(next_word):
        return False
    return (last_word.endswith(",") or last_word.lower() in _CONTINUING_WORDS
            or next_word[0].islower()
            # a long line ending on a lower-case word is no heading ("It also added\n28 ...")
            or (len(line) >= 40 and last_word[0].islower()))


def unwrap_lines(text: str) -> str:
    """Line breaks that only wrap a sentence become spaces (same length: offsets are kept)."""
    if "\n" not in text:
        return text

    def repl(m: re.Match) -> str:
        line = text[text.rfind("\n", 0, m.start()) + 1:m.start() + len(m.group(1))]
        return m.group().replace("\n", " ") if _wraps(line, m.group(1), m.group(2)) else m.group()

    return _LINE_BREAK.sub(repl, text)


def prepare(text: str) -> Prepared:
    fixed = fix_baltic_mojibake(ftfy.fix_text(text, normalization=None, uncurl_quotes=False))
    offsets = None if fixed == text else _align(fixed, text)
    return Prepared(mask_boilerplate(unwrap_lines(fixed)), offsets)


_IDENTIFIER = None


def detect_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) from py3langid over the start of the text."""
    global _IDENTIFIER
    if _IDENTIFIER is None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
        _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _IDENTIFIER.classify(text[:3000])


def non_english_reason(text: str) -> str | None:
    """'language: xx' when the text is confidently not English; short texts get the benefit
    of the doubt (a headline with two names says little about its language)."""
    letters = sum(c.isalpha() for c in text[:3000])
    if letters < 20:
        return None
    lang, prob = detect_language(text)
    if lang != "en" and prob >= 0.5:
        return f"language: {lang}"
    return None
