"""The relevance rule on real snippets from the White House corpus (../shared/corpus, CC0):
noise that one keyword used to keep, and documents with an in-scope action (the real gold).
The measurement over the whole corpus is bench/bench_relevance.py (docs/relevance.md)."""

import pytest

from crawler.relevance import evidence, is_relevant

NOISE = [
    # briefings-statements/2025-03/2025-03-15-presidential-message-on-the-birthday-of-president-andrew-jackson-2025
    ("Presidential Message on the Birthday of President Andrew Jackson, 2025",
     "He imposed tariffs on foreign nations to safeguard American workers and pay off our national debt."),
    # statements-releases/2021-06/2021-06-08-fact-sheet-u-s-mexico-bilateral-cooperation-2
    ("FACT SHEET: U.S. -Mexico Bilateral Cooperation",
     "U.S. and Mexican law enforcement agencies will partner to exchange information and take "
     "appropriate actions to address the shared priority of disabling human trafficking and human "
     "smuggling organizations."),
    # the Easter Egg Roll's "AI-Powered Experience" (issue 13)
    ("The 2025 White House Easter Egg Roll", "Families can enjoy an AI-Powered Experience on the South Lawn."),
    # a party without a topic: the Korean War armistice message names China, not a measure
    ("Presidential Message on National Korean War Veterans Armistice Day",
     "Chinese forces crossed the Yalu River in the autumn of 1950."),
]

IN_SCOPE = [
    # articles/2025-02/2025-02-20-america-is-back-and-president-trump-is-just-getting-started (gold)
    ("America is Back and President Trump is Just Getting Started",
     "President Trump imposed an additional 10% tariff on imports from China in order to stem the "
     "flow of illegal aliens and fentanyl."),
    ("Readout of the Call", "Beijing announced export controls on gallium and germanium."),
    ("", "The Entity List additions name Huawei affiliates."),
]


@pytest.mark.parametrize("title,text", NOISE)
def test_one_word_or_one_kind_of_word_is_not_evidence(title, text):
    assert not is_relevant(title, text)


@pytest.mark.parametrize("title,text", IN_SCOPE)
def test_a_chinese_party_and_a_contested_measure_are(title, text):
    assert is_relevant(title, text)


def test_a_party_is_not_also_counted_as_its_topic():
    # Huawei is a Chinese party; naming it alone is one signal, not two.
    found = evidence("Huawei opens a flagship store", "Huawei said the store opens Friday.")
    assert found.parties == found.topics == ("Huawei",) and not found.relevant
    assert is_relevant("Huawei opens a flagship store", "It sells chips.")


def test_source_keywords_extend_the_topics():
    assert not is_relevant("", "Chinese fishing fleets near the Galapagos")
    assert is_relevant("", "Chinese fishing fleets near the Galapagos", extra=["fishing fleets"])


def test_a_source_can_vouch_for_one_signal():
    # BIS only publishes export-control matters: a Chinese party is enough; GOV.UK's query asks
    # for China: a contested measure is enough. Neither lets an empty text through.
    assert is_relevant("", "Guidance for exporters in China", given="topic")
    assert is_relevant("", "Updated controls on semiconductor equipment", given="party")
    assert not is_relevant("", "Annual update conference in March", given="topic")
    assert not is_relevant("", "Annual update conference in March", given="party")
