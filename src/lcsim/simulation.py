"""Run one community: `simulate(seed, scenario, **params)` -> SimulationResult."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from .assumptions import Assumptions
from .model.model import LearningCommunity
from .model.outcomes import summarize


@dataclass
class SimulationResult:
    """One run: `.monthly` (one row per month), `.summary` (one dict per run) and `.params`."""

    params: dict
    records: list[dict] = field(repr=False)
    summary: dict
    seed: int | None = None
    scenario: str = "default"
    model: LearningCommunity | None = field(default=None, repr=False)
    assumptions: Assumptions = field(default_factory=Assumptions, repr=False)

    @cached_property
    def monthly(self) -> pd.DataFrame:
        """The tidy monthly table, built on first use (sweeps that keep only summaries never pay for it)."""
        return pd.DataFrame.from_records(self.records)

    @property
    def survived(self) -> bool:
        return self.summary["survived"]


def simulate(seed: int | None = 0, scenario: str = "default", *, keep_model: bool = False,
             assumptions=None, **params) -> SimulationResult:
    """Run one learning community to its horizon.

    `seed` makes the run reproducible (the model's generator is seeded through
    `numpy.random.SeedSequence`); `scenario` names a preset (`lcsim scenarios`) and `params`
    override it. `assumptions` (a dict or `lcsim.Assumptions`; or `assumptions.NAME=value` keywords)
    overrides the model's documented constants. Raises `lcsim.ParameterError` for unknown names or
    values out of range.
    """
    model = LearningCommunity(rng=seed, scenario=scenario, collect=False, assumptions=assumptions, **params)
    for _ in range(model.p["months"]):
        model.step()
    return SimulationResult(dict(model.p), model.records, summarize(model), seed, scenario,
                            model if keep_model else None, model.assumptions)
