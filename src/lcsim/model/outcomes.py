"""What is measured each month, and the run's summary.

The dimensions follow the practice literature's sustainability factors (Rogers & Coates
2015): motivation (engagement), capacity, linkages (ties, cross-sector share), resources
(the convener's intensity), plus ownership (local hosting) and leadership.
"""

from __future__ import annotations

import numpy as np

# Columns of the monthly table that are numbers (reported through Mesa's DataCollector too).
REPORTED = (
    "alive", "convener_intensity", "handover", "meeting", "quorate", "attendance", "active_members",
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
    n = int(np.count_nonzero(m.active))
    cross, largest = ties.structure(m.sector, m.active)
    e = len(ties)
    held = sum(model.meetings.values())
    host_name = "none" if host is None else host.kind
    return {
        "month": model.month,
        "alive": model.alive,
        "convener_intensity": model.convener.intensity,
        "handover": model.convener.handover,
        "meeting": host is not None,
        "host": host_name,
        "quorate": bool(quorate),
        "attendance": int(attended.sum()),
        "active_members": n,
        "joined": joined,
        "left": left,
        "ties": e,
        "density": 2.0 * e / (n * (n - 1)) if n > 1 else 0.0,
        "cross_sector_share": cross / e if e else 0.0,
        # Krackhardt's E-I index: +1 all ties across sectors, -1 all within.
        "ei_index": (2 * cross - e) / e if e else 0.0,
        "largest_component_share": largest / n if n else 0.0,
        "leaders": int(np.count_nonzero(m.leader)),
        "mean_engagement": float(m.engagement @ m.active) / n if n else 0.0,
        "mean_capacity": float(m.capacity @ m.active) / n if n else 0.0,
        "replications": model.replications,
        "local_hosting_share": (model.meetings["leader"] + model.meetings["digital"]) / held if held else 0.0,
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
    }
    last = records[-1]
    summary.update({name: last[name] for name in FINAL})
    return summary
