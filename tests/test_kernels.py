"""The compiled kernels give exactly what their NumPy twins give (lcsim.model.kernels)."""

from __future__ import annotations

import numpy as np
import pytest

from lcsim.model import kernels


def _graph(seed: int, n: int, m: int):
    rng = np.random.default_rng(seed)
    i, j = rng.integers(0, n, m), rng.integers(0, n, m)
    keys = np.unique(np.minimum(i, j)[i != j] * n + np.maximum(i, j)[i != j])
    a, b = keys // n, keys % n
    order = rng.permutation(len(a))  # ties need not be sorted
    return a[order].astype(np.int64), b[order].astype(np.int64)


@pytest.mark.parametrize("seed,n,m", [(0, 1, 0), (1, 5, 3), (2, 40, 120), (3, 300, 2000), (4, 60, 1500)])
def test_compiled_kernels_match_their_numpy_twins(seed, n, m):
    a, b = _graph(seed, n, m)
    offsets, nbrs = kernels.adjacency(a, b, n)
    want_offsets, want_nbrs = kernels._adjacency_py(a, b, n)
    np.testing.assert_array_equal(offsets, want_offsets)
    np.testing.assert_array_equal(nbrs, want_nbrs)
    np.testing.assert_array_equal(kernels.embeddedness(a, b, n), kernels._embeddedness_py(a, b, n))
    members = np.flatnonzero(np.random.default_rng(seed).random(n) < 0.7)
    assert kernels.largest_component(a, b, members, n) == kernels._largest_component_py(a, b, members, n)


@pytest.mark.parametrize("seed", range(4))
def test_merging_contacts_matches_its_numpy_twin(seed):
    rng = np.random.default_rng(seed)
    ta, tb = _graph(seed, 50, 300)
    order = np.lexsort((tb, ta))
    ta, tb = ta[order], tb[order]
    i, j = rng.integers(0, 50, 400), rng.integers(0, 50, 400)
    gain = rng.random(400).round(1)  # repeated gains, as pairs met twice can have
    strength0 = rng.random(len(ta))
    results = []
    for merge in (kernels.merge_contacts, kernels._merge_contacts_py):
        strength, touched = strength0.copy(), np.zeros(len(ta), bool)
        new = merge(ta, tb, strength, touched, i, j, gain)
        results.append((strength, touched, *new))
    assert not np.array_equal(results[0][0], strength0)
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("seed", range(3))
def test_decay_and_capacity_growth_match_their_numpy_twins(seed):
    rng = np.random.default_rng(seed)
    strength, common = rng.random(200), rng.integers(0, 5, 200).astype(float)
    touched = rng.random(200) < 0.3
    got_s, got_t, want_s, want_t = strength.copy(), touched.copy(), strength.copy(), touched.copy()
    kernels.decay(got_s, got_t, common, 0.05, 0.5, 0.4)
    kernels._decay_py(want_s, want_t, common, 0.05, 0.5, 0.4)
    np.testing.assert_array_equal(got_s, want_s)
    np.testing.assert_array_equal(got_t, want_t)

    capacity, fit, support = rng.random(100), rng.random(100), rng.random(100) * 0.1
    attended, active = rng.random(100) < 0.5, rng.random(100) < 0.9
    np.testing.assert_array_equal(kernels.grow(capacity, attended, fit, support, 0.3, 0.02, active),
                                  kernels._grow_py(capacity, attended, fit, support, 0.3, 0.02, active))


@pytest.mark.parametrize("seed,n,m", [(5, 64, 1500), (6, 130, 3000), (7, 200, 100)])
def test_both_ways_of_counting_common_contacts_agree(seed, n, m):
    a, b = _graph(seed, n, m)
    want = kernels._embeddedness_py(a, b, n)
    np.testing.assert_array_equal(kernels._embeddedness_bits(a, b, n), want)
    np.testing.assert_array_equal(kernels._embeddedness_marks(a, b, n), want)


@pytest.mark.parametrize("seed", range(3))
def test_encounter_kernels_match_their_numpy_twins(seed):
    rng = np.random.default_rng(seed)
    n = 80
    a, b = _graph(seed, n, 400)
    present = rng.random(n) < 0.6
    assets = rng.dirichlet(np.ones(4), n)
    i, j = rng.integers(0, n, 50), rng.integers(0, n, 50)
    np.testing.assert_array_equal(kernels.complementarity(assets, i, j), kernels._complementarity_py(assets, i, j))

    weight = rng.random(len(a)) * 2
    for w in (weight, np.ones(len(a))):
        for got, want in zip(kernels.renew_candidates(a, b, present, n, 4.0, w),
                             kernels._renew_candidates_py(a, b, present, n, 4.0, w)):
            np.testing.assert_allclose(got, want, rtol=1e-12)
    for got, want in zip(kernels.renew_candidates(a, b, present, n, 4.0, np.ones(len(a))),
                         kernels._renew_candidates_py(a, b, present, n, 4.0, np.ones(len(a)))):
        np.testing.assert_array_equal(got, want)
    known, half = kernels._renew_candidates_py(a, b, present, n, 4.0, np.ones(len(a)))
    draws, value, fit = rng.random(len(known)), rng.random(len(a)), rng.random(n)
    strength0 = rng.random(len(a))
    results = []
    for renew in (kernels.renew, kernels._renew_py):
        strength, touched = strength0.copy(), np.zeros(len(a), bool)
        renew(known, draws, half, a, b, value, fit, strength, touched, 0.4, 0.5, 0.25)
        results.append((strength, touched))
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)

    people = np.flatnonzero(present)
    sector = rng.integers(0, 4, n)
    i = np.repeat(people, 2)
    same = rng.random(len(i)) < 0.5
    draws = rng.random(int(same.sum()))
    j_got, j_want = people[rng.integers(0, len(people), len(i))], None
    j_want = j_got.copy()
    kernels.same_sector_partners(i, j_got, same, draws, people, sector)
    kernels._same_sector_partners_py(i, j_want, same, draws, people, sector)
    np.testing.assert_array_equal(j_got, j_want)

    offsets, nbrs = kernels._adjacency_py(a, b, n)
    seekers = kernels._with_contacts_py(offsets, people)
    np.testing.assert_array_equal(kernels.with_contacts(offsets, people), seekers)
    first, second = rng.random(len(seekers)), rng.random(len(seekers))
    for got, want in zip(kernels.friends_of_friends(offsets, nbrs, seekers, first, second, present),
                         kernels._friends_of_friends_py(offsets, nbrs, seekers, first, second, present)):
        np.testing.assert_array_equal(got, want)


