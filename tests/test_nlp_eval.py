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


@pytest.mark.skipif(not GAZETTEER_PATH.exists(), reason="nlp/data/entities.jsonl not written yet")
def test_rivalry_eval_prints_table_writes_json_and_records_the_figures(tmp_path):
    import json
    import subprocess
    import sys

    from rivalry import store

    out, db = tmp_path / "eval.json", tmp_path / "rivalry.db"
    proc = subprocess.run([sys.executable, "-m", "rivalry.cli", "eval", "--split", "dev",
                           "--json", str(out), "--db", str(db)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "macro-F1" in proc.stdout and "B-cubed" in proc.stdout
    figures = json.loads(out.read_text())
    # ... and recorded in the store, measured (the site's methodology page shows the test split)
    conn = store.open_readonly(db)
    assert store.evaluation(conn, "dev") == figures
    assert conn.execute("SELECT origin FROM evaluations").fetchall() == [("measured",)]
    assert figures["split"] == "dev" and "errors" not in figures
    assert set(figures["accuracy"]) >= {"actor", "target", "date", "linking", "stories"}
    assert 0 <= figures["stories"]["bcubed_f1"] <= 1


def test_gold_story_labels_pair_items_in_both_splits():
    for split in ("dev", "test"):
        labels = [e["story"] for i in load_gold(split) for e in i["events"] if e.get("story")]
        assert len(labels) > len(set(labels)) >= 4  # several stories reported more than once
