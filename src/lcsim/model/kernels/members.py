"""Members' kernels: capacity growth, complementarity of assets, per-sector sums of interests, drawing newcomers and
appending them to the member arrays, and who may step up, step down or leave when members take stock.

Each compiled kernel has a NumPy twin (`_<name>_py`) that gives the same answer (tests/test_kernels.py).
"""

from __future__ import annotations

import numpy as np

from .compile import njit
from .rng import generator_at, generator_of


def _grow_py(capacity, attended, fit, support, learning, erosion, active):
    """Capacity after a month's learning and erosion, clipped to [0, 1], 0 for inactive members
    (NumPy twin of `grow`); `support` is per member."""
    gain = learning * attended * fit + support
    c = capacity
    return np.clip(c + gain * (1.0 - c) - erosion * c, 0.0, 1.0) * active


def _complementarity_py(assets, i, j):
    """Half the L1 distance between the asset rows i and j (NumPy twin of `complementarity`)."""
    return 0.5 * np.abs(assets[i] - assets[j]).sum(axis=1)


def _sector_sums_py(sector, w, interests, n_sectors):
    """Per sector: the w-weighted sum of interests, and the sum of w (NumPy twin of `sector_sums`)."""
    per_sector = np.zeros((n_sectors, interests.shape[1]))
    np.add.at(per_sector, sector, w[:, None] * interests)
    return per_sector, np.bincount(sector, w, minlength=n_sectors)


def _balanced_agenda_py(sector, engagement, rows, everyone, current, interests, n_sectors):
    """The agenda serving every sector present alike: the mean over sectors of each one's engagement-weighted mean
    interests, over a community's `rows` (`everyone`: every organisation, in order) weighted by engagement x
    `current`; `interests` are its rows' (NumPy twin of `balanced_agenda`)."""
    take = (lambda values: values) if everyone else (lambda values: values[rows])
    per_sector, weight = _sector_sums_py(take(sector), take(engagement) * current, interests, n_sectors)
    present = weight > 0
    if not present.any():
        return np.full(interests.shape[1], 1.0 / interests.shape[1])
    return (per_sector[present] / weight[present, None]).mean(axis=0)


def _ready_founders_py(rows, everyone, current, leader, replicated, capacity, engagement, ready):
    """Which of a community's `rows` (`everyone`: every organisation, in order) could found a community: current
    members who lead, have not founded one, with capacity and engagement at least `ready`; and how many (NumPy
    twin of `ready_founders`)."""
    take = (lambda values: values) if everyone else (lambda values: values[rows])
    strong = take(leader) & current & ~take(replicated) & (take(capacity) >= ready) & (take(engagement) >= ready)
    return strong, int(np.count_nonzero(strong))


def _volunteers_dilemma(candidates: np.ndarray, odds: np.ndarray, rng) -> int | None:
    """One round of the asymmetric volunteer's dilemma among `candidates` (cost/benefit `odds` < 1).

    Mixed equilibrium: P(nobody) = (prod K)^(1/(N-1)), q_i = 1 - P(nobody)/K_i (Diekmann 1985, 1993).
    Where that has no interior solution (a member's K below P(nobody)), the cheapest member hosts: it
    is worth doing whatever the others do (Olson's privileged member). One candidate hosts if K < 1.
    """
    n = len(candidates)
    if n == 0:
        return None
    if n == 1:
        return int(candidates[0])
    nobody = float(np.exp(np.log(odds).sum() / (n - 1)))
    if nobody > odds.min():
        return int(candidates[np.argmin(odds)])
    volunteers = candidates[rng.random(n) < 1.0 - nobody / odds]
    return int(volunteers[rng.integers(len(volunteers))]) if len(volunteers) else None


def _volunteer_at_py(handle, core, core_odds, rest, rest_odds, nobody_core, nobody_rest):
    """Who steps up to host (a position among a community's rows; -1: no one): the volunteer's dilemma
    (`_volunteers_dilemma`, above) among the `core`, then the `rest`, drawing from the stream behind `handle`
    (NumPy twin of `volunteer_at`, which is given each group's chance that nobody volunteers, NumPy's)."""
    for candidates, odds in ((core, core_odds), (rest, rest_odds)):
        host = _volunteers_dilemma(candidates, odds, generator_of(handle))
        if host is not None:
            return host
    return -1


