"""The agents: member organisations and the convener.

Members' state lives in the model's `MemberTable` arrays so that the monthly rules run
vectorised over the whole community; a `Member` agent is the face of one row: what users,
the app and `mesa.batch_run` see. The convener is a single agent with plain methods.
"""

from __future__ import annotations

import numpy as np
from mesa import Agent

from ..parameters import SECTORS
from ..strategies import GRADUAL, STRATEGIES
from .exits import ExitPlan, Trigger, stepped_back


class Member(Agent):
    """One organisation (a CSO, business, academic group or government office)."""

    def __init__(self, model, row: int) -> None:
        super().__init__(model)
        self.row = row

    @property
    def _table(self):
        return self.model.members

    @property
    def sector(self) -> str:
        return SECTORS[self._table.sector[self.row]]

    @property
    def assets(self) -> np.ndarray:
        """Shares of field knowledge, funding, evidence and policy access it brings."""
        return self._table.assets[self.row].copy()

    @property
    def interests(self) -> np.ndarray:
        return self._table.interests[self.row].copy()

    @property
    def engagement(self) -> float:
        return float(self._table.engagement[self.row])

    @property
    def capacity(self) -> float:
        return float(self._table.capacity[self.row])

    @property
    def leadership_propensity(self) -> float:
        return float(self._table.propensity[self.row])

    @property
    def role(self) -> str:
        return "local leader" if self._table.leader[self.row] else "member"

    @property
    def active(self) -> bool:
        return bool(self._table.active[self.row])

    @property
    def joined_month(self) -> int:
        return int(self._table.joined[self.row])


class Convener(Agent):
    """The implementing organisation that convenes the community and, one day, leaves.

    Each of its functions scales with `intensity` (the exit schedule) and comes out of one monthly
    budget of effort (`convener_effort`: members it can fully serve), so it serves a large community
    more thinly than a small one. `control` is its style: the share of hosting and agenda it keeps.
    What control buys: meetings it hosts (subsidised, brokered, certain to happen) and an agenda that
    serves every sector alike, not only the majority. What it costs: leaders crowded out and less
    practice in hosting. Handing over lowers the control it exercises and turns effort to leaders.
    """

    def __init__(self, model, plan: ExitPlan, control: float, resource_sharing: float, effort: int,
                 trigger: Trigger | None = None) -> None:
        super().__init__(model)
        self.plan = plan
        # A signpost to step back early (None: the fixed plan, as before); the plan's exit month is the backstop.
        self.trigger = trigger if trigger is not None else Trigger.of(getattr(model, "p", {}))
        self.triggered_at: int | None = None  # month the signpost held and it stepped back
        self.hosted_locally: list[bool] = []  # per meeting it has seen held, oldest first: did a member host it?
        self._seen: dict[int, tuple[int, int]] = {}  # community index -> (meetings, member-hosted) seen so far
        self.original_plan = plan  # the plan the run started with (the trainer's button may change it)
        self.stepped_back_at: int | None = None  # month the trainer's "steps back now" was pressed
        self.control = control
        self.resource_sharing = resource_sharing
        self.a = model.assumptions
        self.effort = effort
        self.coverage = 1.0  # share of members it can fully serve this month, after hosting (0-1)
        self.intensity = plan.intensity(0)
        self.handover = plan.handover(0)

    @property
    def present(self) -> bool:
        return self.intensity > 0.0

    @property
    def control_exercised(self) -> float:
        """Control it actually exercises this month: its style, less what it has handed over."""
        return self.control * (1.0 - self.handover)

    def act(self, month: int) -> None:
        if self.trigger is not None and self.triggered_at is None and STRATEGIES[self.plan.strategy].leaves \
                and month < self.plan.start:
            self._watch(month)
        self.intensity = self.plan.intensity(month)
        self.handover = self.plan.handover(month)

    def _watch(self, month: int) -> None:
        """Read the signpost from what it observes: who hosted each meeting held since last month in the
        communities it convenes (their meeting counts by host); step back this month if it holds."""
        for c in self.model.communities:
            if c.convener is not self:
                continue
            held = c.meetings
            total, local = held["convener"] + held["leader"] + held["digital"], held["leader"] + held["digital"]
            seen_total, seen_local = self._seen.get(c.index, (0, 0))
            new_local = local - seen_local
            self.hosted_locally.extend([True] * new_local + [False] * (total - seen_total - new_local))
            self._seen[c.index] = (total, local)
        if self.trigger.holds(self.hosted_locally):
            self.plan = stepped_back(self.plan, month)
            self.triggered_at = month

    def budget(self, active_members: int, hosts: int) -> None:
        """Split this month's effort: hosting meetings (`hosts` of them) takes its share first, the rest
        covers members (of every community it convenes, evenly per member)."""
        available = self.effort * max(0.0, 1.0 - self.a.hosting_effort * hosts)
        self.coverage = min(1.0, available / max(active_members, 1))

    @property
    def reach(self) -> float:
        """How much of its full attention each member gets this month: intensity x coverage."""
        return self.intensity * self.coverage

    def step_back(self, strategy: str, month: int) -> None:
        """Switch to `strategy` from `month` on (the trainer's "convener steps back now")."""
        transition = self.plan.transition_months
        exit_month = month + transition if strategy in GRADUAL else month
        self.plan = ExitPlan(strategy, exit_month, transition)
        self.stepped_back_at = month
        self.act(month)

    @property
    def exit_month(self) -> int | None:
        """The month the convener is (or was) fully gone under its current plan; None if it stays."""
        return self.plan.exit_month if STRATEGIES[self.plan.strategy].leaves else None

    @property
    def gone(self) -> bool:
        return self.plan.gone(self.model.month)

    # -- hosting ------------------------------------------------------------------------------
    def offers_hosting(self, rng) -> bool:
        """Does it leave this meeting to a local leader? Less often the more control it keeps and
        the more present it is."""
        return rng.random() >= self.control_exercised * self.intensity

    def attendance_subsidy(self) -> float:
        """Share of members' attendance cost it covers at its own meetings (venue, travel)."""
        return self.a.convener_subsidy * self.intensity

    # -- agenda -------------------------------------------------------------------------------
    def agenda(self, members_agenda: np.ndarray, sector_agenda: np.ndarray) -> np.ndarray:
        """The meeting's topics: in proportion to its control, an agenda serving every sector alike
        (the programme's purpose: a multi-sector community); else the members', which the majority
        sector dominates."""
        k = self.control_exercised
        return k * sector_agenda + (1.0 - k) * members_agenda

    # -- resources and leader development -------------------------------------------------------
    def resources(self) -> float:
        """Capacity support it gives each active member this month."""
        return self.a.resource_rate * self.resource_sharing * self.reach

    def mentoring(self) -> float:
        """Extra capacity support to local leaders while handing over (phase_over)."""
        return self.a.mentoring_rate * self.resource_sharing * self.handover * self.reach

    def crowding_out(self) -> float:
        """How much its presence keeps members from stepping up (tight control crowds leaders out)."""
        return self.control_exercised * self.intensity

    def leader_development(self) -> float:
        """Multiplier on leader emergence: handing over means actively developing leaders."""
        return 1.0 + self.a.development_boost * self.handover * self.intensity

