"""Reading a sentence's parse: the verb that governs a trigger, the entity a phrase names,
the nearest party, dates and sizes stated in the sentence. Pure functions over spaCy tokens and
spans, used by the candidate reader (nlp/extract.py)."""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import TYPE_CHECKING

from spacy.tokens import Span, Token

from . import dates

if TYPE_CHECKING:
    from .extract import Linked

# Who can act or be acted upon; the rest (chips, models, laws) are objects of an action.
OBJECT_TYPES = {"chip", "ai_model", "law", "hardware", "product", "technology", "instrument",
                "rule", "list"}
SAY_VERBS = {"say", "state", "claim", "find", "allege", "argue", "warn", "tell", "note", "write",
             "believe", "conclude", "add", "insist", "contend"}


def _trim(span: Span) -> Span | None:
    """Drop bullets, emoji, 'the' and possessives from the edges of a model entity."""
    start, end = span.start, span.end
    doc = span.doc
    while start < end and (doc[start].is_punct or doc[start].is_space
                           or not any(c.isalnum() for c in doc[start].text)
                           or doc[start].lower_ in ("the", "a", "an")):
        start += 1
    while end > start and (doc[end - 1].is_punct or doc[end - 1].is_space
                           or doc[end - 1].tag_ == "POS"
                           or not any(c.isalnum() for c in doc[end - 1].text)):
        end -= 1
    if start >= end:
        return None
    return doc[start:end]


def _looks_like_heading(span: Span) -> bool:
    """A line without a verb or final punctuation: a heading, a menu item, a caption."""
    sent = span.sent if span.start != span.sent.start or span.end != span.sent.end else span
    toks = [t for t in sent if not t.is_space]
    if not toks:
        return True
    if toks[-1].text in (".", "!", "?", '"', "”", ":", ";", ")"):
        return False
    if any(t.pos_ in ("VERB", "AUX") for t in toks):
        return False
    line_start = sent.start == 0 or "\n" in sent.doc[sent.start - 1].text_with_ws
    return line_start and len(toks) <= 14


def _trigger_head(trig: Span) -> Token:
    for tok in trig:
        if tok.pos_ == "VERB":
            return tok
    return trig.root


def _predicate(head: Token) -> Token:
    """The verb that governs a (possibly nominal) trigger: 'imposed new controls' -> imposed."""
    tok = head
    for _ in range(3):
        if tok.pos_ in ("VERB", "AUX") or tok.dep_ == "ROOT":
            return tok
        tok = tok.head
    return head


def _clause_chain(pred: Token) -> list[Token]:
    """pred and the verbs it hangs from through control/coordination ('plans to add',
    'added X and imposed Y'), stopping before a verb of saying ('said it would add')."""
    chain = [pred]
    tok = pred
    for _ in range(3):
        if tok.dep_ not in ("xcomp", "conj", "acl", "advcl", "relcl", "dobj", "pobj", "prep",
                            "pcomp", "attr") or tok.head is tok:
            break
        tok = tok.head
        chain.append(tok)
    return chain


def _entity_in(tok: Token, by_token, *, actors: bool, exclude=(), avoid=None,
               modifiers: bool = True, trigger=()) -> str | None:
    """The entity a phrase refers to: the one containing its head, else the first one in its
    subtree (nearest the head) that can act (not a chip, model or law)."""
    lk = by_token.get(tok.i)
    if lk and tok.i not in exclude and lk.entity_id != avoid and \
            (not actors or lk.type not in OBJECT_TYPES):
        return lk.entity_id
    best, best_depth = None, None
    for t in tok.subtree:
        if t.i in exclude:
            continue
        lk = by_token.get(t.i)
        if lk is None or lk.entity_id == avoid or (actors and lk.type in OBJECT_TYPES):
            continue
        if lk.type == "place" and t.i != tok.i:  # "a plant in Dresden": where, not who
            continue
        if not modifiers and t.i != tok.i and _is_modifier(lk):
            continue
        if not modifiers and _under_relcl(t, tok, trigger):
            continue  # "the assets of firms that shipped chips to Iran": not Iran's assets
        depth = sum(1 for a in t.ancestors if a.i != tok.i and tok in a.ancestors) + \
            (0 if t.i >= tok.i else 0.5)
        if best_depth is None or depth < best_depth:
            best, best_depth = lk.entity_id, depth
    return best


def _nearest(sent: Span, trig: Span, by_token, *, before: bool, avoid=None, skip=(),
             limit: int | None = None, pred: Token | None = None) -> str | None:
    start = trig.start if limit is None else min(limit, trig.start)
    rng = range(start - 1, sent.start - 1, -1) if before else range(trig.end, sent.end)
    for i in rng:
        lk = by_token.get(i)
        # places the gazetteer does not know (cities, states) are where, not who
        if lk and lk.type not in OBJECT_TYPES and lk.type != "place" and lk.entity_id != avoid \
                and i not in skip and not (not before and _not_a_target(lk, pred)) \
                and not (before and _is_destination(lk)) \
                and not (not before and _in_relative_clause(lk, trig)):
            return lk.entity_id
    return None


_LOCATIVE = {"in", "at", "within", "inside", "across", "throughout"}


def _is_destination(lk: Linked) -> bool:
    """"chips to China": where goods go, never who acts."""
    root = lk.span.root
    return root.dep_ == "pobj" and root.head.lower_ in ("to", "into")


def _under_relcl(t: Token, top: Token, trigger=()) -> bool:
    """Whether `t` sits in a relative clause inside the phrase headed by `top` (a clause that
    describes the trigger's own noun — "licenses that allowed Intel to sell" — does not count)."""
    for anc in t.ancestors:
        if anc.i == top.i:
            return False
        if anc.dep_ == "relcl":
            return anc.head.i not in trigger
    return False