def _hosting_odds_py(capacity, leader, engagement, member, split, fatigue, base, ease, benefit):
    """Each member's cost-to-benefit ratio of hosting (NumPy twin of `hosting_odds`): `base` / capacity
    (at least 1e-3), times `split` and (1 + `fatigue`) where those are not empty, times `ease` for
    leaders, over `benefit` x engagement (at least 1e-9); infinite for those not in `member`."""
    cost = base / np.maximum(capacity, 1e-3)
    if len(split):
        cost = cost * split
    if len(fatigue):
        cost = cost * (1.0 + fatigue)
    cost = np.where(leader, cost * ease, cost)
    odds = cost / np.maximum(benefit * engagement, 1e-9)
    return np.where(member, odds, np.inf)


def _newcomers_py(rng, n, mix, profiles, complementarity, profile_weight, asset_alpha, own_by_sector, lean,
                  interest_alpha, engagement_a, engagement_b, capacity_ab, propensity_ab, availability_shape):
    """`n` new organisations drawn from `rng` (NumPy twin of `newcomers`): sector (by the cumulative `mix`), assets
    (its sector's `profiles` row by `complementarity`, weighted `profile_weight`, and a Dirichlet(asset_alpha)
    rest), interests (its sector's own topics by `lean`, and a Dirichlet(interest_alpha) rest), engagement
    (Beta(engagement_a, engagement_b); 1 if engagement_a is 0), capacity, propensity (Beta draws of the shapes given)
    and lasting availability (Beta(shape, shape); 1 if the shape is 0), in that order of draws."""
    n_sectors, n_assets = profiles.shape
    sector = np.minimum(np.searchsorted(mix, rng.random(n) * mix[-1], side="right"), n_sectors - 1)
    leaning = (1.0 - complementarity) / n_assets + complementarity * profiles[sector]
    assets = profile_weight * leaning + (1.0 - profile_weight) * rng.dirichlet(asset_alpha, size=n)
    interests = lean * own_by_sector[sector] + (1.0 - lean) * rng.dirichlet(interest_alpha, size=n)
    engagement = rng.beta(engagement_a, engagement_b, size=n) if engagement_a > 0 else np.ones(n)
    capacity = rng.beta(capacity_ab[0], capacity_ab[1], size=n)
    propensity = rng.beta(propensity_ab[0], propensity_ab[1], size=n)
    shape = availability_shape
    availability = rng.beta(shape, shape, size=n) if shape > 0 else np.ones(n)
    return sector.astype(np.int64), assets, interests, engagement, capacity, propensity, availability


def _ready_to_lead_py(eligible, active, leader, engagement, ready_engagement, rate, propensity, capacity,
                      availability, weight, centrality):
    """The members (of the mask `eligible`, active, not leading) engaged enough to lead, and each one's monthly
    hazard of stepping up: rate x propensity x capacity x availability x (1 - weight + weight x centrality)
    (NumPy twin of `ready_to_lead`)."""
    ready = np.flatnonzero(eligible & active & ~leader & (engagement >= ready_engagement))
    rate = rate if np.ndim(rate) == 0 else rate[ready]  # one rate, or one per member (the compiled kernel: one)
    hazard = (rate * propensity[ready] * capacity[ready] * availability[ready]
              * (1.0 - weight + weight * centrality[ready]))
    return ready, hazard


def _leaders_taking_stock_py(leader, eligible, hosted, rate, hosting_rate):
    """The leaders in the mask `eligible`, and each one's monthly hazard of stepping down: `hosting_rate` for
    those among the rows `hosted`, else `rate` (NumPy twin of `leaders_taking_stock`)."""
    leaders = np.flatnonzero(leader & eligible)
    return leaders, np.where((leaders[:, None] == hosted).any(axis=1), hosting_rate, rate)


def _step_down_py(leaders, draws, chance, engagement, quits_below, step_down, leader):
    """Leaders whose draw falls below their `chance`, or whose engagement is below `quits_below`, step down, in
    place: no longer leading, engagement x `step_down` (NumPy twin of `step_down`)."""
    out = leaders[(draws < chance) | (engagement[leaders] < quits_below)]
    leader[out] = False
    engagement[out] *= step_down


