"""Document-first tagging: what a document reports as new, background on its own date, no events
from questions, the publisher's day, roles that obey types, and story headlines (real model)."""

from __future__ import annotations

import pytest
from conftest import add_document

from nlp.document import DocumentInfo, Structure
from nlp.eval_documents import load_documents
from nlp.headlines import headline
from nlp.pipeline import load_nlp
from nlp.tagger import tag_documents
from rivalry import store


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


@pytest.fixture
def tag(nlp):
    return lambda db, **kw: tag_documents(db, nlp=nlp, **kw)


def events(db, doc_id):
    return list(db.query("SELECT * FROM events WHERE document_id = ? ORDER BY evidence_start",
                         [doc_id]))


def add_official(db, *, url, title, text, published_at, source_id="wh", issuer="us-white-house"):
    doc_id = add_document(db, url=url, title=title, text=text, published_at=published_at,
                          source_id=source_id)
    store.upsert_source(db, {"id": source_id, "name": "The White House", "kind": "feed",
                             "owner": "US White House", "country": "US",
                             "timezone": "America/New_York", "issuer": issuer})
    return doc_id


def test_the_publishers_day_not_utcs():
    # 23:48 EDT on 12 May is 03:48 UTC on 13 May: the release is dated the 12th
    info = DocumentInfo("d", published_at="2025-05-13T03:48:00+00:00", timezone="America/New_York")
    assert info.publisher_day().isoformat() == "2025-05-12"
    assert DocumentInfo("d", published_at="2025-05-13T03:48:00+00:00").publisher_day() \
        .isoformat() == "2025-05-13"


def test_late_evening_release_is_dated_that_evening(db, tag):
    doc_id = add_official(db, url="https://wh.example/a", title="Export rule",
                          published_at="2025-05-13T03:48:00+00:00",
                          text="The Bureau of Industry and Security today imposed new export "
                               "controls on Huawei.")
    tag(db)
    new = [e for e in events(db, doc_id) if e["role"] == "new"]
    assert [e["event_date"] for e in new] == ["2025-05-12"], new
    assert new[0]["date_precision"] == "day"


def test_background_keeps_its_own_date_and_precision_and_is_never_new(db, tag):
    doc_id = add_official(db, url="https://wh.example/b", title="Statement",
                          published_at="2025-06-10T15:00:00+00:00",
                          text="In 2019, the United States imposed tariffs on imports from "
                               "China.")
    tag(db)
    evs = events(db, doc_id)
    assert evs, "the background action is kept as context"
    assert all(e["role"] == "context" for e in evs), evs
    tariff = [e for e in evs if e["action"] == "tariff"][0]
    assert (tariff["event_date"], tariff["date_precision"]) == ("2019-01-01", "year")
    # context is not news: it makes no story and is not on the timeline of the site
    assert db.execute("SELECT count(*) FROM stories").fetchone()[0] == 0


def test_reporters_questions_make_no_events(db, tag):
    text = ("MS. PSAKI: Good afternoon, everyone. I have nothing to announce at the top today.\n"
            "Q Will the President impose new tariffs on China next week?\n"
            "MS. PSAKI: I do not have anything to preview on that.\n"
            "Q And will Commerce add Huawei to the Entity List?\n"
            "MS. PSAKI: I would point you to the Department of Commerce.")
    doc_id = add_official(db, url="https://wh.example/c", title="Press Briefing by Press "
                          "Secretary Jen Psaki", published_at="2022-02-02T20:00:00+00:00",
                          text=text)
    tag(db)
    assert [e for e in events(db, doc_id) if e["role"] == "new"] == []


def test_structure_reads_turns_and_lead(nlp):
    doc = nlp("MS. PSAKI: Hello there, we have one thing to say today about trade.\n"
              "Q Will you sanction China?\nMS. PSAKI: No.\nTHE PRESIDENT: We will see.")
    structure = Structure(doc)
    places = [structure.place(s) for s in doc.sents]
    assert structure.transcript
    assert any(p.question for p in places) and not places[0].question
    assert places[0].speaker == "MS. PSAKI" and places[0].lead


