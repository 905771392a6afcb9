"""Known answers for the members' rules and the ties, on small hand-made tables.

Each rule is checked on a table whose answer can be worked out by hand; whole-run statistical
tests of the same rules are in tests/test_mechanisms.py and tests/test_validation.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import lcsim
from lcsim import Assumptions, ParameterError
from lcsim.model import CommunityScenario, kernels
from lcsim.model.members import MemberTable, over
from lcsim.model.ties import Ties


def table(engagement, capacity=None, leader=None, propensity=None, aspiration=None, assumptions=None) -> MemberTable:
    """A member table with the given columns; sectors alternate, interests are one-hot by row."""
    m = MemberTable(assumptions)
    n = len(engagement)
    k = m.a.topics
    m.sector = np.arange(n) % 4
    m.assets = np.eye(4)[m.sector]
    m.interests = np.eye(k)[np.arange(n) % k]
    m.engagement = np.array(engagement, float)
    m.aspiration = np.full(n, 0.5) if aspiration is None else np.array(aspiration, float)
    m.capacity = np.full(n, 0.5) if capacity is None else np.array(capacity, float)
    m.propensity = np.ones(n) if propensity is None else np.array(propensity, float)
    m.leader = np.zeros(n, bool) if leader is None else np.array(leader, bool)
    m.active = np.ones(n, bool)
    m.joined = np.zeros(n, np.int64)
    m.replicated = np.zeros(n, bool)
    m.availability = np.ones(n)
    return m


class AlwaysBelow:
    """A generator stub whose uniform draws are all `u` (to force or forbid every chance event)."""

    def __init__(self, u: float) -> None:
        self.u = u

    def random(self, size=None):
        return np.full(size, self.u) if size is not None else self.u


# -- members ----------------------------------------------------------------------------------------
def test_engagement_moves_its_log_odds_by_the_rate_times_the_gap_and_aspiration_follows():
    a = Assumptions.of(engagement_rate=0.5, aspiration_adaptation=0.0)
    m = table([0.5, 0.5, 0.8, 0.02], aspiration=[0.5, 0.5, 0.5, 0.5], assumptions=a)
    m.update_engagement(np.array([1.5, -0.5, 0.5, 2.5]), months=2)
    # log-odds 0 + 0.5 x 2 x (+1) = 1; 0 - 1 = -1; unchanged at a zero gap; logit(0.02) + 2
    expected = 1 / (1 + np.exp(-np.array([1.0, -1.0, np.log(4.0), np.log(0.02 / 0.98) + 2.0])))
    np.testing.assert_allclose(m.engagement, expected)
    np.testing.assert_allclose(m.aspiration, [0.5, 0.5, 0.5, 0.5])  # no adaptation
    b = Assumptions.of(engagement_rate=0.5, aspiration_adaptation=0.25)
    m = table([0.5], aspiration=[0.5], assumptions=b)
    m.update_engagement(np.array([1.0]), months=2)
    # the gap 0.5 counts (1 - 0.75**2) / 0.25 = 1.75 months as aspiration closes in; aspiration 1 - 0.5 x 0.75**2
    np.testing.assert_allclose(m.engagement, 1 / (1 + np.exp(-0.5 * 1.75 * 0.5)))
    np.testing.assert_allclose(m.aspiration, 1 - 0.5 * 0.75 ** 2)


def test_a_loss_of_value_moves_engagement_as_far_whatever_its_path():
    """Why a taper only brings the loss forward (docs/model.md section 8, (g)): with aspirations that
    adapt, the gaps to value sum to (final value - first value) / aspiration_adaptation, so an abrupt
    loss and the same loss in twelve monthly steps end at the same engagement; the taper's is lower
    while the abrupt one's support still lasts."""
    a = Assumptions.of(engagement_rate=0.6, aspiration_adaptation=0.05)
    abrupt, taper = (table([0.5], aspiration=[0.4], assumptions=a) for _ in range(2))
    before, after = 0.4, 0.0
    for month in range(1, 13):  # the taper's twelve months: the abrupt exit's convener is still there
        abrupt.update_engagement(np.array([before]), months=1)
        taper.update_engagement(np.array([before + (after - before) * month / 13]), months=1)
    assert taper.engagement[0] < abrupt.engagement[0] - 0.05
    for m in (abrupt, taper):
        m.update_engagement(np.array([after]), months=600)  # long after the exit: the gap has closed
    np.testing.assert_allclose(taper.aspiration, abrupt.aspiration, atol=1e-9)
    total = 0.6 * (after - before) / 0.05  # the whole shift in log-odds, path or no path
    np.testing.assert_allclose(np.log(abrupt.engagement / (1 - abrupt.engagement)), total, atol=1e-6)
    np.testing.assert_allclose(np.log(taper.engagement / (1 - taper.engagement)), total, atol=1e-6)


