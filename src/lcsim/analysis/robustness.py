"""Robustness beyond the mean: how plans fare across the uncertain worlds, not only on average.

The input is a plans x worlds table of an outcome to maximise (survival: a probability per world, or 0/1 when a
world is one replicate). Per plan, in the robust decision making tradition (Rhodium, EMA Workbench):
- `mean`: the mean outcome over the worlds;
- `satisficing`: the share of worlds in which the plan reaches the designer's `threshold` (default
  `THRESHOLD` = 0.5: a world counts when the community survives it with probability at least one half; with one
  replicate per world, when it survives);
- `max_regret` and `mean_regret`: in each world, the best plan's outcome minus this plan's (0 for the best), then
  the worst and the mean over the worlds (Savage's minimax regret);
- `best_share`: how often the plan is the best (rank probability); a world where k plans tie for best gives
  each 1/k, so the shares sum to 1.
`disagreements` says where these measures pick different plans. Pure numpy/pandas: no simulation here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import UsageError

THRESHOLD = 0.5
MEASURES = {  # measure -> (column, higher is better), in the order they are reported
    "mean": ("mean", True),
    "satisficing": ("satisficing", True),
    "max regret": ("max_regret", False),
    "mean regret": ("mean_regret", False),
    "how often best": ("best_share", True),
}


def _checked(outcomes, threshold) -> np.ndarray:
    table = np.asarray(outcomes, dtype=float)
    if table.ndim != 2 or table.shape[0] < 1 or table.shape[1] < 1:
        raise UsageError(f"outcomes: expected a plans x worlds table with at least one of each, got shape "
                         f"{table.shape}")
    if np.isnan(table).any():
        raise UsageError("outcomes: a plan has no value in some world; compare plans on the same worlds only")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not np.isfinite(threshold):
        raise UsageError(f"threshold {threshold!r}: expected a number")
    return table


def regret(outcomes) -> np.ndarray:
    """Plans x worlds regret: the best outcome in each world minus each plan's."""
    table = _checked(outcomes, THRESHOLD)
    return table.max(axis=0, keepdims=True) - table


def best_shares(outcomes, tolerance: float = 1e-12) -> np.ndarray:
    """Per plan, the share of worlds in which it is the best; ties within `tolerance` share the world equally."""
    table = _checked(outcomes, THRESHOLD)
    best = table >= table.max(axis=0, keepdims=True) - tolerance
    return (best / best.sum(axis=0, keepdims=True)).mean(axis=1)


def robustness(outcomes, plans=None, threshold: float = THRESHOLD) -> pd.DataFrame:
    """The robustness table: one row per plan (index `plans`, default 0..n-1) with `mean`, `satisficing`,
    `max_regret`, `mean_regret`, `best_share` and `worlds`. `outcomes`: plans x worlds, higher is better."""
    table = _checked(outcomes, threshold)
    index = list(range(table.shape[0])) if plans is None else list(plans)
    if len(index) != table.shape[0]:
        raise UsageError(f"plans: {len(index)} names for {table.shape[0]} rows of outcomes")
    r = table.max(axis=0, keepdims=True) - table
    return pd.DataFrame({"mean": table.mean(axis=1), "satisficing": (table >= threshold).mean(axis=1),
                         "max_regret": r.max(axis=1), "mean_regret": r.mean(axis=1),
                         "best_share": best_shares(table), "worlds": table.shape[1]}, index=index)


def choices(table: pd.DataFrame, tolerance: float = 1e-9) -> dict[str, list]:
    """Measure -> the plans it ranks first (several when they tie within `tolerance`)."""
    out = {}
    for measure, (column, higher) in MEASURES.items():
        values = table[column].to_numpy(dtype=float)
        top = values.max() if higher else values.min()
        out[measure] = [p for p, v in zip(table.index, values) if abs(v - top) <= tolerance]
    return out


def disagreements(table: pd.DataFrame, name=str) -> list[str]:
    """Sentences saying where the measures pick different plans (empty when one plan is first, or tied first,
    on every measure). `name` turns a plan's index into words."""
    picks = choices(table)
    common = set.intersection(*(set(p) for p in picks.values()))
    if common:
        return []
    by_plan: dict[tuple, list[str]] = {}
    for measure, plans in picks.items():
        by_plan.setdefault(tuple(plans), []).append(measure)
    lines = []
    for plans, measures in by_plan.items():
        lines.append(" and ".join(measures) + " favour " + " or ".join(name(p) for p in plans))
    return ["The robustness measures disagree: " + "; ".join(lines) + "."]


def robustness_text(table: pd.DataFrame, name=str, threshold: float = THRESHOLD) -> str:
    """The table in fixed-width words (plain column names), one plan a line."""
    lines = [f"{'plan':<40s} {'mean':>6s} {'reaches ' + format(threshold, 'g'):>12s} {'max regret':>10s} "
             f"{'mean regret':>11s} {'best in':>8s}"]
    for plan, row in table.iterrows():
        lines.append(f"{str(name(plan))[:40]:<40s} {row['mean']:6.0%} {row['satisficing']:12.0%} "
                     f"{row['max_regret']:10.2f} {row['mean_regret']:11.2f} {row['best_share']:8.0%}")
    return "\n".join(lines)


__all__ = ["THRESHOLD", "MEASURES", "robustness", "regret", "best_shares", "choices", "disagreements",
           "robustness_text"]
