"""Train the entry classifier (nlp/entries.py) on the real gold's train split, CPU only.

    rivalry train            # or: make model; python -m nlp.train

For every train document the real pipeline reads its candidates and groups them by action
(exactly as `rivalry tag` does); a group is positive when the gold has a `new` entry of that
action for the document. A spaCy text classifier (bag of words and bigrams) learns from the
groups' feature texts; the decision threshold is the one that maximises F1 of the groups of the
**dev** split (test is never read). Seeded: the same data gives the same model. Writes
nlp/data/model/entries/ (a spaCy pipeline plus entries.json with the threshold and figures),
which ships as package data and is part of the pipeline version.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import time
from pathlib import Path

from .entries import MODEL_DIR

SEED = 20261201
EPOCHS = 15
# A hashed bag of words: small (a few MB) and learns from a few hundred groups. Words alone, not
# bigrams: 5-fold cross-validation over the train + dev groups (scripts/cv_entries.py, 1,369
# groups, 2026-12-03) gave group F1 0.596 with unigrams against 0.557 with bigrams and 0.554
# with trigrams (30 epochs); 15 epochs 0.602, 10 epochs 0.595.
TEXTCAT = {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False,
           "ngram_size": 1, "no_output_layer": False, "length": 2 ** 18}


def collect(split: str, *, nlp=None, written_for_project: bool = True) -> list[dict]:
    """The candidates of a split, by (document, action) group: {path, action, text, group_label
    (the gold has a new entry of that action), states (the sentence states it)} (see labels_of)."""
    from .actions import ACTIONS_PATH
    from .clean import prepare
    from .document import DocumentInfo
    from .entries import EntryBuilder
    from .eval_documents import load_documents, source_of
    from .gazetteer import GAZETTEER_PATH
    from .pipeline import load_nlp
    from .tagger import make_extractor, pipeline_version

    nlp = nlp or load_nlp()
    rows = load_documents(split)
    if written_for_project:
        rows += load_documents(split, written_for_project=True)
    extractor = make_extractor(nlp, GAZETTEER_PATH, ACTIONS_PATH, pipeline_version())
    recorded: list[tuple[str, str, str, str]] = []  # (document, action, evidence, features)
    extractor.builder = EntryBuilder(extractor.builder.entities, None, recorder=recorded)
    out = []

    texts = ((prepare(r["text"] or "").text, r) for r in rows)
    # two processes parse (the machine has two cores); the groups are read here
    for doc, row in nlp.pipe(texts, as_tuples=True, batch_size=8, n_process=2):
        source = source_of(row)
        info = DocumentInfo(row["path"], title=row["title"], published_at=row["published_at"],
                            timezone=source["timezone"], issuer_id=source["issuer"],
                            url=row["source_url"])
        recorded.clear()
        extractor.extract(doc, document_id=row["path"], info=info)
        gold = row["gold"]["new"]
        for _, action, evidence, text in recorded:
            positive = any(g["action"] == action for g in gold)
            # which sentence states the act: the annotated evidence, or the title; the other
            # sentences of a positive group may restate it or not, so they teach nothing
            states = evidence == row["title"] or any(
                g["action"] == action and same_passage(g.get("evidence") or "", evidence)
                for g in gold)
            out.append({"path": row["path"], "action": action, "text": text,
                        "group_label": positive, "states": states})
    return out


def same_passage(a: str, b: str) -> bool:
    """Whether two passages share most of their words (an annotated quote and a sentence read
    from the crawler's text differ in markup and white space)."""
    wa, wb = set(re.findall(r"\w+", a.lower())), set(re.findall(r"\w+", b.lower()))
    if min(len(wa), len(wb)) < 4:
        return False
    return len(wa & wb) / min(len(wa), len(wb)) >= 0.6


# Two labels, learnt from the same candidates. "new": the candidate's group is an act the
# document reports as new (every candidate of a gold action's group is positive: measured by
# 5-fold cross-validation over train+dev, group F1 0.57 against 0.51 when only the annotated
# sentence was). "states": the candidate is the sentence that states it (the annotated
# evidence or the title), which picks the entry's sentence, and so its roles, in the group.
LABELS = ("new", "states")


def labels_of(group: dict) -> dict[str, float]:
    """The labels a candidate teaches; a reporter's question is never chosen, so teaches none.
    Of a positive group, only the stating sentence teaches "states" (the others may restate
    the act or not)."""
    if "f_question" in group["text"].split(" | ")[0].split():
        return {}
    if not group["group_label"]:
        return {"new": 0.0, "states": 0.0}
    return {"new": 1.0, **({"states": 1.0} if group["states"] else {})}


def _train(groups: list[dict]):
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    fix_random_seed(SEED)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat_multilabel", config={"model": TEXTCAT})
    for label in LABELS:
        textcat.add_label(label)  # type: ignore[attr-defined]  # add_pipe gives the component
    examples = [Example.from_dict(nlp.make_doc(g["text"]), {"cats": cats})
                for g in groups if (cats := labels_of(g))]
    nlp.initialize(lambda: examples)
    rng = random.Random(SEED)
    for _ in range(EPOCHS):
        rng.shuffle(examples)
        for batch in minibatch(examples, size=16):
            nlp.update(batch, drop=0.2)
    return nlp


def _best_threshold(probs: list[float], labels: list[bool]) -> tuple[float, float]:
    best = (0.5, -1.0)
    for t in [i / 100 for i in range(5, 96)]:
        tp = sum(p >= t and y for p, y in zip(probs, labels))
        fp = sum(p >= t and not y for p, y in zip(probs, labels))
        fn = sum(p < t and y for p, y in zip(probs, labels))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[1]:
            best = (t, f1)
    return best


def train(out: Path = MODEL_DIR, *, nlp=None, log=print, cache: Path | None = None) -> dict:
    """`cache`: a JSON file of the collected groups, read instead of parsing the documents again
    when it exists (for trying classifier settings; the groups depend on the whole pipeline)."""
    started = time.perf_counter()
    from .pipeline import load_nlp

    if cache and Path(cache).exists():
        train_groups, dev_groups = json.loads(Path(cache).read_text(encoding="utf-8"))
    else:
        nlp = nlp or load_nlp()
        train_groups = collect("train", nlp=nlp)
        dev_groups = collect("dev", nlp=nlp)
        if cache:
            Path(cache).write_text(json.dumps([train_groups, dev_groups]), encoding="utf-8")
    log(f"candidates: train {len(train_groups)} ({sum(g['states'] for g in train_groups)} "
        f"state a new act), dev {len(dev_groups)}")
    model = _train(train_groups)
    # the threshold on a group's best candidate, as the entry builder applies it
    best: dict[tuple[str, str], list] = {}
    for g, d in zip(dev_groups, model.pipe(g["text"] for g in dev_groups)):
        key = (g["path"], g["action"])
        new = 0.0 if not labels_of(g) else d.cats["new"]  # a question is never chosen
        best[key] = [max(best.get(key, [0.0])[0], new), g["group_label"]]
    threshold, dev_f1 = _best_threshold([p for p, _ in best.values()],
                                        [y for _, y in best.values()])
    seconds = time.perf_counter() - started
    meta = {"threshold": threshold, "dev_group_f1": round(dev_f1, 3), "seed": SEED,
            "epochs": EPOCHS, "train_groups": len(train_groups), "dev_groups": len(dev_groups),
            "train_seconds": round(seconds, 1)}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.to_disk(tmp)
    (tmp / "entries.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n",
                                      encoding="utf-8")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    meta["bytes"] = size
    log(f"threshold {threshold:.2f} (dev group F1 {dev_f1:.2f}); {seconds:.0f} s; "
        f"{size / 1e6:.1f} MB -> {out}")
    return meta


if __name__ == "__main__":  # python -m nlp.train [--cache FILE]
    import sys

    train(cache=Path(sys.argv[sys.argv.index("--cache") + 1]) if "--cache" in sys.argv else None)
