"""Encounters at a meeting: renewing acquaintances present, chance partners from one's own sector, friends of
friends, and a broker's introductions across sectors.

Each compiled kernel has a NumPy twin (`_<name>_py`) that gives the same answer (tests/test_kernels.py).
"""

from __future__ import annotations

import numpy as np

from .compile import njit


def _renew_candidates_py(a, b, present, n, conversations, weight):
    """Ties among the members in the mask `present`, and half the summed chance that each side
    catches up with the other: `conversations` shared among its acquaintances present in proportion to
    each tie's `weight` (NumPy twin of `renew_candidates`)."""
    known = np.flatnonzero(present[a] & present[b])
    w = weight[known]
    total = np.bincount(a[known], w, minlength=n) + np.bincount(b[known], w, minlength=n)
    chance = (np.minimum(1.0, conversations * w / np.maximum(total[a[known]], 1e-12))
              + np.minimum(1.0, conversations * w / np.maximum(total[b[known]], 1e-12)))
    return known, chance / 2.0


def _renew_py(known, draws, half, a, b, value, fit, strength, touched, scale, known_weight, fit_weight):
    """Renew the ties `known` whose draw falls below `half`, in place (NumPy twin of `renew`)."""
    known = known[draws < half]
    i, j = a[known], b[known]
    gain = scale * (known_weight * value[known] + fit_weight * (fit[i] + fit[j]))
    strength[known] += gain * (1 - strength[known])
    touched[known] = True


def _same_sector_partners_py(i, j, same, draws, people, sector):
    """Partners from the encounter's own sector among `people`, for the encounters in the mask `same`,
    set in `j` in place (NumPy twin of `same_sector_partners`)."""
    own = sector[people]
    by_sector = people[np.argsort(own, kind="stable")]
    counts = np.bincount(own, minlength=4)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    s = sector[i[same]]
    j[same] = by_sector[starts[s] + (draws * counts[s]).astype(np.int64)]


def _with_contacts_py(offsets, seekers):
    """The seekers who have at least one contact (NumPy twin of `with_contacts`)."""
    return seekers[offsets[seekers + 1] - offsets[seekers] > 0]


def _friends_of_friends_py(offsets, nbrs, seekers, first, second, present):
    """Each seeker's pick of a contact (draw `first`) and of that contact's contact (draw `second`):
    the pairs (seeker, friend of friend) where the latter is present and not the seeker (NumPy twin
    of `friends_of_friends`)."""
    deg = offsets[seekers + 1] - offsets[seekers]
    friend = nbrs[offsets[seekers] + (first * deg).astype(np.int64)]
    fof = nbrs[offsets[friend] + (second * (offsets[friend + 1] - offsets[friend])).astype(np.int64)]
    keep = present[fof] & (fof != seekers)
    return seekers[keep], fof[keep]


def _pair_up_py(attendees, first, second, sectors):
    """Pairs of attendees (draws `first`, `second`) and how many fall within one sector (NumPy twin
    of `pair_up`)."""
    i, j = attendees[first], attendees[second]
    return i, j, int(np.count_nonzero(sectors[i] == sectors[j]))


def _across_sectors_py(i, j, attendees, third, sectors):
    """A pair within one sector tries a new partner (draws `third`); the pairs across sectors (NumPy
    twin of `across_sectors`)."""
    j = j.copy()
    same = sectors[i] == sectors[j]
    j[same] = attendees[third]
    keep = sectors[i] != sectors[j]
    return i[keep], j[keep]


