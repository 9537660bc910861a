"""Measure the tagger on the hand-annotated gold set (nlp/data/gold/{dev,test}.jsonl).

Each gold line is a sentence or short document written for this project, with its publication
date, the events it reports (action, actor, target, date, modality) and gazetteer ids for some
of its names. Actors and targets are annotated as surface text (not ids), so the gold set does
not depend on how the gazetteer names its entities; a predicted actor is right when one of its
mentions in the text (or its gazetteer name/aliases) matches the annotated surface.

    from nlp.evaluate import evaluate, format_report
    print(format_report(evaluate("test")))

Tune on "dev"; report "test".
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from .gazetteer import GAZETTEER_PATH, load_gazetteer, normalize_alias

GOLD_DIR = Path(__file__).parent / "data" / "gold"


def load_gold(split: str) -> list[dict]:
    path = GOLD_DIR / f"{split}.jsonl"
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _as_list(v) -> list[str]:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


def _surface_match(gold: str, surfaces: set[str]) -> bool:
    g = normalize_alias(gold)
    for s in surfaces:
        s = normalize_alias(s)
        if not s or not g:
            continue
        if s == g or f" {s} " in f" {g} " or f" {g} " in f" {s} ":
            return True
    return False


def _role_correct(gold, pred_id, surfaces_of) -> bool:
    golds = _as_list(gold)
    if not golds:
        return pred_id is None
    if pred_id is None:
        return False
    surfaces = surfaces_of(pred_id)
    return any(_surface_match(g, surfaces) for g in golds)


def _prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate(split: str = "test", *, gazetteer_path=None, nlp=None, items=None) -> dict:
    """Run the real pipeline over a gold split and score it. Returns a dict of figures."""
    from .actions import load_taxonomy
    from .clean import prepare
    from .extract import Extractor
    from .pipeline import load_nlp
    from .tagger import pipeline_version

    gaz_path = Path(gazetteer_path or GAZETTEER_PATH)
    entities = load_gazetteer(gaz_path)
    names = {e.id: set(e.surfaces()) for e in entities}
    nlp = nlp or load_nlp(gaz_path)
    taxonomy = load_taxonomy()
    extractor = Extractor(nlp, entities, taxonomy, pipeline_version(gaz_path))
    items = items if items is not None else load_gold(split)

    counts = {code: [0, 0, 0] for code in taxonomy.actions}  # tp, fp, fn
    story_events: list[tuple[str, dict, str | None]] = []  # (gold story, pred event, published)
    entity_info = {e.id: (e.type, e.country) for e in entities}
    roles: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])  # role -> [correct, total]
    errors: list[dict] = []
    for item in items:
        prepared = prepare(item["text"])
        doc = nlp(prepared.text)
        result = extractor.extract(doc, document_id=item["id"],
                                   published_at=item["published_at"])
        mention_surfaces = defaultdict(set)
        for m in result.mentions:
            mention_surfaces[m["entity_id"]].add(m["surface"])

        def surfaces_of(eid, mention_surfaces=mention_surfaces):  # this item's, bound now
            return mention_surfaces.get(eid, set()) | names.get(eid, set())

        pred: dict = {}
        for ev in result.events:
            pred.setdefault(ev["action"], ev)
        gold = {g["action"]: g for g in item["events"]}
        for code in set(pred) | set(gold):
            counts.setdefault(code, [0, 0, 0])
            if code in pred and code in gold:
                counts[code][0] += 1
            elif code in pred:
                counts[code][1] += 1
                errors.append({"id": item["id"], "kind": "fp", "action": code,
                               "text": item["text"]})
            else:
                counts[code][2] += 1
                errors.append({"id": item["id"], "kind": "fn", "action": code,
                               "text": item["text"]})
        for eid, row in result.new_entities.items():
            entity_info.setdefault(eid, (row["type"], None))
        for code, g in gold.items():
            if code not in pred:
                continue
            p = pred[code]
            story_events.append((g.get("story") or f"{item['id']}:{code}", p,
                                 item["published_at"]))
            checks = {
                "actor": _role_correct(g.get("actor"), p["actor_id"], surfaces_of),
                "target": _role_correct(g.get("target"), p["target_id"], surfaces_of),
                "date": p["event_date"] == g.get("date"),
                "modality": p["modality"] == g.get("modality", "asserted"),
            }
            for role, ok in checks.items():
                roles[role][0] += ok
                roles[role][1] += 1
                if not ok:
                    errors.append({"id": item["id"], "kind": role, "action": code,
                                   "gold": g.get(role) if role != "date" else g.get("date"),
                                   "pred": {"actor": p["actor_id"], "target": p["target_id"],
                                            "date": p["event_date"],
                                            "modality": p["modality"]}[role],
                                   "text": item["text"]})
        for surface, eid in (item.get("links") or {}).items():
            # the mention may be longer than the annotated name ("China's Ministry of
            # Commerce" for "Ministry of Commerce"): whole-word containment counts
            got = {m["entity_id"] for m in result.mentions
                   if _surface_match(surface, {m["surface"]})}
            ok = eid in got
            roles["linking"][0] += ok
            roles["linking"][1] += 1
            if not ok:
                errors.append({"id": item["id"], "kind": "linking", "gold": eid,
                               "pred": sorted(got), "text": surface})

    if story_events:
        st = story_scores(story_events, entity_info)
        roles["stories"] = [st["bcubed_f1"] * st["events"], st["events"]]
        stories = st
    else:
        stories = None
    per_class = {}
    for code, (tp, fp, fn) in sorted(counts.items()):
        if tp + fn == 0 and fp == 0:
            continue
        p, r, f = _prf(tp, fp, fn)
        per_class[code] = {"precision": p, "recall": r, "f1": f, "support": tp + fn,
                           "tp": tp, "fp": fp, "fn": fn}
    scored = [v["f1"] for v in per_class.values() if v["support"]]
    return {
        "split": split,
        "items": len(items),
        "per_class": per_class,
        "macro_f1": sum(scored) / len(scored) if scored else 0.0,
        "accuracy": {role: (c / t if t else 0.0) for role, (c, t) in roles.items()},
        "support": {role: t for role, (c, t) in roles.items()},
        "stories": stories,
        "errors": errors,
    }


def story_scores(story_events, entity_info) -> dict:
    """Cluster the predicted events (matched to gold events) with the tagger's story clustering
    and compare with the gold story labels: B-cubed and pairwise precision/recall/F1."""
    from .stories import Sides, cluster, make_event, story_id

    sides = Sides(info=entity_info)
    evs, gold_of = [], {}
    for n, (label, p, published) in enumerate(story_events):
        row = dict(p, id=f"e{n:05d}")
        ev = make_event(row, published_at=published, sides=sides)
        evs.append(ev)
        gold_of[ev.id] = label
    evs.sort(key=lambda e: (e.day is None, e.day or "", e.id))
    pred_of = {}
    for c in cluster(evs, sides):
        for e in c.events:
            pred_of[e.id] = story_id(c.key)
    ids = [e.id for e in evs if e.id in pred_of]  # negated events belong to no story
    for e in evs:
        pred_of.setdefault(e.id, f"alone:{e.id}")
    ids = list(gold_of)
    bp = br = 0.0
    for i in ids:
        same_pred = {j for j in ids if pred_of[j] == pred_of[i]}
        same_gold = {j for j in ids if gold_of[j] == gold_of[i]}
        both = len(same_pred & same_gold)
        bp += both / len(same_pred)
        br += both / len(same_gold)
    n = len(ids) or 1
    bp, br = bp / n, br / n
    tp = fp = fn = 0
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            sp = pred_of[ids[a]] == pred_of[ids[b]]
            sg = gold_of[ids[a]] == gold_of[ids[b]]
            tp += sp and sg
            fp += sp and not sg
            fn += sg and not sp
    pp, pr, pf = _prf(tp, fp, fn)
    return {"events": len(ids), "gold_stories": len(set(gold_of.values())),
            "pred_stories": len(set(pred_of.values())),
            "bcubed_precision": bp, "bcubed_recall": br,
            "bcubed_f1": 2 * bp * br / (bp + br) if bp + br else 0.0,
            "pairwise_precision": pp, "pairwise_recall": pr, "pairwise_f1": pf,
            "pairs": {"tp": tp, "fp": fp, "fn": fn}}


def format_report(result: dict) -> str:
    lines = [f"Gold split: {result['split']} ({result['items']} items)", "",
             f"{'action':<26}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}",
             "-" * 56]
    for code, v in result["per_class"].items():
        lines.append(f"{code:<26}{v['precision']:>7.2f}{v['recall']:>7.2f}{v['f1']:>7.2f}"
                     f"{v['support']:>9}")
    lines += ["-" * 56, f"{'macro-F1':<26}{'':>14}{result['macro_f1']:>7.2f}", ""]
    lines.append(f"{'accuracy':<26}{'':>14}{'value':>7}{'n':>9}")
    for role in ("actor", "target", "date", "modality", "linking", "stories"):
        if role in result["accuracy"]:
            lines.append(f"{role:<26}{'':>14}{result['accuracy'][role]:>7.2f}"
                         f"{result['support'][role]:>9}")
    st = result.get("stories")
    if st:
        lines += ["", f"story clustering: {st['events']} events, {st['gold_stories']} gold "
                  f"stories, {st['pred_stories']} predicted",
                  f"{'':<26}{'P':>7}{'R':>7}{'F1':>7}",
                  f"{'B-cubed':<26}{st['bcubed_precision']:>7.2f}{st['bcubed_recall']:>7.2f}"
                  f"{st['bcubed_f1']:>7.2f}",
                  f"{'pairwise':<26}{st['pairwise_precision']:>7.2f}"
                  f"{st['pairwise_recall']:>7.2f}{st['pairwise_f1']:>7.2f}"]
    return "\n".join(lines)


TARGETS = {"macro_f1": 0.85, "actor": 0.80, "target": 0.80, "date": 0.90}


def figures(result: dict, documents: dict | None = None, written: dict | None = None,
            fresh: dict | None = None) -> dict:
    """The figures (no error list), as docs/eval.json and the store's evaluations table hold
    them: the sentence gold's at the top level, the real documents' under "documents", those
    of the documents written for the project under "written_for_project", and those of the last
    annotation round's documents alone (unseen when the tagger was chosen) under "fresh"."""
    from .tagger import PIPELINE_VERSION

    out = {k: v for k, v in result.items() if k != "errors"}
    out["pipeline_version"] = PIPELINE_VERSION
    out["targets"] = TARGETS
    out["errors_count"] = len(result.get("errors") or [])
    from .eval_documents import TARGETS as DOCUMENT_TARGETS

    for key, figures in (("documents", documents), ("written_for_project", written),
                         ("fresh", fresh)):
        if figures is not None:
            out[key] = {k: v for k, v in figures.items() if k != "errors"}
            out[key]["targets"] = DOCUMENT_TARGETS
    return out


