"""Programme kernels: per-organisation quantities over the live communities' memberships in one call, instead
of a loop over communities a month (issue 23).

The memberships are a CSR over the live communities in index order: community k's member rows are
`rows[offsets[k]:offsets[k + 1]]` (`LearningCommunity._live`). Each compiled kernel has a NumPy twin
(`_<name>_py`) that gives the same answer (tests/test_programme_kernels.py).
"""

from __future__ import annotations

import numpy as np

from .compile import njit
from .ties import _network_measures_py


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


def _with_union_py(offsets, rows, chosen, n):
    """The CSR with one more group appended: the organisations of the communities k with `chosen[k]`, each
    once, in ascending order (NumPy twin of `with_union`)."""
    parts = [rows[offsets[k]:offsets[k + 1]] for k in range(len(offsets) - 1) if chosen[k]]
    union = np.unique(np.concatenate(parts)) if parts else np.empty(0, np.int64)
    return np.append(offsets, offsets[-1] + len(union)), np.concatenate([rows, union])


def _group_sums_py(offsets, rows, values):
    """Per group k: `values[rows[offsets[k]:offsets[k + 1]]].sum()`, as NumPy sums it (NumPy twin of `group_sums`,
    which repeats NumPy's pairwise summation so that its sums are the same to the last bit)."""
    return np.array([values[rows[offsets[k]:offsets[k + 1]]].sum() for k in range(len(offsets) - 1)], np.float64)


def _group_counts_py(offsets, rows, mask):
    """Per group k: how many of its rows are set in `mask` (NumPy twin of `group_counts`)."""
    return np.array([np.count_nonzero(mask[rows[offsets[k]:offsets[k + 1]]]) for k in range(len(offsets) - 1)],
                    np.int64)


def _group_networks_py(a, b, sector, offsets, rows, n):
    """Per group k (its member rows): (ties within it, of them across sectors, ties from it to organisations
    outside, its largest connected group), as `network_measures` gives them (NumPy twin of `group_networks`)."""
    out = np.zeros((len(offsets) - 1, 4), np.int64)
    for k in range(len(offsets) - 1):
        members = rows[offsets[k]:offsets[k + 1]]
        inside = np.zeros(n, bool)
        inside[members] = True
        out[k] = _network_measures_py(a, b, sector, inside, members)
    return out


if njit is not None:
    from .ties import _find, _largest_group

    @njit(cache=True)
    def _pairwise(values, lo, n):  # pragma: no cover - compiled
        """NumPy's pairwise summation of values[lo:lo + n] (numpy/_core/src/umath/loops_utils.h.src), step for
        step, so that a sum here equals `values[lo:lo + n].sum()` bit for bit."""
        if n < 8:
            res = 0.0
            for i in range(n):
                res += values[lo + i]
            return res
        if n <= 128:
            r0, r1, r2, r3 = values[lo], values[lo + 1], values[lo + 2], values[lo + 3]
            r4, r5, r6, r7 = values[lo + 4], values[lo + 5], values[lo + 6], values[lo + 7]
            i = 8
            while i < n - (n % 8):
                r0 += values[lo + i]
                r1 += values[lo + i + 1]
                r2 += values[lo + i + 2]
                r3 += values[lo + i + 3]
                r4 += values[lo + i + 4]
                r5 += values[lo + i + 5]
                r6 += values[lo + i + 6]
                r7 += values[lo + i + 7]
                i += 8
            res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
            while i < n:
                res += values[lo + i]
                i += 1
            return res
        n2 = n // 2
        n2 -= n2 % 8
        return _pairwise(values, lo, n2) + _pairwise(values, lo + n2, n - n2)

    @njit(cache=True)
    def group_sums(offsets, rows, values):  # pragma: no cover - compiled
        out = np.zeros(len(offsets) - 1)
        buffer = np.empty(len(rows))
        for e in range(len(rows)):
            buffer[e] = values[rows[e]]
        for k in range(len(offsets) - 1):
            out[k] = _pairwise(buffer, offsets[k], offsets[k + 1] - offsets[k])
        return out

    @njit(cache=True)
    def with_union(offsets, rows, chosen, n):  # pragma: no cover - compiled
        seen = np.zeros(n, np.bool_)
        count = 0
        for k in range(len(offsets) - 1):
            if chosen[k]:
                for e in range(offsets[k], offsets[k + 1]):
                    if not seen[rows[e]]:
                        seen[rows[e]] = True
                        count += 1
        groups = len(offsets) - 1
        out_offsets = np.empty(groups + 2, np.int64)
        out_offsets[:groups + 1] = offsets
        out_offsets[groups + 1] = offsets[groups] + count
        out_rows = np.empty(len(rows) + count, np.int64)
        out_rows[:len(rows)] = rows
        e = len(rows)
        for r in range(n):
            if seen[r]:
                out_rows[e] = r
                e += 1
        return out_offsets, out_rows

    @njit(cache=True)
    def group_counts(offsets, rows, mask):  # pragma: no cover - compiled
        out = np.zeros(len(offsets) - 1, np.int64)
        for k in range(len(offsets) - 1):
            for e in range(offsets[k], offsets[k + 1]):
                if mask[rows[e]]:
                    out[k] += 1
        return out

    @njit(cache=True)
    def group_networks(a, b, sector, offsets, rows, n):  # pragma: no cover - compiled
        groups = len(offsets) - 1
        out = np.zeros((groups, 4), np.int64)
        if groups == 0:
            return out
        inside = np.zeros((groups, n), np.bool_)
        parent = np.empty((groups, n), np.int64)
        for k in range(groups):
            for r in range(n):
                parent[k, r] = r
            for e in range(offsets[k], offsets[k + 1]):
                inside[k, rows[e]] = True
        for e in range(len(a)):
            x, y = a[e], b[e]
            across = sector[x] != sector[y]
            for k in range(groups):
                ix, iy = inside[k, x], inside[k, y]
                if ix and iy:
                    out[k, 0] += 1
                    if across:
                        out[k, 1] += 1
                    u, v = _find(parent[k], x), _find(parent[k], y)
                    if u != v:
                        parent[k, max(u, v)] = min(u, v)
                elif ix or iy:
                    out[k, 2] += 1
        for k in range(groups):
            if offsets[k + 1] > offsets[k]:
                out[k, 3] = _largest_group(parent[k], rows[offsets[k]:offsets[k + 1]])
        return out


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
    group_sums = _group_sums_py
    with_union = _with_union_py
    group_counts = _group_counts_py
    group_networks = _group_networks_py
