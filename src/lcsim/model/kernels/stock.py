"""Members taking stock (`LearningCommunity._take_stock`) in three compiled calls and three of NumPy's (issue 23).

What each member got per month since it last took stock (`LearningCommunity._take_stock`) moves its engagement
(`MemberTable.update_engagement`). The arithmetic runs here; NumPy keeps the exponentials and logarithms (its own
SIMD ones, not the C library's, so they stay NumPy's: `exp` of the ties' value, `log` of the odds of engagement, `exp`
of the new log-odds), and the share of the gap to value that aspirations keep comes from a table of NumPy's powers
(`keep ** months` for 0..the most months, looked up). Every value is the one the rules computed one array call at
a time. Each kernel has a NumPy twin.

    rows, elapsed, months, taking, negated, odds = stock_takers(...)   # who, since when; -(tie value sum), e/(1-e)
    shifted = stock_shift(np.exp(negated), np.log(odds), ...)          # -(new log-odds of engagement)
    settle_stock(np.exp(shifted), ...)                                 # engagement, aspiration, meeting value
"""

from __future__ import annotations

import numpy as np

from .compile import njit
from .programme import _strongest_py, strongest
from .ties import _per_member_py, per_member

_EPS = 1e-9  # as members._EPS: a numerical guard for engagement of exactly 0 or 1, not a bound


def _stock_takers_py(offsets, rows, due, last_stock, month, a, b, strength, value, engagement):
    """The organisations of the due communities (`due`: their places in the live CSR `offsets`, `rows`), in
    ascending order, and the months since each last took stock (set to `month` now, in place); those months over
    every organisation (0 for the others) and the mask of those taking stock; and for each of them the negated sum
    of strength x value over its ties and the odds e / (1 - e) of its engagement e (kept inside (0, 1)) (NumPy twin
    of `stock_takers`)."""
    n = len(last_stock)
    taking = np.zeros(n, bool)
    for k in due:
        taking[rows[offsets[k]:offsets[k + 1]]] = True
    members = np.flatnonzero(taking)
    elapsed = month - last_stock[members]
    months = np.zeros(n, np.int64)
    months[members] = elapsed
    last_stock[members] = month
    negated = -_per_member_py(a, b, strength * value, n).astype(np.float64)[members]  # bincount of none: ints
    e = np.minimum(np.maximum(engagement[members], _EPS), 1.0 - _EPS)
    return members, elapsed, months, taking, negated, e / (1.0 - e)


def _stock_shift_py(ties_left, log_odds, members, elapsed, offsets, rows, reach, meeting_value, benefit, outreach,
                    aspiration, rate, kept_by_months, keep, adaptation):
    """What each member taking stock got per month (`ties_left` = exp of the negated tie sums: tie value is 1 minus
    it; its convener's reach, the largest of its live communities'; the meetings' value over the months) and its new
    log-odds of engagement, negated; returns (value, negated log-odds) (NumPy twin of `stock_shift`).
    `kept_by_months`: keep ** m for m months (keep = 1 - adaptation); keep 1: the gap counts once a month."""
    value = (benefit * (1.0 - ties_left) + outreach * _strongest_py(offsets, rows, reach, len(meeting_value))[members]
             + meeting_value[members] / elapsed)
    weight = elapsed if keep == 1.0 else (1.0 - kept_by_months[elapsed]) / adaptation
    return value, -(log_odds + rate * weight * (value - aspiration[members]))


def _settle_stock_py(odds_against, value, members, elapsed, kept_by_months, engagement, aspiration, meeting_value):
    """Engagement 1 / (1 + exp(-log-odds)), aspiration closing on value by what the months keep, and the meetings'
    value counted, in place (NumPy twin of `settle_stock`)."""
    engagement[members] = 1.0 / (1.0 + odds_against)
    aspiration[members] = value + (aspiration[members] - value) * kept_by_months[elapsed]
    meeting_value[members] = 0.0


if njit is not None:
    @njit(cache=True, nogil=True)
    def stock_takers(offsets, rows, due, last_stock, month, a, b, strength, value,
                     engagement):  # pragma: no cover - compiled
        """Who takes stock and since when, their negated tie sums and odds of engagement (see `_stock_takers_py`)."""
        n = len(last_stock)
        taking = np.zeros(n, np.bool_)
        for k in due:
            for e in range(offsets[k], offsets[k + 1]):
                taking[rows[e]] = True
        members = np.flatnonzero(taking)
        count = len(members)
        weights = np.empty(len(a))
        for e in range(len(a)):
            weights[e] = strength[e] * value[e]
        sums = per_member(a, b, weights, n)
        elapsed = np.empty(count, np.int64)
        months = np.zeros(n, np.int64)
        negated = np.empty(count)
        odds = np.empty(count)
        for q in range(count):
            u = members[q]
            elapsed[q] = month - last_stock[u]
            months[u] = elapsed[q]
            last_stock[u] = month
            negated[q] = -sums[u]
            e = min(max(engagement[u], _EPS), 1.0 - _EPS)
            odds[q] = e / (1.0 - e)
        return members, elapsed, months, taking, negated, odds

    @njit(cache=True, nogil=True)
    def stock_shift(ties_left, log_odds, members, elapsed, offsets, rows, reach, meeting_value, benefit, outreach,
                    aspiration, rate, kept_by_months, keep, adaptation):  # pragma: no cover - compiled
        """What each member got per month and its new log-odds, negated (see `_stock_shift_py`)."""
        reached = strongest(offsets, rows, reach, len(meeting_value))
        value = np.empty(len(members))
        shifted = np.empty(len(members))
        for q in range(len(members)):
            u = members[q]
            value[q] = benefit * (1.0 - ties_left[q]) + outreach * reached[u] + meeting_value[u] / elapsed[q]
            if keep == 1.0:
                weight = float(elapsed[q])
            else:
                weight = (1.0 - kept_by_months[elapsed[q]]) / adaptation
            shifted[q] = -(log_odds[q] + rate * weight * (value[q] - aspiration[u]))
        return value, shifted

    @njit(cache=True, nogil=True)
    def settle_stock(odds_against, value, members, elapsed, kept_by_months, engagement, aspiration,
                     meeting_value):  # pragma: no cover - compiled
        """New engagement and aspiration, meetings' value counted, in place (see `_settle_stock_py`)."""
        for q in range(len(members)):
            u = members[q]
            engagement[u] = 1.0 / (1.0 + odds_against[q])
            aspiration[u] = value[q] + (aspiration[u] - value[q]) * kept_by_months[elapsed[q]]
            meeting_value[u] = 0.0

else:  # pragma: no cover
    stock_takers = _stock_takers_py
    stock_shift = _stock_shift_py
    settle_stock = _settle_stock_py
