"""Compiled kernels for the few loops that array calls cannot express cheaply.

numba compiles them on first use and caches the machine code on disk (`cache=True`), so `lcsim run`
and sweep workers pay the compilation once per installation, not per process. Each kernel has a
NumPy twin that gives the same answer (tests check they agree), used if numba is unavailable.
"""

from __future__ import annotations

import numpy as np

try:
    from numba import njit
except ImportError:  # pragma: no cover - numba is a dependency; the twin keeps the model usable without it
    njit = None


def _common_contacts_py(offsets, nbrs, a, b):
    """Common neighbours of each pair (a[e], b[e]), from sorted CSR neighbour lists (NumPy twin)."""
    out = np.empty(len(a))
    for e in range(len(a)):
        out[e] = len(np.intersect1d(nbrs[offsets[a[e]]:offsets[a[e] + 1]], nbrs[offsets[b[e]]:offsets[b[e] + 1]],
                                    assume_unique=True))
    return out


if njit is not None:
    @njit(cache=True, nogil=True)
    def common_contacts(offsets, nbrs, a, b):  # pragma: no cover - compiled
        """Common neighbours of each pair (a[e], b[e]): a merge of the two sorted neighbour lists."""
        out = np.empty(len(a))
        for e in range(len(a)):
            i, i_end = offsets[a[e]], offsets[a[e] + 1]
            j, j_end = offsets[b[e]], offsets[b[e] + 1]
            count = 0
            while i < i_end and j < j_end:
                x, y = nbrs[i], nbrs[j]
                if x == y:
                    count += 1
                    i += 1
                    j += 1
                elif x < y:
                    i += 1
                else:
                    j += 1
            out[e] = count
        return out
else:  # pragma: no cover
    common_contacts = _common_contacts_py
