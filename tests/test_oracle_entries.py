"""The oracle run (`scripts/oracle_entries.py`) changes the group decision and nothing else: a
real gold document, tagged by the real pipeline, gives entries of exactly the actions the gold
decision names, and none when it names none."""

import pytest

import nlp.entries as entries
from nlp.eval_documents import load_documents, predict
from scripts.oracle_entries import gold_decision

STOCKHOLM = "2025-08-11-joint-statement-on-u-s-china-economic-and-trade-meeting-in-stockholm"


@pytest.fixture(scope="module")
def stockholm():
    rows = [r for r in load_documents("dev") if STOCKHOLM in r["path"]]
    assert len(rows) == 1 and {"tariff", "diplomacy"} <= {e["action"] for e in rows[0]["gold"]["new"]}
    return rows


def actions(monkeypatch, rows, decided: dict[str, set[str]]) -> list[str]:
    monkeypatch.setattr(entries.EntryBuilder, "accept", gold_decision(decided))
    predictions, _ = predict(rows)
    return [e["action"] for e in predictions.get(rows[0]["path"], []) if e["role"] == "new"]


def test_the_gold_decision_alone_picks_the_groups(monkeypatch, stockholm):
    url = stockholm[0]["source_url"]
    assert actions(monkeypatch, stockholm, {}) == []
    only_tariff = actions(monkeypatch, stockholm, {url: {"tariff"}})
    assert only_tariff and set(only_tariff) == {"tariff"}
    both = actions(monkeypatch, stockholm, {url: {"tariff", "diplomacy"}})
    assert set(both) == {"tariff", "diplomacy"}
