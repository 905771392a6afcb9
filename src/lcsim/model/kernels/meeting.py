"""The encounters of one meeting in one call: attendees renew ties with those they know, meet strangers (from their
own sector with chance `homophily`), friends of friends, and people the host introduces; every contact gains by its
value, and the pairs who had no tie form one.

`meet` runs the whole meeting in compiled code, drawing from the meeting's `encounters` stream (a NumPy Generator:
numba's draws of `random`, `integers` and `poisson` are NumPy's, bit for bit, and advance the same state), in the
order the NumPy twin `_meet_py` draws them, so both give the same ties from the same stream (tests/test_kernels.py).
One call per meeting instead of some forty small array calls: a meeting was a third of a run.
"""

from __future__ import annotations

import numpy as np

from .compile import njit
from .encounters import (
    _across_sectors_py,
    _friends_of_friends_py,
    _pair_up_py,
    _renew_candidates_py,
    _renew_py,
    _same_sector_partners_py,
    _with_contacts_py,
    across_sectors,
    friends_of_friends,
    pair_up,
    renew,
    renew_candidates,
    same_sector_partners,
    with_contacts,
)
from .members import _complementarity_py, complementarity
from .rng import generator_at, generator_of
from .ties import (
    _adjacency_py,
    _append_ties_py,
    _merge_contacts_py,
    _sort_ties_py,
    adjacency,
    append_ties,
    merge_contacts,
    sort_ties,
)

_NO_PAIRS = np.empty(0, np.int64)


def _meet_py(rng, ta, tb, strength, value, touched, common, is_sorted, present, fit, sector, assets, scale,
             known_weight, fit_weight, conversations, weight, encounters, homophily, triadic_closure,
             broker_rate):
    """The encounters at a meeting of the members in the mask `present` (NumPy twin of `meet`).

    Ties (ta, tb, strength, value, touched, common) change in place where they exist; returns the tie arrays
    after it (new ones if ties formed or were re-sorted), whether they are in pair order, and how many formed.
    A contact between i and j gains scale x (known_weight x complementarity + fit_weight x (fit[i] + fit[j]));
    `weight` is each tie's claim on an attendee's `conversations` with acquaintances present; empty, it is
    strength x (1 + common contacts) (renewal_weighting 1: no power to take, so no NumPy call before).
    """
    n = len(present)
    people = np.flatnonzero(present)
    if len(people) < 2:
        return ta, tb, strength, value, touched, common, is_sorted, 0
    # Catch up with acquaintances present, in proportion to each tie's `weight`.
    if not len(weight):
        weight = strength * (1.0 + common)
    known, half = _renew_candidates_py(ta, tb, present, n, float(conversations), weight)
    draws = rng.random(len(known))
    _renew_py(known, draws, half, ta, tb, value, fit, strength, touched, scale, known_weight, fit_weight)
    # Chance encounters, from one's own sector with chance `homophily`.
    i1 = np.repeat(people, encounters)
    j1 = people[rng.integers(0, len(people), len(i1))]
    same = rng.random(len(i1)) < homophily
    count = int(np.count_nonzero(same))
    if count:
        _same_sector_partners_py(i1, j1, same, rng.random(count), people, sector)
    # Friends of friends present (triadic closure).
    i2 = j2 = _NO_PAIRS
    if len(ta) and triadic_closure > 0:
        offsets, nbrs = _adjacency_py(ta, tb, n)
        seekers = _with_contacts_py(offsets, people[rng.random(len(people)) < triadic_closure])
        first = rng.random(len(seekers))  # which contact
        second = rng.random(len(seekers))  # which of its contacts
        i2, j2 = _friends_of_friends_py(offsets, nbrs, seekers, first, second, present)
    # The host's introductions across sectors.
    i3 = j3 = _NO_PAIRS
    if broker_rate > 0:
        m = len(people)
        count = rng.poisson(broker_rate * m)
        if count:
            first = rng.integers(0, m, count)
            i, j, same_count = _pair_up_py(people, first, rng.integers(0, m, count), sector)
            i3, j3 = _across_sectors_py(i, j, people, rng.integers(0, m, same_count), sector)
    i = np.concatenate([i1, i2, i3])
    j = np.concatenate([j1, j2, j3])
    if not (i != j).any():  # no pair of two members: nothing to do, and no re-sort
        return ta, tb, strength, value, touched, common, is_sorted, 0
    gain = scale * (known_weight * _complementarity_py(assets, i, j) + fit_weight * (fit[i] + fit[j]))
    if not is_sorted:
        ta, tb, strength, value, touched, common = _sort_ties_py(ta, tb, strength, value, touched, common)
    na, nb, new_gain = _merge_contacts_py(ta, tb, strength, touched, i, j, gain)
    if not len(na):
        return ta, tb, strength, value, touched, common, True, 0
    ta, tb, strength, value, touched, common = _append_ties_py(ta, tb, strength, value, touched, common, na, nb,
                                                               new_gain, _complementarity_py(assets, na, nb))
    return ta, tb, strength, value, touched, common, False, len(na)


