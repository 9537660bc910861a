"""False events an analyst would spot at once, and who the parties are (real model, real data).

Each test is a pattern, written in its own words (not copied from the sample corpus):
topics mentioned inside another statement, general statements about a kind of action, victims
and destinations in criminal cases, and nationality adjectives.
"""

from __future__ import annotations

import pytest

from nlp.actions import load_taxonomy
from nlp.extract import Extractor
from nlp.gazetteer import GAZETTEER_PATH, load_gazetteer
from nlp.pipeline import load_nlp

pytestmark = pytest.mark.skipif(not GAZETTEER_PATH.exists(),
                                reason="nlp/data/entities.jsonl not written yet")


@pytest.fixture(scope="module")
def run():
    nlp = load_nlp()
    extractor = Extractor(nlp, load_gazetteer(), load_taxonomy(), "test")

    def tag(text, published_at="2025-06-02"):
        return extractor.extract(nlp(text), document_id="d", published_at=published_at)
    return tag


def actions(result):
    return {e["action"] for e in result.events}


def event(result, action):
    found = [e for e in result.events if e["action"] == action]
    assert found, [(e["action"], e["trigger"]) for e in result.events]
    return found[0]


# --- topics, not events ----------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Chinese labs keep circumventing U.S. export controls on advanced chips.",
    "Such transfers would violate the export controls on AI chips.",
    "Companies that remain subject to the new license requirements must report sales.",
    "Its sales of data-center chips to China have been constrained by export controls.",
])
def test_export_controls_named_as_a_topic_are_no_export_control(run, text):
    assert "export_control" not in actions(run(text))


def test_trigger_inside_a_relative_clause_is_no_action(run):
    # "allow ... export" spans into the relative clause; the controls were "designed to" deny.
    res = run("These schemes allow foreign labs to acquire skills that U.S. export controls on "
              "chips were designed to deny them.")
    assert not {"export_control", "license_action"} & actions(res), res.events


def test_real_export_control_still_found(run):
    res = run("The Commerce Department imposed new export controls on advanced chips to China.")
    ev = event(res, "export_control")
    assert ev["actor_id"] == "us-commerce"
    assert ev["target_id"] == "china"


def test_theft_as_what_is_protected_against_is_no_accusation(run):
    res = run("Washington will keep working with industry to shield American AI models from "
              "theft.")
    assert "accusation" not in actions(res)


def test_generic_statement_about_a_kind_of_action_is_no_event(run):
    res = run("Distillation efforts of this sort take the fruits of years of American research "
              "without consent.")
    assert not res.events, res.events


def test_dated_distillation_claim_is_still_an_event(run):
    res = run("OpenAI accused DeepSeek of distillation on Tuesday.")
    assert "distillation_accusation" in actions(res)


# --- criminal cases: the defendant, not the victim, maker or destination ---------------------

def test_charge_target_is_not_the_maker_or_the_destination(run):
    res = run("The Justice Department charged two brokers with smuggling Nvidia GPUs to China.")
    ev = event(res, "criminal_charge")
    assert ev["target_id"] is None  # the brokers are not named; Nvidia and China are not charged


def test_charge_target_is_not_the_employer(run):
    res = run("A jury convicted a former Google engineer of stealing chip designs.")
    assert event(res, "criminal_charge")["target_id"] is None


def test_named_defendant_is_the_target(run):
    res = run("The Justice Department charged Huawei with racketeering.")
    assert event(res, "criminal_charge")["target_id"] == "huawei"


def test_destination_is_never_the_actor(run):
    res = run("Shipping advanced chips to China hurts our security, and we will prosecute "
              "those who do it.")
    for ev in res.events:
        assert ev["actor_id"] != "china", ev


# --- demonyms ------------------------------------------------------------------------------

def test_demonym_with_common_word_is_not_an_entity(run):
    res = run("The United States will protect American AI from misuse, officials said.")
    assert not [m for m in res.mentions if m["surface"].lower().startswith("american")]
    assert not any(eid.startswith("american") for eid in res.new_entities)


def test_demonym_links_only_with_a_state_body(run):
    res = run("Chinese officials met U.S. officials in Geneva on Tuesday.")
    linked = {m["entity_id"] for m in res.mentions}
    assert {"china", "united-states"} <= linked
    res = run("The United States raised tariffs on Chinese semiconductors on Tuesday.")
    assert "china" not in {m["entity_id"] for m in res.mentions}
    assert event(res, "tariff")["target_id"] is None


# --- reported claims, relative clauses, calls to act ---------------------------------------

def test_accused_in_a_reported_finding_is_the_target_not_the_actor(run):
    res = run("The panel's report found DeepSeek probably trained on outputs of American models.")
    ev = event(res, "distillation_accusation")
    assert ev["actor_id"] != "deepseek" and ev["target_id"] == "deepseek"


def test_accuser_found_through_evidence_clause(run):
    res = run("Anthropic said it has evidence that DeepSeek used distillation on its models.")
    ev = event(res, "distillation_accusation")
    assert (ev["actor_id"], ev["target_id"]) == ("anthropic", "deepseek")


def test_name_inside_a_relative_clause_is_not_the_target(run):
    res = run("OFAC froze the assets of three firms that shipped U.S. chips to Iran.")
    assert event(res, "sanction")["target_id"] != "iran"


def test_a_call_to_act_is_not_an_action_taken(run):
    res = run("We encourage cloud companies to restrict access by firms controlled from China.")
    ev = event(res, "access_restriction")
    assert ev["modality"] == "future"


def test_subject_of_an_accusing_verb_stays_the_accuser_under_a_reporter(run):
    res = run("Beijing firmly opposes the U.S. abuse of export controls, a ministry spokesperson "
              "said.")
    assert event(res, "accusation")["actor_id"] == "china"