def add_real(db, split, path_start):
    """A real gold document (nlp/data/gold/real/) stored as the crawler stores its page."""
    row = next(r for r in load_documents(split) if r["path"].startswith(path_start))
    return add_official(db, url=row["source_url"], title=row["title"], text=row["text"],
                        published_at=row["published_at"])


def test_the_issuer_acts_when_the_sentence_names_no_actor_and_no_self_targeting(db, tag):
    doc_id = add_official(db, url="https://wh.example/d", title="Adjusting Imports",
                          published_at="2025-02-11T15:00:00+00:00",
                          text="Tariffs of 25 percent will be imposed on imports of steel from "
                               "China starting March 12.")
    tag(db)
    new = [e for e in events(db, doc_id) if e["role"] == "new" and e["action"] == "tariff"]
    assert new, events(db, doc_id)
    assert new[0]["actor_id"] == "us-white-house"   # the issuing body, not "steel" or "China"
    assert new[0]["target_id"] == "china"
    assert new[0]["event_date"] == "2025-02-11"       # announced today; effective later
    assert new[0]["effective_date"] == "2025-03-12"


def test_a_real_executive_order_gives_its_own_act(db, tag):
    doc_id = add_real(db, "train",
                      "presidential-actions/2025-02/2025-02-01-imposing-duties-to-address-the-synthetic")
    tag(db)
    new = [e for e in events(db, doc_id) if e["role"] == "new"]
    tariffs = [e for e in new if e["action"] == "tariff"]
    assert tariffs, new
    assert tariffs[0]["actor_id"] in ("us-white-house", "donald-trump", "united-states")
    assert tariffs[0]["target_id"] == "china"
    assert tariffs[0]["event_date"] == "2025-02-01"
    assert len(new) <= 3  # one entry per act, not one per sentence
    story = db.execute("SELECT headline FROM stories WHERE id = ?",
                       [tariffs[0]["story_id"]]).fetchone()
    assert story and "Synthetic Opioid" in story[0]


def test_headline_from_title_or_lead():
    assert headline("Fact Sheet: President Biden Takes Action on China – The White House",
                    "x") == "President Biden Takes Action on China"
    # a title that only names the kind of document gives way to the sentence stating the act
    assert headline("Press Briefing by Press Secretary Jen Psaki, February 2, 2022",
                    "Today the President signed an order.") == "Today the President signed an order."
    long = "word " * 60
    assert len(headline(None, long)) <= 161 and headline(None, long).endswith("…")
    assert headline(None, None) is None


def test_the_tagger_bounds_the_text_it_tags_and_records_the_cut(db, tag, monkeypatch):
    # The store cuts texts as they come in (rivalry/limits.py); a document stored before that,
    # or written by hand, is still tagged only up to the bound, and the cut is recorded. The
    # bound is lowered here so the test tags a few pages, not 300,000 characters.
    import nlp.tagger

    monkeypatch.setattr(nlp.tagger, "MAX_TEXT_CHARS", 2_000)
    head = "Today the Commerce Department added Huawei to the Entity List. "
    doc_id = add_official(db, url="https://wh.example/long", title="Commerce adds Huawei",
                          published_at="2025-06-10T15:00:00+00:00", text="placeholder")
    long_text = head + "The weather was mild. " * 2_000 + "China imposed tariffs on soybeans."
    db.execute("UPDATE documents SET text = ? WHERE id = ?", [long_text, doc_id])
    db.conn.commit()
    tag(db)
    status, reason = db.execute("SELECT status, reason FROM taggings WHERE document_id = ?",
                                [doc_id]).fetchone()
    assert status == "tagged"
    assert reason == f"text cut to 2,000 of {len(long_text):,} characters"
    assert all(e["evidence_end"] <= 2_000 for e in events(db, doc_id))
    assert not [e for e in events(db, doc_id) if e["action"] == "tariff"]  # past the cut


def test_an_unlinked_chinese_party_makes_china_the_target(db, tag):
    # "a Chinese oil terminal" is no gazetteer entity, but the measure is aimed at China
    doc_id = add_official(db, url="https://wh.example/terminal", title="Week of wins",
                          published_at="2025-03-21T15:00:00+00:00",
                          text="Today the Department of State sanctioned a Chinese oil terminal "
                               "for buying and storing Iranian crude oil.")
    tag(db)
    new = [e for e in events(db, doc_id) if e["role"] == "new" and e["action"] == "sanction"]
    assert new and new[0]["target_id"] == "china", new


