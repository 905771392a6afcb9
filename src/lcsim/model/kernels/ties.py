"""Ties' kernels: forming, renewing in place, decaying, sorting and compacting the edge list; adjacency, embeddedness
(common contacts) and connected groups.

Each compiled kernel has a NumPy twin (`_<name>_py`) that gives the same answer (tests/test_kernels.py).
"""

from __future__ import annotations

import numpy as np

from .compile import intrinsic, njit, types


def _common_contacts_py(offsets, nbrs, a, b):
    """Common neighbours of each pair (a[e], b[e]), from sorted CSR neighbour lists (NumPy twin)."""
    out = np.empty(len(a))
    for e in range(len(a)):
        out[e] = len(np.intersect1d(nbrs[offsets[a[e]]:offsets[a[e] + 1]], nbrs[offsets[b[e]]:offsets[b[e] + 1]],
                                    assume_unique=True))
    return out


def _adjacency_py(a, b, n):
    """CSR adjacency of the undirected edge list (a, b): (offsets, neighbours), each member's list in
    the order its ties appear in the list (NumPy twin of `adjacency`)."""
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    order = np.argsort(src, kind="stable")
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=offsets[1:])
    return offsets, dst[order]


def _embeddedness_py(a, b, n):
    """Common contacts of each tie (a[e], b[e]) of a simple undirected graph on n members (NumPy twin)."""
    src = np.concatenate([a, b])
    dst = np.concatenate([b, a])
    order = np.argsort(src * (np.int64(1) << 32) + dst)
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=offsets[1:])
    return _common_contacts_py(offsets, dst[order], a, b)


def _largest_component_py(a, b, members, n):
    """Size of the largest connected group among `members` (NumPy twin of `largest_component`):
    min-label propagation with pointer jumping."""
    if len(members) == 0:
        return 0
    labels = np.arange(n)
    while True:
        low = np.minimum(labels[a], labels[b])
        new = labels.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]
        if np.array_equal(new, labels):
            return int(np.bincount(labels[members]).max())
        labels = new


def _network_measures_py(a, b, sector, inside, members):
    """(ties within the organisations of the mask `inside`, of them across sectors, ties from them to
    organisations outside, size of their largest connected group through their own ties); `members`:
    the rows of `inside` (NumPy twin of `network_measures`)."""
    if len(members) == 0:
        return 0, 0, 0, 0
    ends_a, ends_b = inside[a], inside[b]
    within = ends_a & ends_b
    cross = int(np.count_nonzero(within & (sector[a] != sector[b])))
    index = np.flatnonzero(within)  # its own ties only: outsiders do not connect its members
    largest = _largest_component_py(a[index], b[index], members, len(inside))
    return int(len(index)), cross, int(np.count_nonzero(ends_a ^ ends_b)), int(largest)


def _merge_contacts_py(ta, tb, strength, touched, i, j, gain):
    """Pairs (i, j) meet (NumPy twin of `merge_contacts`): known ties (ta, tb, sorted by pair)
    strengthen in place by gain x (1 - strength) and are marked touched; returns the new pairs
    (a, b, gain), in pair order, each pair once with its largest gain."""
    key = np.int64(1) << 32
    keep = i != j
    i, j, gain = i[keep], j[keep], gain[keep]
    keys = np.minimum(i, j) * key + np.maximum(i, j)
    order = np.lexsort((-gain, keys))
    keys, gain = keys[order], gain[order]
    first = np.ones(len(keys), bool)
    first[1:] = keys[1:] != keys[:-1]
    keys, gain = keys[first], gain[first]
    existing = ta * key + tb
    pos = np.searchsorted(existing, keys)
    found = pos < len(existing)
    found[found] = existing[pos[found]] == keys[found]
    hit = pos[found]
    strength[hit] += gain[found] * (1.0 - strength[hit])
    touched[hit] = True
    new_keys = keys[~found]
    return new_keys // key, new_keys % key, np.clip(gain[~found], 0.0, 1.0)


def _decay_py(strength, touched, common, rate, protection, weak):
    """Idle ties (not touched) weaken in place; every tie is untouched afterwards (NumPy twin of `decay`)."""
    idle = ~touched
    s = strength[idle]
    per_tie = rate / (1.0 + protection * common[idle])
    strength[idle] = s * (1.0 - per_tie * (1.0 - weak * s))
    touched[:] = False


