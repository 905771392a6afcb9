"""`lcsim calibrate`: ABC-SMC against the targets, its checks, and docs/calibration.md.

`calibrate_to_targets` runs the inference (`inference.run_abc`, resumable), then:

- identifiability: each value's posterior spread against its prior's (`Posterior.summary`);
- a posterior predictive check per target: `draws` particles drawn from the posterior, each run
  as in the inference (the same replicates), the 95% predictive interval of each statistic, the
  share of draws inside the target's band, and a verdict (PASS: the predictive median inside the
  band); the same under the prior, for comparison;
- a held-out check: for each target group, the inference again without that group, and its
  predictive check on the group left out (is it predicted from the others?);
- figures (marginals, pairs, predictive checks) and the document, with the one-at-a-time and
  Morris sensitivity (`calibration.calibrate`) as its last section.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import inference
from . import runs as _runs
from .inference import Posterior, Problem
from .targets import NOT_MEASURABLE, TARGETS, Target

DEFAULT_OUT = Path("out") / "calibration"
DOC = _runs.ROOT / "docs" / "calibration.md"
DRAWS = 100  # posterior (and prior) predictive draws
PASS_SHARE = 0.5  # the verdict: the predictive median inside the band


@dataclass
class Settings:
    """How much inference to run (the CLI's options)."""

    population: int = 100
    max_populations: int = 12
    replicates: int = 3
    min_acceptance: float = 0.02
    max_minutes: float | None = 20.0
    draws: int = DRAWS
    check_replicates: int = 12  # runs of each scenario per predictive draw: shares measured on more runs, as the
    # sources measured them on tens to hundreds of coalitions (the inference's few runs make its statistics coarse)
    heldout: bool = True
    heldout_population: int = 50
    heldout_populations: int = 4
    heldout_minutes: float | None = 2.0
    fixed: dict = field(default_factory=dict)  # parameters fixed for every run (tests shrink the runs so)


def parallel_map(fn, items: list, workers: int = 1, scheduler: str | None = None) -> list:
    """`fn` over `items` on this process, a local process pool, or a Dask cluster; results in order."""
    if scheduler:
        from distributed import Client

        with Client(scheduler, timeout="10s") as client:
            return client.gather(client.map(fn, items, pure=False))
    if workers <= 1 or len(items) < 2:
        return [fn(x) for x in items]
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
        return list(pool.map(fn, items, chunksize=max(1, len(items) // (4 * workers))))


def predictive(problem: Problem, values: pd.DataFrame, workers: int = 1, scheduler: str | None = None) -> pd.DataFrame:
    """Every target's statistic for each row of `values` (one simulation each, as in the inference)."""
    rows = [{k: float(v) for k, v in r.items()} for r in values.to_dict("records")]
    stats = parallel_map(problem.simulator, rows, workers, scheduler)
    return pd.DataFrame(stats)


def check(targets: dict[str, Target], stats: pd.DataFrame, label: str = "posterior") -> pd.DataFrame:
    """Per target: observed value, band, predictive median and 95% interval, share of draws inside, verdict."""
    rows = []
    for key, t in targets.items():
        x = pd.to_numeric(stats.get(key, pd.Series(dtype=float)), errors="coerce").dropna().to_numpy()
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

    @property
    def posterior_checks(self) -> pd.DataFrame:
        return self.checks[self.checks["check"] == "posterior"]


def calibrate_to_targets(targets: dict[str, Target] | None = None, *, scenario: str = "default",
                         out: Path | None = None, img: Path | None = None, workers: int = 2,
                         scheduler: str | None = None, settings: Settings | None = None, progress=None,
                         fresh: bool = False, seed: int = inference.ROOT_SEED) -> TargetCalibration:
    """ABC-SMC of the uncertain values against `targets` (default: every target), its checks and figures.

    Writes under `out` (default out/calibration): abc.db (the resumable history), posterior/
    (posterior.parquet with values and weights, posterior.json), summary.csv, checks.csv,
    heldout.csv, heldout-<group>.db, and the figures (in `img`, default <out>/img).
    """
    from .figures import theme

    settings = settings or Settings()
    out = Path(out) if out is not None else _runs.ROOT / DEFAULT_OUT
    img = Path(img) if img is not None else out / "img"
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda text: None)
    started = time.perf_counter()
    problem = inference.model_problem(targets, scenario=scenario, replicates=settings.replicates, root_seed=seed,
                                      fixed=settings.fixed)
    if problem.not_measurable:
        say(f"{NOT_MEASURABLE}: {', '.join(problem.not_measurable)}")
    say(f"calibrating {len(problem.priors)} values against {len(problem.targets)} targets "
        f"({settings.replicates} runs of each scenario per simulation)")
    seconds = None if settings.max_minutes is None else settings.max_minutes * 60
    post = inference.run_abc(problem, out / "abc.db", population=settings.population,
                             max_populations=settings.max_populations, min_acceptance=settings.min_acceptance,
                             max_seconds=seconds, workers=workers, scheduler=scheduler, progress=say, seed=seed,
                             fresh=fresh)
    post.save(out / "posterior")
    summary = post.summary()
    summary.to_csv(out / "summary.csv", index=False)
    say(f"posterior predictive check: {settings.draws} draws of {settings.check_replicates} runs per scenario")
    checker = inference.model_problem(problem.targets, scenario=scenario, replicates=settings.check_replicates,
                                      root_seed=seed + 1, fixed=settings.fixed)
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
    heldout, info = pd.DataFrame(), {}
    if settings.heldout:
        heldout, info = held_out(problem, out, workers, scheduler, settings, say, seed, checker)
        heldout.to_csv(out / "heldout.csv", index=False)
    theme(0.8)
    figures(post, checks, img)
    return TargetCalibration(post, problem, summary, checks, heldout, time.perf_counter() - started, out, img, info)


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
        seconds = None if settings.heldout_minutes is None else settings.heldout_minutes * 60
        post = inference.run_abc(smaller, out / f"heldout-{group}.db", population=settings.heldout_population,
                                 max_populations=settings.heldout_populations, min_acceptance=settings.min_acceptance,
                                 max_seconds=seconds, workers=workers, scheduler=scheduler, progress=say, seed=seed)
        draws = post.draw(max(20, settings.draws // 2), np.random.SeedSequence([seed, 6]))
        stats = predictive(checker or smaller, draws, workers, scheduler)
        kept = {k: t for k, t in problem.targets.items() if t.group == group}
        parts.append(check(kept, stats, f"without {group}").assign(held_out=group))
        info[group] = {"simulations": post.info["simulations"], "generations": post.info["generations"],
                       "final_epsilon": post.info["final_epsilon"], "seconds": post.info["seconds"]}
    return pd.concat(parts, ignore_index=True), info


# -- figures ----------------------------------------------------------------------------------------
def figures(post: Posterior, checks: pd.DataFrame, img: Path) -> None:
    import matplotlib.pyplot as plt
    import seaborn as sns

    from .figures import save

    img = Path(img)
    img.mkdir(parents=True, exist_ok=True)
    names = post.names
    sample = post.draw(2000, np.random.SeedSequence([inference.ROOT_SEED, 7]))
    cols = 5
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.1 * cols, 2.5 * rows), squeeze=False)
    for ax, p in zip(axes.flat, post.priors):
        sns.histplot(sample[p.name], bins=20, stat="density", ax=ax, color="C0", log_scale=p.log)
        ax.axhline(0, color="black", lw=0.5)
        ax.set(xlim=(p.low, p.high), xlabel=p.name, ylabel="", title=f"{p.kind}", yticks=[])
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.suptitle("posterior marginals over each prior's range (weighted resample)")
    save(fig, img, "calibration-posterior.png")
    grid = sns.pairplot(sample.sample(min(600, len(sample)), random_state=0), corner=True, height=1.25,
                        plot_kws={"s": 6, "alpha": 0.35, "edgecolor": "none"}, diag_kws={"bins": 15})
    for i, p in enumerate(post.priors):
        for j in range(i + 1):
            ax = grid.axes[i, j]
            if ax is None:
                continue
            ax.set_xlim(post.priors[j].low, post.priors[j].high)
            if i != j:
                ax.set_ylim(p.low, p.high)
    grid.figure.suptitle("posterior: pairs of values", y=1.01)
    grid.figure.savefig(img / "calibration-pairs.png", dpi=90, bbox_inches="tight")
    plt.close(grid.figure)
    measured = checks[checks["verdict"] != NOT_MEASURABLE]
    keys = list(dict.fromkeys(measured["target"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(keys) + 1.3))
    for i, key in enumerate(keys):
        t = measured[measured["target"] == key]
        band = t.iloc[0]
        ax.add_patch(plt.Rectangle((band["low"], i - 0.4), band["high"] - band["low"], 0.8, color="C2", alpha=0.2,
                                   lw=0))
        for offset, label, color in ((-0.15, "prior", "grey"), (0.15, "posterior", "C0")):
            r = t[t["check"] == label]
            if len(r):
                r = r.iloc[0]
                ax.errorbar(r["median"], i + offset, xerr=[[r["median"] - r["q025"]], [r["q975"] - r["median"]]],
                            fmt="o", color=color, capsize=3, label=label if i == 0 else None)
    ax.set_yticks(range(len(keys)), keys)
    ax.set(xlabel="statistic (green: the target's band)", title="predictive checks: median and 95% interval")
    ax.legend(loc="lower right", fontsize=8)
    save(fig, img, "calibration-checks.png")


# -- the document ----------------------------------------------------------------------------------
def fmt(x, digits=2) -> str:
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return ""
    return f"{x:.{digits}f}"


def fmt3(x) -> str:
    return "" if x is None or not np.isfinite(x) else f"{x:.3g}"


def render(result: TargetCalibration, workers: int, measured_on: str, sensitivity: str,
           settings: Settings, scaling: str = "") -> str:
    post, info = result.posterior, result.posterior.info
    checks = result.posterior_checks
    prior = result.checks[result.checks["check"] == "prior"].set_index("target")
    passing = checks[checks["verdict"] == "PASS"]["target"].tolist()
    failing = checks[checks["verdict"] == "FAIL"]["target"].tolist()
    unmeasured = checks[checks["verdict"] == NOT_MEASURABLE]["target"].tolist()
    runs = info["simulations"] * info["runs_per_simulation"]
    inside = info["inside_all_bands"]
    region = (f"{inside} of the final generation's {info['particles']} particles reproduce every target at once "
              "(distance 0), and the posterior is those particles, reweighted" if info["restricted_to_inside"] else
              f"no region of the prior reproduced every target at once within the budget: {inside} of the final "
              f"generation's {info['particles']} particles lie inside every band, and the posterior is the final "
              f"generation at epsilon {info['final_epsilon']:.3g} (the sum of the distances outside the bands)"
              if inside < info["particles"] else
              f"every particle of the final generation ({info['particles']}) reproduces every target at once")
    lines = [f"""# Calibration: the model against what is known

Nearly every value in the model is an assumption. This page confronts the model with quantitative
targets at once (pattern-oriented modelling, Grimm et al. 2005) and keeps the region of its
uncertain values that reproduces them: approximate Bayesian computation (ABC-SMC, pyabc), as for
agent-based models in McCulloch et al. (2022) and, in the spirit of history matching, Andrianakis
et al. (2015). The targets, their sources and their tolerance bands are in [targets.md](targets.md).
Generated by `lcsim calibrate` ({measured_on}; {result.seconds / 60:.1f} minutes on {workers} worker
processes); rerun it to refresh this page, its tables under `out/calibration/` and its figures.

## The answer in brief

- Calibrated: {len(post.priors)} uncertain values of the `{info.get('scenario', 'default')}` scenario against
  {len(result.problem.targets)} measurable targets ({', '.join(f'`{k}`' for k in result.problem.targets)}).
  {('Not measurable with this model version (left out): ' + ', '.join(f'`{k}`' for k in unmeasured) + '.')
   if unmeasured else 'Every target was measurable.'}
- Inference: {info['generations']} generations of {info['particles']} particles, {info['simulations']:,}
  simulations of {info['runs_per_simulation']} runs each ({runs:,} model runs), epsilon
  {' -> '.join(fmt3(e) for e in info['epsilons'])}. {region.capitalize()}.
- Posterior predictive check: the model reproduces {len(passing)} of {len(checks) - len(unmeasured)} measurable
  targets ({', '.join(f'`{k}`' for k in passing) or 'none'}){'; it cannot reproduce ' +
  ', '.join(f'`{k}`' for k in failing) + ' anywhere it was calibrated' if failing else ''}.
- What this says about the model: {interpretation(result)}

**Scenarios.** `default` and `mexico-csa` keep their documented values: every value in them remains an
assumption (or the case's setting), none is taken from this posterior. The posterior is an answer to "which
values would make a community like the default one reproduce the targets", to be used through
`lcsim compare --posterior out/calibration/abc/posterior` (each replicate draws its values from it), not a
replacement for the scenarios' values.

## Method

- **Priors**: uniform over each value's range (log-uniform for scale-like values), a parameter's
  schema `sweep` range (`lcsim params`) or an assumption's plausible range (`lcsim params --assumptions`).
  The values chosen are those the sensitivity section below shows survival leans on, and those behind
  the participation, bridge and replication targets.
- **Simulations**: each particle runs {info.get('replicates')} replicates of each scenario a target needs
  (seeds from `numpy.random.SeedSequence` of a root seed and the particle's values, so a particle is
  reproducible) through `lcsim.validation.targets.observe` (the model's summary plus the per-member
  statistics the model does not report) and measures every target's statistic on them.
- **Distance**: for each target, how far its statistic lies outside the band, in units of the band's
  width, summed over targets (0: all inside). ABC-SMC (pyabc's median epsilon schedule, adaptive
  multivariate normal perturbation) closes in on distance 0. It stops after the most generations asked
  for (12 by default), when a generation's acceptance falls below {settings.min_acceptance:.0%}, past the
  minutes asked for (20 by default), or when the next epsilon would be 0; then the particles with distance 0
  are the posterior if there are at least {inference.MIN_INSIDE}.
- **Resume**: the history is a SQLite database (`out/calibration/abc/abc.db`); rerunning the same command
  continues from its last complete generation (`ABCSMC.load`); another prior, target set or band starts
  afresh.
- **Checks**: {settings.draws} draws from the posterior (weighted resampling) and {settings.draws} from the
  prior, each simulated on {settings.check_replicates} runs of each scenario (more than the inference's
  {info.get('replicates')}: a share over {info.get('replicates')} runs can only be 0, 1/3, 2/3 or 1, while the
  sources measured theirs over tens to hundreds of coalitions); per target, the predictive median and 95%
  interval of the
  statistic, the share of draws inside the band, and a verdict: **PASS** when the predictive median lies
  inside the band.
- **Held-out**: the inference again with one target group left out (smaller: {settings.heldout_population}
  particles, a few minutes each; generations and simulations per group in its table), then the predictive
  check of that group.
{scaling}
## Posterior and identifiability

Spread ratio: the posterior's standard deviation over the prior's (log scale for log-uniform priors);
below 0.5 the targets *narrowed* the value, 0.5-0.8 *somewhat narrowed*, above 0.8 *left free*.
The posterior is in `out/calibration/abc/posterior/posterior.parquet` (one row per particle: values,
`weight`, `distance`, and the statistics it gave).

| value | kind | prior | posterior mean | median | 90% interval | spread ratio | identified |
|---|---|---|---|---|---|---|---|
"""]
    for _, r in result.summary.iterrows():
        lines.append(f"| `{r['name']}` | {r['kind']} | {r['prior']} | {fmt3(r['mean'])} | {fmt3(r['median'])} | "
                     f"[{fmt3(r['q05'])}, {fmt3(r['q95'])}] | {fmt(r['spread_ratio'])} | {r['identified']} |\n")
    lines.append("""
![posterior marginals](img/calibration-posterior.png)

![posterior pairs](img/calibration-pairs.png)

## Posterior predictive check

""" + "| target | group | observed | band | prior: median [95%] (share inside) | posterior: median [95%] | "
                 "share inside | verdict |\n|---|---|---|---|---|---|---|---|\n")
    for _, r in checks.iterrows():
        if r["verdict"] == NOT_MEASURABLE:
            lines.append(f"| `{r['target']}` | {r['group']} | {fmt(r['observed'])} | {fmt(r['low'])}-{fmt(r['high'])} "
                         f"| | | | {NOT_MEASURABLE} |\n")
            continue
        p = prior.loc[r["target"]] if r["target"] in prior.index else None
        ptext = (f"{fmt(p['median'])} [{fmt(p['q025'])}, {fmt(p['q975'])}] ({fmt(p['inside'])})" if p is not None
                 else "")
        lines.append(f"| `{r['target']}` | {r['group']} | {fmt(r['observed'])} | {fmt(r['low'])}-{fmt(r['high'])} | "
                     f"{ptext} | {fmt(r['median'])} [{fmt(r['q025'])}, {fmt(r['q975'])}] | {fmt(r['inside'])} | "
                     f"**{r['verdict']}** |\n")
    lines.append("\n![predictive checks](img/calibration-checks.png)\n")
    lines.append("\n## Held-out check\n\n")
    if len(result.heldout):
        lines.append("Each group left out of the inference in turn, then predicted from the posterior of the others "
                     "(PASS: its predictive median inside its band). A group predicted without being fitted is "
                     "evidence the model ties it to the others; one that passes only when fitted is a free "
                     "fit.\n\n| left out | target | band | predicted: median [95%] | share inside | verdict | "
                     "generations, simulations |\n|---|---|---|---|---|---|---|\n")
        for _, r in result.heldout.iterrows():
            run = result.heldout_info.get(r["held_out"], {})
            sims = f"{run.get('generations', '')}, {run.get('simulations', '')}"
            lines.append(f"| {r['held_out']} | `{r['target']}` | {fmt(r['low'])}-{fmt(r['high'])} | "
                         f"{fmt(r['median'])} [{fmt(r['q025'])}, {fmt(r['q975'])}] | {fmt(r['inside'])} | "
                         f"**{r['verdict']}** | {sims} |\n")
    else:
        lines.append("Not run (`--no-heldout`, or fewer than two measurable target groups).\n")
    lines.append("\n" + sensitivity)
    return "".join(lines)


def interpretation(result: TargetCalibration) -> str:
    """A sentence on what the checks say, built from the verdicts (no number written by hand)."""
    checks = result.posterior_checks
    failing = checks[checks["verdict"] == "FAIL"]
    groups = sorted(set(failing["group"]))
    if not len(failing):
        return ("a region of the uncertain values reproduces every measurable target together, so the targets do "
                "not refute the model's rules; they constrain the values the table below marks *narrowed* and "
                "leave the others free, so answers should carry that uncertainty (`--posterior`).")
    return (f"no calibrated region reproduces the {', '.join(groups)} target(s) together with the others; the model's "
            "rules, not only its values, would have to change for that (or the targets do not transfer to learning "
            "communities). Answers that lean on those outputs should not be trusted as levels.")


def sensitivity_section(text: str) -> str:
    """The one-at-a-time and Morris page (calibration.render) as this page's last section: headings one level down."""
    lines = text.splitlines()
    out = []
    for line in lines:
        if line.startswith("# "):
            out.append("## Sensitivity: " + line[2:].split(": ", 1)[-1])
        elif line.startswith("## "):
            out.append("### " + line[3:])
        else:
            out.append(line)
    return "\n".join(out) + "\n"


SENSITIVITY_HEADING = "## Sensitivity: "


def kept_sensitivity(doc: Path) -> str | None:
    """The sensitivity section of an existing page (kept when `--no-sensitivity` skips rerunning it)."""
    if not doc.is_file():
        return None
    text = doc.read_text(encoding="utf-8")
    at = text.find(SENSITIVITY_HEADING)
    if at < 0:
        if text.startswith("# Calibration: every parameter"):  # the page before inference was added
            return sensitivity_section(text)
        return None
    return text[at:]


# -- the whole page --------------------------------------------------------------------------------
def scaling_note(problem: Problem, workers: int, n: int = 24, seed: int = inference.ROOT_SEED) -> str:
    """Time the same `n` prior simulations on one process and on `workers`: how the work scales."""
    if workers < 2:
        return ""
    values = problem.prior_sample(n, seed + 1)
    timings = {}
    for w in (1, workers):
        started = time.perf_counter()
        predictive(problem, values, w)
        timings[w] = time.perf_counter() - started
    speedup = timings[1] / timings[workers] if timings[workers] > 0 else float("nan")
    return (f"- **Scaling**: the same {n} prior simulations took {timings[1]:.1f} s on one process and "
            f"{timings[workers]:.1f} s on {workers} ({speedup:.2f}x); simulations are independent, so the inference "
            "scales with workers up to pyabc's per-generation synchronisation (a generation waits for its last "
            "accepted particle).\n")


@dataclass
class CalibrationPage:
    result: TargetCalibration
    sensitivity: object | None  # calibration.Calibration, when the sensitivity was rerun
    doc: Path | None
    seconds: float


def regenerate(targets_file=None, *, out: Path | None = None, doc: Path | None = None, workers: int = 2,
               scheduler: str | None = None, settings: Settings | None = None, with_sensitivity: bool = True,
               oat_seeds: int = 100, write_doc: bool = True, fresh: bool = False, progress=None) -> CalibrationPage:
    """`lcsim calibrate`: the inference, its checks, the sensitivity, and docs/calibration.md with its figures.

    The page is written when `write_doc`; its figures go to `<doc folder>/img/` then, else to `<out>/img/`.
    Without `with_sensitivity` the page keeps the sensitivity section it already has.
    """
    from . import calibration
    from .document import provenance
    from .targets import load_targets

    settings = settings or Settings()
    out = Path(out) if out is not None else _runs.ROOT / DEFAULT_OUT
    doc = Path(doc) if doc is not None else DOC
    img = doc.parent / "img" if write_doc else out / "img"
    say = progress or (lambda text: None)
    started, measured_on = time.perf_counter(), provenance(_runs.ROOT)
    chosen = load_targets(targets_file)
    result = calibrate_to_targets(chosen, out=out / "abc", img=img, workers=workers, scheduler=scheduler,
                                  settings=settings, progress=say, fresh=fresh)
    scaling = scaling_note(result.problem, workers) if write_doc and not scheduler else ""
    sens, section = None, None
    if with_sensitivity:
        say("sensitivity: one at a time and Morris")
        sens = calibration.calibrate(seeds=oat_seeds, workers=workers, out=out / "sensitivity", doc=doc,
                                     write_doc=False, progress=say)
        if write_doc:
            calibration.figures(sens.table, sens.indices, img)
        text = calibration.render(sens.table, sens.indices, oat_seeds, sens.n_morris, sens.seconds, workers,
                                  measured_on)
        section = sensitivity_section(text)
    elif write_doc:
        section = kept_sensitivity(doc)
    if section is None:
        section = (SENSITIVITY_HEADING + "not measured\n\nRun `lcsim calibrate` without `--no-sensitivity` to add "
                   "the one-at-a-time and Morris sensitivity of every parameter and assumption.\n")
    written = None
    if write_doc:
        from ..experiments.store import atomic_write
        from .targets import write_targets_doc

        write_targets_doc(doc.parent / "targets.md")
        text = render(result, workers, measured_on, section, settings, scaling)
        doc.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(doc, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
        written = doc
    return CalibrationPage(result, sens, written, time.perf_counter() - started)


def from_saved(out: Path, scenario: str = "default") -> TargetCalibration:
    """The calibration `calibrate_to_targets` saved under `out` (posterior, summary, checks, held-out), read back
    without running anything: to rewrite the page from the last run."""
    import pyabc

    from .targets import TARGETS

    out = Path(out)
    post = inference.load_posterior(out / "posterior")
    info = post.info
    missing = list(info.get("not_measurable", []))
    measured = {k: t for k, t in TARGETS.items() if k not in missing}
    problem = Problem(info.get("problem", f"model:{scenario}"), post.priors, lambda pars: {}, measured,
                      dict(measured), missing, {"scenario": info.get("scenario", scenario),
                                                "replicates": info.get("replicates")})
    heldout = pd.read_csv(out / "heldout.csv") if (out / "heldout.csv").is_file() else pd.DataFrame()
    runs = {}
    for group in (heldout["held_out"].unique() if len(heldout) else []):
        db = out / f"heldout-{group}.db"
        if db.is_file():
            with inference.quiet_pyabc():
                h = pyabc.History(f"sqlite:///{db.resolve()}")
                runs[group] = {"generations": int(h.max_t + 1), "simulations": int(h.total_nr_simulations)}
    with inference.quiet_pyabc():  # the inference's own wall time, from its history
        h = pyabc.History(f"sqlite:///{(out / 'abc.db').resolve()}")
        pops = h.get_all_populations()
        ended, began = pd.Timestamp(pops["population_end_time"].max()), pd.Timestamp(h.get_abc().start_time)
        seconds = (ended - began).total_seconds()
    return TargetCalibration(post, problem, post.summary(), pd.read_csv(out / "checks.csv"), heldout,
                             float(seconds), out, out / "img", runs)


def rewrite_page(out: Path | None = None, doc: Path | None = None, workers: int = 2,
                 settings: Settings | None = None) -> Path:
    """docs/calibration.md (and targets.md, the figures) from the last saved calibration, keeping the page's
    sensitivity section: no simulation is run."""
    from ..experiments.store import atomic_write
    from .document import provenance
    from .figures import theme
    from .targets import write_targets_doc

    out = Path(out) if out is not None else _runs.ROOT / DEFAULT_OUT
    doc = Path(doc) if doc is not None else DOC
    result = from_saved(out / "abc")
    theme(0.8)
    figures(result.posterior, result.checks, doc.parent / "img")
    section = kept_sensitivity(doc) or (SENSITIVITY_HEADING + "not measured\n")
    text = render(result, workers, provenance(_runs.ROOT), section, settings or Settings())
    write_targets_doc(doc.parent / "targets.md")
    atomic_write(doc, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return doc
