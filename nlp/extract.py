"""From a parsed Doc to rows: mentions, entities found by the model, and events.

Two steps: each sentence with an action trigger gives a **candidate** (action, actor, target,
object, date, modality read from that sentence's parse: the sentence-level reading, measured by
the sentence gold); then the document's **entries** are chosen from the candidates by
`nlp/entries.py` (what the document reports as new, what it mentions as context, nothing for
questions, hypotheticals and noise). Without an entry builder the candidates are the events.

Pure functions of (Doc, gazetteer, taxonomy, document info): no database here, so the same
code runs in the main process or in a worker, and tests can call it on one sentence.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from spacy.matcher import Matcher
from spacy.tokens import Doc, Span, Token

from . import dates
from .actions import Taxonomy, compile_phrase
from .gazetteer import Entity, alias_index, normalize_alias
from .pipeline import ACTIONS_KEY
from .syntax import (OBJECT_TYPES, SAY_VERBS, _ENTS_KEY, _NUMBERED_OF, _clause_chain, _crosses_relative_clause,
                     _entity_in, _generic_statement, _governing_verb, _looks_like_heading, _magnitude, _nearest,
                     _names_an_average, _predicate, _sent_ents, _trigger_head, _trim)

# Model labels we keep as entities of their own when the gazetteer does not know them.
MODEL_TYPES = {"PERSON": "person", "ORG": "organization", "GPE": "place"}
# Surfaces the small model likes to call organisations or places but never are here.
STOP_SURFACES = {"ai", "a.i.", "artificial intelligence", "genai", "agi", "llm", "llms", "gpu",
                 "gpus", "cpu", "section", "fact sheet", "background", "press release",
                 "readout", "summary", "q", "a", "note", "share", "print", "email", "tweet",
                 "related", "contact", "media contact", "subscribe", "menu", "home", "api", "apis"}
# A name the model finds that ends in one of these words names a list or a law, not a party
# ("the Commerce Control List": on dev, "items on the Commerce Control List" made it the target
# of an Entity List addition); its type is the gazetteer's for such names (the Entity List's).
NAMED_OBJECT_WORDS = {"list", "schedule", "act", "law", "regulations", "rule"}
STATEMENT_ACTIONS = {"accusation", "distillation_accusation"}
# Verbs whose own subject makes the accusation ("China firmly opposes ..., a spokesperson said").
ACCUSING_VERBS = {"accuse", "allege", "oppose", "condemn", "denounce", "deplore", "criticize",
                  "criticise", "slam", "blast", "blame", "reject", "urge", "lodge"}
# Verbs that recommend an act to someone else ("The reports encourage regulators ... to scale up
# investigations"): the annotation rules count no recommendation as an entry.
RECOMMENDING_VERBS = {"encourage", "recommend"}
PRONOUNS = {"it", "they", "we", "he", "she", "its", "their", "our", "this", "which", "that", "who"}

_EDGE_JUNK = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)


def public(ev: dict) -> dict:
    """An event without the reader's private keys (`_sent`, `_actor_how`, ...): what a row holds."""
    return {k: v for k, v in ev.items() if not k.startswith("_")}


def slugify(text: str) -> str:
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", s).strip("-")


def stable_id(*parts) -> str:
    return hashlib.sha1("\x1f".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:16]


@dataclass
class Linked:
    """An entity mention in the Doc, resolved to an entity id."""
    entity_id: str
    type: str
    span: Span
    start_char: int
    end_char: int
    surface: str


@dataclass
class Result:
    mentions: list[dict] = field(default_factory=list)
    new_entities: dict[str, dict] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)
    candidates: list[dict] = field(default_factory=list)  # sentence-level readings