def _attend_py(engagement, rows, everyone, cost, current, availability, split, draws):
    """Which of a community's `rows` come (NumPy twin of `attend`): each with chance engagement x (1 - cost) x
    current [x availability] [x split] (the bracketed factors where not empty; `split` is per row), against its
    draw. `everyone`: the rows are every organisation, in order (the arrays are taken whole)."""
    take = (lambda values: values) if everyone else (lambda values: values[rows])
    chance = take(engagement) * (1.0 - cost) * current
    if len(availability):
        chance = chance * take(availability)
    if len(split):
        chance = chance * split
    return draws < chance


def _gather_py(rows, attended, fit, know_how, learnt, meeting_value, benefit, venue, cost, attended_month,
               fit_month):
    """Who came (the mask `attended` over the community's `rows`, whose agenda `fit` is given), and what it
    gave them, in place: the convener's routine learnt (`learnt` x (1 - know-how)), the meeting's value
    (benefit x fit x venue - cost), this month's attendance and fit. Returns the organisations that came, the
    mask of them and the fit over every organisation (NumPy twin of `gather`)."""
    people = rows[attended]
    if learnt != 0:
        know_how[people] += learnt * (1.0 - know_how[people])
    present = np.zeros(len(know_how), bool)
    present[people] = True
    fit_all = np.zeros(len(know_how))
    fit_all[rows] = fit
    meeting_value[people] += benefit * fit[attended] * venue - cost
    attended_month |= present
    fit_month[people] = fit[attended]
    return people, present, fit_all


_CONVENER, _LEADER, _DIGITAL = 0, 1, 2  # who hosts a meeting (`hold_meeting_at`'s `kind`)


def _hold_meeting_at_py(handles, kind, host_row, rows, everyone, current, cost, engagement, availability, split,
                        turnout, moderation_fatigue, hosting_learning, host_fatigue, capacity, fatigue, projection,
                        lengths, agenda_norm, know_how, learnt, meeting_value, benefit, venue, attended_month,
                        fit_month, ta, tb, strength, value, touched, common, is_sorted, sector, assets, scale,
                        known_weight, fit_weight, conversations, weight, encounters, homophily, triadic_closure,
                        broker_rate, brokering):
    """A community's meeting, from who comes to whom they meet (NumPy twin of `hold_meeting_at`): its `rows` come
    (`_attend_py`, drawing from the attendance stream, `handles[0]`); online (`kind` 2), most read along (the digital
    stream, `handles[1]`, against `turnout`) and a moderator (`host_row`, if any) takes part and tires; a local
    leader (`kind` 1) hosting takes part, learns by doing and tires. How well the agenda fits each row is its
    `projection` on the agenda over their lengths; who came take away what the meeting gave (`_gather_py`) and meet
    (`_meet_py`, from the encounters stream, `handles[2]`; a local host introduces at `brokering` x its capacity,
    after its learning). Returns who came and what `_meet_py` returns."""
    attended = _attend_py(engagement, rows, everyone, cost, current, availability, split,
                          generator_of(handles[0]).random(len(rows)))
    if kind == _DIGITAL:
        attended &= generator_of(handles[1]).random(len(attended)) < turnout
        if host_row >= 0:
            attended[np.searchsorted(rows, host_row)] = True
            fatigue[host_row] += moderation_fatigue
    if kind == _LEADER:
        attended[np.searchsorted(rows, host_row)] = True
        capacity[host_row] += hosting_learning * (1.0 - capacity[host_row])
        fatigue[host_row] += host_fatigue
        broker_rate = brokering * capacity[host_row]
    fit = projection / np.maximum(lengths * agenda_norm, 1e-12)
    people, present, fit_all = _gather_py(rows, attended, fit, know_how, learnt, meeting_value, benefit, venue, cost,
                                          attended_month, fit_month)
    return (people, *_meet_py(generator_of(handles[2]), ta, tb, strength, value, touched, common, is_sorted, present,
                              fit_all, sector, assets, scale, known_weight, fit_weight, conversations, weight,
                              encounters, homophily, triadic_closure, float(broker_rate)))


