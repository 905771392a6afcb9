"""What is measured each month, and the run's summary.

The dimensions follow the practice literature's sustainability factors (Rogers & Coates
2015): motivation (engagement), capacity, linkages (ties, cross-sector share), resources
(the convener's intensity), plus ownership (local hosting) and leadership.
"""

from __future__ import annotations

import numpy as np

NAN = float("nan")

# Columns of the monthly table that are numbers (reported through Mesa's DataCollector too).
REPORTED = (
    "alive", "convener_intensity", "convener_reach", "handover", "meeting", "quorate", "attendance", "active_members",
    "joined", "left", "ties", "density", "cross_sector_share", "ei_index", "largest_component_share",
    "leaders", "mean_engagement", "mean_capacity", "replications", "local_hosting_share",
)
# Columns whose last value goes into the summary.
FINAL = (
    "active_members", "ties", "density", "cross_sector_share", "ei_index", "largest_component_share",
    "leaders", "mean_engagement", "mean_capacity", "replications", "local_hosting_share",
)


def month_record(model, host, attended, quorate, joined, left) -> dict:
    m, ties = model.members, model.ties
    # Who is active, who leads and how engaged members are change only when members take stock (or
    # the community dissolves): those statistics are computed then and reused in the months between.
    key = (model.last_stock_take, model.dissolved_month, len(m), model.month == 0)
    cached = getattr(model, "_member_stats", None)
    if cached is None or cached[0] != key:
        n = int(np.count_nonzero(m.active))
        engagement = float(m.engagement @ m.active) / n if n else 0.0
        cached = model._member_stats = (key, n, int(np.count_nonzero(m.leader)), engagement)
    _, n, leaders, mean_engagement = cached
    cross, largest = ties.structure(m.sector, m.active, n)
    e = len(ties)
    meetings = model.meetings
    held = meetings["convener"] + meetings["leader"] + meetings["digital"]
    convener = model.convener
    return {
        "month": model.month,
        "alive": model.dissolved_month is None,
        "convener_intensity": convener.intensity,
        "convener_reach": convener.reach,
        "handover": convener.handover,
        "meeting": host is not None,
        "host": "none" if host is None else host.kind,
        "quorate": bool(quorate),
        "attendance": int(np.count_nonzero(attended)),
        "active_members": n,
        "joined": joined,
        "left": left,
        "ties": e,
        # A community with no members has no network: its tie measures are undefined (NaN), not 0.
        "density": (2.0 * e / (n * (n - 1)) if n > 1 else 0.0) if n else NAN,
        "cross_sector_share": (cross / e if e else 0.0) if n else NAN,
        # Krackhardt's E-I index: +1 all ties across sectors, -1 all within.
        "ei_index": ((2 * cross - e) / e if e else 0.0) if n else NAN,
        "largest_component_share": largest / n if n else NAN,
        "leaders": leaders,
        "mean_engagement": mean_engagement,
        "mean_capacity": float(m.capacity @ m.active) / n if n else 0.0,
        "replications": model.replications,
        "local_hosting_share": (meetings["leader"] + meetings["digital"]) / held if held else 0.0,
    }


def summarize(model) -> dict:
    """One row per run: did it survive, for how long after exit, and where it ended up.

    Works from the model's monthly records, so a sweep that keeps only summaries never builds a
    monthly table.
    """
    p, records = model.p, model.records
    exit_month = p["exit_month"]
    dissolved = model.dissolved_month
    survived = dissolved is None
    alive_after = p["months"] - exit_month if survived else max(0, dissolved - exit_month)
    summary = {
        "survived": survived,
        "months_alive_after_exit": int(alive_after),
        "censored": survived,  # alive at the horizon: its true survival time is longer
        "dissolved_month": dissolved,
        "meetings": sum(r["meeting"] for r in records),
        "meetings_after_exit": sum(r["meeting"] for r in records if r["month"] > exit_month),
        "leaders_ever": len(model.leaders_ever),
        "peak_members": max(r["active_members"] for r in records),
        # What the plan cost: months of the convener's full effort (intensity summed over months).
        "convener_months": float(sum(r["convener_intensity"] for r in records[1:])),
        "reached_max_members": bool(model.reached_max_members),
    }
    last = records[-1]
    summary.update({name: last[name] for name in FINAL})
    return summary


# --- the outcomes table: what each summary key is, for every table, figure and sentence -------------

import math  # noqa: E402
from dataclasses import dataclass  # noqa: E402


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
    Outcome("replications", "replications", "count"),
    Outcome("local_hosting_share", "local hosting", "share", _UNIT, percent=True),
]}
