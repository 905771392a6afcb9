"""The outcomes table: what each key of a run's summary is (label, kind, bounds, how it is printed).

Every table, figure and sentence of the analysis takes its words from here; the model writes the
summary (`lcsim.model.outcomes.summarize`) and its keys are checked against this table by a test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """One summary key: how it is named and bounded, and how it is printed.

    `kind` is "share" (a fraction of a whole, 0-1), "count", "months", "bool" (a yes/no per run,
    whose mean over runs is a share) or "index" (a score on a fixed scale, e.g. 0-1 or -1..1).
    `bounds` are the values a run (and so a mean of runs) can take: intervals are clipped to them.
    `percent`: printed as a percentage. `average`: the mean over runs in words (default: "share
    <label>" for bools, "mean <label>" otherwise).
    """

    name: str
    label: str
    kind: str
    bounds: tuple[float, float] = (0.0, math.inf)
    percent: bool = False
    average: str = ""

    @property
    def mean_words(self) -> str:
        return self.average or (f"share {self.label}" if self.kind == "bool" else f"mean {self.label}")


KINDS = ("share", "count", "months", "bool", "index")
_UNIT = (0.0, 1.0)

OUTCOMES: dict[str, Outcome] = {o.name: o for o in [
    Outcome("survived", "alive at the horizon", "bool", _UNIT, percent=True, average="survival probability"),
    Outcome("months_alive_after_exit", "months alive after exit", "months"),
    Outcome("censored", "still alive at the horizon (censored)", "bool", _UNIT, percent=True),
    Outcome("dissolved_month", "month of dissolution", "months"),
    Outcome("meetings", "meetings", "count"),
    Outcome("meetings_after_exit", "meetings after exit", "count"),
    Outcome("leaders_ever", "leaders ever", "count"),
    Outcome("peak_members", "peak members", "count"),
    Outcome("reached_max_members", "reached the size cap", "bool", _UNIT, percent=True),
    Outcome("convener_months", "convener-months of effort", "months"),
    Outcome("active_members", "members", "count"),
    Outcome("ties", "ties", "count"),
    Outcome("density", "tie density", "share", _UNIT),
    Outcome("cross_sector_share", "cross-sector ties", "share", _UNIT, percent=True),
    Outcome("ei_index", "E-I index", "index", (-1.0, 1.0)),
    Outcome("largest_component_share", "largest component", "share", _UNIT, percent=True),
    Outcome("leaders", "leaders", "count"),
    Outcome("mean_engagement", "mean engagement", "index", _UNIT),
    Outcome("mean_capacity", "mean capacity", "index", _UNIT),
    Outcome("replications", "communities started by members", "count"),
    Outcome("communities_ever", "communities ever", "count"),
    Outcome("communities_alive", "communities alive", "count"),
    Outcome("convened_alive", "convened communities alive", "count"),
    Outcome("replications_alive", "replicated communities alive", "count"),
    Outcome("replications_capped", "replications refused at the cap", "count"),
    Outcome("organisations_active", "organisations active", "count"),
    Outcome("share_alive", "communities alive", "share", _UNIT, percent=True,
            average="mean share of communities alive"),
    Outcome("local_hosting_share", "local hosting", "share", _UNIT, percent=True),
    Outcome("top_host_share_after_exit", "post-exit meetings its most frequent member host held", "share", _UNIT,
            percent=True),
]}
