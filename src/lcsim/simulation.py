"""Run one community: `simulate(seed, scenario, **params)` -> SimulationResult."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from .assumptions import Assumptions
from .model.model import LearningCommunity
from .model.outcomes import summarize
from .values import check_seed


@dataclass
class SimulationResult:
    """One run: `.monthly` (one row per month: the convened communities), `.communities` (one row per
    community and month), `.summary` (one dict per run) and `.params`."""

    params: dict
    records: list[dict] = field(repr=False)
    summary: dict
    seed: int | None = None
    scenario: str = "default"
    model: LearningCommunity | None = field(default=None, repr=False)
    assumptions: Assumptions = field(default_factory=Assumptions, repr=False)
    community_records: list[dict] = field(default_factory=list, repr=False)

    @cached_property
    def monthly(self) -> pd.DataFrame:
        """The tidy monthly table, built on first use (sweeps that keep only summaries never pay for it)."""
        return pd.DataFrame.from_records(self.records)

    @cached_property
    def communities(self) -> pd.DataFrame:
        """One row per community and month: which community (origin, parent, founder, month started)
        and its measures, as `.monthly` has them for the convened communities together."""
        return pd.DataFrame.from_records(self.community_records)

    @property
    def survived(self) -> bool:
        return self.summary["survived"]


def simulate(seed: int | None = 0, scenario: str = "default", *, keep_model: bool = False,
             assumptions=None, **params) -> SimulationResult:
    """Run one learning community (or a programme of them: `n_communities`) to its horizon.

    `seed` makes the run reproducible (the model's generator is seeded through
    `numpy.random.SeedSequence`); `scenario` names a preset (`lcsim scenarios`) and `params`
    override it. `assumptions` (a dict or `lcsim.Assumptions`; or `assumptions.NAME=value` keywords)
    overrides the model's documented constants. Raises `lcsim.ParameterError` for unknown names or
    values out of range.
    """
    seed = check_seed(seed, allow_none=True)  # a negative or oversized seed: one line, before anything runs
    model = LearningCommunity(rng=seed, scenario=scenario, collect=False, assumptions=assumptions, **params)
    run_months(model, model.p["months"])
    return SimulationResult(dict(model.p), model.records, summarize(model), seed, scenario,
                            model if keep_model else None, model.assumptions, model.community_records)


def run_months(model: LearningCommunity, months: int) -> None:
    """Step `model` `months` times, as `model.step()` would.

    Mesa's `step()` goes through its event list (one event object, a heap push and pop per step).
    While the only thing scheduled is Mesa's default step schedule, as in every lcsim run, the months
    are run directly and the schedule is left where those steps would have left it: `model.steps`,
    `model.time` and the next scheduled step are as after `months` calls of `model.step()`, which any
    other case (other events scheduled, another Mesa) still uses.
    """
    schedule = getattr(model, "_default_schedule", None)
    pending = getattr(schedule, "_current_event", None)
    events = getattr(getattr(model, "_event_list", None), "_events", None)
    direct = (
        pending is not None and events is not None and len(events) == 1 and events[0] is pending
        and getattr(model, "_event_generators", None) == {schedule}
        and getattr(schedule, "_active", False) and not getattr(schedule, "_paused", True)
        and getattr(schedule.schedule, "interval", None) == 1.0 and schedule.schedule.count is None
        and schedule.schedule.end is None and pending.time == model.time + 1.0 and not pending.CANCELED
        and hasattr(schedule, "_execution_count")
    )
    if not direct:
        for _ in range(months):
            model.step()
        return
    step = model._user_step
    for _ in range(months):
        model.time += 1.0
        model.steps += 1
        step()
    schedule._execution_count += months
    pending.time = model.time + 1.0  # the lone event on the heap: moving it keeps the heap ordered
