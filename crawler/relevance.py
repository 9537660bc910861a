"""Is a document about the US-China contest over AI and chips? Two signals, not one word.

A document is relevant when it names BOTH
  - a Chinese party (China, Beijing, the PRC or CCP, Xi, a Chinese firm such as Huawei), and
  - a contested technology or measure (AI, chips, export controls, the Entity List, tariffs,
    sanctions, rare earths, TikTok, ...: ``TOPIC_TERMS`` plus the source's ``keywords``).
One word was not evidence: on real White House text the old any-keyword rule kept a fifth of
the nightly noise ("AI-Powered Experience" at the Easter Egg Roll, "tariffs" in a birthday
message, "smuggling" of children). Measured on the real corpus by bench/bench_relevance.py;
the figures are in docs/relevance.md.

Unrelated government news is STORED with status 'irrelevant', not dropped: nothing is lost, the
tagger and the site skip it, and an analyst can audit what the filter set aside (``rivalry query
"SELECT title FROM documents WHERE status='irrelevant'"``) and widen the keywords if it was wrong.
A source whose every document is on topic sets ``relevance = false``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Lower-case terms match in any case; a term with a capital letter matches exactly as written
# ("AI" must not match "said", "PRC" need not match "prc", "Chinese" not "chinese" porcelain).
CHINESE_PARTIES = (
    "China", "CHINA", "Chinese", "CHINESE", "PRC", "People's Republic of China", "Beijing", "CCP",
    "Chinese Communist Party", "Xi Jinping", "President Xi", "MOFCOM", "Huawei", "HUAWEI", "SMIC",
    "ZTE", "Hikvision", "YMTC", "CXMT", "DeepSeek", "Alibaba", "Baidu", "Tencent", "ByteDance",
    "Zhipu", "Qwen", "Moonshot AI", "Select Committee on the CCP",
    # US texts often name China only as the adversary (EO 14320 on exporting the AI stack).
    "foreign adversary", "foreign adversaries", "our adversaries", "countries of concern", "country of concern",
)
# Taiwan and Hong Kong are left out: they come up with TSMC and with democracy, not the contest.
TOPIC_TERMS = (
    "AI", "A.I.", "artificial intelligence", "machine learning", "semiconductor", "chip", "chips",
    "chipmaker", "microelectronics", "integrated circuit", "supercomputer", "data center",
    "export control", "export controls", "Entity List", "entity list", "Unreliable Entity List",
    "foreign direct product", "license requirement", "EAR", "ECRA", "sanction", "sanctions",
    "countermeasure", "countermeasures", "tariff", "tariffs", "anti-dumping", "Section 301",
    "outbound investment", "rare earth", "rare earths", "gallium", "germanium", "antimony",
    "tungsten", "graphite", "critical minerals", "model weights", "distillation", "large language model",
    "Nvidia", "NVIDIA", "AMD", "Intel", "TSMC", "ASML", "Micron", "Ascend",
    "H20", "H100", "H200", "A100", "HBM", "EUV", "OpenAI", "Anthropic", "TikTok", "quantum",
    "Huawei", "SMIC", "DeepSeek", "Qwen", "Zhipu", "Moonshot AI", "YMTC", "CXMT",  # both lists
    "Bureau of Industry and Security", "BIS", "Ministry of Commerce", "trade secret",
    "economic espionage", "smuggling", "technology stack",
)
DEFAULT_KEYWORDS = TOPIC_TERMS  # the name sources.py and older callers know


SIGNALS = ("party", "topic")


@dataclass(frozen=True)
class Evidence:
    parties: tuple[str, ...]   # the Chinese parties named
    topics: tuple[str, ...]    # the contested technologies or measures named
    given: str | None = None   # the signal the source itself vouches for (``relevance_given``)

    @property
    def relevant(self) -> bool:
        if self.given == "party":
            return bool(self.topics)
        if self.given == "topic":
            return bool(self.parties)
        # Two different words: "Huawei" or "DeepSeek" is a party and a topic, but alone it is one.
        return any(p != t for p in self.parties for t in self.topics)


@lru_cache(maxsize=64)
def _pattern(words: tuple[str, ...]) -> re.Pattern:
    exact = [re.escape(w) for w in words if w != w.lower()]
    loose = [re.escape(w) for w in words if w == w.lower()]
    parts = []
    if exact:
        parts.append(r"(?<!\w)(?:" + "|".join(exact) + r")(?!\w)")
    if loose:
        parts.append(r"(?i:(?<!\w)(?:" + "|".join(loose) + r")(?!\w))")
    return re.compile("|".join(parts) or r"(?!)")


def _found(words, haystack: str) -> tuple[str, ...]:
    # Longest first, so "Unreliable Entity List" is one match, not "Entity List" inside it.
    ordered = tuple(sorted(set(words), key=lambda w: (-len(w), w)))
    return tuple(sorted({m.group(0) for m in _pattern(ordered).finditer(haystack)}))


def evidence(title: str | None, text: str | None, extra=(), defaults=(), given=None) -> Evidence:
    """The parties and topics a document names (``extra``: the source's keywords, ``defaults``:
    the sources file's, both topic terms; ``given``: the source's ``relevance_given``)."""
    haystack = f"{title or ''}\n{text or ''}"
    return Evidence(parties=_found(CHINESE_PARTIES, haystack),
                    topics=_found(set(TOPIC_TERMS) | set(defaults) | set(extra), haystack), given=given)


def matched_terms(title: str | None, text: str | None, extra=(), defaults=()) -> list[str]:
    found = evidence(title, text, extra, defaults)
    return sorted(set(found.parties) | set(found.topics))


def is_relevant(title: str | None, text: str | None, extra=(), defaults=(), given=None) -> bool:
    return evidence(title, text, extra, defaults, given).relevant
