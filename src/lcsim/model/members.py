"""The members' state, one row per organisation, and their monthly rules, vectorised.

Rows are never reused: a member who leaves keeps its row with `active = False`, so an
index names the same organisation for the whole run.
"""

from __future__ import annotations

import numpy as np

from ..assumptions import Assumptions
from ..parameters import SECTORS
from .kernels import (
    _newcomers_py,
    _ready_to_lead_py,
    add_members_at,
    complementarity,
    fading,
    grow,
    handle_of,
    hosting_candidates,
    hosting_odds,
    leaders_taking_stock,
    place_members,
    ready_to_lead,
    step_down,
    volunteer_at,
)

N_ASSETS = 4  # resource kinds: field knowledge, funding, evidence/research, policy access (docs/sources.md)
# Sector k is strongest in asset kind k: CSOs in field knowledge, businesses in funding,
# academia in evidence, government in policy access (structural: one asset kind per sector).
_PROFILES = np.eye(len(SECTORS), N_ASSETS)
# Every other constant of these rules is in `lcsim.Assumptions` (self.a below).


_EPS = 1e-9
_NONE = np.empty(0)  # an optional per-member factor that is absent (hosting_odds)
_NO_ROWS = np.empty(0, np.int64)


def over(monthly, months: int):
    """Chance that a monthly event with probability `monthly` happens at least once in `months`."""
    return 1.0 - (1.0 - monthly) ** months


COLUMNS = ("sector", "assets", "interests", "engagement", "aspiration", "capacity", "propensity", "availability",
           "leader", "active", "joined", "replicated")  # the member arrays, in the kernels' order


def with_room(values: np.ndarray, buffers: dict, name: str, count: int) -> np.ndarray:
    """The buffer `values` (one per organisation) is the head of, where it has room for `count` more rows; else a
    new one, twice the size needed, holding `values` first (kept in `buffers[name]`). Rows grow in place, and the
    arrays the rules read stay views of the buffer's head: appending costs no copy, and the rare copy is amortised."""
    buffer, end = buffers.get(name), len(values) + count
    if buffer is None or values.base is not buffer or len(buffer) < end:
        buffer = np.empty((max(2 * end, 64), *values.shape[1:]), values.dtype)
        buffer[:len(values)] = values
        buffers[name] = buffer
    return buffer


def _at(values, rows):
    """`values[rows]` for one value per member; a single value as it is."""
    return values if np.ndim(values) == 0 else values[rows]


