"""The entity gazetteer (nlp/data/entities.jsonl): loading, alias normalisation, ruler patterns.

One JSON object per line: {"id", "name", "type", "country", "aliases"}. The file is data an
analyst edits; nothing here knows any particular entity.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
GAZETTEER_PATH = DATA_DIR / "entities.jsonl"

# spaCy labels for the ruler's spans, so the rest of the pipeline (and the parser's view of
# the sentence) treats gazetteer entities like model entities of the same kind.
TYPE_LABELS = {
    "country": "GPE", "jurisdiction": "GPE", "place": "GPE",
    "official": "PERSON", "person": "PERSON",
    "ai_model": "PRODUCT", "chip": "PRODUCT", "hardware": "PRODUCT", "product": "PRODUCT",
    "technology": "PRODUCT",
    "law": "LAW", "instrument": "LAW", "rule": "LAW", "list": "LAW",
}
DEFAULT_LABEL = "ORG"


@dataclass
class Entity:
    id: str
    name: str
    type: str
    country: str | None = None
    aliases: list[str] = field(default_factory=list)

    def surfaces(self) -> list[str]:
        seen, out = set(), []
        for s in [self.name, *self.aliases]:
            s = (s or "").strip()
            if s and s not in seen:
                seen.add(s)
                out.append(s)
        return out


def load_gazetteer(path: str | Path | None = None) -> list[Entity]:
    """Read the gazetteer; a malformed line is an error naming the line (data must be fixed)."""
    path = Path(path or GAZETTEER_PATH)
    out: list[Entity] = []
    seen: set[str] = set()
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                row = json.loads(line)
                ent = Entity(id=str(row["id"]), name=str(row["name"]), type=str(row["type"]),
                             country=row.get("country"), aliases=list(row.get("aliases") or []))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{lineno}: bad gazetteer line ({exc})") from exc
            if ent.id in seen:  # first definition wins; duplicates are a data bug, not fatal
                continue
            seen.add(ent.id)
            out.append(ent)
    return out


_PUNCT_RE = re.compile(r"[^\w\s]")
_SPACE_RE = re.compile(r"\s+")
_LEADING_RE = re.compile(r"^(?:the|a|an)\s+")
_POSSESSIVE_RE = re.compile(r"(?:'s|’s|'|’)$")


def normalize_alias(text: str) -> str:
    """Key used to link a surface form to an alias: case, 'the', possessives, punctuation.

    "the U.S. Commerce Department's" -> "us commerce department".
    """
    s = unicodedata.normalize("NFKC", text or "").strip().lower()
    s = _POSSESSIVE_RE.sub("", s)
    s = _LEADING_RE.sub("", s)
    s = s.replace("-", " ")
    s = _PUNCT_RE.sub("", s)
    return _SPACE_RE.sub(" ", s).strip()


def alias_index(entities: list[Entity]) -> dict[str, str]:
    """Normalised alias -> entity id. An alias claimed by two entities is ambiguous and dropped."""
    index: dict[str, str] = {}
    ambiguous: set[str] = set()
    for ent in entities:
        for s in ent.surfaces():
            key = normalize_alias(s)
            if not key:
                continue
            if key in index and index[key] != ent.id:
                ambiguous.add(key)
            index.setdefault(key, ent.id)
    for key in ambiguous:
        del index[key]
    return index


def _is_acronym(token: str) -> bool:
    # "BIS", "US", "U.S.", "CAC": all-caps and short. Matched with exact case, so the
    # pronoun "us" or the word "bis" never becomes an entity.
    letters = token.replace(".", "").replace("&", "")
    return 1 <= len(letters) <= 6 and letters.isalpha() and letters.isupper()


def phrase_patterns(entities: list[Entity], tokenizer) -> tuple[list[dict], list[dict]]:
    """Every surface form of the entities as phrase patterns, carrying the entity id, for two
    PhraseMatcher-backed rulers (a Matcher with ~2,000 token patterns was the slowest part of
    the pipeline):

    - case-insensitive (attr LOWER): multi-word aliases and lower-case single words;
    - exact (attr ORTH): acronyms as written ("US" but not "us"), and single capitalised names
      in their written, upper-case and title-case spellings ("Nvidia", "NVIDIA").
    """
    lower: list[dict] = []
    orth: list[dict] = []
    seen = set()
    for ent in entities:
        label = TYPE_LABELS.get(ent.type, DEFAULT_LABEL)
        for surface in ent.surfaces():
            words = [t.text for t in tokenizer(surface) if not t.is_space]
            if not words:
                continue
            # "The" is part of a surface only by convention: match without it.
            if len(words) > 1 and words[0].lower() == "the":
                words = words[1:]
            if len(words) == 1:
                w = words[0]
                if _is_acronym(w):
                    variants, attr = [w], "orth"
                elif w[:1].isupper():
                    variants, attr = sorted({w, w.upper(), w.title()}), "orth"
                else:
                    variants, attr = [w.lower()], "lower"
            else:
                variants, attr = [" ".join(words).lower()], "lower"
            # real pages curl their apostrophes: "People’s Republic of China" must not leave
            # only "Republic of China" (Taiwan) to match
            variants += [v.replace("'", "’") for v in variants if "'" in v]
            for v in variants:
                key = (ent.id, attr, v)
                if key in seen:
                    continue
                seen.add(key)
                (orth if attr == "orth" else lower).append(
                    {"label": label, "pattern": v, "id": ent.id})
    return lower, orth
