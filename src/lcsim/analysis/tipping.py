"""Tipping points: the value of a parameter at which survival probability crosses 50%.

Method (chosen for run-level data from any design, grid or sampled):

1. A logistic regression of `survived` on the parameter, fitted by statsmodels (`GLM`,
   binomial family) on every run, averaging over the other varied parameters as the design
   spread them (a marginal curve, the same one the binned estimates and heatmaps show).
   The crossing is where the fitted log-odds are zero, x50 = -b0 / b1, and its 95% interval
   comes from the delta method with the fit's covariance (as MASS::dose.p does). A parameter
   whose grid values the design spaced geometrically (community size 20, 40, 80, ...) is
   fitted on its logarithm, and the crossing and interval are mapped back.
2. The runs are also binned along the parameter (each grid value, or quantile bins for
   sampled designs) with Wilson intervals. These check the logistic fit's one assumption,
   that survival moves one way along the parameter: when the binned estimates cross 50%
   more than once, the row says so and the figure should be read instead of the number.
3. When the data separate perfectly (every run below some value dies, every run above
   survives), the logistic slope is infinite; the crossing then comes from the binned
   estimates, interpolated linearly, and its interval is the span between the last bin
   whose Wilson interval lies wholly on one side of 50% and the first wholly on the other.

A crossing outside the range the sweep covered is not reported as a value: the row says
whether survival stays above or below 50% over the whole range.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from .survival import ALPHA, completed, wilson

LEVEL = 0.5
MAX_GRID_VALUES = 12  # a parameter with at most this many distinct values is binned by value


def numeric_parameters(runs: pd.DataFrame, varied: list[str]) -> list[str]:
    """The varied parameters a crossing can be found along: numbers, not choices or switches."""
    found = []
    for name in varied:
        column = runs[name]
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            continue
        if column.nunique() >= 3:
            found.append(name)
    return found


def categorical_parameters(runs: pd.DataFrame, varied: list[str]) -> list[str]:
    """Varied choices and switches (e.g. exit_strategy, digital_channel): a crossing is found within each."""
    numeric = set(numeric_parameters(runs, varied))
    return [name for name in varied if name not in numeric and runs[name].nunique() > 1]


def binned_survival(runs: pd.DataFrame, parameter: str, bins: int = 8, outcome: str = "survived") -> pd.DataFrame:
    """Survival probability with Wilson intervals along one parameter.

    Grid values are kept as they are; sampled values are cut into `bins` quantile bins and
    placed at their mean. Columns: value, runs, survived, survival, survival_lo, survival_hi.
    """
    runs = completed(runs)
    x = runs[parameter].astype(float)
    if x.nunique() <= MAX_GRID_VALUES:
        key = x
    else:
        key = pd.qcut(x, q=bins, duplicates="drop")
    grouped = pd.DataFrame({"x": x, "y": runs[outcome].astype(bool)}).groupby(key, observed=True)
    table = grouped.agg(value=("x", "mean"), runs=("y", "size"), survived=("y", "sum")).reset_index(drop=True)
    share, lo, hi = wilson(table["survived"].to_numpy(), table["runs"].to_numpy())
    return table.assign(survival=share, survival_lo=lo, survival_hi=hi).sort_values("value").reset_index(drop=True)


def scale_of(values) -> str:
    """"log" when the design spaced a parameter's values geometrically (e.g. n_members 20, 40, 80, ...
    600): survival is then modelled on the log of the value. "linear" otherwise, and always for
    sampled designs (values spread evenly over a range)."""
    v = np.unique(np.asarray(values, dtype=float))
    if len(v) < 3 or len(v) > MAX_GRID_VALUES or v.min() <= 0:
        return "linear"
    steps, log_steps = np.diff(v), np.diff(np.log(v))
    # The spacing is geometric when the steps are more even on the log scale than on the linear one.
    return "log" if log_steps.std() / log_steps.mean() < steps.std() / steps.mean() else "linear"


def _on_scale(x, scale: str):
    return np.log(x) if scale == "log" else np.asarray(x, dtype=float)


def logistic_fit(runs: pd.DataFrame, parameter: str, outcome: str = "survived"):
    """statsmodels GLM (binomial, logit link) of the outcome on one parameter (on its `scale_of`).

    Returns (result, separated): result is None if it cannot be fitted; `separated` is True when
    statsmodels warned of perfect separation.
    """
    runs = completed(runs)
    y = runs[outcome].astype(float).to_numpy()
    x = runs[parameter].astype(float).to_numpy()
    if len(y) < 3 or y.min() == y.max() or np.ptp(x) == 0:
        return None, False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exog = sm.add_constant(_on_scale(x, scale_of(x)), has_constant="add")
            result = sm.GLM(y, exog, family=sm.families.Binomial()).fit()
        except (np.linalg.LinAlgError, ValueError):
            return None, True
    separated = any(issubclass(w.category, PerfectSeparationWarning) for w in caught)
    return result, separated


def fitted_curve(runs: pd.DataFrame, parameter: str, values, outcome: str = "survived"):
    """The logistic fit's survival probability at `values` of the parameter; None without a usable fit."""
    result, separated = logistic_fit(runs, parameter, outcome)
    if result is None or separated:
        return None
    scale = scale_of(completed(runs)[parameter])
    x = _on_scale(np.asarray(values, dtype=float), scale)
    return result.predict(np.column_stack([np.ones_like(x), x]))


