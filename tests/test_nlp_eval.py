"""The gold set is well-formed and the tagger meets its quality floor on it (real model)."""

from __future__ import annotations

import pytest

from nlp.actions import load_taxonomy
from nlp.evaluate import evaluate, format_report, load_gold
from nlp.gazetteer import GAZETTEER_PATH


def test_gold_covers_every_action_with_negatives_in_both_splits():
    codes = set(load_taxonomy().actions)
    items = load_gold("dev") + load_gold("test")
    assert len(items) >= 200
    assert len({i["id"] for i in items}) == len(items)
    for split in ("dev", "test"):
        gold = load_gold(split)
        assert {e["action"] for i in gold for e in i["events"]} == codes
        assert any(not i["events"] for i in gold)
    for item in items:
        for ev in item["events"]:
            assert ev["action"] in codes and len(ev["date"]) == 10
            assert ev["modality"] in {"asserted", "negated", "future", "proposed", "alleged",
                                      "charged", "convicted"}


@pytest.mark.skipif(not GAZETTEER_PATH.exists(), reason="nlp/data/entities.jsonl not written yet")
def test_dev_split_meets_floor():
    result = evaluate("dev")
    report = format_report(result)
    assert "macro-F1" in report and "actor" in report
    assert result["macro_f1"] >= 0.85, report
    assert result["accuracy"]["date"] >= 0.90, report
