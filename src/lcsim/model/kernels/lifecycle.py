"""Where members take stock, every community's leaders step up and down and its members leave, in two calls for
the whole programme instead of some thirty array calls per community (issue 23).

`ready_to_step_up` finds, for each community taking stock, the members ready to lead and their monthly hazard (the
rule of `MemberTable.emerge_leaders`, with the community's own rate and centrality). NumPy then compounds those
hazards over the months since each last took stock (`members.over`: its power function is not the C library's,
so it stays NumPy's). `step_up_down_and_leave_at` draws from each community's streams, by their handles
(kernels.rng), what `emerge_leaders`, `burn_out`, `leave` and `LifeCycle._leave_for_outside_reasons` draw, in the
same order on each stream, and applies them in place. The chances those rules compound from one monthly value
come from tables NumPy computed (`over` of each value for 0..the most months), so every chance is NumPy's own.

A community's rules touch only the members taking stock through it (`owner`), so running each community's rules
in turn gives what running each rule over every community in turn gave. Each kernel has a NumPy twin.
"""

from __future__ import annotations

import numpy as np

from .compile import njit
from .members import (
    _fading_py,
    _leaders_taking_stock_py,
    _ready_to_lead_py,
    _step_down_py,
    fading,
    leaders_taking_stock,
    step_down,
)
from .rng import generator_at, generator_of
from .ties import _keep_ties_py, keep_ties


def _ready_to_step_up_py(offsets, rows, picks, owner, rates, strength, active, leader, engagement, ready_engagement,
                         propensity, capacity, availability, weight):
    """For each community k in `picks` (its place in the live CSR `offsets`, `rows`), the members taking stock
    through it (owner == k) ready to lead, and each one's monthly hazard at the community's rate `rates[j]`, with
    centrality their tie strength over the strongest member's of the community. Returns (ready, hazard, bounds):
    community j's are ready[bounds[j]:bounds[j + 1]] (NumPy twin of `ready_to_step_up`)."""
    parts, hazards, bounds = [], [], [0]
    for j, k in enumerate(picks):
        members = rows[offsets[k]:offsets[k + 1]]
        top = strength[members].max() if len(members) else 0.0
        centrality = strength / top if top > 0 else strength
        ready, hazard = _ready_to_lead_py(owner == k, active, leader, engagement, ready_engagement, rates[j],
                                          propensity, capacity, availability, weight, centrality)
        parts.append(ready)
        hazards.append(hazard)
        bounds.append(bounds[-1] + len(ready))
    return (np.concatenate(parts) if parts else np.empty(0, np.int64), np.concatenate(hazards) if hazards
            else np.empty(0), np.array(bounds, np.int64))


def _step_up_down_and_leave_at_py(handles, picks, owner, ready, chance, bounds, months, hosted, burnout_rates,
                                  burnout_table, leave_table, outside_table, leader, active, engagement, quits_below,
                                  step_down_engagement, leaves_below):
    """For each community j of `picks` in turn, from its streams `handles[j]` (leaders, leaving, outside): the ready
    members step up with their `chance`, leaders step down (`burnout_table[h][m]`: the chance over m months, h = 1
    for those who hosted), members whose engagement faded leave (`leave_table`), and members leave for outside
    reasons (`outside_table`; empty: the rule is off, no draw). In place; returns (new leaders, those who left)
    (NumPy twin of `step_up_down_and_leave_at`)."""
    new, faded, outside = [], [], []
    for j, k in enumerate(picks):
        own = owner == k
        leaders_stream, leaving_stream = generator_of(handles[j, 0]), generator_of(handles[j, 1])
        candidates = ready[bounds[j]:bounds[j + 1]]
        stepped_up = candidates[leaders_stream.random(len(candidates)) < chance[bounds[j]:bounds[j + 1]]]
        leader[stepped_up] = True
        new.append(stepped_up)
        leaders, monthly = _leaders_taking_stock_py(leader, own, hosted, burnout_rates[0], burnout_rates[1])
        if len(leaders):
            hazard = np.where(monthly == burnout_rates[0], burnout_table[0][months[leaders]],
                              burnout_table[1][months[leaders]])
            _step_down_py(leaders, leaders_stream.random(len(leaders)), hazard, engagement, quits_below,
                          step_down_engagement, leader)
        candidates = _fading_py(own, active, engagement, leaves_below)
        gone = candidates[leaving_stream.random(len(candidates)) < leave_table[months[candidates]]]
        active[gone] = False
        leader[gone] = False
        faded.append(gone)
        if len(outside_table):
            able = np.flatnonzero(own & active)
            gone = able[generator_of(handles[j, 2]).random(len(able)) < outside_table[months[able]]]
            active[gone] = False
            leader[gone] = False
            outside.append(gone)
    return (np.concatenate(new) if new else np.empty(0, np.int64),
            np.concatenate(faded + outside) if faded else np.empty(0, np.int64))


