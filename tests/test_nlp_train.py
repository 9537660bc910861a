"""The entry classifier's training is seeded (the same data gives the same model), and the
shipped model is one that loads and scores."""

from nlp.entries import EntryModel
from nlp.train import _best_threshold, _train, same_passage

GROUPS = [{"text": f"act_tariff f_lead | t_fact t_sheet | Today the President imposed tariffs {i}",
           "label": 1} for i in range(6)] + \
         [{"text": f"act_tariff f_question | t_press | Q Will you impose tariffs {i}?", "label": 0}
          for i in range(6)] + [{"text": "restates it", "label": None}]


def test_training_is_seeded_and_learns_the_difference():
    a, b = _train(GROUPS), _train(GROUPS)
    texts = [g["text"] for g in GROUPS]
    pa = [d.cats["new"] for d in a.pipe(texts)]
    assert pa == [d.cats["new"] for d in b.pipe(texts)]
    assert min(pa[:6]) > max(pa[6:12])


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
    assert 0.0 <= p[0] <= 1.0
