"""Runs shared by the fast mechanism and validation tests (tests/test_mechanisms.py, tests/test_validation.py).

Arms are paired on seeds: seed s draws the same initial community in every arm, so differences come
from the mechanism, and paired tests (Wilcoxon, sign test on discordant pairs) can see them with few
runs. Runs are cached by their full parameter set: an arm used by several tests (or named two ways,
e.g. the default scenario with and without `exit_strategy="phase_out"`) runs once per session.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
from scipy.stats import binomtest, wilcoxon

import lcsim
from lcsim.parameters import check_params
from lcsim.scenarios import scenario_params

SEEDS = range(60)  # paired seeds for the default-scenario arms


@cache
def _run(seed: int, scenario: str, items: tuple) -> tuple[dict, pd.DataFrame, dict]:
    result = lcsim.simulate(seed=seed, scenario=scenario, **dict(items))
    return result.summary, result.monthly, result.params


def run(seed: int, scenario: str = "default", **params) -> tuple[dict, pd.DataFrame, dict]:
    """(summary, monthly table (row = month), parameters) of one run; cached by its complete parameter set."""
    full = check_params(params, scenario_params(scenario))
    return _run(seed, scenario, tuple(sorted(full.items())))


def outcome(key: str, seeds=SEEDS, scenario: str = "default", month: int | str | None = None, **params) -> np.ndarray:
    """`key` of each seed's run summary, or of its monthly table at `month` ("exit": the exit month)."""
    values = []
    for seed in seeds:
        summary, monthly, used = run(seed, scenario, **params)
        if month is None:
            values.append(summary[key])
        else:
            values.append(monthly.loc[used["exit_month"] if month == "exit" else month, key])
    return np.array(values, dtype=float)


def sign_test(better: np.ndarray, worse: np.ndarray) -> tuple[int, int, float]:
    """Discordant pairs (only `better` survived, only `worse` survived) and the one-sided p-value."""
    wins, losses = int(((better == 1) & (worse == 0)).sum()), int(((better == 0) & (worse == 1)).sum())
    p = binomtest(wins, wins + losses, alternative="greater").pvalue if wins + losses else 1.0
    return wins, losses, p


def assert_survives_more(better, worse, alpha=0.05):
    """Sign test on discordant pairs: runs where only one arm survived."""
    wins, losses, p = sign_test(better, worse)
    assert wins > losses and p < alpha, f"discordant pairs {wins} for, {losses} against, p = {p:.3g}"


def assert_paired_increase(low, high, alpha=0.01):
    assert high.mean() > low.mean()
    assert wilcoxon(high, low, alternative="greater").pvalue < alpha