def _sort_ties_py(a, b, strength, value, touched, common):
    """The tie arrays in pair order (NumPy twin of `sort_ties`)."""
    order = np.argsort(a * (np.int64(1) << 32) + b, kind="stable")
    return a[order], b[order], strength[order], value[order], touched[order], common[order]


def _keep_ties_py(mask, a, b, strength, value, touched, common):
    """The ties in the mask moved, in order, to the front of the tie arrays, in place; returns how many (NumPy twin
    of `keep_ties`). The arrays' heads of that length are the ties kept (the caller takes them)."""
    index = np.flatnonzero(mask)
    for array in (a, b, strength, value, touched, common):
        array[:len(index)] = array[index]
    return len(index)


def _append_ties_py(a, b, strength, value, touched, common, i, j, new_strength, new_value):
    """The tie arrays with the new ties (i, j) appended, touched, with no common contact yet (NumPy
    twin of `append_ties`)."""
    return (np.concatenate([a, np.minimum(i, j)]), np.concatenate([b, np.maximum(i, j)]),
            np.concatenate([strength, new_strength]), np.concatenate([value, new_value]),
            np.concatenate([touched, np.ones(len(i), bool)]), np.concatenate([common, np.zeros(len(i))]))


def _per_member_py(a, b, weights, n):
    """Sum of `weights` over each member's ties (NumPy twin of `per_member`)."""
    return np.bincount(a, weights, n) + np.bincount(b, weights, n)