QUASI_SEPARATION = 0.8  # binned survival spanning this much while the fit finds "no trend": a degenerate fit


def crossing(runs: pd.DataFrame, parameter: str, outcome: str = "survived", level: float = LEVEL) -> dict:
    """The value of `parameter` at which survival crosses `level`, with its 95% interval and how it was found."""
    runs = completed(runs)
    binned = binned_survival(runs, parameter, outcome=outcome)
    x = runs[parameter].astype(float)
    low, high = float(x.min()), float(x.max())
    signs = np.sign(binned["survival"].to_numpy() - level)
    seen = int(np.sum(signs[1:] * signs[:-1] < 0))
    row = {"parameter": parameter, "low": low, "high": high, "runs": len(runs), "crossing": np.nan,
           "crossing_lo": np.nan, "crossing_hi": np.nan, "slope": np.nan, "slope_p": np.nan,
           "method": "logistic", "scale": scale_of(x), "binned_crossings": seen, "reading": ""}
    result, separated = logistic_fit(runs, parameter, outcome)
    rate = runs[outcome].astype(float).mean() if len(runs) else np.nan
    if result is None and not separated:
        row["reading"] = _never(rate, level, parameter)
        return row
    if result is not None and not separated:
        # Quasi-complete separation (survival all-or-nothing on either side of a value) converges
        # without statsmodels' warning, to a huge slope with a huge error (p near 1): read the bins.
        spread = float(binned["survival"].max() - binned["survival"].min()) if len(binned) else 0.0
        separated = not np.isfinite(result.bse[1]) or (result.pvalues[1] >= ALPHA and spread >= QUASI_SEPARATION)
    if separated or result is None:
        row.update(_from_bins(binned, level))
        row["method"] = "binned (perfect separation)"
        row["reading"] = _describe(row, parameter, level)
        return row
    b0, b1 = result.params
    cov = result.cov_params()
    row["slope"], row["slope_p"] = float(b1), float(result.pvalues[1])
    # The crossing where the fitted log-odds are zero, on the fit's scale; delta method with the
    # gradient of -b0/b1 with respect to (b0, b1); a log-scale interval maps back by exp.
    t50 = -b0 / b1
    grad = np.array([-1.0 / b1, b0 / b1**2])
    se = float(np.sqrt(grad @ cov @ grad))
    z = stats.norm.ppf(1 - ALPHA / 2)
    back = np.exp if row["scale"] == "log" else float
    x50, lo50, hi50 = float(back(t50)), float(back(t50 - z * se)), float(back(t50 + z * se))
    if result.pvalues[1] >= ALPHA:  # no clear trend: a crossing of a flat curve is noise
        row["reading"] = (f"no clear trend along {parameter} (logistic slope p = {result.pvalues[1]:.2f}); "
                          f"survival about {rate:.0%} over {low:.3g} to {high:.3g}")
        row["reading"] += _not_monotone(row, parameter, level)
        return row
    if low <= x50 <= high:
        row.update(crossing=x50, crossing_lo=lo50, crossing_hi=hi50)
    row["reading"] = _describe(row, parameter, level, fitted=result)
    return row