def tagged(db, tag, text, *, action, title="Statement", url="https://wh.example/statement",
           published_at="2025-06-10T15:00:00+00:00"):
    """The entries of one action that tagging a short White House item gives."""
    doc_id = add_official(db, url=url, title=title, text=text, published_at=published_at)
    tag(db)
    return [e for e in events(db, doc_id) if e["action"] == action]


@pytest.mark.parametrize("topic, published", [("food security", False),
                                              ("semiconductor supply chains", True)])
def test_allies_talks_are_in_scope_only_on_the_trackers_topics(db, tag, topic, published):
    # the annotation rules' scope: talks with no Chinese party count on chips, AI, minerals, ...
    talks = tagged(db, tag, "Vice President Harris today met with Prime Minister Albanese of "
                            f"Australia in Tokyo to discuss {topic}.", action="diplomacy")
    assert bool(talks) is published, talks


def test_an_accusation_with_no_one_accused_is_no_entry(db, tag):
    assert not tagged(db, tag, "The leaders today condemned all activities that undermine the "
                               "rules-based international order.", action="accusation",
                      title="Joint Statement")


def test_talking_about_something_is_no_talks(db, tag):
    # the verb is conversation in a transcript; "talks" the noun are diplomacy
    assert not tagged(db, tag, "Today we talked about the semiconductor jobs this plant brings "
                               "to Ohio and about China.", action="diplomacy", title="Remarks",
                      url="https://wh.example/remarks")
    assert tagged(db, tag, "The United States and China held talks on semiconductors today.",
                  action="diplomacy", url="https://wh.example/talks")


def test_us_and_china_acting_together_have_no_target(db, tag):
    # a party is never both actor and target: the joint act of both has none
    talks = tagged(db, tag, "The United States and China today agreed to launch a working group "
                            "on chips.", action="diplomacy", title="Joint Statement",
                   published_at="2025-08-11T15:00:00+00:00")
    assert talks and talks[0]["actor_id"] == "united-states" and talks[0]["target_id"] is None


def test_a_sentence_stating_a_new_act_and_an_earlier_one_keeps_both(db, tag):
    # the Stockholm joint statement (real, dev split) opens by recalling the Geneva one of May 12:
    # the new entry and the context entry share the sentence, and both are stored
    doc_id = add_real(db, "dev", "briefings-statements/2025-08/2025-08-11-joint-statement-on-u-s-"
                                 "china-economic-and-trade-meeting-in-stockholm")
    tag(db)
    talks = [e for e in events(db, doc_id) if e["action"] == "diplomacy"]
    assert {(e["role"], e["event_date"]) for e in talks} >= {("new", "2025-08-11"),
                                                             ("context", "2025-05-12")}, talks


@pytest.mark.parametrize("split, path_start, china_day", [
    # a fact sheet of the Geneva deal: "China will remove the retaliatory tariffs it announced
    # since April 4, 2025" beside "The United States will remove the additional tariffs ..."
    ("train", "fact-sheets/2025-05/2025-05-12-fact-sheet-president-donald-j-trump-secures-a-hist",
     "2025-05-12"),
    # an executive order answering "On April 4, 2025, the State Council Tariff Commission of the
    # People's Republic of China (PRC) announced that ... a 34 percent tariff would be imposed"
    ("dev", "presidential-actions/2025-04/2025-04-08-amendment-to-recipricol-tariffs", "2025-04-04"),
])
def test_chinas_answer_to_a_us_tariff_is_its_own_entry(db, tag, split, path_start, china_day):
    doc_id = add_real(db, split, path_start)
    tag(db)
    tariffs = [e for e in events(db, doc_id) if e["role"] == "new" and e["action"] == "tariff"]
    china_side = [e for e in tariffs if e["actor_id"] in ("china", "cn-tariff-commission")]
    us_side = [e for e in tariffs if e not in china_side]
    assert len(china_side) == 1, tariffs
    assert china_side[0]["target_id"] == "united-states"
    assert china_side[0]["event_date"] == china_day
    # the US measure stays the US's (in the order: the President's, not the commission's)
    assert us_side and all(e["target_id"] == "china" and e["actor_id"] in
                           ("us-white-house", "donald-trump", "united-states") for e in us_side)


