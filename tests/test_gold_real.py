"""The real-document gold set keeps the rules of docs/annotation.md, and the entry scoring of
nlp/eval_documents.py counts what it says it counts."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter

from nlp.actions import load_taxonomy
from nlp.eval_documents import DOCUMENTS, date_right, document_words, load_documents, score

SPOKEN = {"press-briefings", "speeches-remarks", "remarks"}
MODALITIES = {"asserted", "future", "proposed", "alleged", "negated"}
DATE = re.compile(r"^\d{4}(-\d\d(-\d\d)?)?$")


def test_gold_set_size_and_mix():
    rows = load_documents()
    assert len(rows) >= 250
    assert sum(not r["gold"]["new"] for r in rows) >= 60          # nothing in scope
    assert sum(r["section"] in SPOKEN for r in rows) >= 40       # briefings and remarks
    assert Counter(r["split"] for r in rows).keys() == {"train", "dev", "test"}
    # every chosen document is annotated, once
    with gzip.open(DOCUMENTS, "rt", encoding="utf-8") as fh:
        chosen = [json.loads(line)["path"] for line in fh]
    assert sorted(chosen) == sorted(r["path"] for r in rows)


def test_no_train_document_is_a_copy_of_a_held_out_one():
    # the White House publishes some documents under two paths and the split hashes the path:
    # 4 held-out gold documents have a copy that the split put in train
    held_out = {document_words(r["text"]) for r in load_documents("dev") + load_documents("test")}
    train = load_documents("train")
    assert train and not [r["path"] for r in train if document_words(r["text"]) in held_out]
    assert len(train) + 4 == sum(r["split"] == "train" for r in load_documents())


def test_every_entry_keeps_the_rules():
    codes = set(load_taxonomy().actions)
    for r in load_documents() + load_documents(written_for_project=True):
        for role in ("new", "context"):
            for e in r["gold"][role]:
                where = f"{r['path']} {role} {e.get('what')}"
                assert e["action"] in codes, where
                assert e.get("date") is None or DATE.match(e["date"]), where
                assert (e.get("modality") or "asserted") in MODALITIES, where
                assert isinstance(e["actor"], list) and e["actor"], where
                assert e.get("target") is None or isinstance(e["target"], list), where
                if e.get("evidence"):  # verbatim: the trainer finds the sentence by it
                    assert e["evidence"] in r["markdown"], where


def test_written_for_project_documents_say_so():
    rows = load_documents(written_for_project=True)
    assert len(rows) >= 30
    assert all(r["written_for_project"] and r["source_url"].startswith(
        "https://written-for-project.invalid/") for r in rows)
    new = Counter(e["action"] for r in rows for e in r["gold"]["new"])
    for code in ("criminal_charge", "entity_listing", "license_action", "distillation_accusation"):
        assert new[code] >= 3, new


def _row(path, new, context=()):
    return {"path": path, "gold": {"new": list(new), "context": list(context)}}


def _pred(action, actor, target, date, story="s1", precision="day"):
    return {"action": action, "actor_id": actor, "target_id": target, "object_id": None,
            "event_date": date, "date_precision": precision, "modality": "asserted",
            "role": "new", "story_id": story, "evidence": ""}


SURFACES = {"us-white-house": {"white house"}, "china": {"china", "prc"},
            "united-states": {"united states"}}


def test_scoring_matches_on_action_actor_and_target():
    gold = {"action": "tariff", "actor": ["White House", "United States"], "target": ["China"],
            "date": "2025-02-01"}
    rows = [_row("a", [gold]), _row("b", [])]
    preds = {"a": [_pred("tariff", "us-white-house", "china", "2025-02-03"),
                   _pred("tariff", "united-states", None, "2025-02-01")],
             "b": [_pred("diplomacy", "united-states", "china", "2025-01-01")]}
    res = score(rows, preds, SURFACES)
    assert (res["matched"], res["predicted_entries"], res["gold_entries"]) == (1, 3, 1)
    assert res["precision"] == 1 / 3 and res["recall"] == 1.0
    assert res["accuracy"]["date"] == 1.0            # within 3 days
    assert res["entries_per_out_of_scope_document"] == 1.0


def test_null_target_matches_only_no_target_and_context_shown_as_new_is_counted():
    gold_new = {"action": "industrial_policy", "actor": ["White House"], "target": None}
    context = {"action": "export_control", "actor": ["United States"], "target": ["China"]}
    rows = [_row("a", [gold_new], [context])]
    preds = {"a": [_pred("industrial_policy", "us-white-house", "china", "2025-01-01"),
                   _pred("export_control", "united-states", "china", "2025-01-01")]}
    res = score(rows, preds, SURFACES)
    assert res["matched"] == 0
    assert res["context_as_new"] == 1


def test_dates_at_their_precision():
    assert date_right("2020", "2020-01-01", "year")
    assert not date_right("2020", "2021-01-01", "year")
    assert date_right("2025-04", "2025-04-17", "day")    # a day inside the month named
    assert not date_right("2025-04", "2025-05-09", "day")
    assert date_right("2025-04", "2025-04-01", "month")
    assert date_right("2025-04-10", "2025-04-13")
    assert not date_right("2025-04-10", "2025-04-14")


def test_story_duplicates_count_one_action_in_two_stories():
    g = {"action": "tariff", "actor": ["United States"], "target": ["China"], "date": "2025-02-01"}
    rows = [_row("a", [g]), _row("b", [dict(g, date="2025-02-02")])]
    preds = {"a": [_pred("tariff", "united-states", "china", "2025-02-01", story="s1")],
             "b": [_pred("tariff", "united-states", "china", "2025-02-02", story="s2")]}
    assert score(rows, preds, SURFACES)["story_duplicates"] == 1
    preds["b"][0]["story_id"] = "s1"
    assert score(rows, preds, SURFACES)["story_duplicates"] == 0