def _fading_py(eligible, active, engagement, leaves_below):
    """The active members of the mask `eligible` whose engagement is below `leaves_below` (NumPy twin of
    `fading`)."""
    return np.flatnonzero(eligible & active & (engagement < leaves_below))


def _hosting_candidates_py(capacity, leader, engagement, rows, everyone, member, split, fatigue, base, ease,
                           benefit):
    """The members of a community (its `rows`; `everyone`: every organisation, in order) for whom hosting is worth
    its cost (odds K < 1, as `hosting_odds`), in two groups, the core (leaders) first: (core, their K, others,
    their K), each as positions in `rows` (NumPy twin of `hosting_candidates`)."""
    take = (lambda values: values) if everyone else (lambda values: values[rows])
    odds = _hosting_odds_py(take(capacity), take(leader), take(engagement), member, split, fatigue, base, ease,
                            benefit)
    lead, worth = take(leader), odds < 1.0
    core, rest = np.flatnonzero(lead & worth), np.flatnonzero(~lead & worth)
    return core, odds[core], rest, odds[rest]


def _place_members_py(start, sector, assets, interests, engagement, aspiration, capacity, propensity, availability,
                      leader, active, joined, replicated, new_sector, new_assets, new_interests, new_engagement,
                      new_capacity, new_propensity, new_availability, new_aspiration, month):
    """The newcomers written into the member arrays (buffers with room) from row `start` on, in place: not
    leaders, active, joined in `month`, not replicated, aspiring to `new_aspiration` (NumPy twin of
    `place_members`)."""
    end = start + len(new_sector)
    sector[start:end], assets[start:end], interests[start:end] = new_sector, new_assets, new_interests
    engagement[start:end], aspiration[start:end], capacity[start:end] = new_engagement, new_aspiration, new_capacity
    propensity[start:end], availability[start:end] = new_propensity, new_availability
    leader[start:end], active[start:end], joined[start:end], replicated[start:end] = False, True, month, False


def _add_members_at_py(handle, n, mix, profiles, complementarity, profile_weight, asset_alpha, own_by_sector, lean,
                       interest_alpha, engagement_a, engagement_b, capacity_a, capacity_b, propensity_a, propensity_b,
                       availability_shape, start, sector, assets, interests, engagement, aspiration, capacity,
                       propensity, availability, leader, active, joined, replicated, new_aspiration, month):
    """`n` newcomers drawn from the generator behind `handle` (as `_newcomers_py`) and written into the member
    arrays from row `start` on (as `_place_members_py`), in place (NumPy twin of `add_members_at`)."""
    drawn = _newcomers_py(generator_of(handle), n, mix, profiles, complementarity, profile_weight, asset_alpha,
                          own_by_sector, lean, interest_alpha, engagement_a, engagement_b, (capacity_a, capacity_b),
                          (propensity_a, propensity_b), availability_shape)
    _place_members_py(start, sector, assets, interests, engagement, aspiration, capacity, propensity, availability,
                      leader, active, joined, replicated, *drawn, new_aspiration, month)


