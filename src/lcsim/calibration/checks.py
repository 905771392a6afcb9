"""The calibration against the targets and its checks (`lcsim calibrate`; the page is `page.regenerate`).

`calibrate_to_targets` runs the inference (`abc.run_abc`, resumable, one history per configuration), then:

- identifiability: each value's posterior spread against its prior's (`Posterior.summary`);
- a posterior predictive check per target: `draws` particles drawn from the posterior, each run
  as in the inference (the same replicates), the 95% predictive interval of each statistic, the
  share of draws inside the target's band, and a verdict (PASS: the predictive median inside the
  band); the same under the prior, for comparison;
- a held-out check: for each target group, the inference again without that group, and its
  predictive check on the group left out (is it predicted from the others?);
- misspecification: per target the share of predictive draws inside its band, and the pairs of targets whose
  bands are not met together (`misfit`);
- structural alternatives, when asked for: ABC model selection between the revised rules and each named rule
  switched off (`selection`);
- figures (marginals, pairs, predictive checks).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import abc
from .histories import history_path
from .posterior import Posterior
from .problem import AFTER_EXIT, REPLICATES, ROOT_SEED, Problem, default_priors, model_problem, uncertain
from .targets import NOT_MEASURABLE, TARGETS, Target

DRAWS = 100  # posterior (and prior) predictive draws
PASS_SHARE = 0.5  # the verdict: the predictive median inside the band


@dataclass
class Settings:
    """How much inference to run (the CLI's options)."""

    population: int = 100
    max_populations: int = 12
    replicates: int = REPLICATES  # runs of each scenario per simulation: enough that a share is a share
    min_acceptance: float = 0.02
    max_minutes: float | None = None  # no time limit: the history resumes, so a long inference runs in parts
    draws: int = DRAWS
    check_replicates: int = REPLICATES  # runs of each scenario per predictive draw
    heldout: bool = True
    heldout_population: int | None = None  # None: as large as the main inference (population, generations, time)
    heldout_populations: int | None = None
    heldout_minutes: float | None = None
    fixed: dict = field(default_factory=dict)  # parameters fixed for every run (tests shrink the runs so)
    assumptions: dict = field(default_factory=dict)  # a structural variant's settings (the chosen structure)
    after_exit: int | None = AFTER_EXIT  # months each scenario is followed past its exit
    select: tuple = ()  # rule switches whose structure (the rule off) is weighed against the revised rules
    values: tuple = ()  # the uncertain values to calibrate (default: problem.uncertain(), or the screening's)
    screen: int = 0  # Latin hypercube points of the screening that chooses the values (0: no screening)
    screen_replicates: int = 5  # runs of each scenario per screening point
    figures: bool = True  # draw the figures (a resumed run that only extends the history may skip them)

    def heldout_size(self) -> tuple[int, int, float | None]:
        """(population, generations, minutes) of each held-out inference: the main one's unless set."""
        return (self.heldout_population or self.population, self.heldout_populations or self.max_populations,
                self.heldout_minutes if self.heldout_minutes is not None else self.max_minutes)


def predictive(problem: Problem, values: pd.DataFrame, workers: int = 1, scheduler: str | None = None) -> pd.DataFrame:
    """Every target's statistic for each row of `values` (one simulation each, as in the inference; each seeded
    from its values, so the table does not depend on where it ran)."""
    from .batches import simulate_values

    return pd.DataFrame(simulate_values(problem, values, workers, scheduler))


def check(targets: dict[str, Target], stats: pd.DataFrame, label: str = "posterior") -> pd.DataFrame:
    """Per target: observed value, band, predictive median and 95% interval, share of draws inside, verdict."""
    rows = []
    for key, t in targets.items():
        x = pd.to_numeric(stats.get(key, pd.Series(dtype=float)), errors="coerce").dropna().to_numpy()
        if not len(x) and key in stats.columns and len(stats):  # measurable, but undefined in every draw (e.g. a
            # hazard after the first year when every run ended in it): no draw reproduces it
            rows.append({"target": key, "group": t.group, "observed": t.value, "low": t.low, "high": t.high,
                         "median": np.nan, "q025": np.nan, "q975": np.nan, "inside": 0.0, "verdict": "FAIL",
                         "check": label})
            continue
        if not len(x):
            rows.append({"target": key, "group": t.group, "observed": t.value, "low": t.low, "high": t.high,
                         "median": np.nan, "q025": np.nan, "q975": np.nan, "inside": np.nan,
                         "verdict": NOT_MEASURABLE, "check": label})
            continue
        inside = float(((x >= t.low) & (x <= t.high)).mean())
        median = float(np.median(x))
        rows.append({"target": key, "group": t.group, "observed": t.value, "low": t.low, "high": t.high,
                     "median": median, "q025": float(np.quantile(x, 0.025)), "q975": float(np.quantile(x, 0.975)),
                     "inside": inside, "verdict": "PASS" if t.low <= median <= t.high else "FAIL", "check": label})
    return pd.DataFrame(rows)


@dataclass
class TargetCalibration:
    """What `calibrate_to_targets` found and wrote."""

    posterior: Posterior
    problem: Problem
    summary: pd.DataFrame  # per value: prior, posterior mean, interval, spread ratio, identified
    checks: pd.DataFrame  # posterior and prior predictive checks per target
    heldout: pd.DataFrame  # per held-out group: its targets' predictive check from the others
    seconds: float
    out: Path
    img: Path
    heldout_info: dict = field(default_factory=dict)
    predictive: pd.DataFrame = field(default_factory=pd.DataFrame)  # the posterior predictive draws' statistics
    selection: object | None = None  # selection.Selection, when structural alternatives were weighed
    screening: object | None = None  # screening.Screening, when the values were chosen by screening

    @property
    def posterior_checks(self) -> pd.DataFrame:
        return self.checks[self.checks["check"] == "posterior"]


def calibrate_to_targets(targets: dict[str, Target] | None = None, *, scenario: str = "default",
                         out: Path, img: Path | None = None, workers: int = 2,
                         scheduler: str | None = None, settings: Settings | None = None, progress=None,
                         fresh: bool = False, seed: int = ROOT_SEED) -> TargetCalibration:
    """ABC-SMC of the uncertain values against `targets` (default: every target), its checks and figures.

    Writes under `out`: abc-<key>.db (the resumable history of this configuration), posterior/
    (posterior.parquet with values and weights, posterior.json), summary.csv, checks.csv,
    heldout.csv, heldout-<group>-<key>.db, and the figures (in `img`, default <out>/img).
    """
    from ..validation.figures import theme
    from .figures import figures

    settings = settings or Settings()
    out = Path(out)
    img = Path(img) if img is not None else out / "img"
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda text: None)
    started = time.perf_counter()
    screened = None
    if settings.screen and not settings.values:
        from .screening import screen

        wide = model_problem(targets, scenario=scenario, replicates=settings.screen_replicates, root_seed=seed,
                             fixed=settings.fixed, assumptions=settings.assumptions, after_exit=settings.after_exit)
        screened = screen(wide, settings.screen, workers, scheduler, seed, out=out / "screening", progress=say)
        say(f"screening kept {len(screened.kept)} of {len(wide.priors)} values: {', '.join(screened.kept)}")
        settings.values = tuple(screened.kept)
    priors = default_priors(settings.values or None, without=set(settings.assumptions))
    problem = model_problem(targets, scenario=scenario, replicates=settings.replicates, root_seed=seed, priors=priors,
                            fixed=settings.fixed, assumptions=settings.assumptions, after_exit=settings.after_exit)
    if problem.not_measurable:
        say(f"{NOT_MEASURABLE}: {', '.join(problem.not_measurable)}")
    say(f"calibrating {len(problem.priors)} values against {len(problem.targets)} targets "
        f"({settings.replicates} runs of each scenario per simulation)")
    seconds = None if settings.max_minutes is None else settings.max_minutes * 60
    post = abc.run_abc(problem, history_path(out, "abc", problem), population=settings.population,
                             max_populations=settings.max_populations, min_acceptance=settings.min_acceptance,
                             max_seconds=seconds, workers=workers, scheduler=scheduler, progress=say, seed=seed,
                             fresh=fresh)
    # the uncertain values this inference held at their hand-set values: its posterior is conditional on them
    post.info["held"] = [n for n, _, _ in uncertain() if n not in {p.name for p in problem.priors}
                         and n not in settings.assumptions]
    post.save(out / "posterior")
    summary = post.summary()
    summary.to_csv(out / "summary.csv", index=False)
    say(f"posterior predictive check: {settings.draws} draws of {settings.check_replicates} runs per scenario")
    checker = model_problem(problem.targets, scenario=scenario, replicates=settings.check_replicates,
                            root_seed=seed + 1, fixed=settings.fixed, assumptions=settings.assumptions,
                            after_exit=settings.after_exit)
    draws = post.draw(settings.draws, np.random.SeedSequence([seed, 5]))
    post_stats = predictive(checker, draws, workers, scheduler)
    prior_stats = predictive(checker, problem.prior_sample(settings.draws, seed), workers, scheduler)
    checks = pd.concat([check(problem.predicted, post_stats, "posterior"), check(problem.predicted, prior_stats,
                                                                                 "prior")], ignore_index=True)
    for key in problem.not_measurable:
        t = (targets or TARGETS)[key]
        checks.loc[len(checks)] = {"target": key, "group": t.group, "observed": t.value, "low": t.low, "high": t.high,
                                   "verdict": NOT_MEASURABLE, "check": "posterior"}
    checks.to_csv(out / "checks.csv", index=False)
    post_stats.to_parquet(out / "predictive.parquet", index=False)
    from .misfit import conflicts, coverage

    coverage(problem.targets, post_stats).to_csv(out / "misfit.csv", index=False)
    conflicts(problem.targets, post_stats).to_csv(out / "conflicts.csv", index=False)
    heldout, info = pd.DataFrame(), {}
    if settings.heldout:
        heldout, info = held_out(problem, out, workers, scheduler, settings, say, seed, checker)
        heldout.to_csv(out / "heldout.csv", index=False)
    if settings.figures:
        theme(0.8)
        figures(post, checks, img)
    chosen = None
    if settings.select:
        chosen = weigh_structures(settings, scenario, out, workers, scheduler, say, seed)
    return TargetCalibration(post, problem, summary, checks, heldout, time.perf_counter() - started, out, img, info,
                             post_stats, chosen, screened)


