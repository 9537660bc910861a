"""Cross-validate the entry classifier's features on the real gold's train + dev groups.

    python -m scripts.cv_entries --cache /tmp/groups.json [--drop t_] [--folds 5]

Choosing features on dev alone means choosing on 94 documents (about 50 positive groups), where
one group moves F1 by 0.02. This pools train and dev, keeps each document whole in one of
`--folds` folds (by a hash of its path), trains `nlp.train`'s classifier on the other folds and
scores the held-out groups exactly as the entry builder does (a group's best candidate; a
reporter's question never counts). It prints the group-level precision, recall and F1 at the
best threshold over the pooled held-out groups. `--drop PREFIX` removes the feature words that
start with PREFIX (an ablation: `--drop t_` is the classifier without the title's words,
`--drop u_` without the URL's folders). Test is never read. The cache holds `[train_groups,
dev_groups]` as `nlp.train.train(cache=...)` writes it; it is collected (minutes: the documents
are parsed) when it does not exist.
"""

from __future__ import annotations

import argparse
import json
import zlib
from pathlib import Path


def without(text: str, prefixes: list[str]) -> str:
    """The feature text (`Group.instances`: flags | URL folders | title words | sentence) with
    the words starting with any of `prefixes` removed from its feature parts; the sentence's own
    words stay."""
    if not prefixes:
        return text
    *features, sentence = text.split(" | ")
    kept = [" ".join(w for w in part.split() if not w.startswith(tuple(prefixes)))
            for part in features]
    return " | ".join([*kept, sentence])


def cross_validate(groups: list[dict], folds: int, drop: list[str]) -> dict:
    from nlp.train import _best_threshold, _train, labels_of

    groups = [dict(g, text=without(g["text"], drop)) for g in groups]
    fold_of = {p: zlib.crc32(p.encode()) % folds for p in {g["path"] for g in groups}}
    best: dict[tuple[str, str], list] = {}
    for k in range(folds):
        model = _train([g for g in groups if fold_of[g["path"]] != k])
        held = [g for g in groups if fold_of[g["path"]] == k]
        for g, doc in zip(held, model.pipe(g["text"] for g in held)):
            key = (g["path"], g["action"])
            new = doc.cats["new"] if labels_of(g) else 0.0
            best[key] = [max(best.get(key, [0.0])[0], new), g["group_label"]]
    probs, labels = [p for p, _ in best.values()], [y for _, y in best.values()]
    threshold, f1 = _best_threshold(probs, labels)
    tp = sum(p >= threshold and y for p, y in zip(probs, labels))
    fp = sum(p >= threshold and not y for p, y in zip(probs, labels))
    return {"groups": len(best), "positive": sum(labels), "threshold": threshold,
            "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0,
            "recall": round(tp / sum(labels), 3) if sum(labels) else 0.0, "f1": round(f1, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, required=True)
    ap.add_argument("--drop", action="append", default=[], help="feature word prefix to remove")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    if not args.cache.exists():
        from nlp.pipeline import load_nlp
        from nlp.train import collect

        nlp = load_nlp()
        args.cache.write_text(json.dumps([collect("train", nlp=nlp), collect("dev", nlp=nlp)]),
                              encoding="utf-8")
    train_groups, dev_groups = json.loads(args.cache.read_text(encoding="utf-8"))
    result = cross_validate(train_groups + dev_groups, args.folds, args.drop)
    print(json.dumps({"drop": args.drop, **result}))


if __name__ == "__main__":
    main()