if njit is not None:
    @njit(cache=True, nogil=True)
    def per_member(a, b, weights, n):  # pragma: no cover - compiled
        """Sum of `weights` over each member's ties: each end summed in tie order, then the two added, as two
        of NumPy's bincounts and their sum do (the same result to the last bit)."""
        low = np.zeros(n)
        high = np.zeros(n)
        for e in range(len(a)):
            low[a[e]] += weights[e]
            high[b[e]] += weights[e]
        return low + high

    @njit(cache=True, nogil=True)
    def merge_contacts(ta, tb, strength, touched, i, j, gain):  # pragma: no cover - compiled
        """Pairs (i, j) meet: known ties (ta, tb, sorted by pair) strengthen in place by
        gain x (1 - strength) and are marked touched; returns the new pairs (a, b, gain), in pair
        order, each pair once with its largest gain clipped to [0, 1]. Pairs of a member with itself
        are dropped."""
        m = len(i)
        keys = np.empty(m, np.int64)
        gains = np.empty(m)
        k = 0
        for e in range(m):
            x, y = i[e], j[e]
            if x != y:
                keys[k] = (min(x, y) << 32) + max(x, y)
                gains[k] = gain[e]
                k += 1
        keys, gains = keys[:k], gains[:k]
        order = np.argsort(keys)
        na = np.empty(k, np.int64)
        nb = np.empty(k, np.int64)
        ng = np.empty(k)
        n_new = 0
        n_ties = len(ta)
        q = 0
        while q < k:
            key = keys[order[q]]
            g = gains[order[q]]
            q += 1
            while q < k and keys[order[q]] == key:
                if gains[order[q]] > g:
                    g = gains[order[q]]
                q += 1
            a, b = key >> 32, key & 0xFFFFFFFF
            lo, hi = 0, n_ties  # first tie not below (a, b)
            while lo < hi:
                mid = (lo + hi) >> 1
                if ta[mid] < a or (ta[mid] == a and tb[mid] < b):
                    lo = mid + 1
                else:
                    hi = mid
            if lo < n_ties and ta[lo] == a and tb[lo] == b:
                strength[lo] += g * (1.0 - strength[lo])
                touched[lo] = True
            else:
                na[n_new], nb[n_new], ng[n_new] = a, b, min(max(g, 0.0), 1.0)
                n_new += 1
        return na[:n_new], nb[:n_new], ng[:n_new]

    @njit(cache=True, nogil=True)
    def decay(strength, touched, common, rate, protection, weak):  # pragma: no cover - compiled
        """Idle ties (not touched) weaken in place; every tie is untouched afterwards."""
        for e in range(len(strength)):
            if touched[e]:
                touched[e] = False
            else:
                s = strength[e]
                per_tie = rate / (1.0 + protection * common[e])
                strength[e] = s * (1.0 - per_tie * (1.0 - weak * s))

    @njit(cache=True, nogil=True)
    def sort_ties(a, b, strength, value, touched, common):  # pragma: no cover - compiled
        """The tie arrays in pair order (pairs are unique, so any sort gives this order).

        Ties are kept sorted but for those appended since: the sorted run is merged with the sorted tail.
        """
        m = len(a)
        keys = (a << 32) + b
        run = 1 if m > 0 else 0
        while run < m and keys[run - 1] < keys[run]:
            run += 1
        tail = np.argsort(keys[run:], kind="mergesort") + run
        order = np.empty(m, np.int64)
        x, y, k = 0, 0, 0
        while x < run and y < len(tail):
            if keys[x] < keys[tail[y]]:
                order[k] = x
                x += 1
            else:
                order[k] = tail[y]
                y += 1
            k += 1
        while x < run:
            order[k] = x
            x += 1
            k += 1
        while y < len(tail):
            order[k] = tail[y]
            y += 1
            k += 1
        return a[order], b[order], strength[order], value[order], touched[order], common[order]

    @njit(cache=True, nogil=True)
    def keep_ties(mask, a, b, strength, value, touched, common):  # pragma: no cover - compiled
        """The ties in the mask moved, in order, to the front of the tie arrays, in place; how many (no arrays
        handed back: each costs a microsecond to hand to Python)."""
        q = 0
        for e in range(len(mask)):
            if mask[e]:
                a[q], b[q], strength[q], value[q], touched[q], common[q] = (a[e], b[e], strength[e], value[e],
                                                                            touched[e], common[e])
                q += 1
        return q

    @njit(cache=True, nogil=True)
    def append_ties(a, b, strength, value, touched, common, i, j, new_strength,
                    new_value):  # pragma: no cover - compiled
        """The tie arrays with the new ties (i, j) appended, touched, with no common contact yet."""
        m, k = len(a), len(i)
        out = (np.empty(m + k, np.int64), np.empty(m + k, np.int64), np.empty(m + k), np.empty(m + k),
               np.empty(m + k, np.bool_), np.empty(m + k))
        out[0][:m], out[1][:m], out[2][:m] = a, b, strength
        out[3][:m], out[4][:m], out[5][:m] = value, touched, common
        for q in range(k):
            out[0][m + q], out[1][m + q] = min(i[q], j[q]), max(i[q], j[q])
            out[2][m + q], out[3][m + q] = new_strength[q], new_value[q]
            out[4][m + q], out[5][m + q] = True, 0.0
        return out

    @njit(cache=True, nogil=True)
    def _csr(a, b, n):  # pragma: no cover - compiled
        """Counting sort of the edge list by member, stable: (offsets, neighbours, tie of each entry)."""
        m = len(a)
        offsets = np.zeros(n + 1, np.int64)
        for e in range(m):
            offsets[a[e] + 1] += 1
            offsets[b[e] + 1] += 1
        for u in range(n):
            offsets[u + 1] += offsets[u]
        fill = offsets[:-1].copy()
        nbrs = np.empty(2 * m, np.int64)
        edge = np.empty(2 * m, np.int64)
        for e in range(m):  # entries in the order of [a, b]: first every tie's a side, then its b side
            u = a[e]
            nbrs[fill[u]] = b[e]
            edge[fill[u]] = e
            fill[u] += 1
        for e in range(m):
            u = b[e]
            nbrs[fill[u]] = a[e]
            edge[fill[u]] = e
            fill[u] += 1
        return offsets, nbrs, edge

    @njit(cache=True, nogil=True)
    def adjacency(a, b, n):  # pragma: no cover - compiled
        """CSR adjacency of the undirected edge list (a, b): (offsets, neighbours), each member's list
        in the order its ties appear in [a, b] (what a stable sort by member gives)."""
        offsets, nbrs, _ = _csr(a, b, n)
        return offsets, nbrs

    @intrinsic
    def _popcount(typingctx, x):  # pragma: no cover - compiled
        """Set bits of a 64-bit word (LLVM's ctpop: one instruction where the CPU has it)."""
        def codegen(context, builder, signature, args):
            return builder.ctpop(args[0])
        return types.uint64(types.uint64), codegen

    @njit(cache=True, nogil=True)
    def _embeddedness_marks(a, b, n):  # pragma: no cover - compiled
        """For each member u, mark its contacts, then count the marked contacts of each contact v > u:
        O(ties x contacts), no sorting."""
        offsets, nbrs, edge = _csr(a, b, n)
        out = np.zeros(len(a))
        mark = np.full(n, -1, np.int64)
        for u in range(n):
            start, end = offsets[u], offsets[u + 1]
            for k in range(start, end):
                mark[nbrs[k]] = u
            for k in range(start, end):
                v = nbrs[k]
                if v > u:
                    count = 0
                    for w in range(offsets[v], offsets[v + 1]):
                        count += mark[nbrs[w]] == u
                    out[edge[k]] = count
        return out

    @njit(cache=True, nogil=True)
    def _embeddedness_bits(a, b, n):  # pragma: no cover - compiled
        """Each member's contacts as a bit set; a tie's common contacts are the set bits of the AND of
        its two members' sets: O(ties x members / 64)."""
        words = (n + 63) >> 6
        bits = np.zeros((n, words), np.uint64)
        one = np.uint64(1)
        for e in range(len(a)):
            x, y = a[e], b[e]
            bits[x, y >> 6] |= one << np.uint64(y & 63)
            bits[y, x >> 6] |= one << np.uint64(x & 63)
        out = np.empty(len(a))
        for e in range(len(a)):
            x, y = a[e], b[e]
            count = 0
            for w in range(words):
                count += _popcount(bits[x, w] & bits[y, w])
            out[e] = count
        return out

    @njit(cache=True, nogil=True)
    def embeddedness(a, b, n):  # pragma: no cover - compiled
        """Common contacts of each tie (a[e], b[e]) of a simple undirected graph on n members: by bit
        sets where members have more contacts on average than n / 64, else by marking contacts."""
        if n == 0 or len(a) == 0:
            return np.zeros(len(a))
        if (n + 63) // 64 <= 2 * len(a) // n and n * ((n + 63) // 64) <= 1 << 22:
            return _embeddedness_bits(a, b, n)
        return _embeddedness_marks(a, b, n)

    @njit(cache=True, nogil=True)
    def _find(parent, x):  # pragma: no cover - compiled
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    @njit(cache=True, nogil=True)
    def _largest_group(parent, members):  # pragma: no cover - compiled
        """The size of the largest group of `members` under the union-find `parent`."""
        size = np.zeros(len(parent), np.int64)
        best = 0
        for k in range(len(members)):
            r = _find(parent, members[k])
            size[r] += 1
            if size[r] > best:
                best = size[r]
        return best

    @njit(cache=True, nogil=True)
    def largest_component(a, b, members, n):  # pragma: no cover - compiled
        """Size of the largest connected group among `members` (union-find over the ties)."""
        if len(members) == 0:
            return 0
        parent = np.arange(n)
        for e in range(len(a)):
            x, y = _find(parent, a[e]), _find(parent, b[e])
            if x != y:
                parent[max(x, y)] = min(x, y)
        return _largest_group(parent, members)

    @njit(cache=True, nogil=True)
    def network_measures(a, b, sector, inside, members):  # pragma: no cover - compiled
        """One pass over the ties: (within, across sectors, to outside, largest connected group)."""
        if len(members) == 0:
            return 0, 0, 0, 0
        parent = np.arange(len(inside))
        within = cross = outside = 0
        for e in range(len(a)):
            x, y = inside[a[e]], inside[b[e]]
            if x and y:
                within += 1
                if sector[a[e]] != sector[b[e]]:
                    cross += 1
                u, v = _find(parent, a[e]), _find(parent, b[e])
                if u != v:
                    parent[max(u, v)] = min(u, v)
            elif x or y:
                outside += 1
        return within, cross, outside, _largest_group(parent, members)

else:  # pragma: no cover
    per_member = _per_member_py
    adjacency = _adjacency_py
    embeddedness = _embeddedness_py
    largest_component = _largest_component_py
    network_measures = _network_measures_py
    merge_contacts = _merge_contacts_py
    decay = _decay_py
    sort_ties = _sort_ties_py
    keep_ties = _keep_ties_py
    append_ties = _append_ties_py
