"""A percentile bootstrap of a mean: the interval of each one-at-a-time effect and of validation's paired
comparisons (`lcsim.validation.statistics`)."""

from __future__ import annotations

import numpy as np

BOOT = 2000  # bootstrap resamples


def bootstrap_mean(values, seed: int = 0) -> tuple[float, float, float]:
    """Mean and its 95% percentile-bootstrap interval (`BOOT` resamples, generator seeded by `seed`)."""
    values = np.asarray(values, float)
    rng = np.random.default_rng(seed)
    means = values[rng.integers(0, len(values), (BOOT, len(values)))].mean(axis=1)
    return float(values.mean()), float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))
