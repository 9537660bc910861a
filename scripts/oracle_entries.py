"""How far a perfect entry classifier would take the tagger: the group decision from the gold.

    python -m scripts.oracle_entries dev [-v]

The entry classifier decides, per (document, action) group, whether the document reports the act
as new (`EntryBuilder.accept`). This run replaces that decision, and only that, with the gold:
a group is accepted exactly when the document's gold has a `new` entry of its action. Everything
else is the shipped tagger's: which candidate states the act (the classifier's "states" label),
actor, target, date, modality, one entry per group. The figures it prints are an upper bound on
what a better classifier alone can give, and its errors (`-v`) are the ones left to the roles,
dates and grouping. Train and dev only: the test split is not read for analysis.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

import nlp.entries as entries
from nlp.eval_documents import evaluate_documents, format_report, load_documents

# taken once, at import: a second `gold_decision` must wrap the shipped decision, not the first
SHIPPED_ACCEPT = entries.EntryBuilder.accept


def gold_decision(gold_actions: dict[str, set[str]]):
    """An `EntryBuilder.accept` that ranks every group's candidates as the shipped one does and
    keeps the groups whose action the document's gold reports as new (`gold_actions`: source
    URL → actions)."""
    def accept(self, groups, instances):
        threshold = self.model.threshold if self.model is not None else None
        if self.model is not None:
            self.model.threshold = float("-inf")  # every group ranked, none rejected here
        try:
            ranked = SHIPPED_ACCEPT(self, groups, instances)
        finally:
            if self.model is not None:
                self.model.threshold = threshold
        return [r if g.action in gold_actions.get(g.info.url, set()) else []
                for g, r in zip(groups, ranked)]

    return accept


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("split", choices=["train", "dev"])
    parser.add_argument("-v", "--verbose", action="store_true", help="print every error")
    args = parser.parse_args(argv)
    gold_actions: dict[str, set[str]] = {}
    for row in load_documents(args.split):
        gold_actions.setdefault(row["source_url"], set()).update(
            e["action"] for e in row["gold"]["new"])
    entries.EntryBuilder.accept = gold_decision(gold_actions)
    result = evaluate_documents(args.split)
    print(format_report(result))
    if args.verbose:
        for error in result["errors"]:
            print(json.dumps(error, ensure_ascii=False))
    print("errors:", dict(Counter(e["kind"] for e in result["errors"])))


if __name__ == "__main__":
    main()
