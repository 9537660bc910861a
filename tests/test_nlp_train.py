"""The entry classifier's training is seeded (the same data gives the same model), and the
shipped model is one that loads and scores."""

from nlp.entries import EntryModel
from nlp.train import _best_threshold, _train, labels_of, same_passage

LEAD = "act_tariff f_lead | t_fact t_sheet | Today the President imposed tariffs {}"
RESTATES = "act_tariff f_no_lead | t_fact t_sheet | The tariffs protect American workers {}"
QUESTION = "act_tariff f_question | t_press | Q Will you impose tariffs {}?"
GROUPS = [{"text": LEAD.format(i), "group_label": True, "states": True} for i in range(6)] + \
         [{"text": RESTATES.format(i), "group_label": True, "states": False} for i in range(6)] + \
         [{"text": f"act_tariff f_no_lead | t_remarks | Tariffs were discussed {i}",
           "group_label": False, "states": False} for i in range(6)] + \
         [{"text": QUESTION.format(i), "group_label": True, "states": False} for i in range(6)]


def test_labels_a_candidate_teaches():
    assert labels_of(GROUPS[0]) == {"new": 1.0, "states": 1.0}
    assert labels_of(GROUPS[6]) == {"new": 1.0}          # restates it, or not: no "states"
    assert labels_of(GROUPS[12]) == {"new": 0.0, "states": 0.0}
    assert labels_of(GROUPS[18]) == {}                   # a question is never chosen


def test_training_is_seeded_and_learns_the_difference():
    a, b = _train(GROUPS), _train(GROUPS)
    texts = [g["text"] for g in GROUPS]
    pa = [d.cats for d in a.pipe(texts)]
    assert pa == [d.cats for d in b.pipe(texts)]
    # the group label: the act's sentences against another document's mention
    assert min(c["new"] for c in pa[:12]) > max(c["new"] for c in pa[12:18])
    # the stating sentence against the rest of the group
    assert min(c["states"] for c in pa[:6]) > max(c["states"] for c in pa[6:18])


def test_threshold_and_passages():
    t, f1 = _best_threshold([0.9, 0.8, 0.2, 0.1], [True, True, False, False])
    assert 0.2 < t <= 0.8 and f1 == 1.0
    assert same_passage("President Biden is **directing** his Trade Representative to increase",
                        "President Biden is directing his Trade Representative to increase tariffs")
    assert not same_passage("an unrelated sentence about weather today", "tariffs on steel rise")


def test_the_shipped_model_loads_and_scores():
    model = EntryModel.load()
    assert model is not None and 0 < model.threshold < 1
    p = model.probabilities(["act_tariff f_title | t_imposing t_duties | Imposing Duties on China"])
    assert len(p) == 1 and all(0.0 <= x <= 1.0 for x in p[0])


def test_cross_validation_scores_held_out_documents_and_ablates_feature_words():
    from scripts.cv_entries import cross_validate, without

    assert without("act_x f_lead u_fact | t_a t_b | The f_lead words stay", ["f_", "t_"]) == \
        "act_x u_fact |  | The f_lead words stay"
    # the label is carried by a flag only: each document's sentence words are its own (80
    # groups: with the shipped 15 epochs, 40 were too few to learn the flag fully)
    groups = [{"path": f"doc-{i}", "action": "tariff", "group_label": i % 2 == 0, "states": False,
               "text": f"act_tariff {'f_lead' if i % 2 == 0 else 'f_no_lead'} | t_doc | word{i}"}
              for i in range(80)]
    with_flags = cross_validate(groups, 4, [])
    assert with_flags["groups"] == 80 and with_flags["positive"] == 40
    assert with_flags["f1"] == 1.0
    assert cross_validate(groups, 4, ["f_"])["f1"] < 0.9  # without the flag, nothing to learn