def test_sector_sums_and_tie_sorting_match_their_numpy_twins():
    rng = np.random.default_rng(9)
    sector, w, interests = rng.integers(0, 4, 120), rng.random(120), rng.dirichlet(np.ones(6), 120)
    for got, want in zip(kernels.sector_sums(sector, w, interests, 4),
                         kernels._sector_sums_py(sector, w, interests, 4)):
        np.testing.assert_array_equal(got, want)
    a, b = _graph(9, 60, 300)
    arrays = (a, b, rng.random(len(a)), rng.random(len(a)), rng.random(len(a)) < 0.5, rng.random(len(a)))
    for got, want in zip(kernels.sort_ties(*arrays), kernels._sort_ties_py(*arrays)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("sorted_head", [0, 1, 150, 299, 300])
def test_sorting_ties_merges_a_sorted_head_with_the_rest(sorted_head):
    rng = np.random.default_rng(sorted_head)
    a, b = _graph(3, 60, 400)
    a, b = a[:300], b[:300]
    head = np.lexsort((b[:sorted_head], a[:sorted_head]))
    a[:sorted_head], b[:sorted_head] = a[:sorted_head][head], b[:sorted_head][head]
    arrays = (a, b, rng.random(len(a)), rng.random(len(a)), rng.random(len(a)) < 0.5, rng.random(len(a)))
    for got, want in zip(kernels.sort_ties(*arrays), kernels._sort_ties_py(*arrays)):
        np.testing.assert_array_equal(got, want)
    empty = (np.empty(0, np.int64),) * 2 + (np.empty(0),) * 2 + (np.empty(0, bool), np.empty(0))
    assert all(len(x) == 0 for x in kernels.sort_ties(*empty))


@pytest.mark.parametrize("seed", range(3))
def test_tie_bookkeeping_and_introductions_match_their_numpy_twins(seed):
    rng = np.random.default_rng(seed)
    a, b = _graph(seed, 50, 200)
    arrays = (a, b, rng.random(len(a)), rng.random(len(a)), rng.random(len(a)) < 0.5, rng.random(len(a)))
    mask = rng.random(len(a)) < 0.7
    results = []
    for keep in (kernels.keep_ties, kernels._keep_ties_py):
        copies = tuple(x.copy() for x in arrays)
        kept = keep(mask, *copies)
        results.append((kept, copies))
    assert results[0][0] == results[1][0] == np.count_nonzero(mask)
    for got, want, whole in zip(results[0][1], results[1][1], arrays):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got[:np.count_nonzero(mask)], whole[mask])  # the ties kept, in order
    i, j = rng.integers(0, 50, 20), rng.integers(0, 50, 20)
    new = (i, j, rng.random(20), rng.random(20))
    for got, want in zip(kernels.append_ties(*arrays, *new), kernels._append_ties_py(*arrays, *new)):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype

    attendees, sectors = np.flatnonzero(rng.random(50) < 0.6), rng.integers(0, 4, 50)
    first, second = rng.integers(0, len(attendees), 40), rng.integers(0, len(attendees), 40)
    got = kernels.pair_up(attendees, first, second, sectors)
    want = kernels._pair_up_py(attendees, first, second, sectors)
    np.testing.assert_array_equal(got[0], want[0])
    np.testing.assert_array_equal(got[1], want[1])
    assert got[2] == want[2]
    third = rng.integers(0, len(attendees), want[2])
    for g, w in zip(kernels.across_sectors(want[0], want[1], attendees, third, sectors),
                    kernels._across_sectors_py(want[0], want[1], attendees, third, sectors)):
        np.testing.assert_array_equal(g, w)


def test_placing_newcomers_in_the_member_buffers_matches_its_numpy_twin_and_appending():
    """`place_members` writes newcomers into the member arrays' buffers from a row on, in place, as its twin does, and
    the heads of the buffers are what appending them gave: not leaders, active, joined that month, not replicated."""
    rng = np.random.default_rng(2)
    old = (rng.integers(0, 4, 30), rng.random((30, 4)), rng.random((30, 6)), rng.random(30), rng.random(30),
           rng.random(30), rng.random(30), rng.random(30), rng.random(30) < 0.2, rng.random(30) < 0.9,
           rng.integers(0, 9, 30), rng.random(30) < 0.1)
    new = (rng.integers(0, 4, 5), rng.random((5, 4)), rng.random((5, 6)), rng.random(5), rng.random(5), rng.random(5),
           rng.random(5))
    results = []
    for place in (kernels.place_members, kernels._place_members_py):
        buffers = [np.concatenate([x, np.zeros((9, *x.shape[1:]), x.dtype)]) for x in old]
        place(30, *buffers, *new, 0.4, 12)
        results.append([x[:35] for x in buffers])
    appended = [np.concatenate([x, y]) for x, y in zip(old, [new[0], new[1], new[2], new[3], np.full(5, 0.4), new[4],
                                                            new[5], new[6], np.zeros(5, bool), np.ones(5, bool),
                                                            np.full(5, 12), np.zeros(5, bool)])]
    for got, want, then in zip(*results, appended):
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got, then)
        assert got.dtype == want.dtype == then.dtype


