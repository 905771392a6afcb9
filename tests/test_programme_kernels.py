"""The programme's kernels (kernels.programme) give what their NumPy twins give, and the programme's one-pass
bookkeeping (records, live memberships) gives what the general, per-community path gives (issue 23)."""

from __future__ import annotations

import numpy as np
import pytest

import lcsim
from lcsim.model import outcomes
from lcsim.model.kernels import programme as kp
from lcsim.model.model import LearningCommunity


def _memberships(rng, n):
    """A random CSR of 0-6 communities over n organisations (each community's rows distinct and sorted)."""
    sizes = rng.integers(0, n + 1, rng.integers(0, 7))
    parts = [np.sort(rng.choice(n, size, replace=False)) for size in sizes]
    offsets = np.zeros(len(parts) + 1, np.int64)
    np.cumsum([len(p) for p in parts], out=offsets[1:])
    rows = np.concatenate(parts).astype(np.int64) if parts else np.empty(0, np.int64)
    return offsets, rows


@pytest.mark.parametrize("seed", range(200))
def test_programme_kernels_match_their_numpy_twins(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    offsets, rows = _memberships(rng, n)
    k = len(offsets) - 1
    values = np.where(rng.random(k) < 0.3, 0.0, rng.random(k) - 0.2)
    np.testing.assert_array_equal(kp.strongest(offsets, rows, values, n), kp._strongest_py(offsets, rows, values, n))
    chosen, eligible = rng.random(k) < 0.6, rng.random(n) < 0.7
    np.testing.assert_array_equal(kp.owners(offsets, rows, chosen, eligible),
                                  kp._owners_py(offsets, rows, chosen, eligible))
    for got, want in zip(kp.with_union(offsets, rows, chosen, n), kp._with_union_py(offsets, rows, chosen, n)):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


@pytest.mark.parametrize("seed", range(200))
def test_group_kernels_match_their_numpy_twins_to_the_last_bit(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    offsets, rows = _memberships(rng, n)
    values = rng.random(n) * rng.choice([1.0, 1e-3, 1e6])
    values[rng.random(n) < 0.1] = 0.0
    sums = kp.group_sums(offsets, rows, values)
    assert sums.tobytes() == kp._group_sums_py(offsets, rows, values).tobytes()  # bit for bit, as NumPy sums
    mask = rng.random(n) < 0.3
    np.testing.assert_array_equal(kp.group_counts(offsets, rows, mask), kp._group_counts_py(offsets, rows, mask))
    ties = int(rng.integers(0, 3 * n))
    a, b = rng.integers(0, n, ties), rng.integers(0, n, ties)
    a, b = np.minimum(a, b)[a != b], np.maximum(a, b)[a != b]
    sector = rng.integers(0, 4, n)
    np.testing.assert_array_equal(kp.group_networks(a, b, sector, offsets, rows, n),
                                  kp._group_networks_py(a, b, sector, offsets, rows, n))


def test_strongest_takes_the_largest_positive_value_and_owners_the_first_chosen_community():
    offsets, rows = np.array([0, 2, 4, 5]), np.array([0, 1, 1, 2, 3])
    np.testing.assert_array_equal(kp._strongest_py(offsets, rows, np.array([0.2, 0.5, -1.0]), 5),
                                  [0.2, 0.5, 0.5, 0.0, 0.0])
    owner = kp._owners_py(offsets, rows, np.array([False, True, True]), np.array([True, True, False, True, True]))
    np.testing.assert_array_equal(owner, [-1, 1, -1, 2, -1])


def _general_records(model):
    """The month's records through the general path: `group_record` over the convened communities and
    `community_record` of each community on its own."""
    month = outcomes.month_record(model)
    return month, [outcomes.community_record(model, c) for c in model.communities]


@pytest.mark.parametrize("scenario, params", [
    ("mexico-csa", {"replication": 0.3, "max_communities": 6}),
    ("default", {"n_communities": 3, "n_members": 20, "shared_members": 0.2, "replication": 0.2, "leadership": 0.4}),
    ("fragile", {}),
    ("default", {"n_members": 20, "replication": 0.3, "leadership": 0.4}),
])
def test_one_pass_records_equal_the_general_path_every_month(scenario, params):
    for seed in range(4):
        model = LearningCommunity(rng=seed, scenario=scenario, collect=False, **params)
        for _ in range(model.p["months"]):
            model.step()
            fast = outcomes.records(model)
            general = _general_records(model)
            assert fast[0] == general[0]
            assert [list(r) for r in fast[1]] == [list(r) for r in general[1]]
            for a, b in zip(fast[1], general[1]):
                assert {k: (v, type(v)) for k, v in a.items() if v == v} == {
                    k: (v, type(v)) for k, v in b.items() if v == v}


def test_live_memberships_follow_joins_leaves_and_dissolution():
    for seed in range(6):
        model = LearningCommunity(rng=seed, scenario="mexico-csa", collect=False, replication=0.3)
        for _ in range(60):
            model.step()
            live, offsets, rows = model._live()
            assert live == [c for c in model.communities if c.alive]
            for k, c in enumerate(live):
                np.testing.assert_array_equal(rows[offsets[k]:offsets[k + 1]], c.rows[c.current])
            counts = np.zeros(len(model.members), np.int64)
            for c in live:
                counts[c.rows[c.current]] += 1
            np.testing.assert_array_equal(model.commitments, counts)


def test_a_dissolved_communitys_record_keeps_its_fate_and_follows_its_convener():
    """After the month it dissolved (whose record has that month's meeting, if any), a community's record
    has no members, no network and no meetings, and its convener's effort as the convener has it."""
    checked = 0
    for seed in range(10):
        model = LearningCommunity(rng=seed, scenario="fragile", collect=False, n_communities=2, n_members=20)
        for _ in range(model.p["months"]):
            model.step()
        table = lcsim.SimulationResult({}, model.records, {}, community_records=model.community_records).communities
        for c in model.communities:
            if c.dissolved_month is None:
                continue
            after = table[(table["community"] == c.index) & (table["month"] > c.dissolved_month)]
            checked += len(after)
            assert (after["active_members"] == 0).all() and after["density"].isna().all()
            assert (after["host"] == "none").all() and (after["attendance"] == 0).all()
            assert (after["meetings"] == after["meetings"].iloc[0]).all() if len(after) else True
            months = after["month"].to_numpy()
            if c.origin == "convened":  # its convener is the programme's, as the monthly table has it
                monthly = {r["month"]: r["convener_intensity"] for r in model.records}
                assert list(after["convener_intensity"]) == [monthly[m] for m in months]
            assert list(months) == list(range(c.dissolved_month + 1, model.p["months"] + 1))
    assert checked, "no community dissolved on these seeds"


def test_what_a_community_keeps_follows_joins_leaves_and_new_organisations():
    """Member rows, m^attention_split and the rows' interests, kept between changes, equal their fresh values
    every month of programmes whose members join, leave, found communities and dissolve them."""
    for seed in range(4):
        model = LearningCommunity(rng=seed, scenario="mexico-csa", collect=False, replication=0.3, join_rate=0.03,
                                  assumptions={"attention_split": 1.0})
        members, split_seen = model.members, 0
        for _ in range(60):
            model.step()
            for c in model.communities:
                rows = c.member_rows()
                np.testing.assert_array_equal(rows, c.rows[c.current])
                assert not rows.flags.writeable and c.n_active == int(np.count_nonzero(c.current))
                interests, lengths = c._interests()
                np.testing.assert_array_equal(interests, members.interests[c.rows])
                np.testing.assert_array_equal(lengths, np.linalg.norm(members.interests[c.rows], axis=1))
                split = model._time_split(c, 1.0)
                if split is not None:
                    np.testing.assert_array_equal(split, np.maximum(model.commitments[c.rows], 1) ** 1.0)
                    split_seen += 1
        assert len(model.communities) > 3 and split_seen  # founded communities, and organisations in several
