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
import shutil
import time
from pathlib import Path

from .entries import MODEL_DIR

SEED = 20261201
EPOCHS = 30
# A hashed bag of unigrams and bigrams: small (a few MB) and learns from a few hundred groups.
TEXTCAT = {"@architectures": "spacy.TextCatBOW.v3", "exclusive_classes": False,
           "ngram_size": 2, "no_output_layer": False, "length": 2 ** 18}


def collect(split: str, *, nlp=None, written_for_project: bool = True) -> list[dict]:
    """The (document, action) groups of a split: {path, action, text, label}."""
    from .clean import prepare
    from .entries import EntryBuilder
    from .eval_documents import load_documents, source_of
    from .gazetteer import GAZETTEER_PATH, load_gazetteer
    from .pipeline import load_nlp
    from .tagger import make_extractor, pipeline_version
    from .actions import ACTIONS_PATH

    nlp = nlp or load_nlp()
    rows = load_documents(split)
    if written_for_project:
        rows += load_documents(split, written_for_project=True)
    extractor = make_extractor(nlp, GAZETTEER_PATH, ACTIONS_PATH, pipeline_version())
    recorded: list[tuple[str, str, str]] = []
    extractor.builder = EntryBuilder(extractor.builder.entities, None, recorder=recorded)
    out = []
    from .document import DocumentInfo

    texts = ((prepare(r["text"] or "").text, r) for r in rows)
    for doc, row in nlp.pipe(texts, as_tuples=True, batch_size=16):
        source = source_of(row)
        info = DocumentInfo(row["path"], title=row["title"], published_at=row["published_at"],
                            timezone=source["timezone"], issuer_id=source["issuer"],
                            url=row["source_url"])
        recorded.clear()
        extractor.extract(doc, document_id=row["path"], info=info)
        gold = {e["action"] for e in row["gold"]["new"]}
        out += [{"path": row["path"], "action": action, "text": text, "label": action in gold}
                for _, action, text in recorded]
    return out


def _train(groups: list[dict]):
    import spacy
    from spacy.training import Example
    from spacy.util import fix_random_seed, minibatch

    fix_random_seed(SEED)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe("textcat_multilabel", config={"model": TEXTCAT})
    textcat.add_label("new")
    examples = [Example.from_dict(nlp.make_doc(g["text"]), {"cats": {"new": float(g["label"])}})
                for g in groups]
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


def train(out: Path = MODEL_DIR, *, nlp=None, log=print) -> dict:
    started = time.perf_counter()
    from .pipeline import load_nlp

    nlp = nlp or load_nlp()
    train_groups = collect("train", nlp=nlp)
    dev_groups = collect("dev", nlp=nlp)
    log(f"groups: train {len(train_groups)} ({sum(g['label'] for g in train_groups)} new), "
        f"dev {len(dev_groups)} ({sum(g['label'] for g in dev_groups)} new)")
    model = _train(train_groups)
    probs = [d.cats["new"] for d in model.pipe(g["text"] for g in dev_groups)]
    threshold, dev_f1 = _best_threshold(probs, [g["label"] for g in dev_groups])
    seconds = time.perf_counter() - started
    meta = {"threshold": threshold, "dev_group_f1": round(dev_f1, 3), "seed": SEED,
            "epochs": EPOCHS, "train_groups": len(train_groups), "dev_groups": len(dev_groups),
            "train_seconds": round(seconds, 1)}
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


if __name__ == "__main__":
    train()