@pytest.mark.parametrize("seed", range(40))
def test_drawing_newcomers_matches_its_numpy_twin(seed):
    """`newcomers` draws what NumPy's own draws give (sector, Dirichlet assets and interests, Beta engagement,
    capacity, propensity and availability), from the same stream, leaving it in the same state."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    share = rng.random()
    mix = np.cumsum([share, (1 - share) / 3, (1 - share) / 3, (1 - share) / 3])
    topics = int(rng.integers(2, 8))
    own = np.eye(4, topics)
    args = (n, mix, np.eye(4, 4), rng.random(), rng.random(), np.full(4, 0.1 + rng.random() * 3), own, rng.random(),
            np.full(topics, 0.1 + rng.random() * 3), float(rng.choice([0.0, 2.5])), 4.0, (2.0, 4.0),
            (0.4, 3.0), float(rng.choice([0.0, 0.5, 2.0])))
    results = []
    for draw in (kernels.newcomers, kernels._newcomers_py):
        stream = np.random.default_rng([seed, 5])
        results.append((*draw(stream, *args), stream.random()))
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)
        assert np.asarray(got).dtype == np.asarray(want).dtype
    if n:
        assert len(set(results[0][3])) > 1 or args[9] == 0.0  # engagement drawn unless fixed at 1


@pytest.mark.parametrize("seed", range(40))
def test_network_measures_match_their_numpy_twin(seed):
    """A community's (or several's) ties within, across sectors, to outside and largest group, in one pass."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    a, b = _graph(seed, n, int(rng.integers(0, 4 * n)))
    sector = rng.integers(0, 4, n).astype(np.int64)
    inside = rng.random(n) < rng.random()
    members = np.flatnonzero(inside)
    got = kernels.network_measures(a, b, sector, inside, members)
    want = kernels._network_measures_py(a, b, sector, inside, members)
    assert tuple(int(x) for x in got) == want
    assert [type(x) for x in got] == [int] * 4


@pytest.mark.parametrize("seed", range(40))
def test_hosting_odds_match_their_numpy_twin(seed):
    """Each member's cost-to-benefit of hosting, with and without split time and fatigue."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 60))
    capacity = rng.random(n) * rng.choice([1.0, 1e-4])  # some below the 1e-3 floor
    engagement = rng.random(n) * rng.choice([1.0, 1e-10])
    leader, member = rng.random(n) < 0.3, rng.random(n) < 0.8
    split = rng.random(n) + 1.0 if seed % 2 else np.empty(0)
    fatigue = rng.random(n) if seed % 3 else np.empty(0)
    args = (capacity, leader, engagement, member, split, fatigue, float(rng.random() * 3), float(rng.random()),
            float(rng.random() * 2))
    np.testing.assert_array_equal(kernels.hosting_odds(*args), kernels._hosting_odds_py(*args))


def _meeting_inputs(seed: int):
    """A programme's ties (sorted or not), who came and the meeting's rules, varied by seed."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 160))
    a, b = _graph(seed, n, int(rng.integers(0, 5 * n)))
    sorted_ = bool(seed % 3)
    if sorted_:
        order = np.lexsort((b, a))
        a, b = a[order], b[order]
    ties = (a, b, rng.random(len(a)), rng.random(len(a)), rng.random(len(a)) < 0.2,
            rng.integers(0, 4, len(a)).astype(float))
    present = rng.random(n) < rng.random()
    k = float(rng.choice([0.0, 1.0, 1.5]))  # renewal_weighting; with 1 the kernel computes the weights
    weight = np.empty(0) if k == 1 and seed % 2 else (ties[2] * (1.0 + ties[5])) ** k
    rules = (0.05 + rng.random() * 0.5, 0.5, 0.25, float(rng.choice([1.0, 4.0, 100.0])), weight,
             int(rng.integers(0, 3)), float(rng.random()),
             float(rng.choice([0.0, 0.3, 1.0])), float(rng.choice([0.0, 0.5, 2.0])))
    sector, assets = rng.integers(0, 4, n).astype(np.int64), rng.dirichlet(np.ones(4), n)
    return ties, sorted_, present, rng.random(n), sector, assets, rules


@pytest.mark.parametrize("seed", range(60))
def test_a_meeting_in_one_call_matches_its_numpy_twin(seed):
    """`meet` (a whole meeting's encounters, drawing from the meeting's stream) gives the ties its NumPy twin
    gives, from the same stream, and leaves the stream where the twin leaves it."""
    ties, sorted_, present, fit, sector, assets, rules = _meeting_inputs(seed)
    results = []
    for meet in (kernels.meet, kernels._meet_py):
        rng = np.random.default_rng([seed, 23])
        copies = tuple(x.copy() for x in ties)
        out = meet(rng, *copies, sorted_, present, fit, sector, assets, *rules)
        results.append((out, copies, rng.random()))
    (got, got_in, got_next), (want, want_in, want_next) = results
    assert got_next == want_next  # the same draws, in the same order
    assert got[6:] == want[6:]  # in pair order, ties formed
    for g, w in zip(got[:6] + got_in, want[:6] + want_in):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == w.dtype