def test_the_house_is_the_chamber_and_the_white_house_stays_itself(db, tag):
    # "the House" alone is the House of Representatives (in the corpus, 1,848 "House" not after
    # "White", against 4,417 "White House", which the longer alias keeps)
    bills = tagged(db, tag, "The House took an important step forward today in passing the "
                            "bill to out-compete China on chips.", action="legislation")
    assert bills and bills[0]["actor_id"] == "us-house" and bills[0]["target_id"] == "china", bills

    def linked(surface):
        return [r["entity_id"] for r in db.query("SELECT entity_id FROM mentions WHERE surface = ?",
                                                 [surface])]
    assert linked("House") == ["us-house"]
    tagged(db, tag, "The White House welcomed the vote.", action="legislation",
           url="https://wh.example/welcome")
    # no "House" mention inside "White House": still the first document's one
    assert linked("House") == ["us-house"] and linked("White House") == ["us-white-house"]


def test_the_one_whose_decision_it_is_acts_not_the_one_who_welcomes_it(db, tag):
    controls = tagged(db, tag, "The White House today welcomed Japan's decision to impose export "
                               "controls on chip tools to China.", action="export_control")
    assert controls and controls[0]["actor_id"] == "japan", controls
    assert controls[0]["target_id"] == "china"


def test_a_recommendation_is_no_entry(db, tag):
    # the annotation rules: recommendations are no entries (dev published "The reports
    # encourage regulators ... to scale up investigations into digital asset market misconduct")
    assert not tagged(db, tag, "The reports encourage regulators to scale up investigations into "
                               "Chinese chip smuggling networks.", action="investigation")
    assert tagged(db, tag, "Regulators today opened investigations into Chinese chip smuggling "
                           "networks.", action="investigation", url="https://wh.example/opened")


def test_a_named_list_is_no_party_and_a_listing_needs_someone_listed(db, tag):
    # dev published "items on the Commerce Control List" as an Entity List addition aimed at
    # the list: a name the model finds ending in "List" (or "Act", "Schedule") is an object
    listings = tagged(db, tag, "The Department of Commerce today placed certain items on the "
                               "Commerce Control List.", action="entity_listing")
    assert not listings, listings
    types = {r["id"]: r["type"] for r in db.query("SELECT id, type FROM entities")}
    assert types.get("commerce-control-list") == "law", types


def test_an_action_named_twice_in_a_sentence_is_read_where_its_actor_is(db, tag):
    # dev published "With respect to your question on the ships investigation, so the Trade
    # Representative will be initiating the investigation on ships tomorrow" as the White
    # House's act: the first "investigation" has no subject, the second is USTR's
    probes = tagged(db, tag, "With respect to your question on the shipbuilding investigation, "
                             "the Trade Representative will be opening the investigation into "
                             "China's shipbuilding practices tomorrow.", action="investigation")
    assert probes and probes[0]["actor_id"] == "us-ustr", probes
    assert probes[0]["target_id"] == "china" and probes[0]["modality"] == "future"


def test_in_talks_an_official_stands_for_their_country(db, tag):
    # train published "I expect to be meeting with President Xi" aimed at Xi Jinping, where the
    # gold's target is China: talks are between governments (officials stand for their country)
    talks = tagged(db, tag, "Secretary Blinken met with Foreign Minister Wang Yi of China today "
                            "to discuss export controls on chips.", action="diplomacy")
    assert talks and talks[0]["target_id"] == "china", talks


def test_an_average_rate_is_a_statistic_not_a_tariff(db, tag):
    # dev published "Today, in 2023, our trade-weighted average tariff rate is 2.4 percent" as
    # a tariff on China: statistics are no events (the annotation rules); the measure still is
    assert not tagged(db, tag, "Today our trade-weighted average tariff rate on imports from "
                               "China is 2.4 percent.", action="tariff")
    # nor is it background on its own date
    assert not tagged(db, tag, "In March 2018, our average tariff rate on imports from China was "
                               "3.1 percent.", action="tariff", url="https://wh.example/2018")
    assert tagged(db, tag, "Today the President imposed a 25 percent tariff on imports from "
                           "China.", action="tariff", url="https://wh.example/tariff")