if njit is not None:
    @njit(cache=True, nogil=True)
    def attend(engagement, rows, everyone, cost, current, availability, split, draws):  # pragma: no cover - compiled
        """Which of a community's `rows` come, against their draws (see `_attend_py`)."""
        came = np.empty(len(rows), np.bool_)
        for q in range(len(rows)):
            r = q if everyone else rows[q]
            chance = engagement[r] * (1.0 - cost) * current[q]
            if len(availability):
                chance = chance * availability[r]
            if len(split):
                chance = chance * split[q]
            came[q] = draws[q] < chance
        return came

    @njit(cache=True, nogil=True)
    def gather(rows, attended, fit, know_how, learnt, meeting_value, benefit, venue, cost, attended_month,
               fit_month):  # pragma: no cover - compiled
        """Who came, and what it gave them, in place (see `_gather_py`): the organisations that came, the mask of
        them and the fit over every organisation."""
        n = len(know_how)
        present = np.zeros(n, np.bool_)
        fit_all = np.zeros(n)
        k = 0
        for q in range(len(rows)):
            k += attended[q]
        people = np.empty(k, np.int64)
        k = 0
        for q in range(len(rows)):
            r = rows[q]
            fit_all[r] = fit[q]
            if attended[q]:
                people[k] = r
                k += 1
                if learnt != 0:
                    know_how[r] += learnt * (1.0 - know_how[r])
                present[r] = True
                meeting_value[r] += benefit * fit[q] * venue - cost
                attended_month[r] = True
                fit_month[r] = fit[q]
        return people, present, fit_all

    @njit(cache=True, nogil=True)
    def meet(rng, ta, tb, strength, value, touched, common, is_sorted, present, fit, sector, assets, scale,
             known_weight, fit_weight, conversations, weight, encounters, homophily, triadic_closure,
             broker_rate):  # pragma: no cover - compiled
        """The encounters at a meeting of the members in the mask `present`: ties change in place where
        they exist; returns the tie arrays after it, whether they are in pair order, and how many formed."""
        n = len(present)
        people = np.flatnonzero(present)
        k = len(people)
        if k < 2:
            return ta, tb, strength, value, touched, common, is_sorted, 0
        m_ties = len(ta)
        if len(weight) == 0:
            weight = np.empty(m_ties)
            for e in range(m_ties):
                weight[e] = strength[e] * (1.0 + common[e])
        known, half = renew_candidates(ta, tb, present, n, float(conversations), weight)
        draws = rng.random(len(known))
        renew(known, draws, half, ta, tb, value, fit, strength, touched, scale, known_weight, fit_weight)
        i1 = np.repeat(people, encounters)
        j1 = people[rng.integers(0, k, len(i1))]
        same = rng.random(len(i1)) < homophily
        count = 0
        for q in range(len(same)):
            count += same[q]
        if count:
            same_sector_partners(i1, j1, same, rng.random(count), people, sector)
        i2 = np.empty(0, np.int64)
        j2 = np.empty(0, np.int64)
        if m_ties and triadic_closure > 0:
            offsets, nbrs = adjacency(ta, tb, n)
            seekers = with_contacts(offsets, people[rng.random(k) < triadic_closure])
            first = rng.random(len(seekers))
            second = rng.random(len(seekers))
            i2, j2 = friends_of_friends(offsets, nbrs, seekers, first, second, present)
        i3 = np.empty(0, np.int64)
        j3 = np.empty(0, np.int64)
        if broker_rate > 0:
            count = rng.poisson(broker_rate * k)
            if count:
                first = rng.integers(0, k, count)
                i, j, same_count = pair_up(people, first, rng.integers(0, k, count), sector)
                i3, j3 = across_sectors(i, j, people, rng.integers(0, k, same_count), sector)
        i = np.concatenate((i1, i2, i3))
        j = np.concatenate((j1, j2, j3))
        pairs = False
        for q in range(len(i)):
            if i[q] != j[q]:
                pairs = True
                break
        if not pairs:
            return ta, tb, strength, value, touched, common, is_sorted, 0
        gain = complementarity(assets, i, j)
        for q in range(len(i)):
            gain[q] = scale * (known_weight * gain[q] + fit_weight * (fit[i[q]] + fit[j[q]]))
        if not is_sorted:
            ta, tb, strength, value, touched, common = sort_ties(ta, tb, strength, value, touched, common)
        na, nb, new_gain = merge_contacts(ta, tb, strength, touched, i, j, gain)
        if not len(na):
            return ta, tb, strength, value, touched, common, True, 0
        ta, tb, strength, value, touched, common = append_ties(ta, tb, strength, value, touched, common, na, nb,
                                                               new_gain, complementarity(assets, na, nb))
        return ta, tb, strength, value, touched, common, False, len(na)

    @njit(cache=True, nogil=True)
    def hold_meeting_at(handles, kind, host_row, rows, everyone, current, cost, engagement, availability, split,
                        turnout, moderation_fatigue, hosting_learning, host_fatigue, capacity, fatigue, projection,
                        lengths, agenda_norm, know_how, learnt, meeting_value, benefit, venue, attended_month,
                        fit_month, ta, tb, strength, value, touched, common, is_sorted, sector, assets, scale,
                        known_weight, fit_weight, conversations, weight, encounters, homophily, triadic_closure,
                        broker_rate, brokering):  # pragma: no cover - compiled
        """A community's meeting in one call, from who comes to whom they meet (see `_hold_meeting_at_py`)."""
        attended = attend(engagement, rows, everyone, cost, current, availability, split,
                          generator_at(handles[0]).random(len(rows)))
        if kind == 2:
            draws = generator_at(handles[1]).random(len(attended))
            for q in range(len(attended)):
                attended[q] = attended[q] and draws[q] < turnout
            if host_row >= 0:
                attended[np.searchsorted(rows, host_row)] = True
                fatigue[host_row] += moderation_fatigue
        if kind == 1:
            attended[np.searchsorted(rows, host_row)] = True
            capacity[host_row] += hosting_learning * (1.0 - capacity[host_row])
            fatigue[host_row] += host_fatigue
            broker_rate = brokering * capacity[host_row]
        fit = np.empty(len(rows))
        for q in range(len(rows)):
            fit[q] = projection[q] / max(lengths[q] * agenda_norm, 1e-12)
        people, present, fit_all = gather(rows, attended, fit, know_how, learnt, meeting_value, benefit, venue, cost,
                                          attended_month, fit_month)
        ta, tb, strength, value, touched, common, is_sorted, formed = meet(
            generator_at(handles[2]), ta, tb, strength, value, touched, common, is_sorted, present, fit_all, sector,
            assets, scale, known_weight, fit_weight, conversations, weight, encounters, homophily, triadic_closure,
            broker_rate)
        return people, ta, tb, strength, value, touched, common, is_sorted, formed

else:  # pragma: no cover
    hold_meeting_at = _hold_meeting_at_py
    attend = _attend_py
    gather = _gather_py
    meet = _meet_py
