"""The comparison table a program designer reads: exit strategies side by side, with their uncertainty.

One row per strategy (and per digital-channel setting when both were run): survival
probability with a 95% Wilson interval, its difference from abrupt exit (`phase_out`) with
Newcombe's interval (`confint_proportions_2indep`), the Kaplan-Meier median of months alive
after exit with its interval, the log-rank test of the strategy's survival curve against
`phase_out`, and the other outcomes at the horizon as means with 95% t intervals
(statsmodels `DescrStatsW.tconfint_mean`); and the words that say it.

This module only reads runs; `lcsim.compare` (`lcsim.studies.compare`) runs them. Labels, bounds and
formats of outcomes come from the outcomes table (`OUTCOMES`); strategies' words and order from
`lcsim.strategies`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep
from statsmodels.stats.weightstats import DescrStatsW

from ..outcomes import OUTCOMES
from ..strategies import WORDS, rank
from .survival import ALPHA, completed, logrank, median_survival, survival_probability

REFERENCE = "phase_out"  # abrupt exit: the strategy every other one is tested against

# Outcomes at the horizon shown as means with intervals (labels, bounds and format: `OUTCOMES`).
COMPARED = ("active_members", "leaders", "cross_sector_share", "local_hosting_share", "replications",
            "replications_alive")


def groups_of(runs: pd.DataFrame) -> list[str]:
    """The columns that tell the compared arms apart: strategy, and the digital channel if it varies."""
    cols = ["exit_strategy"]
    if "digital_channel" in runs.columns and runs["digital_channel"].nunique() > 1:
        cols.append("digital_channel")
    return cols


def comparison_table(runs: pd.DataFrame, by: list[str] | None = None, reference: str = REFERENCE) -> pd.DataFrame:
    """One row per arm: survival with Wilson CI, KM median with CI, log-rank p vs `reference`, outcome means.

    Arms are ordered as the strategies are in the schema (stay, phase_out, phase_down,
    phase_over), digital channel off before on. The log-rank test compares each strategy
    with `reference` at the same digital-channel setting; the reference's own row is NaN.
    """
    runs = completed(runs)
    by = by or groups_of(runs)
    table = survival_probability(runs, by=by)
    rows = []
    for key in table[by].itertuples(index=False, name=None):
        arm = _select(runs, by, key)
        row = dict(zip(by, key))
        row.update(median_survival(arm))
        row.update(_versus(runs, by, key, reference))
        for column in (c for c in COMPARED if c in runs):  # a table from an older model may lack some
            mean, lo, hi = mean_interval(arm[column], OUTCOMES[column].bounds)
            row.update({column: mean, f"{column}_lo": lo, f"{column}_hi": hi})
        rows.append(row)
    table = table.merge(pd.DataFrame(rows), on=by)
    table = table.sort_values(by, key=lambda col: col.map(rank) if col.name == "exit_strategy" else col)
    return table.reset_index(drop=True)


def mean_interval(values: pd.Series, bounds: tuple[float, float] = (-math.inf, math.inf)) -> tuple[float, float, float]:
    """Mean and its 95% t interval; with one value (or all equal) the interval is the value itself.

    The interval is clipped to the outcome's natural `bounds` (counts are never negative, shares
    lie in [0, 1]): with few, skewed runs the symmetric t interval can spill past them, and a
    mean can never lie there.
    """
    x = pd.to_numeric(values, errors="coerce").dropna().to_numpy(dtype=float)
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if len(x) < 2 or np.all(x == x[0]):
        return mean, mean, mean
    lo, hi = DescrStatsW(x).tconfint_mean(alpha=ALPHA)
    return mean, float(max(lo, bounds[0])), float(min(hi, bounds[1]))


def _select(runs: pd.DataFrame, by: list[str], key: tuple) -> pd.DataFrame:
    mask = np.ones(len(runs), dtype=bool)
    for column, value in zip(by, key):
        mask &= (runs[column] == value).to_numpy()
    return runs[mask]


def _versus(runs: pd.DataFrame, by: list[str], key: tuple, reference: str) -> dict:
    """Log-rank test and survival difference (Newcombe 95% CI) of one arm against the reference arm."""
    none = {"logrank_chisq": math.nan, "logrank_p": math.nan,
            "difference": math.nan, "difference_lo": math.nan, "difference_hi": math.nan}
    here = dict(zip(by, key))
    if here["exit_strategy"] == reference:
        return none
    ref_key = tuple(reference if c == "exit_strategy" else here[c] for c in by)
    arm, ref = _select(runs, by, key), _select(runs, by, ref_key)
    if ref.empty:  # the reference arm was not run
        return none
    pair = pd.concat([arm, ref])
    result = logrank(pair, pair["exit_strategy"])
    a, b = int(arm["survived"].sum()), int(ref["survived"].sum())
    lo, hi = confint_proportions_2indep(a, len(arm), b, len(ref), method="newcomb", compare="diff", alpha=ALPHA)
    return {"logrank_chisq": result["chisq"], "logrank_p": result["p"],
            "difference": a / len(arm) - b / len(ref), "difference_lo": float(lo), "difference_hi": float(hi)}


# --- words and text -----------------------------------------------------------------------------

def arm_label(row) -> str:
    label = str(row["exit_strategy"])
    if "digital_channel" in row and not _missing(row.get("digital_channel")):
        label += " + digital" if bool(row["digital_channel"]) else ""
    return label


def percent_interval(p: float, lo: float, hi: float) -> str:
    if _missing(p):
        return "-"
    return f"{p:.0%} ({lo * 100:.0f}-{hi:.0%})"


def median_text(row) -> str:
    """'14 (11-19)'; '>36' when more than half were still alive at the horizon (median not reached)."""
    if not row["reached"]:
        return f">{row['horizon']:.0f}" if not _missing(row["horizon"]) else "-"
    hi = f"{row['median_hi']:.0f}" if np.isfinite(row["median_hi"]) else f">{row['horizon']:.0f}"
    lo = "?" if _missing(row["median_lo"]) else f"{row['median_lo']:.0f}"
    return f"{row['median']:.0f} ({lo} to {hi})"


def points_text(row) -> str:
    """A difference in survival in percentage points, with its interval: '+16 pts (-11 to +40)'."""
    if _missing(row["difference"]):
        return "-"
    return (f"{row['difference'] * 100:+.0f} pts ({row['difference_lo'] * 100:+.0f} to "
            f"{row['difference_hi'] * 100:+.0f})")


def p_text(p: float) -> str:
    if _missing(p):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def mean_text(row, column: str) -> str:
    mean, lo, hi = row[column], row[f"{column}_lo"], row[f"{column}_hi"]
    if _missing(mean):
        return "-"
    if OUTCOMES[column].percent:
        return f"{mean:.0%} ({lo * 100:.0f}-{hi:.0%})"
    digits = 0 if abs(mean) >= 10 else 1
    return f"{mean:.{digits}f} ({lo:.{digits}f}-{hi:.{digits}f})"


def readable(table: pd.DataFrame, reference: str = REFERENCE, part: str = "all") -> pd.DataFrame:
    """The comparison table as text cells with the column names a designer reads.

    `part`: "survival" (survival statistics), "outcomes" (means at the horizon) or "all".
    """
    rows = [r for _, r in table.iterrows()]
    cells = {"strategy": [arm_label(r) for r in rows]}
    if part in ("survival", "all"):
        cells["runs"] = [str(int(r["runs"])) for r in rows]
        cells["survival (95% CI)"] = [percent_interval(r["survival"], r["survival_lo"], r["survival_hi"]) for r in rows]
        cells[f"vs {reference}"] = [points_text(r) for r in rows]
        cells["median months alive after exit"] = [median_text(r) for r in rows]
        cells["log-rank p"] = [p_text(r["logrank_p"]) for r in rows]
    if part in ("outcomes", "all"):
        for column in (c for c in COMPARED if c in table):
            cells[OUTCOMES[column].label] = [mean_text(r, column) for r in rows]
    return pd.DataFrame(cells)


def format_table(table: pd.DataFrame, reference: str = REFERENCE) -> str:
    """Two fixed-width text tables for the terminal: survival, then the outcomes at the horizon."""
    blocks = []
    for part, title in (("survival", f"Survival after the convener's exit (95% intervals; tests against {reference})"),
                        ("outcomes", "At the horizon: mean per run (95% interval)")):
        text = readable(table, reference, part)
        widths = {c: max(len(c), *(len(v) for v in text[c])) for c in text.columns}
        lines = [title, "  ".join(c.ljust(widths[c]) for c in text.columns).rstrip(),
                 "  ".join("-" * widths[c] for c in text.columns)]
        lines += ["  ".join(row[c].ljust(widths[c]) for c in text.columns).rstrip() for _, row in text.iterrows()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def plain_reading(table: pd.DataFrame, horizon_after_exit: float | None = None,
                  reference: str = REFERENCE) -> list[str]:
    """Sentences a designer can quote: each exit strategy's survival with its interval, best first.

    One paragraph per digital-channel setting when both were run; `stay` is the control arm.
    """
    when = (f"{horizon_after_exit:.0f} months after the convener's exit" if horizon_after_exit
            else "at the horizon")
    settings = [None]
    if "digital_channel" in table.columns and table["digital_channel"].nunique() > 1:
        settings = sorted(table["digital_channel"].unique())
    sentences = []
    for setting in settings:
        part = table if setting is None else table[table["digital_channel"] == setting]
        part = part.sort_values("survival", ascending=False)
        exits, stay = part[part["exit_strategy"] != "stay"], part[part["exit_strategy"] == "stay"]
        said = [f"{WORDS.get(r.exit_strategy, r.exit_strategy)} "
                f"{'keeps about ' if k == 0 else 'about '}{percent_interval(r.survival, r.survival_lo, r.survival_hi)}"
                for k, r in enumerate(exits.itertuples())]
        prefix = "" if setting is None else ("With a digital channel, " if setting else "Without a digital channel, ")
        if said:
            sentences.append(_capital(prefix + _join(said) + f" of communities alive {when}."))
        if len(stay):
            r = stay.iloc[0]
            sentences.append(f"If the convener never leaves (the control arm), "
                             f"{percent_interval(r.survival, r.survival_lo, r.survival_hi)} are alive.")
        for r in exits.itertuples():
            if r.exit_strategy == reference or _missing(r.difference):
                continue
            clear = r.difference_lo > 0 or r.difference_hi < 0
            verdict = ("a clear difference" if clear else
                       "the interval includes no difference, so these runs cannot tell them apart")
            sentences.append(f"{_capital(WORDS.get(r.exit_strategy, r.exit_strategy))} against abrupt "
                             f"exit: {r.difference * 100:+.0f} percentage points ({r.difference_lo * 100:+.0f} to "
                             f"{r.difference_hi * 100:+.0f}), {verdict}.")
    return sentences


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _missing(value) -> bool:
    try:
        return value is None or bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def with_parameter_uncertainty(table: pd.DataFrame, runs: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Survival intervals widened by parameter uncertainty: per arm, the wider of the Wilson interval over all
    runs (`survival_chance_lo/hi`) and the 2.5-97.5% range of survival across posterior draws
    (`survival_draws_lo/hi`)."""
    table = table.copy()
    for name in ("survival_chance_lo", "survival_chance_hi", "survival_draws_lo", "survival_draws_hi"):
        table[name] = np.nan
    for i, row in table.iterrows():
        arm = _select(runs, by, tuple(row[c] for c in by))
        per_draw = arm.groupby("draw")["survived"].mean()
        lo, hi = float(per_draw.quantile(0.025)), float(per_draw.quantile(0.975))
        table.loc[i, ["survival_chance_lo", "survival_chance_hi"]] = [row["survival_lo"], row["survival_hi"]]
        table.loc[i, ["survival_draws_lo", "survival_draws_hi"]] = [lo, hi]
        table.loc[i, "survival_lo"] = min(row["survival_lo"], lo)
        table.loc[i, "survival_hi"] = max(row["survival_hi"], hi)
    return table
