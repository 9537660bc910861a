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


def prepare(text: str) -> Prepared:
    fixed = ftfy.fix_text(text, normalization=None, uncurl_quotes=False)
    offsets = None if fixed == text else _align(fixed, text)
    return Prepared(mask_boilerplate(fixed), offsets)


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
