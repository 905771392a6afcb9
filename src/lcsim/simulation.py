"""Run one community: `simulate(seed, scenario, **params)` -> SimulationResult."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .model.model import LearningCommunity
from .model.outcomes import summarize


@dataclass
class SimulationResult:
    """One run: `.monthly` (one row per month), `.summary` (one dict per run) and `.params`."""

    params: dict
    monthly: pd.DataFrame
    summary: dict
    seed: int | None = None
    scenario: str = "default"
    model: LearningCommunity | None = field(default=None, repr=False)

    @property
    def survived(self) -> bool:
        return self.summary["survived"]


def simulate(seed: int | None = 0, scenario: str = "default", *, keep_model: bool = False, **params) -> SimulationResult:
    """Run one learning community to its horizon.

    `seed` makes the run reproducible (the model's generator is seeded through
    `numpy.random.SeedSequence`); `scenario` names a preset (`lcsim scenarios`) and `params`
    override it. Raises `lcsim.ParameterError` for unknown names or values out of range.
    """
    model = LearningCommunity(rng=seed, scenario=scenario, collect=False, **params)
    for _ in range(model.p["months"]):
        model.step()
    monthly = pd.DataFrame.from_records(model.records)
    summary = summarize(model, monthly)
    return SimulationResult(dict(model.p), monthly, summary, seed, scenario, model if keep_model else None)
