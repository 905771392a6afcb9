"""Exit strategies as schedules: how present the convener is, and how far it has handed over.

Rogers & Coates (2015) name three ways a programme leaves: phase out (stop), phase down
(taper), phase over (hand functions to local actors). `stay` is the control arm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..strategies import GRADUAL, STRATEGIES


@dataclass(frozen=True)
class ExitPlan:
    strategy: str
    exit_month: int  # the convener is fully gone from this month on (never, for `stay`)
    transition_months: int

    @property
    def start(self) -> int:
        """First month of the taper or handover."""
        if self.strategy in GRADUAL:
            return self.exit_month - self.transition_months
        return self.exit_month

    def _progress(self, month: int) -> float:
        """0 before the transition, rising linearly to 1 at the exit month."""
        if month < self.start:
            return 0.0
        if month >= self.exit_month:
            return 1.0
        return (month - self.start + 1) / (self.transition_months + 1)

    def intensity(self, month: int) -> float:
        """How much of the convener's effort the community gets this month, 0-1."""
        if not STRATEGIES[self.strategy].leaves:
            return 1.0
        if month >= self.exit_month:
            return 0.0
        if self.strategy == "phase_down":
            return 1.0 - self._progress(month)
        return 1.0

    def handover(self, month: int) -> float:
        """How far hosting, agenda and leader development have been handed to members, 0-1.

        Both gradual exits hand over as they go: phasing down is reducing activities *while local
        organisations take over sustaining the benefits* (Gardner, Greenblott & Joubert 2005;
        Rogers & Coates 2015). They differ in what backs the handover: under `phase_over` the
        convener stays at full intensity until it leaves, under `phase_down` its shrinking
        intensity scales its leader development and mentoring down too. An abrupt exit hands
        nothing over.
        """
        if self.strategy not in GRADUAL:
            return 0.0
        return self._progress(month)

    def gone(self, month: int) -> bool:
        """The convener has left (the digital channel, where there is one, opens from here)."""
        return STRATEGIES[self.strategy].leaves and month >= self.exit_month


@dataclass(frozen=True)
class Trigger:
    """A signpost that makes the convener step back before its plan's exit month (adaptive pathways, Haasnoot et
    al. 2013): `local_hosting` holds when members hosted at least `share` of the last `window` meetings of the
    communities it convenes. The plan's exit month stays the latest month it leaves (a backstop)."""

    kind: str  # "local_hosting"
    share: float
    window: int

    @classmethod
    def of(cls, params: dict) -> Trigger | None:
        """The trigger `params` ask for; None for `exit_trigger=none` (the fixed plan, exactly as before)."""
        kind = params.get("exit_trigger", "none")
        if kind == "none":
            return None
        return cls(kind, float(params["trigger_share"]), int(params["trigger_window"]))

    def holds(self, hosted_locally: list[bool]) -> bool:
        """Does the signpost hold on the meetings seen so far (oldest first; True: a member hosted it)?"""
        if len(hosted_locally) < self.window:
            return False
        last = hosted_locally[-self.window:]
        return sum(last) >= self.share * self.window - 1e-9

    def describe(self) -> str:
        k = math.ceil(self.share * self.window - 1e-9)
        return f"members host {k} of the last {self.window} meetings"


def stepped_back(plan: ExitPlan, month: int) -> ExitPlan:
    """`plan` brought forward so that its withdrawal starts at `month`: a gradual exit starts its transition then,
    an abrupt one leaves then (never later than the plan's own exit month)."""
    exit_month = month + plan.transition_months if plan.strategy in GRADUAL else month
    return ExitPlan(plan.strategy, min(exit_month, plan.exit_month), plan.transition_months)
