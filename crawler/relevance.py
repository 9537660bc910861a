"""Is a document about the US-China contest over AI and chips? Keywords and known entities.

Unrelated government news (a National Park Week proclamation, a fishery disaster) is STORED
with status 'irrelevant', not dropped: nothing is lost, the tagger and the site skip it, and an
analyst can audit what the filter set aside (``rivalry query "SELECT title FROM documents WHERE
status='irrelevant'"``) and widen the keywords if it was wrong.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Lower-case terms match in any case; a term with a capital letter matches exactly as written
# ("AI" must not match "said", "ASML" need not match "asml").
DEFAULT_KEYWORDS = (
    "AI", "A.I.", "artificial intelligence", "machine learning", "semiconductor", "chip", "chips",
    "chipmaker", "microelectronics", "integrated circuit", "supercomputer", "data center",
    "export control", "export controls", "Entity List", "entity list", "Unreliable Entity List",
    "foreign direct product", "license requirement", "EAR", "ECRA", "sanction", "sanctions",
    "countermeasure", "countermeasures", "tariff", "tariffs", "anti-dumping", "Section 301",
    "outbound investment", "rare earth", "rare earths", "gallium", "germanium", "antimony",
    "tungsten", "graphite", "critical minerals", "model weights", "distillation", "large language model",
    "Nvidia", "NVIDIA", "AMD", "Intel", "TSMC", "SMIC", "Huawei", "ASML", "Micron", "Ascend",
    "H20", "H100", "H200", "A100", "HBM", "EUV", "DeepSeek", "OpenAI", "Anthropic", "Qwen",
    "Alibaba", "Baidu", "Tencent", "ByteDance", "TikTok", "Moonshot", "Zhipu", "quantum",
    "Bureau of Industry and Security", "BIS", "MOFCOM", "Ministry of Commerce", "trade secret",
    "economic espionage", "smuggling", "Select Committee on the CCP", "technology stack",
)


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


def matched_terms(title: str | None, text: str | None, extra=(), defaults=()) -> list[str]:
    words = tuple(sorted(set(DEFAULT_KEYWORDS) | set(defaults) | set(extra)))
    haystack = f"{title or ''}\n{text or ''}"
    return sorted({m.group(0) for m in _pattern(words).finditer(haystack)})


def is_relevant(title: str | None, text: str | None, extra=(), defaults=()) -> bool:
    return bool(matched_terms(title, text, extra, defaults))
