"""The per-member statistics targets need and the model does not report, measured from a model run month by
month (`observe`): attendance before the exit (low and high attenders) and the decay of bridges against
embedded ties over the year before the exit.

    from lcsim.calibration.observe import observe_runs
    runs = observe_runs("default", seeds=range(20))   # simulate(...).summary per run, plus these columns
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

NAN = float("nan")


@dataclass
class Tracker:
    """Follows one run month by month: who attends the meetings the convener's communities hold
    before the exit, and which ties a year before the exit still exist at the exit (bridges against
    embedded ties). Attendance is per membership (an organisation in two communities is counted in
    each); communities started by replication are left out (the sources measure convened ones).

    Retention counts ties that mean something: at least `threshold` strong a year before the exit
    (the model's `initial_acquaintance`, the strength of the acquaintances members bring: weaker ties
    are contacts nobody would name), retained when still that strong a year later (Burt's bankers
    named the colleagues they worked with; a faded contact is a bridge gone)."""

    exit_month: int
    threshold: float = 0.0
    held: dict = field(default_factory=dict)  # community -> meetings held while each of its rows was a member
    came: dict = field(default_factory=dict)  # community -> meetings each of its rows attended
    snapshot: tuple | None = None  # (keys, bridge mask, a, b) of the ties a year before the exit
    retention: tuple[float, float] = (NAN, NAN)  # (bridges, embedded) still there a year later
    measurable: bool = True

    @property
    def snapshot_month(self) -> int:
        return max(self.exit_month - 12, 1)

    def months_read(self, months: int) -> list[int]:
        """The months of a run of `months` in which `after_step` reads the model, in order: attendance up to the
        exit, the ties a year before it and a year later (in the others it reads nothing)."""
        read = set(range(1, self.exit_month + 1)) | {self.snapshot_month, self.snapshot_month + 12}
        return sorted(m for m in read if 1 <= m <= months)

    def meetings(self, model) -> list[tuple]:
        """This month's in-person meetings: (community key, member rows, current mask, attendee rows)."""
        communities = getattr(model, "communities", None)
        if communities is not None:
            return [(c.index, c.rows, c.current, c.attended) for c in communities
                    if getattr(c, "origin", "convened") == "convened" and c.host is not None
                    and getattr(c.host, "kind", "") != "digital"]
        record = model.records[-1] if model.records else {}  # the one-community model
        if record.get("meeting") and record.get("host") != "digital":
            rows = np.arange(len(model.members.active))
            return [(0, rows, np.asarray(model.members.active, bool), np.asarray(model.last_attendees, np.int64))]
        return []

    def after_step(self, model) -> None:
        if not self.measurable:
            return
        try:
            month, ties, active = model.month, model.ties, model.members.active
            if month <= self.exit_month:
                for key, rows, current, attendees in self.meetings(model):
                    n = len(rows)
                    held, came = self.held.get(key), self.came.get(key)
                    if held is None:
                        held, came = np.zeros(n), np.zeros(n)
                    elif len(held) < n:
                        held = np.concatenate([held, np.zeros(n - len(held))])
                        came = np.concatenate([came, np.zeros(n - len(came))])
                    held[:n] += np.asarray(current, bool)
                    pos = np.searchsorted(rows, np.asarray(attendees, np.int64))
                    came[pos[(pos < n)]] += 1
                    self.held[key], self.came[key] = held, came
            first = self.snapshot_month
            if month == first or month == first + 12:
                active = np.asarray(active, bool)
                strong = active[ties.a] & active[ties.b] & (np.asarray(ties.strength) >= self.threshold)
                keys = np.asarray(ties.keys)[strong]
                if month == first:
                    self.snapshot = (keys, np.asarray(ties.common)[strong] == 0, ties.a[strong], ties.b[strong])
                elif self.snapshot is not None:
                    old, bridge, a, b = self.snapshot
                    stayed = active[a] & active[b]  # both ends still members a year later (Burt: people who stayed)
                    there = np.isin(old, keys)
                    self.retention = (share(there[bridge & stayed]), share(there[~bridge & stayed]))
        except AttributeError:  # a model without these tables: the statistics are not measurable
            self.measurable = False

    def stats(self) -> dict:
        if not self.measurable:
            return {}
        held, came = joined(self.held), joined(self.came)
        seen = came > 0  # participants: members who came at least once (ECHO's population)
        rate = came[seen] / np.maximum(held[seen], 1)
        return {"participants": int(np.count_nonzero(seen)),
                "low_attender_share": share(rate < 1 / 3),
                "high_attender_share": share(rate >= 2 / 3),
                "bridge_retention": self.retention[0],
                "embedded_retention": self.retention[1]}


def joined(arrays: dict) -> np.ndarray:
    values = list(arrays.values())
    return values[0] if len(values) == 1 else np.concatenate(values) if values else np.zeros(0)


def share(mask) -> float:
    """The share of True in `mask` (NaN if empty): its mean, as a count over the size (the same number)."""
    mask = np.asarray(mask, bool)
    return np.count_nonzero(mask) / mask.size if mask.size else NAN


def observe(seed: int, scenario: str = "default", params: dict | None = None, assumptions=None) -> dict:
    """One run, as `simulate` would give it, with the per-member statistics targets need.

    The summary is exactly `simulate(seed, scenario, **params).summary` (the same model, stepped
    month by month); to it are added `participants`, `low_attender_share`, `high_attender_share`
    (attendance over the meetings held before the exit, among members who came at least once),
    `bridge_retention` and `embedded_retention` (of the ties at least `initial_acquaintance` strong
    a year before the exit with no common contact, and with some, between members still there, the
    share still that strong at the exit).
    """
    from ..model.model import LearningCommunity
    from ..model.outcomes import summarize
    from ..simulation import run_months

    model = LearningCommunity(rng=seed, scenario=scenario, collect=False, assumptions=assumptions, **(params or {}))
    threshold = float(getattr(model.assumptions, "initial_acquaintance", 0.0))
    tracker = Tracker(int(model.p["exit_month"]), threshold)
    months, done = int(model.p["months"]), 0
    for month in tracker.months_read(months):  # the months between, as `simulate` runs them: in one call
        run_months(model, month - done)
        tracker.after_step(model)
        done = month
    run_months(model, months - done)
    return {**summarize(model), **tracker.stats(), "scenario": scenario, "seed": int(seed)}


def observe_runs(scenario: str, seeds: Iterable[int], params: dict | None = None, assumptions=None) -> pd.DataFrame:
    """`observe` for each seed: a runs table (one row per run)."""
    return pd.DataFrame([observe(int(s), scenario, params, assumptions) for s in seeds])
