"""Survival statistics over many runs: did communities outlive their convener, and for how long?

Every statistic comes from statsmodels; this module only chooses them and shapes their
answers into tables:

- survival probability (alive at the horizon) with a 95% Wilson interval
  (`proportion_confint(method="wilson")`), which stays inside [0, 1] and keeps its coverage
  near 0% and 100%, where the plain normal interval fails;
- Kaplan-Meier estimates of months alive after the convener's exit (`SurvfuncRight`),
  censored at the horizon for communities still meeting then, with the median and its
  interval (`quantile`, `quantile_ci`, complementary log-log);
- the log-rank test (`survdiff`) of two groups' survival curves.

A run table is one row per run with at least `survived`, `months_alive_after_exit` and
`censored` (the sweep engine's columns); failed runs (`error` not null) are left out.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.duration.survfunc import SurvfuncRight, survdiff
from statsmodels.stats.proportion import proportion_confint

ALPHA = 0.05  # every interval here is 95%

TIME = "months_alive_after_exit"


def completed(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs that finished: a run that raised has no outcomes to count."""
    if "error" in runs.columns:
        runs = runs[runs["error"].isna()]
    return runs


def wilson(successes, trials, alpha: float = ALPHA):
    """Proportion and its Wilson interval; scalars or arrays. NaN where there are no trials."""
    successes = np.asarray(successes, dtype=float)
    trials = np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(trials > 0, successes / np.where(trials > 0, trials, 1), np.nan)
        lo, hi = proportion_confint(successes, np.where(trials > 0, trials, 1), alpha=alpha, method="wilson")
    lo = np.where(trials > 0, lo, np.nan)
    hi = np.where(trials > 0, hi, np.nan)
    if share.ndim == 0:
        return float(share), float(lo), float(hi)
    return share, lo, hi


def survival_probability(runs: pd.DataFrame, by=None) -> pd.DataFrame:
    """Share of runs alive at the horizon, with its 95% Wilson interval, overall or per group.

    Columns: [by...], runs, survived, survival, survival_lo, survival_hi.
    """
    runs = completed(runs)
    alive = runs["survived"].astype(bool)
    if by:
        counts = alive.groupby([runs[c] for c in _list(by)], observed=True, sort=False).agg(["size", "sum"])
    else:
        counts = pd.DataFrame({"size": [len(alive)], "sum": [int(alive.sum())]})
    share, lo, hi = wilson(counts["sum"].to_numpy(), counts["size"].to_numpy())
    table = pd.DataFrame({"runs": counts["size"].to_numpy(), "survived": counts["sum"].to_numpy(),
                          "survival": share, "survival_lo": lo, "survival_hi": hi}, index=counts.index)
    return table.reset_index() if by else table.reset_index(drop=True)


def kaplan_meier(runs: pd.DataFrame) -> SurvfuncRight | None:
    """Kaplan-Meier fit of months alive after exit; runs alive at the horizon are censored.

    None when there are no completed runs.
    """
    runs = completed(runs)
    if runs.empty:
        return None
    time, event = _time_event(runs)
    return SurvfuncRight(time, event)


def horizon_of(runs: pd.DataFrame) -> float:
    """Months from the convener's exit to the end of the runs (the censoring time), if the table says.

    From the parameters (`months - exit_month`) when present, else the longest follow-up seen.
    """
    runs = completed(runs)
    if runs.empty:
        return np.nan
    if {"months", "exit_month"} <= set(runs.columns):
        return float((runs["months"] - runs["exit_month"]).max())
    return float(runs[TIME].max())


def common_follow_up(runs: pd.DataFrame) -> tuple[float, float]:
    """(shortest, longest) months from the exit to the horizon over the runs (`months - exit_month`)."""
    runs = completed(runs)
    span = runs["months"] - runs["exit_month"]
    return float(span.min()), float(span.max())


def alive_after(runs: pd.DataFrame, months_after: float) -> pd.Series:
    """Whether each run was still alive `months_after` months after its exit (all must be followed that long).

    Dissolution is final, so a run is alive then if it survived to its horizon or dissolved later.
    With a common time after exit, runs whose horizons lie at different distances from their exit
    (e.g. months fixed while exit_month varies) compare fairly: an early exit is not penalised for
    being watched longer. Every run is observed that long, so this is a plain share, no censoring.
    """
    runs = completed(runs)
    if ((runs["months"] - runs["exit_month"]) < months_after).any():
        raise ValueError(f"some runs end fewer than {months_after:g} months after their exit")
    return runs["survived"].astype(bool) | (runs[TIME] > months_after)


