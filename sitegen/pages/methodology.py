"""The methodology page, methodology.html: the action types with their descriptions and counts,
and the tagger's evaluation figures. Both come from the store (the taxonomy and evaluations
tables: written by `rivalry tag` and `rivalry eval`), never from the tagger's files.

Changes that touch it: any (it shows totals and counts), so it is planned on every build; its
key holds the taxonomy and the figures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import data as sitedata
from ..plan import Plan

if TYPE_CHECKING:
    from ..planner import Planner


def plan(p: Planner, plan: Plan) -> None:
    index = p.index
    tax = taxonomy(index.taxonomy, list(index.actions), p.action_counts)
    figures = evaluation(index.evaluation)
    plan.add("index_pages", "methodology.html", "methodology.html",
             (repr(tax), repr(p.totals), repr(figures), p.common_key),
             title="Methodology", taxonomy=tax, totals=p.totals, evaluation=figures, **p.common)


def taxonomy(described: dict[str, str], seen_codes, action_counts):
    """Every action code with its description, as the tagger recorded them; before a tag run
    recorded any, only the codes seen in the events, without descriptions."""
    codes = sorted(set(described) | set(seen_codes))
    return [{"code": c, "slug": sitedata.slug(c), "label": sitedata.action_label(c),
             "description": described.get(c, ""),
             "count": action_counts.get(sitedata.slug(c) or "", 0)} for c in codes]


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def evaluation(raw: dict | None) -> dict | None:
    """The tagger's figures on the test split, as the store records them (`rivalry eval`
    measured them, or `rivalry tag` recorded the shipped docs/eval.json), checked field by
    field. The build never runs the model: it shows the figures recorded, or none."""
    if not isinstance(raw, dict) or not isinstance(raw.get("per_class"), dict):
        return None

    def num(v):
        return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None

    rows = []
    for code, v in sorted(raw["per_class"].items()):
        if isinstance(v, dict):
            rows.append({"code": str(code), "precision": num(v.get("precision")),
                         "recall": num(v.get("recall")), "f1": num(v.get("f1")),
                         "support": v.get("support") if isinstance(v.get("support"), int) else None})
    acc = _dict(raw.get("accuracy"))
    support = _dict(raw.get("support"))
    roles = [{"role": str(k), "value": num(v), "n": support.get(k) if isinstance(support.get(k), int) else None}
             for k, v in sorted(acc.items()) if num(v) is not None]
    documents = []  # timeline entries on real documents, then on those written for the project
    for key, label in (("documents", "real White House documents"),
                       ("written_for_project", "documents written for the project")):
        d = raw.get(key)
        if not isinstance(d, dict):
            continue
        dacc = _dict(d.get("accuracy"))
        dsup = _dict(d.get("support"))
        targets = _dict(d.get("targets"))
        measures = [("entry precision", num(d.get("precision")), d.get("predicted_entries"),
                     targets.get("precision"), "≥"),
                    ("entry recall", num(d.get("recall")), d.get("gold_entries"),
                     targets.get("recall"), "≥")]
        measures += [(f"{k} accuracy", num(dacc.get(k)), dsup.get(k), targets.get(k), "≥")
                     for k in ("action", "actor", "target", "date", "modality") if k in dacc]
        measures += [("entries per document", num(d.get("entries_per_document")),
                      d.get("documents"), None, ""),
                     ("entries per out-of-scope document",
                      num(d.get("entries_per_out_of_scope_document")),
                      d.get("out_of_scope_documents"),
                      targets.get("entries_per_out_of_scope_document"), "≤")]
        documents.append({"label": label, "n": d.get("documents"), "rows": [
            {"name": n, "value": v, "n": c if isinstance(c, int) else None,
             "target": f"{op} {t}" if isinstance(t, (int, float)) else ""}
            for n, v, c, t, op in measures if v is not None]})
    return {"split": str(raw.get("split", "test")), "documents": documents,
            "count": raw.get("items") if isinstance(raw.get("items"), int) else None,
            "macro_f1": num(raw.get("macro_f1")), "per_class": rows, "roles": roles,
            "date": str(raw["date"]) if isinstance(raw.get("date"), str) else None,
            "pipeline_version": str(raw["pipeline_version"]) if isinstance(raw.get("pipeline_version"), str) else None}