if njit is not None:
    @njit(cache=True, nogil=True)
    def renew_candidates(a, b, present, n, conversations, weight):  # pragma: no cover - compiled
        """Ties among the members in the mask `present`, and half the summed chance that each side
        catches up with the other: `conversations` shared among its acquaintances present in proportion
        to each tie's `weight`."""
        m = len(a)
        known = np.empty(m, np.int64)
        total = np.zeros(n)
        k = 0
        for e in range(m):
            if present[a[e]] and present[b[e]]:
                known[k] = e
                total[a[e]] += weight[e]
                total[b[e]] += weight[e]
                k += 1
        known = known[:k]
        half = np.empty(k)
        for q in range(k):
            e = known[q]
            share = conversations * weight[e]
            half[q] = (min(1.0, share / max(total[a[e]], 1e-12)) + min(1.0, share / max(total[b[e]], 1e-12))) / 2.0
        return known, half

    @njit(cache=True, nogil=True)
    def renew(known, draws, half, a, b, value, fit, strength, touched, scale, known_weight,
              fit_weight):  # pragma: no cover - compiled
        """Renew the ties `known` whose draw falls below `half`, in place."""
        for q in range(len(known)):
            if draws[q] < half[q]:
                e = known[q]
                gain = scale * (known_weight * value[e] + fit_weight * (fit[a[e]] + fit[b[e]]))
                strength[e] += gain * (1 - strength[e])
                touched[e] = True

    @njit(cache=True, nogil=True)
    def same_sector_partners(i, j, same, draws, people, sector):  # pragma: no cover - compiled
        """Partners from the encounter's own sector among `people`, for the encounters in the mask
        `same`, set in `j` in place: people grouped by sector (in their order), one uniform pick."""
        counts = np.zeros(4, np.int64)
        for p in people:
            counts[sector[p]] += 1
        starts = np.zeros(4, np.int64)
        for s in range(1, 4):
            starts[s] = starts[s - 1] + counts[s - 1]
        fill = starts.copy()
        by_sector = np.empty(len(people), np.int64)
        for p in people:
            by_sector[fill[sector[p]]] = p
            fill[sector[p]] += 1
        q = 0
        for k in range(len(i)):
            if same[k]:
                s = sector[i[k]]
                j[k] = by_sector[starts[s] + np.int64(draws[q] * counts[s])]
                q += 1

    @njit(cache=True, nogil=True)
    def with_contacts(offsets, seekers):  # pragma: no cover - compiled
        """The seekers who have at least one contact."""
        out = np.empty(len(seekers), np.int64)
        k = 0
        for s in seekers:
            if offsets[s + 1] > offsets[s]:
                out[k] = s
                k += 1
        return out[:k]

    @njit(cache=True, nogil=True)
    def friends_of_friends(offsets, nbrs, seekers, first, second, present):  # pragma: no cover - compiled
        """Each seeker's pick of a contact (draw `first`) and of that contact's contact (draw `second`):
        the pairs (seeker, friend of friend) where the latter is present and not the seeker."""
        m = len(seekers)
        out_i = np.empty(m, np.int64)
        out_j = np.empty(m, np.int64)
        k = 0
        for q in range(m):
            s = seekers[q]
            friend = nbrs[offsets[s] + np.int64(first[q] * (offsets[s + 1] - offsets[s]))]
            fof = nbrs[offsets[friend] + np.int64(second[q] * (offsets[friend + 1] - offsets[friend]))]
            if present[fof] and fof != s:
                out_i[k], out_j[k] = s, fof
                k += 1
        return out_i[:k], out_j[:k]

    @njit(cache=True, nogil=True)
    def pair_up(attendees, first, second, sectors):  # pragma: no cover - compiled
        """Pairs of attendees (draws `first`, `second`) and how many fall within one sector."""
        i, j = attendees[first], attendees[second]
        same = 0
        for k in range(len(i)):
            same += sectors[i[k]] == sectors[j[k]]
        return i, j, same

    @njit(cache=True, nogil=True)
    def across_sectors(i, j, attendees, third, sectors):  # pragma: no cover - compiled
        """A pair within one sector tries a new partner (draws `third`); the pairs across sectors."""
        out_i = np.empty(len(i), np.int64)
        out_j = np.empty(len(i), np.int64)
        q = k = 0
        for e in range(len(i)):
            partner = j[e]
            if sectors[i[e]] == sectors[partner]:
                partner = attendees[third[q]]
                q += 1
            if sectors[i[e]] != sectors[partner]:
                out_i[k], out_j[k] = i[e], partner
                k += 1
        return out_i[:k], out_j[:k]

else:  # pragma: no cover
    renew_candidates = _renew_candidates_py
    renew = _renew_py
    same_sector_partners = _same_sector_partners_py
    with_contacts = _with_contacts_py
    friends_of_friends = _friends_of_friends_py
    pair_up = _pair_up_py
    across_sectors = _across_sectors_py
