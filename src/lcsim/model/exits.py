"""Exit strategies as schedules: how present the convener is, and how far it has handed over.

Rogers & Coates (2015) name three ways a programme leaves: phase out (stop), phase down
(taper), phase over (hand functions to local actors). `stay` is the control arm.
"""

from __future__ import annotations

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
