"""The methodology page reads only the store: the tagger records the taxonomy it used, `rivalry
tag` the shipped evaluation figures and `rivalry eval` the ones it measures (migration 9)."""

from __future__ import annotations

import json
import sqlite3

import pytest
from conftest import add_document
from site_fixtures import populate

from nlp.actions import load_taxonomy
from nlp.evaluate import SHIPPED_EVAL_JSON, record_shipped
from nlp.pipeline import load_nlp
from nlp.tagger import PIPELINE_VERSION, tag_documents
from rivalry import store
from sitegen.build import build_site


def back_to_version_8(path) -> None:
    """The store as an earlier rivalry left it: no taxonomy, no evaluations (and no
    story_clustering, which version 10 adds)."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP TABLE story_clustering")
        conn.execute("DROP TABLE taxonomy")
        conn.execute("DROP TABLE evaluations")
        conn.execute("PRAGMA user_version = 8")
    conn.close()


def test_a_version_8_store_upgrades_to_10_with_its_rows(db_file):
    db = store.open_db(db_file)
    add_document(db, url="https://example.gov/a", title="A", text="Some text.")
    db.close()
    back_to_version_8(db_file)
    db = store.open_db(db_file)
    assert db.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION == 10
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM taxonomy").fetchone()[0] == 0
    assert store.evaluation(db.conn) is None and store.taxonomy(db.conn) == {}


def test_a_failed_migration_to_version_9_leaves_the_store_at_version_8(db_file):
    """One transaction: the second table's name is taken, so the first is not kept either."""
    back_to_version_8(db_file)
    conn = sqlite3.connect(db_file)
    with conn:
        conn.execute("CREATE VIEW evaluations AS SELECT 1")
    conn.close()
    with pytest.raises(store.StoreError, match="evaluations already exists"):
        store.open_db(db_file)
    conn = sqlite3.connect(db_file)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 8
    assert not conn.execute("SELECT name FROM sqlite_master WHERE name = 'taxonomy'").fetchall()


def test_measured_figures_are_kept_over_shipped_ones(db):
    shipped = {"split": "test", "macro_f1": 0.5, "pipeline_version": "p1"}
    assert store.record_evaluation(db, shipped, store.SHIPPED)
    assert not store.record_evaluation(db, shipped, store.SHIPPED)  # the same: nothing written
    assert store.record_evaluation(db, {**shipped, "macro_f1": 0.6}, store.SHIPPED)  # a new release
    assert store.evaluation(db.conn)["macro_f1"] == 0.6
    measured = {"split": "test", "macro_f1": 0.7, "pipeline_version": "p2"}
    assert store.record_evaluation(db, measured, store.MEASURED)
    assert not store.record_evaluation(db, shipped, store.SHIPPED)
    assert store.evaluation(db.conn) == measured
    assert db.execute("SELECT origin, pipeline_version FROM evaluations").fetchall() == [("measured", "p2")]
    store.record_evaluation(db, {"split": "dev", "macro_f1": 0.1}, store.MEASURED)
    assert store.evaluation(db.conn, "dev") == {"split": "dev", "macro_f1": 0.1}
    assert store.evaluation(db.conn)["macro_f1"] == 0.7  # the page's: the test split


def test_the_shipped_figures_are_the_checkouts_docs_eval_json(db, tmp_path, monkeypatch):
    assert SHIPPED_EVAL_JSON.is_file() and SHIPPED_EVAL_JSON.parent.name == "docs"
    assert record_shipped(db)
    assert store.evaluation(db.conn) == json.loads(SHIPPED_EVAL_JSON.read_text("utf-8"))
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"split": "test", "macro_f1": 0.25}))
    monkeypatch.setenv("RIVALRY_EVAL_JSON", str(other))
    assert record_shipped(db) and store.evaluation(db.conn)["macro_f1"] == 0.25
    other.write_text("{broken")
    assert not record_shipped(db) and store.evaluation(db.conn)["macro_f1"] == 0.25


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def test_the_tagger_records_its_taxonomy_and_the_shipped_figures(db, nlp):
    add_document(db, url="https://www.bis.gov/press/a", title="BIS adds firms to the Entity List",
                 text="The Bureau of Industry and Security added 12 Chinese firms to the Entity List.")
    tag_documents(db, nlp=nlp)
    wanted = {code: a.description for code, a in load_taxonomy().actions.items()}
    assert store.taxonomy(db.conn) == wanted and len(wanted) > 10
    assert {v for (v,) in db.execute("SELECT DISTINCT pipeline_version FROM taxonomy")} == {PIPELINE_VERSION}
    assert store.evaluation(db.conn) == json.loads(SHIPPED_EVAL_JSON.read_text("utf-8"))
    tag_documents(db, nlp=nlp)  # nothing new: the same taxonomy is not written again
    assert store.taxonomy(db.conn) == wanted


def test_the_methodology_page_shows_what_the_store_records(db, tmp_path):
    populate(db)
    out = tmp_path / "public"
    build_site(db, out, search_index=False, snapshot=False)
    page = (out / "methodology.html").read_text()
    # Not tagged yet: the codes seen in the events, without descriptions, and no figures.
    assert "<code>sanction</code></a></td><td>Sanction</td>" in page
    assert "<code>export_control</code>" not in page and "No evaluation figures are recorded" in page
    store.record_taxonomy(db, {"export_control": "Rules on exports, described in the store"}, "v")
    store.record_evaluation(db, {"split": "test", "macro_f1": 0.8125, "per_class": {}}, store.MEASURED)
    build_site(db, out, search_index=False, snapshot=False)
    page = (out / "methodology.html").read_text()
    assert "<td><code>export_control</code></td><td>Rules on exports, described in the store</td>" in page
    assert "<code>sanction</code>" in page and "<strong>0.81</strong>" in page