def test_capacity_grows_with_learning_and_support_and_erodes():
    a = Assumptions.of(learning_rate=0.1, capacity_erosion=0.02)
    m = table([0.5, 0.5, 0.5], capacity=[0.5, 0.5, 0.0], assumptions=a)
    m.grow_capacity(np.array([True, False, False]), np.array([1.0, 1.0, 1.0]), support=0.0)
    # attended, fit 1: 0.5 + 0.1 * 0.5 - 0.02 * 0.5 = 0.54; absent: 0.5 - 0.01 = 0.49; zero stays zero.
    np.testing.assert_allclose(m.capacity, [0.54, 0.49, 0.0])
    m.grow_capacity(np.zeros(3, bool), np.zeros(3), support=0.5)
    np.testing.assert_allclose(m.capacity[2], 0.5)


def test_leaders_emerge_only_among_ready_members_and_more_with_more_months():
    a = Assumptions.of(ready_engagement=0.4, centrality_weight=0.5)
    m = table([0.9, 0.3, 0.9], capacity=[1.0, 1.0, 1.0], propensity=[1.0, 1.0, 1.0], assumptions=a)
    centrality = np.array([1.0, 1.0, 0.0])
    # hazard: rate 0.5 x propensity 1 x capacity 1 x (0.5 + 0.5 x centrality): 0.5 for row 0, 0.25 for row 2.
    new = m.emerge_leaders(0.5, centrality, months=1, rng=AlwaysBelow(0.3))
    assert list(new) == [0]  # 0.3 < 0.5 but not < 0.25; row 1 is not ready (engagement 0.3)
    new = m.emerge_leaders(0.5, centrality, months=3, rng=AlwaysBelow(0.3))
    assert list(new) == [2]  # over three months: 1 - 0.75**3 = 0.58 > 0.3
    assert over(0.25, 3) == pytest.approx(1 - 0.75 ** 3)


def test_burnout_hits_the_host_harder_and_leaders_with_faded_engagement_step_down():
    a = Assumptions.of(hosting_burnout=3.0, leader_quits_below=0.25, step_down_engagement=0.5)
    m = table([0.8, 0.8, 0.2], leader=[True, True, True], assumptions=a)
    # rate 0.1: the host (row 0) 0.3, the other 0.1; a draw of 0.2 takes the host only; row 2 quits (0.2 < 0.25).
    m.burn_out(0.1, hosted=0, months=1, rng=AlwaysBelow(0.2))
    assert list(m.leader) == [False, True, False]
    np.testing.assert_allclose(m.engagement, [0.4, 0.8, 0.1])


def test_members_leave_only_below_the_threshold_at_the_compounded_chance():
    a = Assumptions.of(leaves_below=0.1, leave_chance=0.3)
    m = table([0.05, 0.05, 0.5], assumptions=a)
    assert len(m.leave(1, AlwaysBelow(0.4))) == 0  # 0.4 > 0.3 in one month
    gone = m.leave(2, AlwaysBelow(0.4))  # 1 - 0.7**2 = 0.51 > 0.4 over two months
    assert list(gone) == [0, 1] and list(m.active) == [False, False, True]


def test_attendance_falls_with_cost_only_members_come_and_a_split_organisation_comes_less():
    """The live rule (`LearningCommunity._attend`): chance = engagement x availability x (1 - cost) x
    m^-attention_split for an organisation in m live communities; 0 for one that is no longer a member."""
    model = lcsim.LearningCommunity(rng=0, collect=False, n_members=10, n_communities=2, shared_members=0.2,
                                    assumptions={"attention_split": 1.0})
    first, second = model.communities
    shared = np.intersect1d(first.rows, second.rows)
    assert len(shared) == 2 and (model.commitments[shared] == 2).all()
    model.members.engagement[:] = 1.0
    model.members.engagement[first.rows[1]] = 0.5
    model.members.availability[:] = 1.0
    busy = [k for k in range(3, len(first.rows)) if first.rows[k] not in shared][0]
    model.members.availability[first.rows[busy]] = 0.5  # an organisation with half the time
    first.current[first.rows == first.rows[2]] = False  # no longer a member
    first.streams.attendance = AlwaysBelow(0.45)
    came = model._attend(first, 0.2)
    # chance 0.8 for a full member, 0.4 for row 1 and the busy one, 0 for the former member, 0.8 / 2 for the shared
    expected = np.ones(len(first.rows), bool)
    expected[[1, 2, busy]] = False
    expected[np.isin(first.rows, shared)] = False
    np.testing.assert_array_equal(came, expected)
    first.streams.attendance = AlwaysBelow(0.35)  # below 0.4: the shared, row 1 and the busy one come too
    expected = np.ones(len(first.rows), bool)
    expected[2] = False
    np.testing.assert_array_equal(model._attend(first, 0.2), expected)


