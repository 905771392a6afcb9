"""The statistics of the validation patterns: paired comparisons on common seeds, bootstrap means.

Proportions use the analysis package's Wilson interval (`lcsim.analysis.survival.wilson`); this
module adds what only validation needs: a percentile bootstrap of a mean (2,000 resamples) and the
paired comparison of two arms run on the same seeds (a one-sided sign test on the runs where only
one arm survived).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from scipy.stats import binomtest

from ..analysis.sensitivity.bootstrap import BOOT, bootstrap_mean
from ..analysis.survival import wilson

ALPHA = 0.05  # one-sided tests in the pattern's direction
MIN_EFFECT = 0.05  # the smallest survival difference a pattern counts: 5 percentage points (an effect size)

__all__ = ["ALPHA", "BOOT", "MIN_EFFECT", "Paired", "bootstrap_mean", "fmt_ci", "fmt_p", "paired", "wilson"]


@dataclass
class Paired:
    """Arm `better` against arm `worse`, run by run on common seeds."""

    label: str
    n: int
    better: float  # survival in the arm expected to do better
    worse: float
    diff: float
    low: float
    high: float
    wins: int  # runs where only the better arm survived
    losses: int  # runs where only the worse arm survived
    p: float  # one-sided sign test on discordant pairs

    @property
    def holds(self) -> bool:
        """The expected direction, beyond noise: a positive difference and sign test p < ALPHA."""
        return self.diff > 0 and self.p < ALPHA

    @property
    def meets(self) -> bool:
        """The effect-size criterion: beyond noise (`holds`) and at least MIN_EFFECT in size."""
        return self.holds and self.diff >= MIN_EFFECT

    def text(self) -> str:
        return (f"{self.label}: {self.better:.2f} vs {self.worse:.2f}, difference {self.diff:+.2f} "
                f"[{self.low:+.2f}, {self.high:+.2f}] over {self.n} paired seeds; discordant pairs "
                f"{self.wins} for, {self.losses} against (sign test p = {fmt_p(self.p)})")


def paired(label: str, better: pd.Series, worse: pd.Series) -> Paired:
    """`better` and `worse`: a boolean outcome per replicate (index), the same replicates in both."""
    both = pd.concat([better.rename("b"), worse.rename("w")], axis=1).dropna().astype(int)
    b, w = both["b"].to_numpy(), both["w"].to_numpy()
    wins, losses = int(((b == 1) & (w == 0)).sum()), int(((b == 0) & (w == 1)).sum())
    p = binomtest(wins, wins + losses, alternative="greater").pvalue if wins + losses else 1.0
    diff, low, high = bootstrap_mean(b - w)
    return Paired(label, len(b), b.mean(), w.mean(), diff, low, high, wins, losses, float(p))


def fmt_p(p: float) -> str:
    return f"{p:.2g}" if p >= 1e-4 else "< 0.0001"


def fmt_ci(value, low, high, digits=2) -> str:
    return f"{value:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"