def median_survival(runs: pd.DataFrame) -> dict:
    """Kaplan-Meier median months alive after exit with its 95% interval.

    When more than half the communities are still alive at the horizon the median is not
    reached: `median` is NaN and `reached` False; `horizon` says it is longer than that.
    A bound the data cannot give is NaN (lower: e.g. every community dissolved in the same
    month) or +inf (upper: the curve's interval never falls below one half).
    """
    fit = kaplan_meier(runs)
    if fit is None:
        return {"median": np.nan, "median_lo": np.nan, "median_hi": np.nan, "reached": False, "horizon": np.nan}
    horizon = horizon_of(runs)
    if len(fit.surv_times) == 0:  # no community dissolved: nothing to estimate from
        return {"median": np.nan, "median_lo": np.nan, "median_hi": np.inf, "reached": False, "horizon": horizon}
    median = float(fit.quantile(0.5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # log(0) where the curve reaches zero
        lo, hi = fit.quantile_ci(0.5, alpha=ALPHA, method="cloglog")
    return {"median": median, "median_lo": float(lo), "median_hi": float(hi),
            "reached": not np.isnan(median), "horizon": horizon}


def survival_curve(runs: pd.DataFrame) -> pd.DataFrame:
    """The Kaplan-Meier curve as a step table: month, survival, lower, upper, at_risk.

    The band is pointwise 95%, from statsmodels' Greenwood standard errors on the
    log(-log) scale (as R's survival package and lifelines do), so it stays inside [0, 1].
    The curve starts at month 0 with survival 1 and is extended flat to the horizon (`horizon_of`).
    """
    fit = kaplan_meier(runs)
    if fit is None:
        return pd.DataFrame(columns=["month", "survival", "lower", "upper", "at_risk"])
    z = stats.norm.ppf(1 - ALPHA / 2)
    s, se = fit.surv_prob, fit.surv_prob_se
    with np.errstate(divide="ignore", invalid="ignore"):
        loglog = np.log(-np.log(s))
        half = z * se / (s * np.abs(np.log(s)))
        lower = np.exp(-np.exp(loglog + half))
        upper = np.exp(-np.exp(loglog - half))
    # Where the curve is 0 (everyone dissolved) the transform is undefined: the estimate is exact.
    lower = np.where(s <= 0, 0.0, lower)
    upper = np.where(s <= 0, 0.0, upper)
    curve = pd.DataFrame({"month": fit.surv_times, "survival": s, "lower": lower, "upper": upper,
                          "at_risk": fit.n_risk})
    start = pd.DataFrame({"month": [0.0], "survival": [1.0], "lower": [1.0], "upper": [1.0],
                          "at_risk": [len(fit.time)]})
    if len(curve) and curve["month"].iloc[0] <= 0:  # dissolved before or at exit: drop at month 0
        start = start.iloc[0:0]
    horizon = horizon_of(runs)
    parts = [start, curve]
    if not len(curve) or curve["month"].iloc[-1] < horizon:
        last = (curve if len(curve) else start).iloc[[-1]].assign(month=horizon)
        last["at_risk"] = int(np.sum(fit.time >= horizon))
        parts.append(last)
    return pd.concat([p for p in parts if len(p)], ignore_index=True)


def logrank(runs: pd.DataFrame, group: pd.Series) -> dict:
    """Log-rank test that two or more groups share one survival curve after exit.

    `group` labels each run. Returns chi-square and p; NaN when it cannot be computed
    (e.g. no community in any group dissolved, so there is nothing to compare).
    """
    keep = completed(runs).index
    runs, group = runs.loc[keep], group.loc[keep]
    if group.nunique() < 2:
        return {"chisq": np.nan, "p": np.nan}
    time, event = _time_event(runs)
    if event.sum() == 0:
        return {"chisq": np.nan, "p": np.nan}
    try:
        chisq, p = survdiff(time, event, group.astype(str).to_numpy())
    except np.linalg.LinAlgError:  # e.g. every event in one group at one time
        return {"chisq": np.nan, "p": np.nan}
    return {"chisq": float(chisq), "p": float(p)}


def _time_event(runs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    time = runs[TIME].to_numpy(dtype=float)
    event = (~runs["censored"].astype(bool)).to_numpy(dtype=float)
    return time, event


def _list(by) -> list:
    return [by] if isinstance(by, str) else list(by)