def tipping_points(runs: pd.DataFrame, varied: list[str], outcome: str = "survived",
                   level: float = LEVEL) -> pd.DataFrame:
    """Crossings of 50% survival along each numeric varied parameter, within each level of the varied choices.

    Columns: parameter, within (e.g. "exit_strategy=phase_out", or "all runs"), low, high, runs,
    crossing, crossing_lo, crossing_hi, slope, slope_p, method, scale, binned_crossings, reading.
    """
    runs = completed(runs)
    numeric = numeric_parameters(runs, varied)
    strata = categorical_parameters(runs, varied)
    rows = []
    for parameter in numeric:
        if strata:
            levels = [sorted(runs[c].unique().tolist()) for c in strata]
            groups = [dict(zip(strata, combo)) for combo in itertools.product(*levels)]
        else:
            groups = [{}]
        for group in groups:
            part = runs
            for column, value in group.items():
                part = part[part[column] == value]
            if part.empty:
                continue
            row = crossing(part, parameter, outcome, level)
            row["within"] = ", ".join(f"{k}={_show(v)}" for k, v in group.items()) or "all runs"
            rows.append(row)
    columns = ["parameter", "within", "low", "high", "runs", "crossing", "crossing_lo", "crossing_hi",
               "slope", "slope_p", "method", "scale", "binned_crossings", "reading"]
    return pd.DataFrame(rows, columns=columns)


def _from_bins(binned: pd.DataFrame, level: float) -> dict:
    """Crossing by linear interpolation of binned estimates; interval from the bins clearly on each side."""
    v, p = binned["value"].to_numpy(), binned["survival"].to_numpy()
    below = binned["survival_hi"].to_numpy() < level
    above = binned["survival_lo"].to_numpy() > level
    for k in range(len(v) - 1):
        if (p[k] - level) * (p[k + 1] - level) <= 0 and p[k] != p[k + 1]:
            x50 = v[k] + (level - p[k]) * (v[k + 1] - v[k]) / (p[k + 1] - p[k])
            rising = p[k] < p[k + 1]
            start, end = (below, above) if rising else (above, below)
            before = [v[j] for j in range(k + 1) if start[j]]  # clearly on the side the curve comes from
            after = [v[j] for j in range(k + 1, len(v)) if end[j]]  # clearly on the side it goes to
            return {"crossing": float(x50), "crossing_lo": float(before[-1]) if before else float(v[0]),
                    "crossing_hi": float(after[0]) if after else float(v[-1])}
    return {}


def _describe(row: dict, parameter: str, level: float, fitted=None) -> str:
    """One sentence: where survival crosses 50% along the parameter, or that it does not."""
    if not np.isnan(row["crossing"]):
        if fitted is not None:
            direction = "rises above" if row["slope"] > 0 else "falls below"
        else:
            direction = "crosses"
        text = (f"survival {direction} {level:.0%} at {parameter} = {row['crossing']:.3g} "
                f"(95% CI {row['crossing_lo']:.3g} to {row['crossing_hi']:.3g})")
    elif fitted is not None:
        mid = fitted.predict(np.array([[1.0, _on_scale((row["low"] + row["high"]) / 2, row["scale"])]]))[0]
        side = "above" if mid > level else "below"
        text = f"survival stays {side} {level:.0%} over {parameter} {row['low']:.3g} to {row['high']:.3g}"
    else:
        text = f"no crossing of {level:.0%} found along {parameter}"
    return text + _not_monotone(row, parameter, level)


def _not_monotone(row: dict, parameter: str, level: float) -> str:
    if row["binned_crossings"] <= 1:
        return ""
    return (f"; the binned estimates cross {level:.0%} {row['binned_crossings']} times, so survival may not "
            f"move one way along {parameter}: read the figure")


def _never(rate: float, level: float, parameter: str) -> str:
    if np.isnan(rate):
        return "no completed runs"
    side = "above" if rate > level else "below"
    return f"every run had the same fate (survival {rate:.0%}): it stays {side} {level:.0%} along {parameter}"


def _show(value) -> str:
    return str(value).lower() if isinstance(value, (bool, np.bool_)) else str(value)