# -- ties -------------------------------------------------------------------------------------------
def test_interact_strengthens_known_ties_keeps_the_largest_gain_and_forms_new_ones():
    ties = Ties()
    ties.add_new(np.array([0]), np.array([1]), np.array([0.5]), np.array([0.2]))
    value_of = lambda i, j: np.full(len(i), 0.9)  # noqa: E731
    # (1, 0) twice (gains 0.2 and 0.4: the larger counts), (2, 3) new, (4, 4) ignored.
    ties.interact(np.array([1, 1, 2, 4]), np.array([0, 0, 3, 4]), np.array([0.2, 0.4, 0.3, 1.0]), value_of)
    assert len(ties) == 2
    order = np.argsort(ties.keys)
    np.testing.assert_allclose(ties.strength[order], [0.5 + 0.4 * 0.5, 0.3])
    np.testing.assert_allclose(ties.value[order], [0.2, 0.9])


def test_idle_ties_decay_weak_ones_faster_and_faded_ones_are_forgotten():
    a = Assumptions.of(weak_tie_decay=0.5, forget_below=0.05)
    ties = Ties(a)
    ties.add_new(np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([1.0, 0.2, 0.05]), np.zeros(3))
    ties.touched[:] = False
    ties.touched[0] = True  # contact this month: no decay
    ties.decay(0.5)
    # 0.2 x (1 - 0.5 x (1 - 0.5 x 0.2)) = 0.11; 0.05 x (1 - 0.5 x 0.975) = 0.025625
    np.testing.assert_allclose(ties.strength, [1.0, 0.11, 0.025625])
    ties.forget()
    assert len(ties) == 2 and ties.strength.min() == pytest.approx(0.11)


def test_the_largest_component_counts_only_the_given_members():
    a, b = np.array([0, 1, 3]), np.array([1, 2, 4])  # components {0, 1, 2}, {3, 4}, and 5 alone
    assert kernels.largest_component(a, b, np.arange(6), 6) == 3
    assert kernels.largest_component(a, b, np.array([3, 4, 5]), 6) == 2
    assert kernels.largest_component(a, b, np.empty(0, np.int64), 6) == 0


def test_dropping_members_removes_every_tie_of_theirs():
    ties = Ties()
    ties.add_new(np.array([0, 1, 2]), np.array([1, 2, 3]), np.full(3, 0.5), np.zeros(3))
    gone = np.zeros(4, bool)
    gone[1] = True
    ties.drop_members(gone)
    assert list(zip(ties.a, ties.b)) == [(2, 3)]


# -- assumptions as data ---------------------------------------------------------------------------
def test_an_assumption_changes_the_runs_and_a_bad_one_is_refused_in_one_line():
    base = lcsim.simulate(seed=5, months=40).monthly
    varied = lcsim.simulate(seed=5, months=40, assumptions={"engagement_rate": 0.1}).monthly
    assert not base["mean_engagement"].equals(varied["mean_engagement"])
    dotted = lcsim.simulate(seed=5, months=40, **{"assumptions.engagement_rate": 0.1}).monthly
    assert dotted.equals(varied)
    with pytest.raises(ParameterError, match=r"^unknown assumption 'engagment_rate'; did you mean") as err:
        lcsim.simulate(seed=5, assumptions={"engagment_rate": 0.1})
    assert "\n" not in str(err.value)
    with pytest.raises(ParameterError, match=r"assumption 'engagement_rate': 7 is not allowed"):
        lcsim.simulate(seed=5, assumptions={"engagement_rate": 7})


def test_assumptions_are_frozen_and_record_what_changed():
    a = Assumptions.of(leave_chance=0.2)
    assert a.changed() == {"leave_chance": 0.2} and Assumptions().changed() == {}
    with pytest.raises(AttributeError):
        a.leave_chance = 0.5  # type: ignore[misc]
    assert a.replace(leave_chance=0.3).leave_chance == 0.3


def test_mesas_scenario_object_carries_lcsim_parameters():
    scenario = CommunityScenario(rng=4, preset="mexico-csa", control=0.2)
    model = lcsim.LearningCommunity(scenario=scenario)
    assert model.p["control"] == 0.2 and model.p["n_members"] == lcsim.simulate(
        seed=0, scenario="mexico-csa").params["n_members"]
    for _ in range(30):
        model.step()
    same = lcsim.simulate(seed=4, scenario="mexico-csa", control=0.2, months=model.p["months"])
    assert model.records[-1] == same.records[30]


def test_the_size_cap_bounds_a_runaway_community_and_is_recorded():
    result = lcsim.simulate(seed=1, join_rate=0.2, months=60, max_members=400)
    assert result.summary["peak_members"] <= 400 and result.summary["reached_max_members"]
    assert not lcsim.simulate(seed=1, months=40).summary["reached_max_members"]