if njit is not None:
    @njit(cache=True, nogil=True)
    def _odds_of(q, r, capacity, leader, engagement, member, split, fatigue, base, ease,
                 benefit):  # pragma: no cover - compiled
        """One member's hosting odds K, the rule `_hosting_odds_py` states: organisation row `r`, position `q` in
        the community's `member`, `split` and `fatigue`. The one place both compiled kernels weigh hosting."""
        cost = base / max(capacity[r], 1e-3)
        if len(split):
            cost = cost * split[q]
        if len(fatigue):
            cost = cost * (1.0 + fatigue[q])
        if leader[r]:
            cost = cost * ease
        return cost / max(benefit * engagement[r], 1e-9) if member[q] else np.inf

    @njit(cache=True, nogil=True)
    def hosting_candidates(capacity, leader, engagement, rows, everyone, member, split, fatigue, base, ease,
                           benefit):  # pragma: no cover - compiled
        """Those for whom hosting is worth its cost, the core first (see `_hosting_candidates_py`)."""
        n = len(member)
        core = np.empty(n, np.int64)
        core_odds = np.empty(n)
        rest = np.empty(n, np.int64)
        rest_odds = np.empty(n)
        k_core = k_rest = 0
        for q in range(n):
            r = q if everyone else rows[q]
            odds = _odds_of(q, r, capacity, leader, engagement, member, split, fatigue, base, ease, benefit)
            if odds < 1.0:
                if leader[r]:
                    core[k_core], core_odds[k_core] = q, odds
                    k_core += 1
                else:
                    rest[k_rest], rest_odds[k_rest] = q, odds
                    k_rest += 1
        return core[:k_core], core_odds[:k_core], rest[:k_rest], rest_odds[:k_rest]

    @njit(cache=True, nogil=True)
    def ready_to_lead(eligible, active, leader, engagement, ready_engagement, rate, propensity, capacity,
                      availability, weight, centrality):  # pragma: no cover - compiled
        """The members engaged enough to lead, and each one's monthly hazard of stepping up (`_ready_to_lead_py`)."""
        ready = np.empty(len(leader), np.int64)
        k = 0
        for u in range(len(leader)):
            if eligible[u] and active[u] and not leader[u] and engagement[u] >= ready_engagement:
                ready[k] = u
                k += 1
        ready = ready[:k]
        hazard = np.empty(k)
        for q in range(k):
            u = ready[q]
            hazard[q] = rate * propensity[u] * capacity[u] * availability[u] * (1.0 - weight + weight * centrality[u])
        return ready, hazard

    @njit(cache=True, nogil=True)
    def leaders_taking_stock(leader, eligible, hosted, rate, hosting_rate):  # pragma: no cover - compiled
        """The leaders taking stock, and each one's monthly hazard of stepping down (`_leaders_taking_stock_py`)."""
        leaders = np.empty(len(leader), np.int64)
        k = 0
        for u in range(len(leader)):
            if leader[u] and eligible[u]:
                leaders[k] = u
                k += 1
        leaders = leaders[:k]
        monthly = np.full(k, rate)
        for q in range(k):
            for h in hosted:
                if leaders[q] == h:
                    monthly[q] = hosting_rate
                    break
        return leaders, monthly

    @njit(cache=True, nogil=True)
    def step_down(leaders, draws, chance, engagement, quits_below, step_down,
                  leader):  # pragma: no cover - compiled
        """Leaders step down by their draw or their faded engagement, in place (`_step_down_py`)."""
        for q in range(len(leaders)):
            u = leaders[q]
            if draws[q] < chance[q] or engagement[u] < quits_below:
                leader[u] = False
                engagement[u] *= step_down

    @njit(cache=True, nogil=True)
    def fading(eligible, active, engagement, leaves_below):  # pragma: no cover - compiled
        """The members taking stock whose engagement has faded below `leaves_below` (`_fading_py`)."""
        out = np.empty(len(active), np.int64)
        k = 0
        for u in range(len(active)):
            if eligible[u] and active[u] and engagement[u] < leaves_below:
                out[k] = u
                k += 1
        return out[:k]

    @njit(cache=True, nogil=True)
    def _dirichlet(rng, alpha, n):  # pragma: no cover - compiled
        """NumPy's Dirichlet draws (its standard case, every alpha at least 0.1: normalised gamma variates)."""
        out = np.empty((n, len(alpha)))
        for i in range(n):
            total = 0.0
            for k in range(len(alpha)):
                out[i, k] = rng.standard_gamma(alpha[k])
                total = total + out[i, k]
            inverse = 1.0 / total
            for k in range(len(alpha)):
                out[i, k] = out[i, k] * inverse
        return out

    @njit(cache=True, nogil=True)
    def newcomers(rng, n, mix, profiles, complementarity, profile_weight, asset_alpha, own_by_sector, lean,
                  interest_alpha, engagement_a, engagement_b, capacity_ab, propensity_ab,
                  availability_shape):  # pragma: no cover - compiled
        """`n` new organisations drawn from `rng`, as NumPy draws them (see `_newcomers_py`); every concentration
        in asset_alpha and interest_alpha at least 0.1 (below, NumPy's Dirichlet takes another way)."""
        n_sectors, n_assets = profiles.shape
        draws = rng.random(n)
        sector = np.empty(n, np.int64)
        for i in range(n):
            sector[i] = min(np.searchsorted(mix, draws[i] * mix[-1], side="right"), n_sectors - 1)
        noise = _dirichlet(rng, asset_alpha, n)
        assets = np.empty((n, n_assets))
        for i in range(n):
            for k in range(n_assets):
                leaning = (1.0 - complementarity) / n_assets + complementarity * profiles[sector[i], k]
                assets[i, k] = profile_weight * leaning + (1.0 - profile_weight) * noise[i, k]
        own = _dirichlet(rng, interest_alpha, n)
        interests = np.empty_like(own)
        for i in range(n):
            for k in range(own.shape[1]):
                interests[i, k] = lean * own_by_sector[sector[i], k] + (1.0 - lean) * own[i, k]
        engagement = rng.beta(engagement_a, engagement_b, n) if engagement_a > 0 else np.ones(n)
        capacity = rng.beta(capacity_ab[0], capacity_ab[1], n)
        propensity = rng.beta(propensity_ab[0], propensity_ab[1], n)
        shape = availability_shape
        availability = rng.beta(shape, shape, n) if shape > 0 else np.ones(n)
        return sector, assets, interests, engagement, capacity, propensity, availability

    @njit(cache=True, nogil=True)
    def grow(capacity, attended, fit, support, learning, erosion, active):  # pragma: no cover - compiled
        """Capacity after a month's learning and erosion, clipped to [0, 1], 0 for inactive members;
        `support` is per member."""
        out = np.empty(len(capacity))
        for k in range(len(capacity)):
            c = capacity[k]
            gain = learning * attended[k] * fit[k] + support[k]
            x = c + gain * (1.0 - c) - erosion * c
            x = 0.0 if x < 0.0 else (1.0 if x > 1.0 else x)
            out[k] = x * active[k]
        return out

    @njit(cache=True, nogil=True)
    def complementarity(assets, i, j):  # pragma: no cover - compiled
        """Half the L1 distance between the asset rows i and j (summed left to right, as NumPy does)."""
        out = np.empty(len(i))
        width = assets.shape[1]
        for k in range(len(i)):
            x, y = i[k], j[k]
            total = abs(assets[x, 0] - assets[y, 0])
            for c in range(1, width):
                total += abs(assets[x, c] - assets[y, c])
            out[k] = 0.5 * total
        return out

    @njit(cache=True, nogil=True)
    def sector_sums(sector, w, interests, n_sectors):  # pragma: no cover - compiled
        """Per sector: the w-weighted sum of interests, and the sum of w (each in row order)."""
        per_sector = np.zeros((n_sectors, interests.shape[1]))
        weight = np.zeros(n_sectors)
        for k in range(len(sector)):
            s = sector[k]
            for t in range(interests.shape[1]):
                per_sector[s, t] += w[k] * interests[k, t]
            weight[s] += w[k]
        return per_sector, weight

    @njit(cache=True, nogil=True)
    def balanced_agenda(sector, engagement, rows, everyone, current, interests,
                        n_sectors):  # pragma: no cover - compiled
        """The agenda serving every sector present alike (see `_balanced_agenda_py`): the sectors' sums in row
        order, their means summed in sector order (NumPy's mean over a few rows adds them in turn)."""
        topics = interests.shape[1]
        per_sector = np.zeros((n_sectors, topics))
        weight = np.zeros(n_sectors)
        for q in range(len(current)):
            r = q if everyone else rows[q]
            w = engagement[r] * current[q]
            s = sector[r]
            for t in range(topics):
                per_sector[s, t] += w * interests[q, t]
            weight[s] += w
        out = np.zeros(topics)
        present = 0
        for s in range(n_sectors):
            if weight[s] > 0:
                present += 1
                for t in range(topics):
                    out[t] += per_sector[s, t] / weight[s]
        if present == 0:
            return np.full(topics, 1.0 / topics)
        for t in range(topics):
            out[t] = out[t] / present
        return out

    @njit(cache=True, nogil=True)
    def ready_founders(rows, everyone, current, leader, replicated, capacity, engagement,
                       ready):  # pragma: no cover - compiled
        """Who of a community could found one, and how many (see `_ready_founders_py`)."""
        strong = np.empty(len(current), np.bool_)
        count = 0
        for q in range(len(current)):
            r = q if everyone else rows[q]
            strong[q] = (leader[r] and current[q] and not replicated[r] and capacity[r] >= ready
                         and engagement[r] >= ready)
            count += strong[q]
        return strong, count

    @njit(cache=True, nogil=True)
    def volunteer_at(handle, core, core_odds, rest, rest_odds, nobody_core,
                     nobody_rest):  # pragma: no cover - compiled
        """Who steps up to host, the core first (see `_volunteer_at_py`): `nobody_*` is each group's
        (prod K)^(1/(N-1)), computed by NumPy (its log and exp)."""
        rng = generator_at(handle)
        for group in range(2):
            candidates, odds, nobody = (core, core_odds, nobody_core) if group == 0 else (rest, rest_odds, nobody_rest)
            n = len(candidates)
            if n == 0:
                continue
            if n == 1:
                return candidates[0]
            cheapest = 0
            for q in range(1, n):
                if odds[q] < odds[cheapest]:
                    cheapest = q
            if nobody > odds[cheapest]:
                return candidates[cheapest]
            draws = rng.random(n)
            volunteers = np.empty(n, np.int64)
            k = 0
            for q in range(n):
                if draws[q] < 1.0 - nobody / odds[q]:
                    volunteers[k] = candidates[q]
                    k += 1
            if k:
                return volunteers[rng.integers(0, k)]
        return -1

    @njit(cache=True, nogil=True)
    def hosting_odds(capacity, leader, engagement, member, split, fatigue, base, ease, benefit):
        """One pass instead of ten small array calls: hosting is weighed at every meeting that is due."""
        out = np.empty(len(capacity))
        for k in range(len(capacity)):
            out[k] = _odds_of(k, k, capacity, leader, engagement, member, split, fatigue, base, ease, benefit)
        return out

    @njit(cache=True, nogil=True)
    def place_members(start, sector, assets, interests, engagement, aspiration, capacity, propensity, availability,
                      leader, active, joined, replicated, new_sector, new_assets, new_interests, new_engagement,
                      new_capacity, new_propensity, new_availability, new_aspiration,
                      month):  # pragma: no cover - compiled
        """The newcomers written into the member arrays from row `start` on, in place (see `_place_members_py`)."""
        for q in range(len(new_sector)):
            r = start + q
            sector[r] = new_sector[q]
            assets[r] = new_assets[q]
            interests[r] = new_interests[q]
            engagement[r] = new_engagement[q]
            aspiration[r] = new_aspiration
            capacity[r] = new_capacity[q]
            propensity[r] = new_propensity[q]
            availability[r] = new_availability[q]
            leader[r] = False
            active[r] = True
            joined[r] = month
            replicated[r] = False

    @njit(cache=True, nogil=True)
    def add_members_at(handle, n, mix, profiles, complementarity, profile_weight, asset_alpha, own_by_sector, lean,
                       interest_alpha, engagement_a, engagement_b, capacity_a, capacity_b, propensity_a, propensity_b,
                       availability_shape, start, sector, assets, interests, engagement, aspiration, capacity,
                       propensity, availability, leader, active, joined, replicated, new_aspiration,
                       month):  # pragma: no cover - compiled
        """`n` newcomers drawn from the stream behind `handle` and written into the member arrays from row `start`
        on, in place (see `_add_members_at_py`): one call, no arrays handed back."""
        new_sector, new_assets, new_interests, new_engagement, new_capacity, new_propensity, new_availability = \
            newcomers(generator_at(handle), n, mix, profiles, complementarity, profile_weight, asset_alpha,
                      own_by_sector, lean, interest_alpha, engagement_a, engagement_b, (capacity_a, capacity_b),
                      (propensity_a, propensity_b), availability_shape)
        place_members(start, sector, assets, interests, engagement, aspiration, capacity, propensity, availability,
                      leader, active, joined, replicated, new_sector, new_assets, new_interests, new_engagement,
                      new_capacity, new_propensity, new_availability, new_aspiration, month)

else:  # pragma: no cover
    volunteer_at = _volunteer_at_py
    ready_founders = _ready_founders_py
    balanced_agenda = _balanced_agenda_py
    place_members = _place_members_py
    add_members_at = _add_members_at_py
    hosting_candidates = _hosting_candidates_py
    ready_to_lead = _ready_to_lead_py
    leaders_taking_stock = _leaders_taking_stock_py
    step_down = _step_down_py
    fading = _fading_py
    newcomers = _newcomers_py
    grow = _grow_py
    complementarity = _complementarity_py
    sector_sums = _sector_sums_py
    hosting_odds = _hosting_odds_py
