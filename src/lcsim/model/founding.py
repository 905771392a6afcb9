"""Founding: strong leaders start communities of their own, which then live under the same rules.

A mixin of `LearningCommunity` (it reads the model's members, ties, parameters and streams).
"""

from __future__ import annotations

import math

import numpy as np

from .community import Community, FounderConvener
from .kernels import ready_founders
from .members import over
from .streams import Streams


class Founding:
    """Replication by members (ODD 7.10)."""

    def _replicate(self, c, months: int) -> None:
        """Strong leaders may found a community of their own (Appleseed replicated the case's model)."""
        m, a = self.members, self.assumptions
        # Current leaders who have not founded one, with capacity and engagement enough (compiled: one call)
        strong, count = ready_founders(c.rows, c.everyone, c.current, m.leader, m.replicated, m.capacity, m.engagement,
                                       a.replication_capacity)
        if not count:  # none ready: no draw
            return
        strong &= c.take(self.ties.degree(len(m))) >= a.replication_degree
        chance = over(self.p["replication"] * self._demand(c.rows, strong), months)
        hits = strong & (c.streams.replication.random(len(c.rows)) < chance)
        for founder in c.rows[hits].tolist():
            self._found(c, founder)

    def _demand(self, rows: np.ndarray, strong: np.ndarray):
        """Demand for another community around each of `rows` that could found one (the mask `strong`):
        the share of its active contacts in no other live community, to the power `founding_demand`
        (Hannan & Freeman 1989: founding is density-dependent; here density is how far the organisations
        around a founder are already served). 1 where the rule is off."""
        exponent = self.assumptions.founding_demand
        if exponent == 0 or not strong.any():
            return 1.0
        ties, active = self.ties, self.members.active
        free = (self.commitments <= 1) & active
        free_contacts = np.bincount(ties.a, free[ties.b], len(active)) + np.bincount(ties.b, free[ties.a], len(active))
        contacts = np.bincount(ties.a, active[ties.b], len(active)) + np.bincount(ties.b, active[ties.a], len(active))
        share = np.where(contacts > 0, free_contacts / np.maximum(contacts, 1), 0.0)[rows]
        return share ** exponent

    def _found(self, parent: Community, founder: int) -> None:
        """`founder` starts a community: it invites its strongest contacts (each comes with chance its
        engagement) and brings new organisations, and convenes it itself (FounderConvener)."""
        m, a, p, rng = self.members, self.assumptions, self.p, parent.streams.replication
        if len(self.communities) >= p["max_communities"]:
            self.replications_capped += 1  # no room: it may try again at a later stock-take
            return
        ties = self.ties
        mine = np.flatnonzero((ties.a == founder) | (ties.b == founder))
        contacts = np.where(ties.a[mine] == founder, ties.b[mine], ties.a[mine])
        keep = m.active[contacts]
        contacts, strength = contacts[keep], ties.strength[mine][keep]
        invited = contacts[np.argsort(-strength, kind="stable")][:math.ceil(a.invite_share * len(contacts))]
        came = np.sort(invited[rng.random(len(invited)) < m.engagement[invited]])
        newcomers = int(round(a.newcomer_ratio * len(came)))
        if 1 + len(came) + newcomers < a.founding_members:
            return  # too few would come: the attempt fails (it may try again)
        m.replicated[founder] = True
        index = len(self.communities)
        streams = Streams(self.rng, self.streams.root, community=index)
        new = self._new_organisations(newcomers, streams.joining, self.month)
        if newcomers:
            ties.add_new(new, np.full(newcomers, founder), np.full(newcomers, a.initial_acquaintance),
                         m.complementarity(new, np.full(newcomers, founder)))
        rows = np.unique(np.concatenate([[founder], came, new]).astype(np.int64))
        convener = FounderConvener(self, founder, self.month, m.capacity[founder], p["control"],
                                   p["resource_sharing"], a.founder_effort)
        self.communities.append(Community(self, index, rows, convener, streams, origin="replicated",
                                          parent=parent.index, founder=founder, started=self.month))
        self.last_stock[new] = self.month
        self.replications += 1
        parent.children += 1
        self._recount()