def _after_leaving_py(offsets, rows, convened, gone, active, a, b, strength, value, touched, common):
    """After members left (`gone`; `active` updated): how many of them were in a convened community (`convened`:
    which groups of the live CSR are); the ties of inactive organisations dropped (kept ones moved to the front of
    the tie arrays in place, as `_keep_ties_py`); the live CSR without the inactive, how many left each community,
    and each organisation's live communities, and whether anyone is in several. Returns (ties kept, offsets, rows,
    left, commitments, split, left convened) (NumPy twin of `after_leaving`)."""
    n = len(active)
    in_convened = np.zeros(n, bool)
    for k in range(len(offsets) - 1):
        if convened[k]:
            in_convened[rows[offsets[k]:offsets[k + 1]]] = True
    left_convened = int(np.count_nonzero(in_convened[gone]))
    kept = _keep_ties_py(active[a] & active[b], a, b, strength, value, touched, common)
    parts = [rows[offsets[k]:offsets[k + 1]] for k in range(len(offsets) - 1)]
    parts = [part[active[part]] for part in parts]
    left = np.array([offsets[k + 1] - offsets[k] - len(part) for k, part in enumerate(parts)], np.int64)
    new_offsets = np.array([0, *np.cumsum([len(part) for part in parts])], np.int64)
    new_rows = np.concatenate(parts) if parts else np.empty(0, np.int64)
    commitments = np.bincount(new_rows, minlength=n)
    return kept, new_offsets, new_rows, left, commitments, bool((commitments > 1).any()), left_convened


