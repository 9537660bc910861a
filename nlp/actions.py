"""The action taxonomy (nlp/data/actions.toml) compiled into spaCy Matcher patterns.

An analyst adds a trigger by adding a line to the TOML file. Trigger phrases are written as
words separated by spaces, compiled to one Matcher token pattern each:

    word        lemma of the token ("add" matches "added", "adds"); case-insensitive
    w1|w2       any of these lemmas
    =word       the exact (lower-cased) word form, not the lemma ("=us")
    word?       optional token
    *           a gap of 0-6 tokens within the sentence
    **          a gap of 0-12 tokens within the sentence

Raw spaCy Matcher patterns may also be given under `patterns` for anything the short form
cannot say.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
ACTIONS_PATH = DATA_DIR / "actions.toml"

GAPS = {"*": {"IS_SENT_START": False, "OP": "{0,6}"},
        "**": {"IS_SENT_START": False, "OP": "{0,12}"}}


@dataclass
class Action:
    code: str
    description: str
    patterns: list[list[dict]]
    suppresses: list[str] = field(default_factory=list)
    subsumes: list[str] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)
    # Where the target may come from: prepositions after the trigger (None: the default set)
    # and whether the nearest name after the trigger may stand in when the parse finds none.
    target_preps: list[str] | None = None
    target_near: bool = True


@dataclass
class Taxonomy:
    actions: dict[str, Action]
    modality: dict[str, list[str]]
    status: dict[str, list[str]]
    modality_actions: dict[str, list[str]]
    status_actions: set[str]
    # Verbs that make a nominal trigger a topic, not an event ("circumventing export controls").
    topic_verbs: set[str] = field(default_factory=set)
    # Nationality adjectives -> country id ("Chinese" -> "china").
    demonyms: dict[str, str] = field(default_factory=dict)


def _lemma_values(word: str) -> list[str]:
    # Lemmas of proper nouns keep their case ("Entity List" -> "Entity"), lemmas of verbs and
    # common nouns are lower case: match all three spellings.
    # Proper-noun lemmas also keep their plural ("Export Controls"): add the -s forms.
    forms = {word, word.lower(), word.capitalize(), word.upper()}
    if word.isalpha():
        forms |= {word + "s", word.capitalize() + "s"}
    return sorted(forms)


def compile_phrase(phrase: str) -> list[dict]:
    pattern: list[dict] = []
    for raw in phrase.split():
        if raw in GAPS:
            pattern.append(dict(GAPS[raw]))
            continue
        optional = raw.endswith("?") and len(raw) > 1
        word = raw[:-1] if optional else raw
        if word.startswith("="):
            alts = word[1:].split("|")
            tok: dict = {"LOWER": {"IN": sorted({a.lower() for a in alts})}}
        else:
            values: set[str] = set()
            for alt in word.split("|"):
                values.update(_lemma_values(alt))
            tok = {"LEMMA": {"IN": sorted(values)}}
        if optional:
            tok["OP"] = "?"
        pattern.append(tok)
    if not pattern or pattern[0] in GAPS.values() or pattern[-1] in GAPS.values():
        raise ValueError(f"trigger {phrase!r}: a phrase cannot start or end with a gap")
    return pattern


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    path = Path(path or ACTIONS_PATH)
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    actions: dict[str, Action] = {}
    for code, spec in (data.get("actions") or {}).items():
        triggers = list(spec.get("triggers") or [])
        try:
            patterns = [compile_phrase(t) for t in triggers]
        except ValueError as exc:
            raise ValueError(f"{path}: action {code}: {exc}") from exc
        patterns += [list(p) for p in spec.get("patterns") or []]
        actions[code] = Action(code=code, description=spec.get("description", ""),
                               patterns=patterns, suppresses=list(spec.get("suppresses") or []),
                               subsumes=list(spec.get("subsumes") or []),
                               triggers=triggers,
                               target_preps=(list(spec["target_preps"])
                                             if "target_preps" in spec else None),
                               target_near=bool(spec.get("target_near", True)))
    return Taxonomy(actions=actions,
                    modality={k: list(v) for k, v in (data.get("modality") or {}).items()},
                    status={k: list(v) for k, v in (data.get("status") or {}).items()},
                    modality_actions={k: list(v) for k, v in
                                      (data.get("modality_actions") or {}).items()},
                    status_actions=set((data.get("status_actions") or {}).get("actions") or []),
                    topic_verbs=set((data.get("topics") or {}).get("verbs") or []),
                    demonyms={k.lower(): v for k, v in (data.get("demonyms") or {}).items()})
