"""Which uncertain values the targets can inform: a global screening before the inference (`lcsim calibrate
--screen N`).

Why: ABC-SMC's importance weights degenerate in many dimensions. Measured on pyabc's own multivariate normal
transition (100 particles spread over a unit box, a flat prior, 1,000 proposals): an effective sample size of
877 in 2 dimensions, 66 in 5, 68 in 10 and 8 in 20; on the model's 34 uncertain values the real inference's
ESS was 2.2 of 100 in its second generation. So the inference calibrates the values the targets' statistics
lean on, at most `MAX_VALUES`, and holds the others at their hand-set values (the posterior is conditional on
them, and answers drawn from it keep them so: `studies.uncertainty`).

How (a rank-correlation screening over a Latin hypercube, as in Marino et al. 2008 for agent-based models):
`samples` points of every prior at once, each simulated as the inference simulates (fewer replicates: the
screening reads the trend across points, not each point), then the Spearman correlation of each value with each
target's statistic and with the band distance, over all points and again over the `NEAREST` quarter of points
nearest the targets (over the whole prior most communities end, so one value can decide every statistic and hide
those that matter where communities live; within the nearest points selection on the distance can itself induce
a correlation, which errs towards calibrating a value, not towards holding it). The criterion, fixed before
measuring: a value is *informed* when some correlation is at least `MIN_RHO` in size and significant at 5% after a
Bonferroni correction over every (value, statistic) pair. When more than `MAX_VALUES` are informed, each
statistic's strongest informed value is kept first (so no target is left without the value that moves it most),
then the others by their strongest correlation.

    from lcsim.calibration import problem, screening
    found = screening.screen(problem.model_problem(replicates=5), samples=400, workers=2)
    found.kept, found.table
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UsageError
from .problem import ROOT_SEED, BandDistance, Problem

SAMPLES = 400  # Latin hypercube points
REPLICATES = 5  # runs of each scenario per point (the inference uses problem.REPLICATES)
MIN_RHO = 0.15  # smallest rank correlation that counts as the value informing a statistic
ALPHA = 0.05  # family-wise, Bonferroni over every (value, statistic) pair
MIN_POINTS = 30  # a statistic defined on fewer points (e.g. a gap that needs surviving ties) informs nothing
NEAREST = 0.25  # the share of points nearest the targets (smallest band distance) screened again on their own
NEAR = " (nearest)"  # the suffix of a statistic measured over those points
MAX_VALUES = 10  # the most values one inference calibrates (ESS 68 of 1,000 at 10 dimensions, 8 at 20)
DISTANCE = "distance"


@dataclass
class Screening:
    """What `screen` found: per value its strongest correlation and with which statistic, and whether it is kept."""

    table: pd.DataFrame  # one row per value: name, kind, rho (strongest, signed), statistic, rho_distance, informed,
    # kept, reason
    correlations: pd.DataFrame  # values x statistics (and distance): Spearman rho
    samples: pd.DataFrame  # the points and their statistics (columns stat:NAME)
    counts: pd.Series  # points on which each statistic is defined
    replicates: int

    @property
    def kept(self) -> list[str]:
        return self.table.loc[self.table["kept"], "name"].tolist()

    @property
    def held(self) -> list[str]:
        return self.table.loc[~self.table["kept"], "name"].tolist()


def critical_rho(n: int, tests: int, alpha: float = ALPHA) -> float:
    """The smallest |rho| significant at `alpha` over `tests` two-sided tests on `n` points (t approximation)."""
    from scipy.stats import t as student

    if n < 4:
        return 1.0
    tc = float(student.ppf(1 - alpha / (2 * max(tests, 1)), n - 2))
    return tc / math.sqrt(n - 2 + tc * tc)


def latin_sample(problem: Problem, n: int, seed: int = ROOT_SEED) -> pd.DataFrame:
    """`n` Latin hypercube points over every prior of `problem` (each prior's quantiles)."""
    from scipy.stats import qmc

    u = qmc.LatinHypercube(d=len(problem.priors), seed=np.random.default_rng(np.random.SeedSequence([seed, 21])))
    points = u.random(int(n))
    return pd.DataFrame({p.name: p.ppf(points[:, j]) for j, p in enumerate(problem.priors)})


def correlations(values: pd.DataFrame, stats: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Spearman rho of every value (rows) with every statistic (columns), pairwise over the points where the
    statistic is defined (0 where it does not vary), and each statistic's number of such points."""
    out, counts = {}, {}
    for col in stats.columns:
        y = pd.to_numeric(stats[col], errors="coerce")
        ok = y.notna().to_numpy()
        counts[col] = int(ok.sum())
        if ok.sum() < 4 or y[ok].nunique() < 2:
            out[col] = pd.Series(0.0, index=values.columns)
            continue
        ry = y[ok].rank().to_numpy(float)
        rv = values[ok].rank().to_numpy(float)
        ry = (ry - ry.mean()) / ry.std()
        rv = (rv - rv.mean(axis=0)) / np.where(rv.std(axis=0) > 0, rv.std(axis=0), 1.0)
        out[col] = pd.Series(rv.T @ ry / len(ry), index=values.columns)
    return pd.DataFrame(out).fillna(0.0), pd.Series(counts)


def choose(corr: pd.DataFrame, counts: pd.Series, most: int = MAX_VALUES, min_rho: float = MIN_RHO,
           alpha: float = ALPHA) -> pd.DataFrame:
    """The screening's criterion over a correlation table (values x statistics, `counts` points per statistic):
    which values are informed and which are kept (see the module's docstring). A statistic defined on fewer than
    `MIN_POINTS` points informs nothing. One row per value, strongest first."""
    usable = [s for s in corr.columns if counts[s] >= MIN_POINTS]
    tests = len(corr.index) * max(len(usable), 1)
    bars = pd.Series({s: max(critical_rho(int(counts[s]), tests, alpha), min_rho) for s in usable}, dtype=float)
    size = corr[usable].abs()
    passes = size.ge(bars, axis=1)
    informed = passes.any(axis=1)
    strongest = size.max(axis=1)
    kept: list[str] = []
    # each statistic's strongest informed value first, statistics in the order of that value's strength
    firsts = [(float(size.loc[v, s]), v) for s in usable for v in [size[s].idxmax()] if passes.loc[v, s]]
    for _, v in sorted(firsts, reverse=True):
        if v not in kept and len(kept) < most:
            kept.append(v)
    for v in strongest[informed].sort_values(ascending=False).index:
        if v not in kept and len(kept) < most:
            kept.append(v)
    rows = []
    for v in strongest.sort_values(ascending=False).index:
        if not usable:
            rows.append({"name": v, "rho": np.nan, "statistic": "", "points": 0, "rho_distance": np.nan,
                         "informed": False, "kept": False,
                         "reason": f"no statistic defined on {MIN_POINTS} points or more"})
            continue
        stat = size.loc[v].idxmax()
        reason = ("kept" if v in kept else
                  f"informed, but past the {most} values one inference can weigh" if informed[v] else
                  f"no statistic moves with it (strongest |rho| {strongest[v]:.2f}, below {bars[stat]:.2f})")
        rows.append({"name": v, "rho": float(corr.loc[v, stat]), "statistic": stat, "points": int(counts[stat]),
                     "rho_distance": float(corr.loc[v, DISTANCE]) if DISTANCE in corr.columns else np.nan,
                     "informed": bool(informed[v]), "kept": v in kept, "reason": reason})
    return pd.DataFrame(rows)


def screen(problem: Problem, samples: int = SAMPLES, workers: int = 1, scheduler: str | None = None,
           seed: int = ROOT_SEED, most: int = MAX_VALUES, out: Path | None = None, progress=None) -> Screening:
    """Screen `problem`'s values (see the module's docstring). `problem` is simulated as given (build it with the
    screening's replicates). With `out`, the points and tables are saved there and a screening of the same problem,
    samples and seed already there is read back instead of rerun."""
    from .batches import simulate_values

    if samples < 10:
        raise UsageError(f"screening samples: {samples} is not allowed; expected an integer >= 10")
    key = {"problem": problem.key, "samples": int(samples), "seed": int(seed)}
    cached = Path(out) / "screening.json" if out is not None else None
    if cached is not None and cached.is_file() and json.loads(cached.read_text()).get("key") == key:
        frame = pd.read_parquet(Path(out) / "screening-samples.parquet")
    else:
        points = latin_sample(problem, samples, seed)
        if progress:
            progress(f"screening: {samples} points of {len(problem.priors)} values, "
                     f"{problem.info.get('replicates', '?')} runs of each scenario per point")
        stats = pd.DataFrame(simulate_values(problem, points, workers, scheduler))
        distance = BandDistance(problem.targets)
        stats[DISTANCE] = [distance(r) for r in stats.to_dict("records")]
        frame = pd.concat([points, stats.add_prefix("stat:")], axis=1)
        if out is not None:
            Path(out).mkdir(parents=True, exist_ok=True)
            frame.to_parquet(Path(out) / "screening-samples.parquet", index=False)
            cached.write_text(json.dumps({"key": key}, indent=1))
    names = [p.name for p in problem.priors]
    stats = frame[[c for c in frame.columns if c.startswith("stat:")]].rename(columns=lambda c: c[5:])
    corr, counts = correlations(frame[names], stats)
    # again among the points nearest the targets: over the whole prior one value can decide every statistic
    # (most communities end), hiding the values that matter where communities live
    near = stats[DISTANCE] <= stats[DISTANCE].quantile(NEAREST)
    near_corr, near_counts = correlations(frame.loc[near, names], stats[near].drop(columns=[DISTANCE]))
    corr = pd.concat([corr, near_corr.add_suffix(NEAR)], axis=1)
    counts = pd.concat([counts, near_counts.add_suffix(NEAR)])
    table = choose(corr, counts, most)
    kinds = {p.name: p.kind for p in problem.priors}
    table.insert(1, "kind", table["name"].map(kinds))
    if out is not None:
        table.to_csv(Path(out) / "screening.csv", index=False)
    return Screening(table, corr, frame, counts, int(problem.info.get("replicates", 0)))


def section(found: Screening | None) -> str:
    """The page's "Which values are calibrated" section (docs/calibration.md)."""
    head = "## Which values are calibrated\n\n"
    if found is None:
        return head + ("No screening was run: the values calibrated were named (`--values`) or are every uncertain "
                       "value (`lcsim.calibration.problem.uncertain()`).\n")
    n, values = len(found.samples), len(found.table)
    kept, informed = found.kept, int(found.table["informed"].sum())
    lines = [head, f"A screening chose them before the inference (`lcsim calibrate --screen {n}`, "
             "`lcsim.calibration.screening`): ABC-SMC's importance weights degenerate in many dimensions (Method), so "
             f"one inference weighs at most {MAX_VALUES} values. {n} Latin hypercube points of all {values} uncertain "
             f"values, each simulated on {found.replicates} runs of each scenario, then the Spearman correlation of "
             "each value with each target's statistic and with the band distance, over all points and again over the "
             f"{NEAREST:.0%} of points nearest the targets (marked \"(nearest)\"). The criterion was fixed before "
             f"measuring: a value is informed when a correlation is at least {MIN_RHO} in size and significant at "
             f"{ALPHA:.0%} after a Bonferroni correction over every (value, statistic) pair; a statistic defined on "
             f"fewer than {MIN_POINTS} points informs nothing. Each statistic's strongest informed value is kept "
             "first, then the others by strength.\n\n",
             f"**{informed} of {values} values are informed; {len(kept)} are calibrated** "
             f"({', '.join(f'`{k}`' for k in kept) or 'none'}). The others are held at their hand-set values: the "
             "posterior is conditional on them, and every answer drawn from it keeps them so. Rank correlation over "
             "the whole prior sees monotone effects and misses a value that matters only in a corner of the others "
             "(an interaction), so a value held here is untested by the targets, not shown not to matter.\n\n",
             "| value | kind | strongest rho | with | points | rho with distance | calibrated | why |\n",
             "|---|---|---|---|---|---|---|---|\n"]
    for _, r in found.table.iterrows():
        rho = "" if not np.isfinite(r["rho"]) else f"{r['rho']:+.2f}"
        dist = "" if not np.isfinite(r["rho_distance"]) else f"{r['rho_distance']:+.2f}"
        lines.append(f"| `{r['name']}` | {r['kind']} | {rho} | `{r['statistic']}` | {r['points']} | {dist} | "
                     f"{'yes' if r['kept'] else 'no'} | {r['reason']} |\n")
    defined = ", ".join(f"`{k}` {int(v)}" for k, v in found.counts.items() if k != DISTANCE)
    lines.append(f"\nPoints on which each statistic was defined: {defined}.\n")
    return "".join(lines)
