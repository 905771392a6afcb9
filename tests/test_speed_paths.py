"""`simulate` runs months directly, past Mesa's event list: users must see what `model.step()` gives."""

from __future__ import annotations

import numpy as np

import lcsim
from lcsim.model.model import LearningCommunity


def test_simulate_leaves_the_model_as_stepping_it_would():
    direct = lcsim.simulate(seed=4, months=30, exit_month=20, keep_model=True).model
    stepped = LearningCommunity(rng=4, collect=False, months=30, exit_month=20)
    for _ in range(30):
        stepped.step()
    for model in (direct, stepped):
        assert (model.steps, model.time, model.month) == (30, 30.0, 30)
        assert model._default_schedule.next_scheduled_time == 31.0
    assert direct.records == stepped.records or all(
        a.keys() == b.keys() and all(x == y or (x != x and y != y) for x, y in zip(a.values(), b.values()))
        for a, b in zip(direct.records, stepped.records))
    direct.step()  # and stepping on takes one month, no more
    stepped.step()
    assert (direct.steps, direct.time, direct.month) == (31, 31.0, 31)
    np.testing.assert_array_equal(direct.members.engagement, stepped.members.engagement)