def weigh_structures(settings: Settings, scenario: str, out: Path, workers: int, scheduler: str | None, say,
                     seed: int):
    """ABC model selection between the revised rules and each rule in `settings.select` switched off, as large as
    the main inference (population, generations, replicates); its table in selection.csv."""
    from . import selection

    priors = default_priors(settings.values or None)
    problems = selection.model_problems(selection.structures(settings.select), scenario=scenario, priors=priors,
                                        replicates=settings.replicates, root_seed=seed, fixed=settings.fixed,
                                        after_exit=settings.after_exit)
    say(f"structural alternatives: {', '.join(p.name for p in problems)}")
    key = selection.Alternatives(problems).key
    result = selection.select(problems, out / f"select-{key}.db", population=settings.population,
                              max_populations=settings.max_populations, min_acceptance=settings.min_acceptance,
                              max_seconds=None if settings.max_minutes is None else settings.max_minutes * 60,
                              workers=workers, scheduler=scheduler, progress=say, seed=seed)
    result.table.to_csv(out / "selection.csv", index=False)
    return result


def held_out(problem: Problem, out: Path, workers: int, scheduler: str | None, settings: Settings, say,
             seed: int, checker: Problem | None = None) -> tuple[pd.DataFrame, dict]:
    """For each target group (when more than one is measurable): infer without it, predict it."""
    groups = list(dict.fromkeys(t.group for t in problem.targets.values()))
    parts, info = [], {}
    if len(groups) < 2:
        return pd.DataFrame(), info
    for group in groups:
        smaller = problem.without(group)
        say(f"held-out check: calibrating without '{group}'")
        population, generations, minutes = settings.heldout_size()
        seconds = None if minutes is None else minutes * 60
        post = abc.run_abc(smaller, history_path(out, f"heldout-{group}", smaller),
                           population=population, max_populations=generations,
                           min_acceptance=settings.min_acceptance, max_seconds=seconds, workers=workers,
                           scheduler=scheduler, progress=say, seed=seed)
        draws = post.draw(settings.draws, np.random.SeedSequence([seed, 6]))
        stats = predictive(checker or smaller, draws, workers, scheduler)
        kept = {k: t for k, t in problem.targets.items() if t.group == group}
        parts.append(check(kept, stats, f"without {group}").assign(held_out=group))
        info[group] = {"simulations": post.info["simulations"], "generations": post.info["generations"],
                       "final_epsilon": post.info["final_epsilon"], "seconds": post.info["seconds"]}
    return pd.concat(parts, ignore_index=True), info