@pytest.mark.parametrize("seed", range(60))
def test_a_whole_meeting_in_one_call_matches_its_numpy_twin(seed):
    """`hold_meeting_at` (who comes, the online turnout and moderator, a local host's learning and fatigue, what the
    meeting gave and the encounters, each stream passed by its handle) gives what its NumPy twin gives, in place and
    returned, and leaves every stream where the twin leaves it; by convener, local leader and online meetings."""
    ties, sorted_, _, _, sector, assets, rules = _meeting_inputs(seed)
    rng = np.random.default_rng([seed, 31])
    n = len(sector)
    rows = np.flatnonzero(rng.random(n) < 0.8).astype(np.int64)
    if not len(rows):
        rows = np.arange(n, dtype=np.int64)
    everyone = len(rows) == n
    kind = seed % 3
    host_row = int(rng.choice(rows)) if kind == 1 or (kind == 2 and seed % 2) else -1
    topics = 4
    interests = rng.dirichlet(np.ones(topics), len(rows))
    agenda = rng.dirichlet(np.ones(topics))
    community = (rows, everyone, rng.random(len(rows)) < 0.9, 0.2, rng.random(n),
                 rng.random(n) if seed % 2 else np.empty(0), rng.random(len(rows)) if seed % 4 == 0 else np.empty(0))
    state = (rng.random(n), rng.random(n), rng.random(n), rng.random(n) - 0.5, np.zeros(n, bool), np.zeros(n))
    results = []
    for hold in (kernels.hold_meeting_at, kernels._hold_meeting_at_py):
        capacity, fatigue, know_how, meeting_value, attended_month, fit_month = (x.copy() for x in state)
        copies = tuple(x.copy() for x in ties)
        streams = [np.random.default_rng([seed, s]) for s in range(3)]
        out = hold(np.array([kernels.handle_of(g) for g in streams]), kind, host_row, *community, 0.5, 0.25, 0.1, 1.0,
                   capacity, fatigue, interests @ agenda, np.linalg.norm(interests, axis=1), np.linalg.norm(agenda),
                   know_how, 0.05 if kind == 0 else 0.0, meeting_value, 0.7, 0.5 if kind == 2 else 1.0,
                   attended_month, fit_month, *copies, sorted_, sector, assets, *rules[:8],
                   0.0 if kind == 2 else rules[8], 0.3)
        results.append((out, copies, (capacity, fatigue, know_how, meeting_value, attended_month, fit_month),
                        [g.random() for g in streams]))
    (got, got_in, got_state, got_next), (want, want_in, want_state, want_next) = results
    assert got_next == want_next  # the same draws, in the same order, from each stream
    assert got[7:] == want[7:]
    for g, w in zip(got[:7] + got_in + got_state, want[:7] + want_in + want_state):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == w.dtype


@pytest.mark.parametrize("seed", range(30))
def test_adding_members_in_one_call_matches_its_twin_and_the_generators_draws(seed):
    """`add_members_at` and its twin draw from the stream behind a handle what `newcomers` draws from the Generator,
    and write them into the buffers from a row on, leaving the stream in the same state, call after call."""
    rng = np.random.default_rng(seed)
    topics = int(rng.integers(2, 8))
    share = rng.random()
    mix = np.cumsum([share, (1 - share) / 3, (1 - share) / 3, (1 - share) / 3])
    draw = (mix, np.eye(4, 4), rng.random(), rng.random(), np.full(4, 0.1 + rng.random() * 3), np.eye(4, topics),
            rng.random(), np.full(topics, 0.1 + rng.random() * 3), float(rng.choice([0.0, 2.5])), 4.0)
    traits = (2.0, 4.0, 0.4, 3.0, float(rng.choice([0.0, 0.5, 2.0])))
    sizes = rng.integers(0, 15, 2)
    results = []
    for add in (kernels.add_members_at, kernels._add_members_at_py, None):
        stream = np.random.default_rng([seed, 7])
        columns = [np.zeros(40, np.int64), np.zeros((40, 4)), np.zeros((40, topics)), *(np.zeros(40) for _ in range(5)),
                   np.zeros(40, bool), np.zeros(40, bool), np.zeros(40, np.int64), np.ones(40, bool)]
        start = 3
        for n in sizes:
            if add is None:  # the Generator itself, as `newcomers` draws
                drawn = kernels.newcomers(stream, int(n), *draw, traits[:2], traits[2:4], traits[4])
                kernels._place_members_py(start, *columns, *drawn, 0.3, 5)
            else:
                add(kernels.handle_of(stream), int(n), *draw, *traits, start, *columns, 0.3, 5)
            start += int(n)
        results.append((*columns, stream.random()))
    for other in results[1:]:
        for got, want in zip(results[0], other):
            np.testing.assert_array_equal(got, want)
            assert np.asarray(got).dtype == np.asarray(want).dtype


def test_a_handle_names_its_own_generator_while_the_generator_lives():
    """Handles are kept per generator (its id, the generator held so the id stays its own): another generator gets
    another handle, the twins find each handle's generator, and a handle holds the addresses numba's own unboxing of
    the Generator reads."""
    import ctypes

    first, second = np.random.default_rng(1), np.random.default_rng(1)
    assert kernels.handle_of(first) is kernels.handle_of(first)
    assert not np.array_equal(kernels.handle_of(first), kernels.handle_of(second))
    assert kernels.generator_of(kernels.handle_of(second)) is second
    from lcsim.model.kernels import rng as streams

    kept = [np.random.default_rng(k) for k in range(streams._MOST + 10)]  # past the most kept: the older half goes
    for generator in kept:
        kernels.handle_of(generator)
    assert len(streams._HANDLES) <= streams._MOST and len(streams._GENERATORS) == len(streams._HANDLES)
    assert kernels.generator_of(kernels.handle_of(kept[-1])) is kept[-1]  # the latest still known
    interface = second.bit_generator.ctypes  # the addresses numba reads through ctypes when given the Generator
    address = lambda function: ctypes.cast(function, ctypes.c_void_p).value  # noqa: E731
    assert kernels.handle_of(second).tolist() == [interface.state_address, interface.state.value,
                                                  address(interface.next_uint64), address(interface.next_uint32),
                                                  address(interface.next_double)]