def _recruit_at_py(handle, engagement, rows, everyone, current, rate, room_to_grow, room):
    """How many organisations a community's engaged members bring in and who brings each (NumPy twin of
    `recruit_at`): Poisson(rate x the members' pull x `room_to_grow`), the pull being engagement x `current` over its
    `rows` (`everyone`: every organisation, in order), at most `room` (then `capped`); each recruiter drawn in
    proportion to its pull, from the recruitment stream behind `handle`. Returns (count, capped, recruiters)."""
    rng = generator_of(handle)
    pull = (engagement if everyone else engagement[rows]) * current
    count = rng.poisson(rate * pull.sum() * room_to_grow)
    capped = count >= room
    if capped:
        count = max(room, 0)
    if count == 0:
        return 0, capped, np.empty(0, np.int64)
    cumulative = np.cumsum(pull)
    return count, capped, rows[np.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right")]


if njit is not None:
    from .programme import group_sums

    @njit(cache=True, nogil=True)
    def ready_to_step_up(offsets, rows, picks, owner, rates, strength, active, leader, engagement, ready_engagement,
                         propensity, capacity, availability, weight):  # pragma: no cover - compiled
        """Each community's members ready to lead and their monthly hazards (see `_ready_to_step_up_py`)."""
        n = len(owner)
        ready = np.empty(n, np.int64)
        hazard = np.empty(n)
        bounds = np.zeros(len(picks) + 1, np.int64)
        q = 0
        for j in range(len(picks)):
            k = picks[j]
            top = 0.0
            if offsets[k + 1] > offsets[k]:
                top = strength[rows[offsets[k]]]
                for e in range(offsets[k], offsets[k + 1]):
                    top = max(top, strength[rows[e]])
            rate = rates[j]
            for u in range(n):
                if owner[u] == k and active[u] and not leader[u] and engagement[u] >= ready_engagement:
                    centrality = strength[u] / top if top > 0 else strength[u]
                    ready[q] = u
                    hazard[q] = (rate * propensity[u] * capacity[u] * availability[u]
                                 * (1.0 - weight + weight * centrality))
                    q += 1
            bounds[j + 1] = q
        return ready[:q], hazard[:q], bounds

    @njit(cache=True, nogil=True)
    def step_up_down_and_leave_at(handles, picks, owner, ready, chance, bounds, months, hosted, burnout_rates,
                                  burnout_table, leave_table, outside_table, leader, active, engagement, quits_below,
                                  step_down_engagement, leaves_below):  # pragma: no cover - compiled
        """Each community's leaders step up and down and its members leave, in place (see
        `_step_up_down_and_leave_at_py`)."""
        n = len(owner)
        new = np.empty(len(ready), np.int64)
        gone = np.empty(n, np.int64)
        outside = np.empty(n, np.int64)
        n_new = n_gone = n_outside = 0
        for j in range(len(picks)):
            k = picks[j]
            own = owner == k
            leaders_stream = generator_at(handles[j, 0])
            draws = leaders_stream.random(bounds[j + 1] - bounds[j])
            for q in range(bounds[j], bounds[j + 1]):
                if draws[q - bounds[j]] < chance[q]:
                    leader[ready[q]] = True
                    new[n_new] = ready[q]
                    n_new += 1
            leaders, monthly = leaders_taking_stock(leader, own, hosted, burnout_rates[0], burnout_rates[1])
            if len(leaders):
                hazard = np.empty(len(leaders))
                for q in range(len(leaders)):
                    row = 0 if monthly[q] == burnout_rates[0] else 1
                    hazard[q] = burnout_table[row, months[leaders[q]]]
                step_down(leaders, leaders_stream.random(len(leaders)), hazard, engagement, quits_below,
                          step_down_engagement, leader)
            candidates = fading(own, active, engagement, leaves_below)
            n_gone = _leave(candidates, generator_at(handles[j, 1]).random(len(candidates)), leave_table, months,
                            active, leader, gone, n_gone)
            if len(outside_table):
                able = np.flatnonzero(own & active)
                n_outside = _leave(able, generator_at(handles[j, 2]).random(len(able)), outside_table, months,
                                   active, leader, outside, n_outside)
        return new[:n_new], np.concatenate((gone[:n_gone], outside[:n_outside]))

    @njit(cache=True, nogil=True)
    def _leave(candidates, draws, chances, months, active, leader, out, n_out):  # pragma: no cover - compiled
        """Candidates whose draw falls below their chance (by months since they last took stock) leave, in place: one
        rule for members who fade and for exits for outside reasons. Returns how many `out` now holds."""
        for q in range(len(candidates)):
            u = candidates[q]
            if draws[q] < chances[months[u]]:
                active[u] = False
                leader[u] = False
                out[n_out] = u
                n_out += 1
        return n_out

    @njit(cache=True, nogil=True)
    def after_leaving(offsets, rows, convened, gone, active, a, b, strength, value, touched,
                      common):  # pragma: no cover - compiled
        """The programme's bookkeeping after members left (see `_after_leaving_py`)."""
        n = len(active)
        groups = len(offsets) - 1
        in_convened = np.zeros(n, np.bool_)
        for k in range(groups):
            if convened[k]:
                for e in range(offsets[k], offsets[k + 1]):
                    in_convened[rows[e]] = True
        left_convened = 0
        for u in gone:
            left_convened += in_convened[u]
        mask = np.empty(len(a), np.bool_)
        for e in range(len(a)):
            mask[e] = active[a[e]] and active[b[e]]
        kept = keep_ties(mask, a, b, strength, value, touched, common)
        new_offsets = np.zeros(groups + 1, np.int64)
        new_rows = np.empty(len(rows), np.int64)
        left = np.zeros(groups, np.int64)
        commitments = np.zeros(n, np.int64)
        q = 0
        for k in range(groups):
            for e in range(offsets[k], offsets[k + 1]):
                r = rows[e]
                if active[r]:
                    new_rows[q] = r
                    commitments[r] += 1
                    q += 1
                else:
                    left[k] += 1
            new_offsets[k + 1] = q
        split = False
        for r in range(n):
            if commitments[r] > 1:
                split = True
                break
        return kept, new_offsets, new_rows[:q], left, commitments, split, left_convened

    @njit(cache=True, nogil=True)
    def recruit_at(handle, engagement, rows, everyone, current, rate, room_to_grow,
                   room):  # pragma: no cover - compiled
        """How many a community's members bring in and who brings each (see `_recruit_at_py`); the pull summed as
        NumPy sums it (pairwise: `group_sums`), and accumulated as its cumsum does (in turn)."""
        rng = generator_at(handle)
        pull = np.empty(len(current))
        for q in range(len(current)):
            pull[q] = engagement[q if everyone else rows[q]] * current[q]
        whole = np.arange(len(pull))
        total = group_sums(np.array([0, len(pull)]), whole, pull)[0]  # as NumPy's pull.sum()
        count = rng.poisson(rate * total * room_to_grow)
        capped = count >= room
        if capped:
            count = max(room, 0)
        if count == 0:
            return 0, capped, np.empty(0, np.int64)
        cumulative = np.empty(len(pull))
        total = 0.0
        for q in range(len(pull)):
            total += pull[q]
            cumulative[q] = total
        targets = rng.random(count) * cumulative[-1]
        return count, capped, rows[np.searchsorted(cumulative, targets, side="right")]

else:  # pragma: no cover
    recruit_at = _recruit_at_py
    after_leaving = _after_leaving_py
    ready_to_step_up = _ready_to_step_up_py
    step_up_down_and_leave_at = _step_up_down_and_leave_at_py
