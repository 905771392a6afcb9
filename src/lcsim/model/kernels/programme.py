"""Programme kernels: per-organisation quantities over the live communities' memberships in one call, instead
of a loop over communities a month (issue 23).

The memberships are a CSR over the live communities in index order: community k's member rows are
`rows[offsets[k]:offsets[k + 1]]` (`LearningCommunity._live`). Each compiled kernel has a NumPy twin
(`_<name>_py`) that gives the same answer (tests/test_programme_kernels.py).
"""

from __future__ import annotations

import numpy as np

from .compile import njit


def _strongest_py(offsets, rows, values, n):
    """Per organisation (of `n`): the largest of `values[k]` over the communities k it belongs to, 0 where it
    is in none or their values are not positive (a convener's attention does not add up across communities)."""
    out = np.zeros(n)
    for k in range(len(offsets) - 1):
        if values[k] > 0:
            where = rows[offsets[k]:offsets[k + 1]]
            out[where] = np.maximum(out[where], values[k])
    return out


def _owners_py(offsets, rows, chosen, eligible):
    """Per organisation: the first community k (in CSR order) with `chosen[k]` that it belongs to, where it is
    `eligible`; -1 for the others. Each member taking stock goes through one community's rules and draws."""
    owner = np.full(len(eligible), -1, np.int64)
    for k in range(len(offsets) - 1):
        if chosen[k]:
            where = rows[offsets[k]:offsets[k + 1]]
            owner[where[eligible[where] & (owner[where] < 0)]] = k
    return owner


if njit is not None:

    @njit(cache=True)
    def strongest(offsets, rows, values, n):  # pragma: no cover - compiled
        out = np.zeros(n)
        for k in range(len(offsets) - 1):
            value = values[k]
            if value > 0:
                for e in range(offsets[k], offsets[k + 1]):
                    r = rows[e]
                    if value > out[r]:
                        out[r] = value
        return out

    @njit(cache=True)
    def owners(offsets, rows, chosen, eligible):  # pragma: no cover - compiled
        owner = np.full(len(eligible), -1, np.int64)
        for k in range(len(offsets) - 1):
            if chosen[k]:
                for e in range(offsets[k], offsets[k + 1]):
                    r = rows[e]
                    if eligible[r] and owner[r] < 0:
                        owner[r] = k
        return owner

else:  # pragma: no cover
    strongest = _strongest_py
    owners = _owners_py