def _in_relative_clause(lk: Linked, trig: Span) -> bool:
    """"companies that shipped chips to Iran": a name inside a relative clause (that does not
    hold the trigger) describes someone else; it is not what the action is done to."""
    for anc in lk.span.root.ancestors:
        if anc.dep_ == "relcl":
            return trig.root not in anc.subtree
    return False


def _governing_verb(trig: Span) -> Token | None:
    """The first verb above a nominal trigger (outside the trigger's own words)."""
    inside = {t.i for t in trig}
    for tok in trig.root.ancestors:
        if tok.i in inside:
            continue
        if tok.pos_ in ("VERB", "AUX"):
            return tok
    return None


def _crosses_relative_clause(trig: Span) -> bool:
    """A gapped trigger whose last word sits in a relative clause that its first word is not
    in: the words belong to two different statements."""
    first, last = trig[0], trig[-1]
    for anc in [last, *last.ancestors]:
        if anc.dep_ in ("relcl", "acl") and first not in anc.subtree:
            return True
    return False


def _generic_statement(trig: Span, verb: Token, by_token) -> bool:
    """A nominal trigger that is the subject of a present-tense clause with no date and no
    named party in the subject: a statement about such actions in general ("Distillation
    campaigns of this kind take ..."), not a report of one."""
    subj = trig.root
    while subj.dep_ in ("compound", "amod", "nmod") and subj.head is not subj:
        subj = subj.head
    if subj.dep_ not in ("nsubj", "nsubjpass") or subj.head.i != verb.i:
        return False
    if verb.tag_ not in ("VB", "VBP", "VBZ") or verb.lemma_ == "be":
        return False
    if any(c.dep_ in ("aux", "auxpass") for c in verb.children):
        return False
    if any(e.label_ == "DATE" and dates.resolve(e.text, "2000-01-01T00:00:00") is not None
           for e in _sent_ents(trig.sent)):
        return False  # a point in time ("on Tuesday"), not a span ("years of research")
    return not any(t.i in by_token for t in subj.subtree)


def _not_a_target(lk: Linked, pred: Token | None) -> bool:
    """A name after the trigger that the parse says is not what is acted upon: the maker in
    "Nvidia GPUs" or "Biden-era rule", a place ("sell chips in China"), or the subject of
    another clause ("..., the Xinhua news agency reported")."""
    span = lk.span
    root = span.root
    head = root.head
    if root.dep_ in ("compound", "amod", "nmod", "npadvmod", "poss") and head.i not in \
            range(span.start, span.end) and head.pos_ in ("NOUN", "PROPN") and head.ent_type_ == "" :
        return True
    if root.dep_ == "pobj" and head.lower_ in _LOCATIVE:
        return True
    if root.dep_ in ("nsubj", "nsubjpass") and pred is not None and head.i != pred.i and \
            head.lemma_ in SAY_VERBS | {"report", "announce"}:
        return True
    return False


def _is_modifier(lk: Linked) -> bool:
    """"Biden-era rule", "Azure OpenAI service": a name that only qualifies a noun."""
    root = lk.span.root
    return root.dep_ in ("compound", "amod", "npadvmod") and \
        root.head.i not in range(lk.span.start, lk.span.end) and \
        root.head.pos_ in ("NOUN",) and root.head.ent_type_ == ""


_NUMBERED_OF = re.compile(r"\bNo\.?\s*\d+\s+of\s+(?:the\s+)?$", re.I)

_MAGNITUDE_NOUNS = {"entity", "entities", "company", "companies", "firm", "firms", "organization",
                    "organizations", "individual", "individuals", "person", "persons", "people",
                    "party", "parties", "address", "addresses"}


_ENTS_KEY = "rivalry_ents_by_start"


def _sent_ents(sent: Span) -> list[Span]:
    """The entities inside a sentence, like ``sent.ents``. Span.ents walks every entity of the
    whole document on each call, which made tagging quadratic in document length (a 150 KB page
    spent 33 s here, a 590 KB one minutes); this indexes the entities once per document."""
    doc = sent.doc
    index = doc.user_data.get(_ENTS_KEY)
    if index is None:
        ents = list(doc.ents)  # sorted by start, never overlapping
        index = doc.user_data[_ENTS_KEY] = ([e.start for e in ents], ents)
    starts, ents = index
    return [e for e in ents[bisect_left(starts, sent.start):bisect_left(starts, sent.end)]
            if e.end <= sent.end]


def _magnitude(action: str, sent: Span, trig: Span, pred: Token) -> str | None:
    """Stated size of the action: entities added, a tariff rate, an amount."""
    if action in ("tariff",):
        pct = [e for e in _sent_ents(sent) if e.label_ == "PERCENT"]
        if pct:
            return min(pct, key=lambda e: abs(e.start - trig.start)).text
    if action in ("entity_listing", "sanction", "export_control", "investment_restriction"):
        for tok in sent:
            if tok.like_num and tok.head.lower_ in _MAGNITUDE_NOUNS and tok.dep_ == "nummod":
                return f"{tok.text} {tok.head.text}"
    money = [e for e in _sent_ents(sent) if e.label_ == "MONEY"]
    if money:
        return min(money, key=lambda e: abs(e.start - trig.start)).text
    return None


def _names_an_average(trig: Span) -> bool:
    """The trigger names an average ("our trade-weighted average tariff rate is 2.4 percent",
    "the lowest simple average MFN tariff rates"): a statistic, which the annotation rules count
    as no event. The average modifies the trigger or the noun the trigger modifies."""
    nouns = {t for t in trig} | {t.head for t in trig if t.dep_ in ("compound", "amod")}
    return any(c.lower_ == "average" for n in nouns for c in n.children)