class MemberTable:
    def __init__(self, assumptions: Assumptions | None = None) -> None:
        self.a = assumptions if assumptions is not None else Assumptions()
        self.sector = np.empty(0, np.int64)
        self.assets = np.empty((0, N_ASSETS))
        self.interests = np.empty((0, self.a.topics))
        self.engagement = np.empty(0)
        self.aspiration = np.empty(0)
        self.capacity = np.empty(0)
        self.propensity = np.empty(0)
        self.availability = np.empty(0)  # lasting share of meetings it can make time for (1: the rule is off)
        self.leader = np.empty(0, bool)
        self.active = np.empty(0, bool)
        self.joined = np.empty(0, np.int64)
        self.replicated = np.empty(0, bool)
        self._buffers: dict[str, np.ndarray] = {}  # per column, the buffer it is the head of (`with_room`)

    def __len__(self) -> int:
        return len(self.sector)

    # -- who they are ------------------------------------------------------------------------
    def add(self, n: int, p: dict, rng, month: int) -> np.ndarray:
        """Draw `n` new organisations; return their row indices.

        Each leans to its sector: in assets (its own asset kind, by `complementarity`; Dirichlet noise for
        the rest) and in interests (its sector's own concerns: an agenda set by the majority sector serves
        the minority sectors less, after the case: topics had to generate value for participants from their
        differences). Engagement is Beta with mean `initial_engagement`; capacity and propensity are Beta
        draws (propensity heavy-tailed: a few members carry most of the initiative, van Mierlo 2014); a
        lasting availability, Beta(a, a), heavy-tailed at both ends, is how much time the organisation can
        give whatever its engagement (1 with the rule off). Drawn and stored in one compiled call
        (`kernels.add_members_at`), in the order and with the draws of its NumPy twin.
        """
        a = self.a
        mix, own_by_sector, asset_alpha, interest_alpha = self._constants(p["cso_share"])
        mean_e, b = p["initial_engagement"], a.engagement_shape_b
        shapes = (float(b * mean_e / (1.0 - mean_e)) if mean_e < 1 else 0.0, float(b))
        traits = (float(a.capacity_shape_a), float(a.capacity_shape_b), float(a.propensity_shape_a),
                  float(a.propensity_shape_b), float(a.availability_shape))
        start = len(self)
        # The arrays grow in place, into buffers with room (no arrays handed back from compiled code: issue 23).
        columns = [with_room(getattr(self, name), self._buffers, name, n) for name in COLUMNS]
        if min(asset_alpha[0], interest_alpha[0]) >= 0.1:  # one compiled call, the stream passed by its handle
            add_members_at(handle_of(rng), n, mix, _PROFILES, float(p["complementarity"]),
                           float(a.asset_profile_weight), asset_alpha, own_by_sector, float(a.sector_interest_lean),
                           interest_alpha, *shapes, *traits, start, *columns, float(p["aspiration"]), int(month))
        else:  # NumPy's Dirichlet draws concentrations below 0.1 another way, which the compiled draws do not follow
            drawn = _newcomers_py(rng, n, mix, _PROFILES, float(p["complementarity"]), float(a.asset_profile_weight),
                                  asset_alpha, own_by_sector, float(a.sector_interest_lean), interest_alpha, *shapes,
                                  traits[:2], traits[2:4], traits[4])
            place_members(start, *columns, *drawn, float(p["aspiration"]), int(month))
        for name, column in zip(COLUMNS, columns):
            setattr(self, name, column[:start + n])
        return np.arange(start, start + n)

    def _constants(self, cso_share: float) -> tuple:
        """What every draw of newcomers reuses: the cumulative sector mix, each sector's own topics and
        the Dirichlet concentrations (built once per share of CSOs)."""
        cached = getattr(self, "_drawing", None)
        if cached is None or cached[0] != cso_share:
            a = self.a
            others = (1.0 - cso_share) / 3.0
            mix = np.cumsum([cso_share, others, others, others])
            own = (np.eye(len(SECTORS), a.topics) if a.topics >= len(SECTORS)
                   else np.eye(a.topics)[np.arange(len(SECTORS)) % a.topics])
            cached = self._drawing = (cso_share, mix, own, np.full(N_ASSETS, a.asset_noise_concentration),
                                      np.full(a.topics, a.interest_concentration))
        return cached[1:]

    def complementarity(self, i: np.ndarray, j: np.ndarray) -> np.ndarray:
        """How much two members' assets differ, 0-1: the value of what each lacks and the other has."""
        return complementarity(self.assets, np.asarray(i, np.int64), np.asarray(j, np.int64))

    # -- the monthly rules -------------------------------------------------------------------
    def update_engagement(self, value: np.ndarray, months, rows: np.ndarray | None = None) -> None:
        """Engagement follows value against aspiration, as a logistic process in time.

        `value` is what each member got per month over the `months` since it last took stock. The
        log-odds of engagement move by `engagement_rate` x (value - aspiration) per month, so
        engagement stays inside (0, 1) with no clip, and one stock-take after three months moves it
        exactly as far as three monthly ones with the same value would: how often stock is taken
        does not matter, only what members got and for how long.

        Aspirations adapt to the value members get used to (aspiration-level adaptation, compounded
        monthly): a community spoiled by a generous convener feels its exit as a loss. The response is
        linear in the gap, so a loss moves the log-odds by the same total, rate x loss / adaptation,
        whether it comes at once or in steps: a taper spreads the loss, it does not shrink it
        (docs/model.md section 8, (g)). (The model's stock-take runs this rule in kernels.stock.)
        """
        a = self.a
        keep = 1.0 - a.aspiration_adaptation
        # Month k of the interval sees the gap (value - aspiration) x keep**k, as aspiration closes in;
        # summed over the interval's months, the gap counts this many times (exactly `months` if
        # aspirations do not adapt), so one update of n months equals n monthly ones.
        kept = keep ** months  # the share of the gap left after `months` (computed once, used twice)
        weight = months if keep == 1.0 else (1.0 - kept) / a.aspiration_adaptation
        # `rows`: only these members take stock (in a programme, those of communities that met), each
        # over its own `months` (an array then).
        engagement = self.engagement if rows is None else self.engagement[rows]
        aspiration = self.aspiration if rows is None else self.aspiration[rows]
        e = np.minimum(np.maximum(engagement, _EPS), 1.0 - _EPS)  # numerical guard for exact 0 or 1, not a bound
        logit = np.log(e / (1.0 - e)) + a.engagement_rate * weight * (value - aspiration)
        engagement = 1.0 / (1.0 + np.exp(-logit))
        aspiration = value + (aspiration - value) * kept
        if rows is None:
            self.engagement, self.aspiration = engagement, aspiration
        else:
            self.engagement[rows], self.aspiration[rows] = engagement, aspiration

    def grow_capacity(self, attended: np.ndarray, fit: np.ndarray, support: float) -> None:
        """Members learn at relevant meetings and from the convener's resources; capacity erodes. (The model's
        month runs this rule with the ties' decay in one call: kernels.month.)"""
        # gain = learning_rate * attended * fit + support; capacity += gain * (1 - capacity) - erosion * capacity,
        # clipped to [0, 1] (compiled: `kernels.grow`)
        support = np.asarray(support, np.float64)
        if support.ndim == 0:
            support = np.full(len(self), float(support))
        self.capacity = grow(self.capacity, attended, np.asarray(fit, np.float64), support, self.a.learning_rate,
                             self.a.capacity_erosion, self.active)

    def emerge_leaders(self, rate, centrality: np.ndarray, months, rng,
                       eligible: np.ndarray | None = None) -> np.ndarray:
        """Some ready members step up: the likelier, the higher their propensity, capacity and centrality.

        `rate` is monthly; `months` have passed since members last took stock. Either may be one
        number or one per member; `eligible` (a mask): only these take stock now (default: all).
        Leaders come from the core: those with the time to lead (availability; 1 with the rule off). The
        monthly hazard, rate x propensity x capacity x availability x (1 - w + w x centrality), is compiled
        (`kernels.ready_to_lead`); compounding it over the months is NumPy's (`over`). (A stock-take of the
        model runs this rule, `burn_out` and `leave` for every community at once: kernels.lifecycle.)
        """
        scalar = np.ndim(rate) == 0
        ready, hazard = (ready_to_lead if scalar else _ready_to_lead_py)(
            self.active if eligible is None else eligible, self.active, self.leader, self.engagement,
            self.a.ready_engagement, float(rate) if scalar else rate, self.propensity, self.capacity,
            self.availability, self.a.centrality_weight, np.asarray(centrality, np.float64))
        new = ready[rng.random(len(ready)) < over(hazard, _at(months, ready))]
        self.leader[new] = True
        return new

    def burn_out(self, rate: float, hosted, months, rng, eligible: np.ndarray | None = None) -> None:
        """Leaders step down by chance (more often those who just hosted: row or rows `hosted`) or when
        their own engagement fades. `rate` is monthly; `months` (one, or one per member) have passed
        since the last stock-taking; `eligible` (a mask): only these take stock now. (Compiled: who takes
        stock, `kernels.leaders_taking_stock`, and who steps down, `kernels.step_down`.)"""
        hosted = np.asarray(hosted if hosted is not None else [], np.int64).reshape(-1)
        leaders, monthly = leaders_taking_stock(self.leader, self.leader if eligible is None else eligible, hosted,
                                                float(rate), min(1.0, self.a.hosting_burnout * rate))
        if len(leaders) == 0:
            return
        hazard = over(monthly, _at(months, leaders))
        step_down(leaders, rng.random(len(leaders)), hazard, self.engagement, self.a.leader_quits_below,
                  self.a.step_down_engagement, self.leader)

    def leave(self, months, rng, eligible: np.ndarray | None = None) -> np.ndarray:
        """Members whose engagement has faded may leave (the practice: every community they are in);
        return the rows of those who did."""
        candidates = fading(self.active if eligible is None else eligible, self.active, self.engagement,
                            self.a.leaves_below)
        gone = candidates[rng.random(len(candidates)) < over(self.a.leave_chance, _at(months, candidates))]
        self.active[gone] = False
        self.leader[gone] = False
        return gone

    def hosting_odds(self, active_count: int, benefit: float, rows: np.ndarray | None = None,
                     member: np.ndarray | None = None, split: np.ndarray | None = None,
                     fatigue: np.ndarray | None = None) -> np.ndarray:
        """Each member's cost-to-benefit ratio K of hosting a meeting that is due (K >= 1: it won't).

        Hosting costs effort, more for a member of little capacity and more the larger the meeting to
        coordinate (Provan & Kenis 2008: shared governance suits small networks); a leader finds it
        easier (the role, the know-how). The benefit is the meeting happening: what a meeting is
        worth (`member_benefit`) to a member as engaged as it is.
        """
        # In a programme: `rows` are one community's (default: every row), `member` marks its current
        # members among them (default: the active), and `split` is each one's m^attention_split, for
        # an organisation in m live communities (its time is split: hosting costs it more).
        a = self.a
        capacity, leader, engagement = (self.capacity, self.leader, self.engagement) if rows is None else (
            self.capacity[rows], self.leader[rows], self.engagement[rows])
        base = a.hosting_cost * (1.0 + active_count / a.coordination_scale)
        return hosting_odds(capacity, leader, engagement, self.active if member is None else member,
                            _NONE if split is None else split, _NONE if fatigue is None else fatigue,
                            float(base), float(a.leader_hosting_ease), float(benefit))

    def volunteer(self, active_count: int, benefit: float, rng, rows: np.ndarray | None = None,
                  member: np.ndarray | None = None, split: np.ndarray | None = None,
                  fatigue: np.ndarray | None = None) -> int | None:
        """Who, if anyone, steps up to host: a volunteer's dilemma (Diekmann 1985), core first.

        The core (emergent leaders) faces the dilemma first; if none of them steps up, the other
        members do (Wenger et al. 2002: a core group carries a community of practice; Provan &
        Kenis 2008: larger networks lean on a lead organisation). Within each group, members for whom
        hosting is worth its cost (K < 1) play the mixed equilibrium of the asymmetric volunteer's
        dilemma: nobody volunteers with chance P0 = (prod K)^(1 / (N - 1)) and member i with chance
        1 - P0 / K_i. A larger group brings more candidates, and each leaves it more to the others
        (free-riding, Olson 1965): both size effects come from the same equilibrium.
        """
        # Each one's K as `hosting_odds`; those with K < 1 in two groups, the core first (compiled:
        # `kernels.hosting_candidates`).
        a = self.a
        base = a.hosting_cost * (1.0 + active_count / a.coordination_scale)
        core, core_odds, rest, rest_odds = hosting_candidates(
            self.capacity, self.leader, self.engagement, _NO_ROWS if rows is None else rows, rows is None,
            self.active if member is None else member, _NONE if split is None else split,
            _NONE if fatigue is None else fatigue, float(base), float(a.leader_hosting_ease), float(benefit))
        # Each group's chance that nobody volunteers is NumPy's (its log and exp, as `_volunteers_dilemma`); who
        # volunteers is drawn in one compiled call from the stream, passed by its handle (`kernels.volunteer_at`).
        nobody_core, nobody_rest = (float(np.exp(np.log(odds).sum() / (len(odds) - 1))) if len(odds) > 1 else 0.0
                                    for odds in (core_odds, rest_odds))
        host = int(volunteer_at(handle_of(rng), core, core_odds, rest, rest_odds, nobody_core, nobody_rest))
        if host < 0:
            return None
        return host if rows is None else int(rows[host])

