"""Fair comparisons: every plan judged at the same follow-up after its own exit, on the same worlds.

The convener is fully gone at `exit_month` (a gradual exit's transition comes before it: `model/exits.py`), so a
plan's run lasts `months = exit_month + follow_up`: survival is read `follow_up` months after that plan's exit,
whatever its exit month (a plan that leaves at month 47 is no longer judged 25 months later and the current plan
36). `advise` and `compare` both set the horizon this way, and both seed replicate r with
`SeedSequence(seed, spawn_key=(r,))` (common random numbers), so the same plan on the same worlds gets the same
survival in both.
"""

from __future__ import annotations

import numbers

import numpy as np

from ..errors import UsageError

FOLLOW_UP = 36  # months after the exit at which survival is read (the shipped scenarios' 72 - 36)


def checked_follow_up(follow_up) -> int:
    if isinstance(follow_up, (bool, np.bool_)) or not isinstance(follow_up, numbers.Integral) \
            or not 1 <= follow_up <= 240:
        raise UsageError(f"follow_up {follow_up!r}: expected a whole number of months after the exit, 1 to 240")
    return int(follow_up)


def resolved_follow_up(follow_up, overrides: dict, params: dict) -> int:
    """The follow-up a study uses: `follow_up` when given; else the one a `months` override implies for the current
    exit (`--set months=...` keeps meaning what it says); else `FOLLOW_UP`."""
    if follow_up is not None:
        return checked_follow_up(follow_up)
    if "months" in overrides:
        follow_up = int(params["months"]) - int(params["exit_month"])
        if follow_up < 1:
            raise UsageError(f"months {params['months']}: expected more than the exit month {params['exit_month']} "
                             "(survival is read after the exit)")
        return follow_up
    return FOLLOW_UP


def horizon(params: dict, follow_up: int) -> int:
    """The months a run with `params` lasts so that it is followed `follow_up` months after its exit."""
    return int(params["exit_month"]) + int(follow_up)


def follow_up_text(follow_up: int) -> str:
    return (f"Survival is read {follow_up} months after each plan's own exit (each run lasts exit month + "
            f"{follow_up} months), on the same simulated worlds for every plan (common random numbers).")


__all__ = ["FOLLOW_UP", "checked_follow_up", "resolved_follow_up", "horizon", "follow_up_text"]
