"""The month's steps after the meetings in one compiled call (issue 23): idle ties decay, hosting fatigue wears
off, and members' capacity grows by what they learnt and by their conveners' support (resources, and mentoring for
leaders during a handover), instead of some ten array calls a month. Its NumPy twin runs the rules' own twins in
the same order (`_decay_py`, `_strongest_py`, `_grow_py`), so both give what the steps gave one by one.
"""

from __future__ import annotations

from .compile import njit
from .members import _grow_py, grow
from .programme import _strongest_py, strongest
from .ties import _decay_py, decay


def _after_meetings_py(strength, touched, common, rate, protection, weak, fatigue, recover, keep, offsets, rows,
                       resources, mentoring, leader, capacity, attended, fit, learning, erosion, active):
    """Ties untouched this month decay (in place, at `rate`); fatigue x `keep` where `recover`; returns capacity
    after the month's growth, with support per organisation the largest of its live communities' `resources`,
    plus, where any is positive, the largest `mentoring` for leaders (NumPy twin of `after_meetings`)."""
    _decay_py(strength, touched, common, rate, protection, weak)
    if recover:
        fatigue *= keep
    n = len(capacity)
    support = _strongest_py(offsets, rows, resources, n)
    if (mentoring > 0).any():
        support = support + _strongest_py(offsets, rows, mentoring, n) * leader
    return _grow_py(capacity, attended, fit, support, learning, erosion, active)


if njit is not None:
    @njit(cache=True, nogil=True)
    def after_meetings(strength, touched, common, rate, protection, weak, fatigue, recover, keep, offsets, rows,
                       resources, mentoring, leader, capacity, attended, fit, learning, erosion,
                       active):  # pragma: no cover - compiled
        """Ties decay, fatigue wears off, capacity grows (see `_after_meetings_py`)."""
        decay(strength, touched, common, rate, protection, weak)
        if recover:
            for r in range(len(fatigue)):
                fatigue[r] *= keep
        n = len(capacity)
        support = strongest(offsets, rows, resources, n)
        mentored = False
        for k in range(len(mentoring)):
            if mentoring[k] > 0:
                mentored = True
        if mentored:
            extra = strongest(offsets, rows, mentoring, n)
            for r in range(n):
                support[r] = support[r] + extra[r] * leader[r]
        return grow(capacity, attended, fit, support, learning, erosion, active)

else:  # pragma: no cover
    after_meetings = _after_meetings_py