def write_json(result: dict, path, documents: dict | None = None,
               written: dict | None = None, fresh: dict | None = None) -> None:
    """The figures as JSON (docs/eval.json is the shipped tagger's)."""
    import os
    import tempfile

    out = figures(result, documents, written, fresh)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(out, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)


# The shipped tagger's figures: docs/eval.json in a checkout; an installed package carries it as
# nlp/docs/eval.json (pyproject.toml, [tool.setuptools.package-dir]). $RIVALRY_EVAL_JSON names
# another file.
_HERE = Path(__file__).resolve().parent
SHIPPED_EVAL_JSON = next((p for p in (_HERE.parent / "docs" / "eval.json", _HERE / "docs" / "eval.json")
                          if p.is_file()), _HERE.parent / "docs" / "eval.json")


def record_shipped(db) -> bool:
    """Record the shipped figures in the store for the methodology page (what `rivalry tag`
    does, so a nightly's site shows them), unless `rivalry eval` measured figures there. A
    missing or unreadable file records nothing. Returns whether it wrote."""
    import os

    from rivalry import store

    path = Path(os.environ.get("RIVALRY_EVAL_JSON") or SHIPPED_EVAL_JSON)
    try:
        shipped = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(shipped, dict) and store.record_evaluation(db, shipped, store.SHIPPED)


if __name__ == "__main__":  # python -m nlp.evaluate [dev|test] [-v] [--json PATH]
    import sys

    args = sys.argv[1:]
    split = args[0] if args and not args[0].startswith("-") else "test"
    res = evaluate(split)
    print(format_report(res))
    if "--json" in args:
        write_json(res, args[args.index("--json") + 1])
    if "-v" in args:
        for e in res["errors"]:
            print(json.dumps(e, ensure_ascii=False))
