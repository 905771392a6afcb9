"""Members' life cycle: leaders step up and down, members leave and bring in newcomers, communities dissolve.

A mixin of `LearningCommunity` (it reads the model's members, ties, parameters and streams).
"""

from __future__ import annotations

import numpy as np

from .kernels import handle_of
from .kernels.lifecycle import after_leaving, ready_to_step_up, recruit_at, step_up_down_and_leave_at
from .kernels.programme import owners
from .members import over

_NO_STREAM = np.zeros(5, np.uint64)  # a stream the rules will not draw from (kernels.rng handles)
_NO_CHANCES = np.empty(0)  # a rule that is off


class LifeCycle:
    """Leaders, turnover and dissolution (ODD 7.7, 7.8)."""

    def _leaders_and_leaving(self, due, months, eligible: np.ndarray) -> None:
        """Where a meeting was due: members notice the ties that faded, leaders step up and down, and
        members whose engagement faded may leave.

        Each member taking stock does so through the first due community it belongs to (`owners`), whose
        rules and streams it goes through: ready members step up (`MemberTable.emerge_leaders`, at the
        community's rate and with centrality within it: its strongest-tied member scores 1), leaders step
        down (`burn_out`), members whose engagement faded leave (`leave`), and members leave for outside
        reasons (`_leave_for_outside_reasons`). The same rules for every community in two compiled calls
        (kernels.lifecycle); the chances compounded over the months since members took stock are NumPy's.
        """
        self.ties.forget()
        members, p, a = self.members, self.p, self.assumptions
        live, offsets, rows = self._live()
        chosen = np.array([c in due for c in live])
        owner = owners(offsets, rows, chosen, eligible)  # stepping up or down changes no membership
        picks = np.flatnonzero(chosen)
        taking = [live[k] for k in picks]
        rates = np.array([min(p["leadership"] * (1.0 - c.convener.crowding_out()) * c.convener.leader_development(),
                              1.0) for c in taking], np.float64)
        ready, hazard, bounds = ready_to_step_up(
            offsets, rows, picks, owner, rates, self.ties.per_member(len(members)), members.active, members.leader,
            members.engagement, a.ready_engagement, members.propensity, members.capacity, members.availability,
            a.centrality_weight)
        steps = np.arange(int(months.max()) + 1)  # every chance compounded from one monthly value, by months
        burnout = (p["burnout"], min(1.0, a.hosting_burnout * p["burnout"]))
        # one table a row: stepping down (and for a host), leaving when engagement faded, leaving for outside reasons
        tables = over(np.array([*burnout, a.leave_chance, a.outside_exit], np.float64)[:, None], steps)
        handles = np.array([(handle_of(c.streams.leaders), handle_of(c.streams.leaving),
                             handle_of(c.streams.outside) if a.outside_exit != 0 else _NO_STREAM) for c in taking])
        new, gone = step_up_down_and_leave_at(
            handles, picks, owner, ready, over(hazard, months[ready]), bounds, months,
            np.array([c.host.row for c in due if c.host is not None and c.host.local], np.int64),
            np.array(burnout, np.float64), tables[:2], tables[2], tables[3] if a.outside_exit != 0 else _NO_CHANCES,
            members.leader, members.active, members.engagement, a.leader_quits_below, a.step_down_engagement,
            a.leaves_below)
        self.leaders_ever.update(new.tolist())
        if len(gone):  # they leave every community they are in, with their ties (one compiled call)
            ties = self.ties
            kept, offsets, rows, left, self.commitments, self._split, self.left = after_leaving(
                offsets, rows, np.array([c.origin == "convened" for c in live]), gone, members.active, ties.a, ties.b,
                ties.strength, ties.value, ties.touched, ties.common)
            if kept < len(ties.a):
                ties._take(slice(kept))
                ties.version += 1
            for c, count in zip(live, left.tolist()):
                c.left = count
                if count:  # as `Community.refresh`
                    c.current = c.current & members.active[c.rows]
                    c._changed()
            self._live_cache = (self.memberships, live, offsets, rows)  # what `_live` would rebuild

    def _breaks_up_young(self, c) -> bool:
        """The liability of newness and smallness (Stinchcombe 1965; Freeman, Carroll & Hannan 1983): a
        community founded by a member breaks up with monthly chance newness_hazard x 0.5^(age /
        newness_halflife) x (founding_members / members)^smallness, for reasons outside the rules (its
        founder's organisation loses the funding or the person, a routine never forms). Draws from the
        community's own `outside` stream; none for convened communities or with the rule off."""
        a = self.assumptions
        if c.origin != "replicated" or a.newness_hazard == 0:
            return False
        age, n = self.month - c.started, max(c.n_active, 1)
        hazard = a.newness_hazard * 0.5 ** (age / a.newness_halflife) * (a.founding_members / n) ** a.smallness
        return bool(c.streams.outside.random() < min(hazard, 1.0))

    def _leave_for_outside_reasons(self, c, own: np.ndarray, months) -> np.ndarray:
        """Organisations also leave for reasons outside the community, however engaged: they lose their
        funding, their representative moves on (`outside_exit` a month, compounded over the months
        since they last took stock; the community's own stream `outside`). Returns the rows that left.
        (The model runs this rule with the others of a stock-take in one call: `_leaders_and_leaving`.)"""
        rate = self.assumptions.outside_exit
        if rate == 0:
            return np.empty(0, np.int64)
        members = self.members
        able = np.flatnonzero(own & members.active)
        gone = able[c.streams.outside.random(len(able)) < over(rate, months[able])]
        members.active[gone] = False
        members.leader[gone] = False
        return gone

    def _turnover_in(self, c, months: int) -> int:
        """Engaged members bring in organisations they know, while the community is alive."""
        members, rng = self.members, c.streams.recruitment
        # Poisson(join_rate x months x the members' pull (engagement) x room to grow), each newcomer brought by a
        # member drawn in proportion to its pull, up to the size cap (compiled: one call, the stream by its handle).
        count, capped, recruiters = recruit_at(handle_of(rng), members.engagement, c.rows, c.everyone, c.current,
                                               self.p["join_rate"] * months, self._room_to_grow(c),
                                               self.p["max_members"] - c.n_active)
        if capped:  # the size cap: recruit up to it, and record that the run reached it
            self.reached_max_members = True
        if count == 0:
            return 0
        count = int(count)
        rows = self._new_organisations(count, rng, self.month)
        c.add(rows)
        self.ties.add_new(rows, recruiters, np.full(count, self.assumptions.initial_acquaintance),
                          members.complementarity(rows, recruiters))
        return count

    def _room_to_grow(self, c) -> float:
        """How far members still bring in others: (1 - K)^growth_bound, K the cheapest member's
        cost-to-benefit of hosting a meeting of the community's size (Provan & Kenis 2008: shared
        governance does not scale). While its convener hosts there is no limit; once members must host,
        a community stops growing where even its best-placed host would find it no longer worth it."""
        exponent = self.assumptions.growth_bound
        if exponent == 0 or c.convener.present:
            return 1.0
        fatigue = self.fatigue[c.rows] if self.assumptions.host_fatigue > 0 else None
        odds = self.members.hosting_odds(c.n_active, self.p["member_benefit"], c.rows, c.current,
                                         self._hosting_scale(c), fatigue)
        cheapest = float(odds.min()) if len(odds) else np.inf
        return max(0.0, 1.0 - cheapest) ** exponent

    def _check_alive(self, c) -> None:
        """A community that has had no quorate meeting for `dissolution_intervals` meeting intervals has
        dissolved, for good: its members disperse, and it keeps no members, leaders, ties or hosts.
        An organisation in no other live community leaves the programme, with its ties. A community
        founded by a member may also break up by the liability of newness and smallness."""
        silent = self.month - c.last_quorate
        if c.alive and (silent > self.assumptions.dissolution_intervals * self.p["meeting_interval"]
                        or self._breaks_up_young(c)):
            rows = c.member_rows()
            c.dissolve(self.month)
            self._recount()
            members = self.members
            orphans = rows[self.commitments[rows] == 0]
            members.active[orphans] = False
            members.leader[orphans] = False
            self.ties.drop_members(~members.active)
            for other in self.communities:
                if other.alive:
                    other.refresh()
