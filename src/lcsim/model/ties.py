"""Weighted, undirected ties between members, stored as a sorted edge list.

A dense members x members matrix would make every month O(n^2); an edge list keeps the
monthly work O(members x contacts), which is what lets 2,000-member communities run fast.
"""

from __future__ import annotations

import numpy as np

from ..assumptions import Assumptions
from .kernels import adjacency, append_ties, embeddedness, keep_ties, merge_contacts, per_member, sort_ties
from .kernels import decay as kernel_decay

_KEY = np.int64(1) << 32


class Ties:
    def __init__(self, assumptions: Assumptions | None = None) -> None:
        self.assumptions = assumptions if assumptions is not None else Assumptions()
        self.a = np.empty(0, np.int64)  # lower member index of each tie
        self.b = np.empty(0, np.int64)  # higher member index
        self.strength = np.empty(0)  # tie_strength in [0, 1]
        self.value = np.empty(0)  # complementarity of the pair's assets, fixed at formation
        self.touched = np.empty(0, bool)  # had contact this month
        self.common = np.empty(0)  # common contacts of the pair (embeddedness), as of the last meeting
        self._sorted = True  # kept in key order for look-ups; appends defer the sort to the next look-up
        self.version = 0  # bumped whenever the set of ties changes (cache key for network measures)

    def __len__(self) -> int:
        return len(self.a)

    @property
    def keys(self) -> np.ndarray:
        return self.a * _KEY + self.b

    def interact(self, i: np.ndarray, j: np.ndarray, gain: np.ndarray, value_of) -> None:
        """Pairs (i, j) interact: existing ties strengthen by gain * (1 - strength); new ties form.

        `gain` is per pair; duplicates of a pair keep the largest gain. `value_of(a, b)` gives the
        complementarity of new pairs.
        """
        if not (i != j).any():  # no pair of two members (nothing to do, and no re-sort)
            return
        if not self._sorted:
            (self.a, self.b, self.strength, self.value, self.touched,
             self.common) = sort_ties(self.a, self.b, self.strength, self.value, self.touched, self.common)
            self._sorted = True
        na, nb, new_gain = merge_contacts(self.a, self.b, self.strength, self.touched, np.asarray(i, np.int64),
                                          np.asarray(j, np.int64), np.asarray(gain, np.float64))
        if len(na):
            self.add_new(na, nb, new_gain, value_of(na, nb))

    def add_new(self, i, j, strength, value) -> None:
        """Add ties the caller knows do not exist yet (e.g. a newcomer's tie to its recruiter)."""
        (self.a, self.b, self.strength, self.value, self.touched, self.common) = append_ties(
            self.a, self.b, self.strength, self.value, self.touched, self.common, np.asarray(i, np.int64),
            np.asarray(j, np.int64), np.asarray(strength, np.float64), np.asarray(value, np.float64))
        self._sorted = False
        self.version += 1

    def _take(self, index) -> None:
        self.a, self.b = self.a[index], self.b[index]
        self.strength, self.value, self.touched = self.strength[index], self.value[index], self.touched[index]
        self.common = self.common[index]

    def decay(self, rate: float) -> None:
        """Ties with no contact this month weaken: weak ties faster (Burt 2000), bridges faster than
        ties embedded among common contacts (Burt 2002; Jin, Girvan & Newman 2001)."""
        a = self.assumptions
        kernel_decay(self.strength, self.touched, self.common, float(rate), a.embeddedness_protection,
                     a.weak_tie_decay)

    def refresh_embeddedness(self, n: int) -> None:
        """Count each pair's common contacts (computed at meetings, where ties change; cached between).

        Each member marks its contacts and counts the marked contacts of each of theirs (compiled:
        `kernels.embeddedness`), O(ties x contacts), with no n x n matrix.
        """
        if len(self) == 0:
            self.common = np.empty(0)
            return
        self.common = embeddedness(self.a, self.b, n)

    def idle_survival(self, rate: float, months: int) -> tuple[float, float]:
        """Shares of today's bridges (no common contact) and embedded ties (at least one) that would
        still be there after `months` with no contact at all (no meetings, no brokering)."""
        s, idle, a = self.strength.copy(), np.zeros(len(self), bool), self.assumptions
        for _ in range(months):  # the decay rule itself, on a copy
            kernel_decay(s, idle, self.common, float(rate), a.embeddedness_protection, a.weak_tie_decay)
        alive = s >= a.forget_below
        common = self.common
        bridge = common == 0
        share = lambda mask: float(alive[mask].mean()) if mask.any() else float("nan")  # noqa: E731
        return share(bridge), share(~bridge)

    def forget(self) -> None:
        """Drop ties that have faded below `forget_below`: contacts no one would call on."""
        self._keep(self.strength >= self.assumptions.forget_below)

    def drop_members(self, gone: np.ndarray) -> None:
        """Remove every tie of members in the boolean mask `gone`."""
        self._keep(~(gone[self.a] | gone[self.b]))

    def _keep(self, mask: np.ndarray) -> None:
        kept = keep_ties(mask, self.a, self.b, self.strength, self.value, self.touched, self.common)  # in place
        if kept < len(self.a):
            self._take(slice(kept))
            self.version += 1

    def per_member(self, n: int, weights: np.ndarray | None = None) -> np.ndarray:
        """Sum of `weights` (default: strength) over each member's ties."""
        return per_member(self.a, self.b, self.strength if weights is None else weights, n)  # compiled

    def degree(self, n: int) -> np.ndarray:
        return np.bincount(self.a, minlength=n) + np.bincount(self.b, minlength=n)

    def neighbours(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Adjacency in CSR form: (offsets, neighbour indices), each member's list in the order of its
        ties in the list."""
        return adjacency(self.a, self.b, n)
