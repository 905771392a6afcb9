"""Robustness measures (lcsim.analysis.robustness) on hand-made tables whose answers are worked out by hand."""

import numpy as np
import pytest

from lcsim.analysis.robustness import best_shares, choices, disagreements, regret, robustness
from lcsim.errors import LcsimError

# plan A is best on average but fails in world 4; plan B never shines and never fails; plan C shines once
TABLE = [[0.9, 0.9, 0.9, 0.0],
         [0.6, 0.6, 0.6, 0.6],
         [1.0, 0.2, 0.2, 0.3]]


def test_known_answers():
    t = robustness(TABLE, plans=["A", "B", "C"])
    assert t["mean"].to_dict() == pytest.approx({"A": 0.675, "B": 0.6, "C": 0.425})
    assert t["satisficing"].to_dict() == pytest.approx({"A": 0.75, "B": 1.0, "C": 0.25})
    # best per world 1.0, 0.9, 0.9, 0.6: A's regrets .1 0 0 .6, B's .4 .3 .3 0, C's 0 .7 .7 .3
    assert t["max_regret"].to_dict() == pytest.approx({"A": 0.6, "B": 0.4, "C": 0.7})
    assert t["mean_regret"].to_dict() == pytest.approx({"A": 0.175, "B": 0.25, "C": 0.425})
    assert t["best_share"].to_dict() == pytest.approx({"A": 0.5, "B": 0.25, "C": 0.25})
    assert (t["worlds"] == 4).all()
    np.testing.assert_allclose(regret(TABLE)[1], [0.4, 0.3, 0.3, 0.0])


def test_best_on_average_but_fails_often_is_flagged():
    t = robustness(TABLE, plans=["A", "B", "C"])
    picks = choices(t)
    assert picks["mean"] == ["A"] and picks["satisficing"] == ["B"] and picks["max regret"] == ["B"]
    assert picks["how often best"] == ["A"]
    [sentence] = disagreements(t)
    assert "mean and mean regret and how often best favour A" in sentence
    assert "satisficing and max regret favour B" in sentence


def test_a_dominant_plan_raises_no_flag_and_threshold_moves_satisficing():
    table = [[0.8, 0.7, 0.9], [0.5, 0.4, 0.6]]
    t = robustness(table)
    assert disagreements(t) == []
    assert t.loc[0, "max_regret"] == 0 and t.loc[1, "max_regret"] == pytest.approx(0.3)
    assert robustness(table, threshold=0.75)["satisficing"].tolist() == pytest.approx([2 / 3, 0.0])


def test_ties_share_a_world_and_binary_worlds():
    # one replicate per world: survival 0/1; both survive world 1, only the first world 2
    shares = best_shares([[1, 1], [1, 0]])
    assert shares.tolist() == pytest.approx([0.75, 0.25]) and shares.sum() == pytest.approx(1)
    t = robustness([[1, 1, 0], [1, 0, 0]])
    assert t["satisficing"].tolist() == pytest.approx([2 / 3, 1 / 3])
    assert t["max_regret"].tolist() == [0, 1]


@pytest.mark.parametrize("bad", [[], [1, 2], [[1.0, np.nan]]])
def test_bad_tables_are_refused_in_one_line(bad):
    with pytest.raises(LcsimError, match="outcomes"):
        robustness(bad)


def test_bad_threshold_and_names_are_refused():
    with pytest.raises(LcsimError, match="threshold"):
        robustness(TABLE, threshold="high")
    with pytest.raises(LcsimError, match="plans"):
        robustness(TABLE, plans=["A"])