class Extractor:
    def __init__(self, nlp, entities: list[Entity], taxonomy: Taxonomy, pipeline_version: str,
                 builder=None):
        """`builder`: an nlp.entries.EntryBuilder that picks the document's entries from the
        sentence candidates; None keeps every candidate as an event (the sentence reading)."""
        self.nlp = nlp
        self.builder = builder
        self.entities = {e.id: e for e in entities}
        self.aliases = alias_index(entities)
        self.taxonomy = taxonomy
        self.pipeline_version = pipeline_version
        self.status_matcher = Matcher(nlp.vocab)
        self.status_order = list(taxonomy.status)
        for status, phrases in taxonomy.status.items():
            self.status_matcher.add(status, [compile_phrase(p) for p in phrases])
        self.modality = {m: {c.lower() for c in cues} for m, cues in taxonomy.modality.items()}

    # --- entities ---------------------------------------------------------------------------

    def link_entities(self, doc: Doc) -> list[Linked]:
        out = []
        for ent in doc.ents:
            linked = self._link(ent)
            if linked is not None:
                out.append(linked)
        return out

    def _link(self, ent: Span) -> Linked | None:
        if ent.ent_id_ and ent.ent_id_ in self.entities:
            gaz = self.entities[ent.ent_id_]
            return Linked(gaz.id, gaz.type, ent, ent.start_char, ent.end_char, ent.text)
        if ent.label_ not in MODEL_TYPES:
            return None
        span = _trim(ent)
        if span is None:
            return None
        surface = span.text
        key = normalize_alias(surface)
        if not key or key in STOP_SURFACES or not any(c.isalpha() for c in key):
            return None
        words = key.split()
        if len(words) > 1 and words[0] in self.taxonomy.demonyms and \
                " ".join(words[1:]) in STOP_SURFACES:
            return None  # "American AI", "Chinese AI": a demonym and a common word
        if key in self.aliases:  # the model found a gazetteer entity the ruler missed
            gaz = self.entities[self.aliases[key]]
            return Linked(gaz.id, gaz.type, span, span.start_char, span.end_char, surface)
        if _looks_like_heading(span) or len(span) > 8 or surface.islower():
            return None
        etype = "law" if len(words) > 1 and words[-1] in NAMED_OBJECT_WORDS \
            else MODEL_TYPES[ent.label_]
        slug = slugify(surface.removeprefix("the ").removeprefix("The "))
        if not slug:
            return None
        if slug in self.entities:  # never merge a model entity into an unrelated gazetteer id
            slug = f"{slug}-{etype}"
        return Linked(slug, etype, span, span.start_char, span.end_char, surface)

    # --- events -----------------------------------------------------------------------------

    def extract(self, doc: Doc, *, document_id: str, published_at: str | None = None,
                offset=lambda i: i, info=None) -> Result:
        """All rows for one document. `offset` maps an index in doc.text to documents.text;
        `info` (nlp.document.DocumentInfo) gives the title, publisher's time zone and issuer."""
        from .document import DocumentInfo

        info = info or DocumentInfo(document_id, published_at=published_at)
        result = Result()
        linked = self.link_entities(doc)
        by_token = self._index(linked)
        for lk in linked:
            sent = lk.span.sent
            result.mentions.append({
                "document_id": document_id, "entity_id": lk.entity_id,
                "start": offset(lk.start_char), "end": offset(lk.end_char),
                "surface": lk.surface, "sentence": sent.text.strip(),
            })
            self._note_new_entity(lk, result)
        local = info.local_published()  # the publisher's day: "today" is that day
        result.candidates = self._candidates(doc, by_token, local, document_id, offset)
        if self.builder is None:
            result.events = [public(ev) for ev in result.candidates]
        else:
            title = None
            if info.title:
                title_doc = self.nlp(info.title)
                title_linked = self.link_entities(title_doc)
                for lk in title_linked:  # an entry read from the title may name them
                    self._note_new_entity(lk, result)
                title_by_token = self._index(title_linked)
                title = (title_doc, title_by_token,
                         self._candidates(title_doc, title_by_token, local, document_id,
                                          lambda i: 0, title=True))
            result.events = self.builder.build(doc, by_token, result.candidates, info, title,
                                               self.pipeline_version)
        doc.user_data.pop(_ENTS_KEY, None)  # Span objects: not for the Doc's serialisation
        for ev in result.candidates:
            ev.pop("_sent", None)
        return result

    def _note_new_entity(self, lk: Linked, result: Result) -> None:
        if lk.entity_id not in self.entities and lk.entity_id not in result.new_entities:
            result.new_entities[lk.entity_id] = {
                "id": lk.entity_id, "name": lk.surface, "type": lk.type, "country": None,
                "aliases": "[]", "origin": "model"}

    @staticmethod
    def _index(linked: list[Linked]) -> dict[int, Linked]:
        by_token: dict[int, Linked] = {}
        for lk in linked:
            for t in lk.span:
                by_token[t.i] = lk
        return by_token

    def _candidates(self, doc: Doc, by_token, base, document_id, offset,
                    title: bool = False) -> list[dict]:
        """One event per action per sentence, read from the sentence's parse."""
        out: list[dict] = []
        triggers_by_sent: dict[int, list[Span]] = {}
        for span in doc.spans[ACTIONS_KEY]:
            triggers_by_sent.setdefault(span.sent.start, []).append(span)
        prev_actor: str | None = None
        for sent in doc.sents:
            triggers = triggers_by_sent.get(sent.start)
            if not triggers or (_looks_like_heading(sent) and not title):
                continue
            triggers = self._drop_topics(triggers, by_token)
            present = {t.label_ for t in triggers}
            suppressed = set()
            for code in present:
                suppressed.update(self.taxonomy.actions[code].suppresses)
            by_action: dict[str, list[Span]] = {}  # in the order of their first trigger
            for trig in triggers:
                if trig.label_ not in suppressed:
                    by_action.setdefault(trig.label_, []).append(trig)
            for action, spans in by_action.items():
                # one event per action: read from the first trigger whose actor the parse gives,
                # else the first ("your question on the ships investigation, so the Trade
                # Representative will be initiating the investigation": the second, USTR's act)
                readings = (self._event(doc, sent, trig, by_token, base, prev_actor)
                            for trig in spans)  # read lazily: most actions stop at the first
                first = next(readings)
                ev = first if first["_actor_how"] == "parse" else next(
                    (r for r in readings if r["_actor_how"] == "parse"), first)
                ev.update(self._row_ids(document_id, sent, action, offset))
                ev["_sent"] = sent  # for the entry builder; dropped before rows are written
                out.append(ev)
                if ev["actor_id"]:
                    prev_actor = ev["actor_id"]
        return out

    def _drop_topics(self, triggers: list[Span], by_token) -> list[Span]:
        """Drop triggers that name a topic, not an event: words inside a law's name ("Export
        Control Law"), or nouns governed by a framing action ("lifted the export restrictions",
        "talks on export controls", "opposes the Entity List additions")."""
        kept = []
        for trig in triggers:
            lk = by_token.get(trig.root.i)
            if lk and lk.type in OBJECT_TYPES and all(by_token.get(t.i) is lk for t in trig):
                continue
            if _crosses_relative_clause(trig):
                continue  # "allow labs to gain capabilities that U.S. export controls ..."
            if not any(t.pos_ == "VERB" for t in trig):
                verb = _governing_verb(trig)
                if verb is not None and verb.lemma_.lower() in self.taxonomy.topic_verbs:
                    continue  # "circumventing U.S. export controls", "designed to deny"
                if verb is not None and _generic_statement(trig, verb, by_token):
                    continue  # "Distillation campaigns of this kind take ..."
            if not any(t.pos_ == "VERB" for t in trig):
                framing = {t.i for other in triggers if other.label_ != trig.label_
                           and trig.label_ in self.taxonomy.actions[other.label_].subsumes
                           for t in other}
                if framing and (any(a.i in framing for a in trig.root.ancestors)
                                or any(t.i in framing for t in trig)):
                    continue
            kept.append(trig)
        return kept

    def _row_ids(self, document_id, sent, action, offset) -> dict:
        text = sent.text
        lead = len(text) - len(text.lstrip())
        start = sent.start_char + lead
        end = start + len(text.strip())
        s, e = offset(start), offset(end)
        return {"id": stable_id(document_id, s, e, action), "document_id": document_id,
                "action": action, "evidence": text.strip(), "evidence_start": s,
                "evidence_end": e, "pipeline_version": self.pipeline_version}

    def _event(self, doc, sent, trig, by_token, base, prev_actor) -> dict:
        action = trig.label_
        head = _trigger_head(trig)
        pred = _predicate(head)
        actor, actor_how = self._actor(sent, trig, pred, by_token, prev_actor)
        target, target_how = self._target(sent, trig, pred, by_token, actor)
        obj = self._object(sent, trig, pred, by_token)
        modality = self._modality(action, trig, pred)
        status = self._status(action, sent, modality)
        event_date, date_source, precision = self._date(sent, trig, pred, base,
                                                         future=modality in ("future", "proposed"))
        confidence = 0.5 + {"parse": 0.2, "near": 0.05, "context": 0.0, None: -0.1}[actor_how] \
            + {"parse": 0.15, "near": 0.05, None: 0.0}[target_how] \
            + (0.1 if any(t.pos_ == "VERB" for t in trig) else 0.0)
        return {"actor_id": actor, "target_id": target, "object_id": obj,
                "event_date": event_date, "date_source": date_source, "date_precision": precision,
                "modality": modality, "status": status,
                "magnitude": _magnitude(action, sent, trig, pred),
                "trigger": trig.text, "confidence": round(min(confidence, 0.95), 2),
                "role": "new", "_actor_how": actor_how, "_target_how": target_how,
                "_recommended": any(v.lemma_.lower() in RECOMMENDING_VERBS
                                    for v in _clause_chain(pred)),
                "_statistic": _names_an_average(trig)}

    # --- roles ------------------------------------------------------------------------------

    def _actor(self, sent, trig, pred, by_token, prev_actor):
        # The trigger's own words may hold the actor ("OFAC designated"): no exclusion.
        reported = self._reported(trig, pred)
        if reported is not None:  # "X said Y is bullying...": X accuses Y
            found = _entity_in(reported, by_token, actors=True)
            if found:
                return found, "parse"
            if reported.lower_ not in PRONOUNS and not any(
                    t.lemma_.lower() in ACCUSING_VERBS for t in trig):
                # an unnamed accuser ("the committee's report found ..."): the accused in the
                # reported clause is the target, never the actor
                return (prev_actor, "context") if prev_actor else (None, None)
        skip: set[int] = set()  # the patient of a passive verb is never its agent
        for verb in _clause_chain(pred):
            if verb.pos_ in ("NOUN", "PROPN") and verb is not pred:
                # "condemned the PRC's decision to impose countermeasures": the one whose
                # decision (plan, move) it is acts, not the subject of the verb above it
                poss = next((c for c in verb.children if c.dep_ == "poss"), None)
                found = _entity_in(poss, by_token, actors=True) if poss is not None else None
                if found:
                    return found, "parse"
            passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in verb.children)
            for child in verb.children:
                if child.dep_ == "nsubjpass":
                    skip.update(t.i for t in child.subtree)
                if passive and child.dep_ == "agent":
                    found = _entity_in(child, by_token, actors=True)
                    if found:
                        return found, "parse"
                if not passive and child.dep_ in ("nsubj", "csubj"):
                    found = _entity_in(child, by_token, actors=True)
                    if found:
                        return found, "parse"
                    if child.lower_ in PRONOUNS or child.pos_ in ("PRON", "NOUN", "PROPN"):
                        # "It added...", "The agency added...": refer back to a name before
                        # the subject, else to the last actor of the document.
                        near = _nearest(sent, trig, by_token, before=True,
                                        limit=child.left_edge.i)
                        if near:
                            return near, "near"
                        return (prev_actor, "context") if prev_actor else (None, None)
        # possessive on a noun trigger: "China's countermeasures", "BIS's new rule"
        for tok in trig:
            for child in tok.children:
                if child.dep_ == "poss":
                    found = _entity_in(child, by_token, actors=True)
                    if found:
                        return found, "parse"
        near = _nearest(sent, trig, by_token, before=True, skip=skip)
        return (near, "near") if near else (None, None)

    def _reported(self, trig, pred) -> Token | None:
        """For statements (accusations), the subject of the verb of saying above the trigger."""
        if trig.label_ not in STATEMENT_ACTIONS:
            return None
        # "X said Y ...", "X said it has evidence that Y ...", "X's report found Y ...": climb
        # a few clause links from the trigger's verb to the verb of saying.
        tok = pred
        for _ in range(4):
            if tok.dep_ not in ("ccomp", "xcomp", "advcl", "acl", "dobj", "attr") or \
                    tok.head is tok:
                return None
            if tok.head.lemma_ in SAY_VERBS:
                for c in tok.head.children:
                    if c.dep_ in ("nsubj", "nsubjpass"):
                        return c
                return None
            tok = tok.head
        return None

    def _target(self, sent, trig, pred, by_token, actor):
        trig_ids: set[int] = set()  # gapped triggers span the target: "added X to the List"
        heads = [pred] + [t for t in trig if t is not pred]
        candidates: list[tuple[int, Token]] = []
        if self._reported(trig, pred) is not None:
            candidates.extend((-1, c) for c in pred.children if c.dep_ in ("nsubj", "nsubjpass"))
        prep_rank = {"against": 0, "on": 1, "into": 2, "over": 3, "to": 4, "from": 5, "for": 6,
                     "at": 7, "with": 8, "of": 9}
        spec = self.taxonomy.actions[trig.label_]
        if spec.target_preps is not None:
            prep_rank = {p: n for n, p in enumerate(spec.target_preps)}
        for h in heads:
            passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in h.children)
            for child in h.children:
                if passive and child.dep_ == "nsubjpass":
                    candidates.append((0, child))
                elif child.dep_ in ("dobj", "dative", "attr", "oprd"):
                    candidates.append((1, child))
                elif child.dep_ == "prep" and child.lower_ in prep_rank:
                    candidates.extend((2 + prep_rank[child.lower_], g)
                                      for g in child.children if g.dep_ == "pobj")
                elif child.dep_ == "xcomp":  # "urged X to stop", "allowed Nvidia to sell"
                    candidates.extend((3, g) for g in child.children if g.dep_ == "dobj")
        for _, tok in sorted(candidates, key=lambda c: c[0]):
            found = _entity_in(tok, by_token, actors=True, exclude=trig_ids, avoid=actor,
                               modifiers=False, trigger={t.i for t in trig})
            if found:
                return found, "parse"
        if not spec.target_near:
            return None, None
        near = _nearest(sent, trig, by_token, before=False, avoid=actor, pred=pred)
        return (near, "near") if near else (None, None)

    def _object(self, sent, trig, pred, by_token):
        best, best_dist = None, None
        for tok in sent:
            lk = by_token.get(tok.i)
            if lk is None or lk.type not in OBJECT_TYPES:
                continue
            in_clause = pred in tok.ancestors or tok.i in {t.i for t in trig}
            dist = abs(tok.i - trig.start) - (100 if in_clause else 0)
            if best_dist is None or dist < best_dist:
                best, best_dist = lk.entity_id, dist
        return best

    # --- modality, status, date ----------------------------------------------------------

    def _modality(self, action, trig, pred) -> str:
        trig_ids = {t.i for t in trig}
        # The clause around the trigger: the trigger words, the verbs above it up to a verb of
        # saying, and their auxiliaries, negations and adverbs.
        clause: list[Token] = list(trig)
        for verb in _clause_chain(pred):
            clause.append(verb)
            clause.extend(c for c in verb.children
                          if c.dep_ in ("aux", "auxpass", "neg", "advmod", "det", "amod", "acomp",
                                        "prt", "nsubj", "nsubjpass"))
        for tok in trig:
            clause.extend(c for c in tok.children if c.dep_ in ("neg", "det", "amod", "advmod"))
        for modality, cues in self.modality.items():
            allowed = self.taxonomy.modality_actions.get(modality)
            if allowed is not None and action not in allowed:
                continue
            for tok in clause:
                word = tok.lower_
                if modality in ("negated", "future") and tok.i in trig_ids:
                    continue  # "bill would" is the trigger, not a hedge
                if modality == "negated" and tok.dep_ == "det" and word != "no":
                    continue
                if word in cues or tok.lemma_.lower() in cues:
                    return modality
        return "charged" if action == "criminal_charge" else "asserted"

    def _status(self, action, sent, modality) -> str | None:
        if action not in self.taxonomy.status_actions:
            return None
        if modality == "proposed":
            return "proposed"
        found = {self.status_matcher.vocab.strings[m]  # type: ignore[attr-defined]  # not in spaCy's stub
                 for m, _, _ in self.status_matcher(sent)}
        for status in self.status_order:
            if status in found:
                return status
        return "announced"

    def _date(self, sent, trig, pred, base, future):
        if base is None:
            return None, None, None
        base_iso = base.isoformat()
        best = None
        for ent in _sent_ents(sent):
            if ent.label_ != "DATE":
                continue
            if _NUMBERED_OF.search(sent.doc.text[max(0, ent.start_char - 24):ent.start_char]):
                continue  # "Announcement No. 61 of 2025": part of a name, not a date
            resolved = dates.resolve(ent.text, base_iso, future)
            if resolved is None:
                continue
            # A date attached to the trigger's clause beats one elsewhere in the sentence.
            attached = pred in ent.root.ancestors or ent.root.head in set(trig)
            dist = min(abs(ent.start - trig.start), abs(ent.end - trig.end))
            rank = (0 if attached else 1, dist)
            if best is None or rank < best[0]:
                best = (rank, resolved)
        if best:
            d, precision = best[1]
            return d, "stated", precision
        return base.date().isoformat(), "published", "day"