def test_meetings_in_one_call_form_and_renew_ties():
    """The twin comparison above is not vacuous: meetings renew ties, form new ones and draw from the stream."""
    formed = renewed = 0
    for seed in range(60):
        ties, sorted_, present, fit, sector, assets, rules = _meeting_inputs(seed)
        strength = ties[2].copy()
        out = kernels.meet(np.random.default_rng(seed), ties[0], ties[1], strength, *ties[3:], sorted_, present, fit,
                           sector, assets, *rules)
        formed += out[7]
        renewed += int((strength > ties[2]).sum())
    assert formed > 100 and renewed > 100


@pytest.mark.parametrize("seed", range(30))
def test_gathering_who_came_matches_its_numpy_twin(seed):
    """`gather`: who came to a community's meeting and what it gave them, in place, as its NumPy twin."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 120))
    rows = np.flatnonzero(rng.random(n) < rng.random()).astype(np.int64)
    attended, fit = rng.random(len(rows)) < 0.6, rng.random(len(rows))
    state = (rng.random(n), rng.random(n) - 0.5, rng.random(n) < 0.2, rng.random(n))  # know-how, value, came, fit
    learnt, venue = float(rng.choice([0.0, 0.1])), float(rng.choice([1.0, 0.5]))
    results = []
    for gather in (kernels.gather, kernels._gather_py):
        know_how, value, came, fit_month = (x.copy() for x in state)
        out = gather(rows, attended, fit, know_how, learnt, value, 0.7, venue, 0.2, came, fit_month)
        results.append((*out, know_how, value, came, fit_month))
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


@pytest.mark.parametrize("seed", range(40))
def test_who_steps_up_steps_down_or_leaves_matches_the_numpy_twins(seed):
    """Taking stock: who is ready to lead (and its hazard), which leaders take stock (and theirs), who steps
    down, and who has faded, compiled and in NumPy, on members of every kind."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 80))
    eligible, active, leader = rng.random(n) < 0.7, rng.random(n) < 0.9, rng.random(n) < 0.3
    engagement, centrality = rng.random(n), rng.random(n)
    traits = (rng.random(n), rng.random(n), rng.random(n))  # propensity, capacity, availability
    args = (eligible, active, leader, engagement, 0.5, float(rng.random()), *traits, 0.5, centrality)
    for got, want in zip(kernels.ready_to_lead(*args), kernels._ready_to_lead_py(*args)):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype
    hosted = rng.integers(0, max(n, 1), int(rng.integers(0, 3))).astype(np.int64)
    got = kernels.leaders_taking_stock(leader, eligible, hosted, 0.1, 0.3)
    want = kernels._leaders_taking_stock_py(leader, eligible, hosted, 0.1, 0.3)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == w.dtype
    leaders, chance = want
    draws = rng.random(len(leaders))
    results = []
    for step_down in (kernels.step_down, kernels._step_down_py):
        e, lead = engagement.copy(), leader.copy()
        step_down(leaders, draws, chance, e, 0.3, 0.6, lead)
        results.append((e, lead))
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(kernels.fading(eligible, active, engagement, 0.3),
                                  kernels._fading_py(eligible, active, engagement, 0.3))


def _use_numpy_twins(monkeypatch) -> set[str]:
    """Every compiled kernel the model's modules call replaced by its NumPy twin (`_<name>_py` beside it); the
    names of those replaced. Helpers called only from compiled code have no twin and are left as they are."""
    import sys

    from numba.core.dispatcher import Dispatcher

    replaced = set()
    for name, module in list(sys.modules.items()):
        if not name.startswith("lcsim.model") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, Dispatcher):
                twin = getattr(sys.modules[value.py_func.__module__], f"_{value.py_func.__name__}_py", None)
                if twin is not None:
                    monkeypatch.setattr(module, attr, twin)
                    replaced.add(value.py_func.__name__)
    return replaced


def test_runs_on_the_numpy_twins_reproduce_the_golden_frames(monkeypatch):
    """The twins together are the same model: with every kernel replaced by its NumPy twin, the golden cases
    (one community, several exits, the channel, a monthly rhythm, mexico-csa, fragile, replication) give the
    saved monthly frames to the last bit, as the compiled kernels do (tests/test_golden.py)."""
    import importlib.util
    from pathlib import Path

    import pandas as pd

    path = Path(__file__).parent / "data" / "make_golden.py"
    spec = importlib.util.spec_from_file_location("make_golden", path)
    maker = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(maker)
    replaced = _use_numpy_twins(monkeypatch)
    assert {"hold_meeting_at", "add_members_at", "ready_to_lead", "leaders_taking_stock", "step_down",
            "fading", "grow", "decay", "embeddedness", "merge_contacts", "hosting_odds", "ready_to_step_up",
            "step_up_down_and_leave_at", "after_meetings", "stock_takers", "stock_shift", "settle_stock",
            "after_leaving", "keep_ties", "balanced_agenda", "ready_founders",
            "volunteer_at", "recruit_at"} <= replaced
    pd.testing.assert_frame_equal(maker.golden_frame(), pd.read_parquet(maker.PATH), check_dtype=False)


