"""Members' life cycle: leaders step up and down, members leave and bring in newcomers, communities dissolve.

A mixin of `LearningCommunity` (it reads the model's members, ties, parameters and streams).
"""

from __future__ import annotations

import numpy as np

from .members import over


class LifeCycle:
    """Leaders, turnover and dissolution (ODD 7.7, 7.8)."""

    def _leaders_and_leaving(self, due, months, eligible: np.ndarray) -> None:
        """Where a meeting was due: members notice the ties that faded, leaders step up and down, and
        members whose engagement faded may leave."""
        self.ties.forget()
        owners = self._owners(due, eligible)  # stepping up or down changes no membership: the same for both
        self._leadership(due, months, owners)
        self._turnover_out(months, owners)

    def _leadership(self, due, months, owners) -> None:
        """Ready members step up as leaders, and leaders step down, in each community that met
        (`owners`: each with the mask of the members taking stock through it)."""
        members, p = self.members, self.p
        strength = self.ties.per_member(len(members))
        hosted = np.array([c.host.row for c in due if c.host is not None and c.host.local], np.int64)
        for c, own in owners:
            # Centrality within its community: the strongest-tied member of it scores 1.
            top = strength[c.member_rows()].max() if c.n_active else 0.0
            centrality = strength / top if top > 0 else strength
            convener = c.convener
            rate = min(p["leadership"] * (1.0 - convener.crowding_out()) * convener.leader_development(), 1.0)
            new = members.emerge_leaders(rate, centrality, months, c.streams.leaders, own)
            self.leaders_ever.update(new.tolist())
            members.burn_out(p["burnout"], hosted, months, c.streams.leaders, own)

    def _turnover_out(self, months, owners) -> None:
        """Members whose engagement faded may leave the practice: every community they are in."""
        gone = np.concatenate([self.members.leave(months, c.streams.leaving, own) for c, own in owners]
                              + [self._leave_for_outside_reasons(c, own, months) for c, own in owners])
        if len(gone):
            live = self._live()[0]
            self.left = int(np.count_nonzero(self._in_convened(live)[gone]))
            self.ties.drop_members(~self.members.active)
            for c in live:
                before = c.n_active
                c.refresh()
                c.left = before - c.n_active
            self._recount()

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
        since they last took stock; the community's own stream `outside`). Returns the rows that left."""
        rate = self.assumptions.outside_exit
        if rate == 0:
            return np.empty(0, np.int64)
        members = self.members
        able = np.flatnonzero(own & members.active)
        gone = able[c.streams.outside.random(len(able)) < over(rate, months[able])]
        members.active[gone] = False
        members.leader[gone] = False
        return gone

    def _in_convened(self, live) -> np.ndarray:
        """Organisations in a live convened community (of `live`), as a mask."""
        mask = np.zeros(len(self.members), bool)
        for c in live:
            if c.origin == "convened":
                mask[c.member_rows()] = True
        return mask

    def _turnover_in(self, c, months: int) -> int:
        """Engaged members bring in organisations they know, while the community is alive."""
        members, rng = self.members, c.streams.recruitment
        pull = c.take(members.engagement) * c.current
        count = rng.poisson(self.p["join_rate"] * months * pull.sum() * self._room_to_grow(c))
        room = self.p["max_members"] - c.n_active
        if count >= room:  # the size cap: recruit up to it, and record that the run reached it
            count, self.reached_max_members = max(room, 0), True
        if count == 0:
            return 0
        cumulative = np.cumsum(pull)
        recruiters = c.rows[np.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right")]
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
