"""Statistics: functions of a runs table (one row per run: `simulate(...).summary` plus `observe`'s columns)
that map an observation onto the model. Each is `(runs, monthly=None) -> float`, a class where it has a
setting (so it pickles), NaN where it is undefined on these runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NAN = float("nan")
MIN_AT_RISK = 5  # fewest runs at risk for a year's hazard to count (one failure in fewer is no rate)


class alive_after:  # noqa: N801 (a statistic, named like the functions beside it; a class so it pickles)
    """Share of runs still meeting `months` after the convener's exit."""

    def __init__(self, months: int):
        self.months = int(months)

    def __call__(self, runs: pd.DataFrame, monthly: pd.DataFrame | None = None) -> float:
        m, censored = runs["months_alive_after_exit"].to_numpy(float), runs["censored"].astype(bool).to_numpy()
        return float(((m >= self.months) | censored).mean())


class mean_of:  # noqa: N801
    """Mean over runs of one column (runs where it is undefined left out)."""

    def __init__(self, column: str):
        self.column = column

    def __call__(self, runs: pd.DataFrame, monthly: pd.DataFrame | None = None) -> float:
        values = pd.to_numeric(runs[self.column], errors="coerce").dropna()
        return float(values.mean()) if len(values) else NAN


def retention_gap(runs: pd.DataFrame, monthly: pd.DataFrame | None = None) -> float:
    embedded, bridge = runs["embedded_retention"], runs["bridge_retention"]
    if embedded.dtype == bridge.dtype == np.float64:  # observe's: the same rows and mean, without a frame's cost
        e, b = embedded.to_numpy(), bridge.to_numpy()
        both = ~(np.isnan(e) | np.isnan(b))
        return float(pd.Series(e[both] - b[both]).mean()) if both.any() else NAN
    both = runs[["embedded_retention", "bridge_retention"]].apply(pd.to_numeric, errors="coerce").dropna()
    return float((both["embedded_retention"] - both["bridge_retention"]).mean()) if len(both) else NAN


def any_replication(runs: pd.DataFrame, monthly: pd.DataFrame | None = None) -> float:
    return float((pd.to_numeric(runs["replications"]) > 0).mean())


def new_groups_per_group(runs: pd.DataFrame, monthly: pd.DataFrame | None = None) -> float:
    """Communities started by replication per community the convener started (over all runs)."""
    new = pd.to_numeric(runs["replications"]).sum()
    started = (pd.to_numeric(runs["communities_ever"]) - pd.to_numeric(runs["replications"])).sum()
    return float(new / started) if started > 0 else NAN


def core_share(runs: pd.DataFrame, monthly: pd.DataFrame | None = None) -> float:
    """Organisations that ever led per participant (members who came at least once), over all runs."""
    led = pd.to_numeric(runs["leaders_ever"], errors="coerce")
    came = pd.to_numeric(runs["participants"], errors="coerce")
    ok = led.notna() & came.notna()
    return float(led[ok].sum() / came[ok].sum()) if came[ok].sum() > 0 else NAN


def yearly_hazards(runs: pd.DataFrame) -> pd.DataFrame:
    """Life table over whole years after the exit: per year y (months 12(y-1)+1 .. 12y after it), the runs at
    risk (still meeting at its start and followed to its end, or ending within it), those that ended in it, and
    the hazard (ended / at risk). A run alive at the horizon is censored there and leaves the table after its
    last whole year; a run that ended at or before the exit is in no year."""
    rows = [{"year": y, "at_risk": at_risk, "ended": ended, "hazard": float(ended / at_risk) if at_risk else NAN}
            for y, at_risk, ended in zip(*life_table(runs), strict=True)]
    return pd.DataFrame(rows, columns=["year", "at_risk", "ended", "hazard"])


def life_table(runs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`yearly_hazards`' years, runs at risk and runs ended, as integer arrays."""
    t = pd.to_numeric(runs["months_alive_after_exit"], errors="coerce").to_numpy(float)
    censored = runs["censored"].astype(bool).to_numpy()
    years = int(np.nanmax(t) // 12) + 1 if len(t) and np.isfinite(t).any() else 0
    start = 12 * np.arange(years)[:, None]  # year y's months after the exit: start .. start + 12
    ended = (~censored & (t > start) & (t <= start + 12)).sum(axis=1)
    at_risk = ((t > start) & (~censored | (t >= start + 12))).sum(axis=1)
    return np.arange(1, years + 1), at_risk, ended


class yearly_hazard:  # noqa: N801
    """The hazard of ending per year over years `first`.. after the exit: pooled (ended / runs at risk, summed
    over those years), or the worst single year's (`worst`), among years with at least MIN_AT_RISK runs at
    risk; NaN when no year has."""

    def __init__(self, first: int = 2, worst: bool = False):
        self.first, self.worst = int(first), bool(worst)

    def __call__(self, runs: pd.DataFrame, monthly: pd.DataFrame | None = None) -> float:
        year, at_risk, ended = life_table(runs)  # yearly_hazards' numbers, without its table
        counted = (year >= self.first) & (at_risk >= MIN_AT_RISK)
        if not counted.any():
            return NAN
        if self.worst:
            return float((ended[counted] / at_risk[counted]).max())
        return float(ended[counted].sum() / at_risk[counted].sum())
