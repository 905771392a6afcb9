"""Sobol indices (first-order and total) of a `sobol` sweep: SALib's `SALib.analyze.sobol`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analysis

from .morris import SEED


def sobol_indices(problem: dict, Y: np.ndarray, calc_second_order: bool = True) -> pd.DataFrame:
    """SALib Sobol: first-order (S1) and total (ST) indices with their 95% bootstrap half-widths."""
    result = sobol_analysis.analyze(problem, Y, calc_second_order=calc_second_order, conf_level=0.95,
                                    print_to_console=False, seed=SEED)
    return pd.DataFrame({
        "parameter": problem["names"], "S1": result["S1"], "S1_conf": result["S1_conf"],
        "ST": result["ST"], "ST_conf": result["ST_conf"],
    })