@pytest.mark.parametrize("seed", range(40))
def test_attendance_and_hosting_candidates_match_their_numpy_twins(seed):
    """Who comes to a community's meeting (`attend`) and who would host it, the core first
    (`hosting_candidates`), for a community of every organisation or of some, with and without split time,
    availability and fatigue."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 90))
    everyone = bool(seed % 2)
    rows = np.arange(n) if everyone else np.flatnonzero(rng.random(n) < 0.6).astype(np.int64)
    m = len(rows)
    engagement, current = rng.random(n), rng.random(m) < 0.85
    availability = rng.random(n) if seed % 3 else np.empty(0)
    split = rng.random(m) + 0.5 if seed % 5 else np.empty(0)
    args = (engagement, rows, everyone, float(rng.random() * 0.6), current, availability, split, rng.random(m))
    np.testing.assert_array_equal(kernels.attend(*args), kernels._attend_py(*args))

    capacity = rng.random(n) * rng.choice([1.0, 1e-4])
    leader = rng.random(n) < 0.3
    fatigue = rng.random(m) if seed % 4 else np.empty(0)
    args = (capacity, leader, engagement, rows, everyone, current, split, fatigue, float(rng.random() * 0.5),
            float(rng.random()), float(rng.random() * 2))
    got, want = kernels.hosting_candidates(*args), kernels._hosting_candidates_py(*args)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == w.dtype


@pytest.mark.parametrize("seed", range(30))
def test_sums_over_each_members_ties_match_numpys_bincounts_to_the_last_bit(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    a, b = _graph(seed, n, int(rng.integers(0, 6 * n)))
    weights = rng.random(len(a)) * rng.random(len(a))
    assert kernels.per_member(a, b, weights, n).tobytes() == kernels._per_member_py(a, b, weights, n).tobytes()


def _stock_take(seed: int):
    """A programme's members taking stock through some of its live communities (a CSR of memberships, each member's
    owner), with the state the rules of a stock-take read, varied by seed."""
    from lcsim.model.kernels.programme import _owners_py

    rng = np.random.default_rng(seed)
    n, groups = int(rng.integers(1, 120)), int(rng.integers(1, 5))
    parts = [np.flatnonzero(rng.random(n) < rng.random()) for _ in range(groups)]
    offsets = np.array([0, *np.cumsum([len(x) for x in parts])], np.int64)
    rows = np.concatenate(parts).astype(np.int64)
    chosen = rng.random(groups) < 0.7
    eligible = rng.random(n) < 0.8
    owner = _owners_py(offsets, rows, chosen, eligible)
    state = (rng.random(n) < 0.85, rng.random(n) < 0.2, rng.random(n))  # active, leader, engagement
    traits = (rng.random(n), rng.random(n), rng.random(n), rng.random(n) * 3)  # propensity, capacity, avail., strength
    months = np.where(eligible, rng.integers(1, 13, n), 0).astype(np.int64)
    return offsets, rows, np.flatnonzero(chosen), owner, state, traits, months, rng


@pytest.mark.parametrize("seed", range(60))
def test_a_stock_takes_rules_in_two_calls_match_their_numpy_twins(seed):
    """`ready_to_step_up` and `step_up_down_and_leave_at` (every community's leaders stepping up and down and members
    leaving, drawing from each community's streams by their handles) give what their NumPy twins give, and leave
    every stream where the twins leave it."""
    from lcsim.model.kernels import lifecycle
    from lcsim.model.members import over

    offsets, rows, picks, owner, state, traits, months, rng = _stock_take(seed)
    propensity, capacity, availability, strength = traits
    rates = rng.random(len(picks)) * 0.5
    hosted = rng.choice(len(owner), min(2, len(owner)), replace=False).astype(np.int64)
    burnout = np.array([0.02 + 0.1 * rng.random(), 0.3])
    steps = np.arange(int(months.max()) + 1)
    outside = over(0.05, steps) if seed % 3 else np.empty(0)
    results = []
    for ready_to_step_up, settle in ((lifecycle.ready_to_step_up, lifecycle.step_up_down_and_leave_at),
                                     (lifecycle._ready_to_step_up_py, lifecycle._step_up_down_and_leave_at_py)):
        active, leader, engagement = (x.copy() for x in state)
        ready, hazard, bounds = ready_to_step_up(offsets, rows, picks, owner, rates, strength, active, leader,
                                                 engagement, 0.4, propensity, capacity, availability, 0.5)
        streams = [[np.random.default_rng([seed, j, s]) for s in range(3)] for j in range(len(picks))]
        handles = np.array([[kernels.handle_of(g) for g in three] for three in streams], np.uint64).reshape(-1, 3, 5)
        new, gone = settle(handles, picks, owner, ready, over(hazard, months[ready]), bounds, months, hosted, burnout,
                           over(burnout[:, None], steps), over(0.3, steps), outside, leader, active, engagement, 0.25,
                           0.7, 0.3)
        results.append((ready, hazard, bounds, new, gone, active, leader, engagement,
                        np.array([g.random() for three in streams for g in three])))
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


def test_a_stock_take_in_two_calls_steps_leaders_up_and_down_and_members_out():
    """The comparison above is not vacuous: across its seeds, members step up, leaders step down, members leave."""
    from lcsim.model.kernels import lifecycle
    from lcsim.model.members import over

    up = down = out = 0
    for seed in range(60):
        offsets, rows, picks, owner, state, traits, months, rng = _stock_take(seed)
        active, leader, engagement = (x.copy() for x in state)
        ready, hazard, bounds = lifecycle.ready_to_step_up(offsets, rows, picks, owner, np.full(len(picks), 0.5),
                                                           traits[3], active, leader, engagement, 0.4, *traits[:3],
                                                           0.5)
        steps = np.arange(int(months.max()) + 1)
        handles = np.array([[kernels.handle_of(np.random.default_rng([seed, j, s])) for s in range(3)]
                            for j in range(len(picks))], np.uint64).reshape(-1, 3, 5)
        before = leader.copy()
        new, gone = lifecycle.step_up_down_and_leave_at(
            handles, picks, owner, ready, over(hazard, months[ready]), bounds, months, np.empty(0, np.int64),
            np.array([0.2, 0.5]), over(np.array([[0.2], [0.5]]), steps), over(0.3, steps), over(0.05, steps), leader,
            active, engagement, 0.25, 0.7, 0.3)
        up, out = up + len(new), out + len(gone)
        down += int(np.count_nonzero(before & ~leader & active))
    assert up > 20 and down > 20 and out > 20


def test_chances_compounded_by_table_are_numpys_own():
    """The stock-take's tables (`over` of one monthly value for 0..M months, looked up by months) hold, for every
    member, the chance `over` gives it directly: NumPy's power is position- and layout-independent, the premise of
    kernels.lifecycle (its power is not the C library's, so compiled code cannot compute it)."""
    from lcsim.model.members import over

    rng = np.random.default_rng(0)
    for _ in range(300):
        n = int(rng.integers(1, 300))
        months = rng.integers(0, 100, n)
        rate = float(rng.random()) * float(rng.choice([1.0, 0.1, 0.01]))
        pair = np.array([rate, min(1.0, 3.0 * rate)])
        monthly = np.where(rng.random(n) < 0.3, pair[1], pair[0])
        table = over(pair[:, None], np.arange(100))
        np.testing.assert_array_equal(over(monthly, months), np.where(monthly == pair[0], table[0][months],
                                                                      table[1][months]))
        np.testing.assert_array_equal(over(rate, months), over(rate, np.arange(100))[months])


@pytest.mark.parametrize("seed", range(40))
def test_the_month_after_its_meetings_in_one_call_matches_its_numpy_twin(seed):
    """`after_meetings` (ties decay, fatigue wears off, capacity grows with each convener's support) gives what its
    NumPy twin gives, in place and returned, with and without mentoring and fatigue."""
    from lcsim.model.kernels import month

    offsets, rows, _, _, (active, leader, _), _, _, rng = _stock_take(seed)
    n, groups = len(active), len(offsets) - 1
    m = len(_graph(seed, n, 3 * n)[0])
    state = (rng.random(m), rng.random(m) < 0.3, rng.integers(0, 4, m).astype(float), rng.random(n))
    resources = rng.random(groups) * 0.05 * (rng.random(groups) < 0.8)
    mentoring = rng.random(groups) * 0.1 * (rng.random(groups) < 0.5) if seed % 2 else np.zeros(groups)
    month_in = (rng.random(n), rng.random(n) < 0.5, rng.random(n))  # capacity, attended, fit
    results = []
    for after in (month.after_meetings, month._after_meetings_py):
        strength, touched, common, fatigue = (x.copy() for x in state)
        capacity = after(strength, touched, common, 0.05, 0.5, 0.4, fatigue, bool(seed % 3), 0.9, offsets, rows,
                         resources, mentoring, leader, *month_in, 0.05, 0.01, active)
        results.append((capacity, strength, touched, fatigue))
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


@pytest.mark.parametrize("seed", range(60))
def test_taking_stock_in_three_calls_matches_the_numpy_twins(seed):
    """`stock_takers`, `stock_shift` and `settle_stock` (who takes stock, what it got, its new engagement and
    aspiration), with NumPy's exp, log and powers between them, give what their NumPy twins give, in place too."""
    from lcsim.model.kernels import stock

    offsets, rows, picks, _, (_, _, engagement), traits, _, rng = _stock_take(seed)
    n = len(engagement)
    ta, tb = _graph(seed, n, 3 * n)
    ties = (ta, tb, rng.random(len(ta)), rng.random(len(ta)))
    engagement = np.where(rng.random(n) < 0.05, float(rng.choice([0.0, 1.0])), engagement)  # the guard's cases
    state = (rng.integers(0, 12, n).astype(np.int64), engagement, rng.random(n), rng.random(n) - 0.3)
    adaptation = float(rng.choice([0.0, 0.05, 0.3]))
    keep = 1.0 - adaptation
    reach = rng.random(len(offsets) - 1) * (rng.random(len(offsets) - 1) < 0.8)
    results = []
    for takers, shift, settle in ((stock.stock_takers, stock.stock_shift, stock.settle_stock),
                                  (stock._stock_takers_py, stock._stock_shift_py, stock._settle_stock_py)):
        last_stock, engagement, aspiration, meeting_value = (x.copy() for x in state)
        out = takers(offsets, rows, picks, last_stock, 14, *ties, engagement)
        members, elapsed, _, _, negated, odds = out
        kept = keep ** np.arange(int(elapsed.max()) + 1 if len(elapsed) else 1)
        value, shifted = shift(np.exp(negated), np.log(odds), members, elapsed, offsets, rows, reach, meeting_value,
                               0.6, 0.4, aspiration, 0.6, kept, keep, adaptation)
        settle(np.exp(shifted), value, members, elapsed, kept, engagement, aspiration, meeting_value)
        results.append((*out, value, shifted, last_stock, engagement, aspiration, meeting_value))
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


@pytest.mark.parametrize("seed", range(40))
def test_the_bookkeeping_after_members_left_matches_its_numpy_twin(seed):
    """`after_leaving` (who of those who left were in a convened community, their ties dropped in place, the live
    memberships without them, how many left each community, each organisation's live communities) gives what its
    NumPy twin gives, and what the per-community path gave: refresh, drop_members, bincount."""
    from lcsim.model.kernels import lifecycle

    offsets, rows, _, _, (active, _, _), _, _, rng = _stock_take(seed)
    n = len(active)
    ta, tb = _graph(seed, n, 3 * n)
    ties = (ta, tb, rng.random(len(ta)), rng.random(len(ta)), rng.random(len(ta)) < 0.3, rng.random(len(ta)))
    convened = rng.random(len(offsets) - 1) < 0.6
    gone = np.flatnonzero(rng.random(n) < 0.2)
    active = np.ones(n, bool)
    active[gone] = False
    results = []
    for after in (lifecycle.after_leaving, lifecycle._after_leaving_py):
        copies = tuple(x.copy() for x in ties)
        out = after(offsets, rows, convened, gone, active, *copies)
        results.append((out, copies))
    (got, got_ties), (want, want_ties) = results
    assert got[0] == want[0] == np.count_nonzero(active[ta] & active[tb]) and got[5:] == want[5:]
    for g, w in zip(got[1:5] + got_ties, want[1:5] + want_ties):
        np.testing.assert_array_equal(g, w)
        assert g.dtype == w.dtype
    parts = [rows[offsets[k]:offsets[k + 1]] for k in range(len(offsets) - 1)]
    assert got[3].tolist() == [int(np.count_nonzero(~active[part])) for part in parts]
    in_convened = np.zeros(n, bool)
    for part, yes in zip(parts, convened):
        in_convened[part] |= yes
    assert got[6] == np.count_nonzero(in_convened[gone])
    np.testing.assert_array_equal(got[4], np.bincount(np.concatenate(parts + [np.empty(0, np.int64)])[
        active[np.concatenate(parts + [np.empty(0, np.int64)])]], minlength=n))


@pytest.mark.parametrize("seed", range(40))
def test_the_agenda_serving_every_sector_alike_matches_its_numpy_twin(seed):
    """`balanced_agenda` (per-sector engagement-weighted interests, their mean over the sectors present) gives what
    its NumPy twin gives (NumPy's mean over a few rows adds them in turn), for a community of everyone or some."""
    rng = np.random.default_rng(seed)
    n, topics = int(rng.integers(1, 80)), int(rng.integers(2, 7))
    everyone = bool(seed % 2)
    rows = np.arange(n) if everyone else np.flatnonzero(rng.random(n) < 0.6).astype(np.int64)
    sector = rng.integers(0, int(rng.integers(1, 5)), n).astype(np.int64)
    engagement = rng.random(n) * (rng.random(n) < 0.9)
    current = rng.random(len(rows)) < (0.0 if seed % 7 == 0 else 0.8)
    interests = rng.dirichlet(np.ones(topics), len(rows))
    args = (sector, engagement, rows, everyone, current, interests, 4)
    got, want = kernels.balanced_agenda(*args), kernels._balanced_agenda_py(*args)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype and got.shape == (topics,)


@pytest.mark.parametrize("seed", range(30))
def test_who_could_found_a_community_matches_its_numpy_twin(seed):
    """`ready_founders`: a community's current leaders who have not founded one, capable and engaged enough."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    everyone = bool(seed % 2)
    rows = np.arange(n) if everyone else np.flatnonzero(rng.random(n) < 0.6).astype(np.int64)
    args = (rows, everyone, rng.random(len(rows)) < 0.8, rng.random(n) < 0.5, rng.random(n) < 0.2, rng.random(n),
            rng.random(n), 0.5)
    (got, got_count), (want, want_count) = kernels.ready_founders(*args), kernels._ready_founders_py(*args)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == want.dtype and got_count == want_count == np.count_nonzero(want)


@pytest.mark.parametrize("seed", range(80))
def test_who_volunteers_to_host_matches_the_volunteers_dilemma(seed):
    """`volunteer_at` (the volunteer's dilemma among the core, then the rest, drawing from the stream behind a
    handle, given each group's chance that nobody volunteers as NumPy computes it) picks whom the rule
    (`_volunteers_dilemma`, the twin) picks, and leaves the stream where the rule leaves it."""
    rng = np.random.default_rng(seed)
    groups = []
    for size in rng.integers(0, 6, 2) if seed % 3 else rng.integers(0, 25, 2):
        candidates = np.sort(rng.choice(100, int(size), replace=False)).astype(np.int64)
        odds = rng.random(int(size)) * float(rng.choice([0.3, 1.0]))
        if seed % 5 == 0 and size:
            odds[0] = 0.01  # a privileged member: it hosts whatever the others do
        groups += [candidates, odds]
    nobody = [float(np.exp(np.log(odds).sum() / (len(odds) - 1))) if len(odds) > 1 else 0.0 for odds in groups[1::2]]
    picks = []
    for volunteer in (kernels.volunteer_at, kernels._volunteer_at_py):
        stream = np.random.default_rng([seed, 11])
        picks.append((int(volunteer(kernels.handle_of(stream), *groups, *nobody)), stream.random()))
    assert picks[0] == picks[1]


@pytest.mark.parametrize("seed", range(60))
def test_recruiting_in_one_call_matches_its_numpy_twin(seed):
    """`recruit_at` (how many members bring in, up to the room left, and who brings each, from the recruitment
    stream behind a handle) gives what its NumPy twin gives and leaves the stream where the twin leaves it."""
    from lcsim.model.kernels import lifecycle

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    everyone = bool(seed % 2)
    rows = np.arange(n) if everyone else np.flatnonzero(rng.random(n) < 0.7).astype(np.int64)
    args = (rng.random(n), rows, everyone, rng.random(len(rows)) < 0.9, float(rng.choice([0.01, 0.05, 0.3])),
            float(rng.choice([1.0, 0.4, 0.0])), int(rng.choice([0, 3, 1000])))
    results = []
    for recruit in (lifecycle.recruit_at, lifecycle._recruit_at_py):
        stream = np.random.default_rng([seed, 13])
        count, capped, recruiters = recruit(kernels.handle_of(stream), *args)
        results.append((int(count), bool(capped), recruiters, stream.random()))
    (count, capped, recruiters, after), (want_count, want_capped, want_recruiters, want_after) = results
    assert (count, capped, after) == (want_count, want_capped, want_after)
    np.testing.assert_array_equal(recruiters, want_recruiters)
    assert recruiters.dtype == want_recruiters.dtype and len(recruiters) == count
