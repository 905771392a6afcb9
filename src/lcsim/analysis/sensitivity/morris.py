"""Morris screening (elementary effects) of a `morris` sweep: SALib's `SALib.analyze.morris`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analysis

SEED = 20260101  # SALib's bootstrap for the confidence intervals: fixed, so the tables reproduce


def point_inputs(runs: pd.DataFrame, names: list[str], n_points: int) -> np.ndarray:
    """The parameter values of each design point, in design order (for Morris' elementary effects)."""
    first = runs.sort_values("replicate").groupby("point")[names].first().reindex(range(n_points))
    return first.to_numpy(dtype=float)


def morris_indices(problem: dict, X: np.ndarray, Y: np.ndarray, num_levels: int = 4) -> pd.DataFrame:
    """SALib Morris screening: mu_star (overall influence), its 95% interval, sigma (interaction/non-linearity)."""
    result = morris_analysis.analyze(problem, X, Y, num_levels=num_levels, conf_level=0.95,
                                     print_to_console=False, seed=SEED)
    return pd.DataFrame({
        "parameter": problem["names"], "mu": result["mu"], "mu_star": result["mu_star"],
        "mu_star_conf": result["mu_star_conf"], "sigma": result["sigma"],
    })
