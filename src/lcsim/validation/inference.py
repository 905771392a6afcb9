"""Likelihood-free inference of the uncertain values from the targets: ABC-SMC with pyabc (`lcsim calibrate`).

A `Problem` is priors, a simulator (parameters -> summary statistics) and the targets the
statistics are held against. `run_abc` runs pyabc's ABC-SMC on it, with its history in a SQLite
database that a second call resumes (`ABCSMC.load`); `Posterior` is the result (the particles,
their weights, the statistics each gave). The distance of a particle is how far its worst
statistic lies outside its target's tolerance band, in units of the band's width (0: every
statistic inside its band), so the epsilon schedule closes in on the region that reproduces
every target at once (history matching's "not implausible" region, weighted as a posterior).

The same machinery runs a toy (`toy_problem`: a binomial survival count with a Beta prior, whose
exact posterior is known) in the known-answer test, and the model (`model_problem`): each particle
runs a few replicates of the scenario through `targets.observe` and measures every target.

    from lcsim.validation import inference
    problem = inference.model_problem(replicates=5)
    post = inference.run_abc(problem, "out/calibration/abc.db", population=100, max_populations=8, workers=2)
    post.table, post.summary()
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UsageError
from . import targets as _targets
from .targets import NAN, Target

ROOT_SEED = 20261213
DISTANCE = "sum of band distances, v1"  # part of a run's identity: a history made with another is not resumed
POSTERIOR_FILE = "posterior.parquet"
META_FILE = "posterior.json"


# -- priors -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Prior:
    """One uncertain value and its prior: uniform (or log-uniform) over its range, or a Beta."""

    name: str
    kind: str  # "param" (the schema), "assumption" (lcsim.Assumptions) or "toy"
    low: float
    high: float
    dist: str = "uniform"  # "uniform", "loguniform" or "beta"
    a: float = 1.0  # Beta shapes (dist "beta" only)
    b: float = 1.0
    source: str = ""

    def rv(self):
        import pyabc

        if self.dist == "uniform":
            return pyabc.RV("uniform", self.low, self.high - self.low)
        if self.dist == "loguniform":
            return pyabc.RV("loguniform", self.low, self.high)
        if self.dist == "beta":
            return pyabc.RV("beta", self.a, self.b)
        raise UsageError(f"prior {self.name}: distribution '{self.dist}' is not allowed; expected uniform, "
                         "loguniform or beta")

    @property
    def log(self) -> bool:
        return self.dist == "loguniform"

    def spread_of(self, values, weights=None) -> float:
        """Weighted standard deviation, on the log scale for a log-uniform prior."""
        x = np.log(np.asarray(values, float)) if self.log else np.asarray(values, float)
        w = np.ones(len(x)) if weights is None else np.asarray(weights, float)
        w = w / w.sum()
        mean = float(w @ x)
        return float(np.sqrt(w @ (x - mean) ** 2))

    @property
    def spread(self) -> float:
        """The prior's standard deviation (on the log scale for a log-uniform prior)."""
        from scipy import stats

        if self.dist == "beta":
            return float(stats.beta(self.a, self.b).std())
        lo, hi = (math.log(self.low), math.log(self.high)) if self.log else (self.low, self.high)
        return (hi - lo) / math.sqrt(12)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("name", "kind", "low", "high", "dist", "a", "b", "source")}


# The uncertain values calibrated by default: those the Morris screening and one-at-a-time effects
# (docs/calibration.md, sensitivity section) show survival leans on, plus the values behind the
# participation, bridge and replication targets. Scale-like ones get a log-uniform prior.
UNCERTAIN: tuple[tuple[str, str, str], ...] = (
    ("hosting_cost", "assumption", "uniform"),
    ("coordination_scale", "assumption", "loguniform"),
    ("leader_hosting_ease", "assumption", "uniform"),
    ("member_benefit", "param", "uniform"),
    ("attendance_cost", "param", "uniform"),
    ("engagement_shape_b", "assumption", "loguniform"),
    ("tie_decay", "param", "uniform"),
    ("embeddedness_protection", "assumption", "uniform"),
    ("leadership", "param", "uniform"),
    ("replication", "param", "uniform"),
)


def default_priors(names=None) -> list[Prior]:
    """Priors over `names` (default: UNCERTAIN): a parameter's schema `sweep` range, an assumption's
    plausible range (lcsim.assumptions.TABLE)."""
    from ..assumptions import TABLE
    from ..parameters import SCHEMA

    chosen = UNCERTAIN if names is None else [(n, "param" if n in SCHEMA else "assumption", "uniform")
                                              for n in names]
    found = []
    for name, kind, dist in chosen:
        if kind == "param":
            if name not in SCHEMA or SCHEMA[name].kind not in ("int", "float"):
                raise UsageError(f"prior: '{name}' is not a numeric parameter; expected one of the schema's numbers "
                                 "(lcsim params) or an assumption (lcsim params --assumptions)")
            lo, hi = (float(x) for x in SCHEMA[name].sweep)
            source = f"schema sweep range of {name}"
        else:
            if name not in TABLE:
                raise UsageError(f"prior: '{name}' is neither a parameter nor an assumption; see lcsim params "
                                 "[--assumptions]")
            lo, hi = float(TABLE[name].low), float(TABLE[name].high)
            source = f"plausible range of assumption {name}"
        if dist == "loguniform" and lo <= 0:
            dist = "uniform"
        found.append(Prior(name, kind, lo, hi, dist, source=source))
    return found


# -- the distance -------------------------------------------------------------------------------
class BandDistance:
    """Distance of a particle's statistics to the targets: the sum of each target's distance outside
    its band (`Target.distance`, in units of the band's width); 0 when every statistic lies inside its
    band. A sum, not the largest, so that particles failing the same target by the same amount are
    still ordered by the others (the epsilon schedule needs the ties broken)."""

    def __init__(self, targets: dict[str, Target]):
        self.targets = dict(targets)

    def __call__(self, x: dict, x0: dict | None = None) -> float:
        return float(sum(t.distance(x.get(k, NAN)) for k, t in self.targets.items()))


# -- problems -----------------------------------------------------------------------------------
@dataclass
class Problem:
    """Priors, a simulator (a dict of values -> a dict of statistics) and the targets held against."""

    name: str
    priors: list[Prior]
    simulator: Callable[[dict], dict]
    targets: dict[str, Target]  # the targets the distance uses
    predicted: dict[str, Target] = field(default_factory=dict)  # every measurable target the simulator measures
    not_measurable: list[str] = field(default_factory=list)
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.predicted:
            self.predicted = dict(self.targets)
        if not self.targets:
            raise UsageError(f"{self.name}: no measurable target to calibrate against "
                             f"(not measurable with this model version: {', '.join(self.not_measurable) or 'none'})")

    @property
    def key(self) -> str:
        """A hash of what the inference depends on: priors, targets and their bands, simulator settings."""
        data = {"priors": [p.to_dict() for p in self.priors],
                "targets": {k: [t.low, t.high, t.value, t.scenario] for k, t in sorted(self.targets.items())},
                "info": self.info, "distance": DISTANCE}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def without(self, group: str) -> Problem:
        """The same problem with one target group left out of the distance (held-out check); it is still
        measured."""
        kept = {k: t for k, t in self.targets.items() if t.group != group}
        return Problem(f"{self.name} without {group}", self.priors, self.simulator, kept, dict(self.predicted),
                       list(self.not_measurable), {**self.info, "held_out": group})

    def prior_sample(self, n: int, seed: int = ROOT_SEED) -> pd.DataFrame:
        from scipy import stats

        rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
        cols = {}
        for p in self.priors:
            u = rng.random(n)
            if p.dist == "beta":
                cols[p.name] = stats.beta(p.a, p.b).ppf(u)
            elif p.log:
                cols[p.name] = np.exp(np.log(p.low) + u * (np.log(p.high) - np.log(p.low)))
            else:
                cols[p.name] = p.low + u * (p.high - p.low)
        return pd.DataFrame(cols)


def particle_seed(root: int, values: dict) -> np.random.SeedSequence:
    """The SeedSequence of one particle: the root seed and the particle's values (reproducible per particle)."""
    words = np.frombuffer(np.array([float(values[k]) for k in sorted(values)], np.float64).tobytes(), np.uint32)
    return np.random.SeedSequence([int(root), *words.tolist()])


class ToySimulator:
    """A binomial survival model: of `n` communities each survives with probability p; the statistic is the count."""

    def __init__(self, n: int, root_seed: int = ROOT_SEED):
        self.n, self.root_seed = int(n), int(root_seed)

    def __call__(self, pars: dict) -> dict:
        rng = np.random.default_rng(particle_seed(self.root_seed, dict(pars)))
        return {"survivors": float(rng.binomial(self.n, float(pars["p"])))}


def toy_problem(n: int = 50, survivors: int = 38, a: float = 2.0, b: float = 2.0) -> Problem:
    """The known-answer problem: exact posterior Beta(a + survivors, b + n - survivors)."""
    target = Target("survivors", "toy", "survivors of n", f"{survivors} of {n} survived", float(survivors),
                    float(survivors), float(survivors), "toy", "toy", "the count", lambda r, m=None: NAN,
                    scale=1.0)
    return Problem("toy", [Prior("p", "toy", 0.0, 1.0, "beta", a, b)], ToySimulator(n), {"survivors": target},
                   info={"n": n, "survivors": survivors, "a": a, "b": b})


class ModelSimulator:
    """Runs `replicates` runs of each scenario the targets need at a particle's values; measures every target."""

    def __init__(self, scenario: str, targets: dict[str, Target], priors: list[Prior], replicates: int,
                 root_seed: int = ROOT_SEED, fixed: dict | None = None):
        self.scenario, self.replicates, self.root_seed = scenario, int(replicates), int(root_seed)
        self.targets = {k: t.scenario for k, t in targets.items()}  # key -> its scenario (None: `scenario`)
        self.kinds = {p.name: p.kind for p in priors}
        self.fixed = dict(fixed or {})
        self.scenarios = sorted({s or scenario for s in self.targets.values()})

    def split(self, pars: dict) -> tuple[dict, dict]:
        params, assumptions = dict(self.fixed), {}
        for name, value in pars.items():
            (params if self.kinds.get(name) == "param" else assumptions)[name] = float(value)
        return params, assumptions

    def runs(self, pars: dict) -> pd.DataFrame:
        params, assumptions = self.split(pars)
        seeds = particle_seed(self.root_seed, dict(pars)).generate_state(self.replicates * len(self.scenarios))
        rows = []
        for i, scenario in enumerate(self.scenarios):
            for r in range(self.replicates):
                rows.append(_targets.observe(int(seeds[i * self.replicates + r]), scenario, params, assumptions))
        return pd.DataFrame(rows)

    def measure(self, runs: pd.DataFrame) -> dict:
        found = {}
        for key, scenario in self.targets.items():
            found[key] = _targets.TARGETS[key].with_scenario(scenario or self.scenario).measure(runs)
        return found

    def __call__(self, pars: dict) -> dict:
        return self.measure(self.runs(pars))


def model_problem(targets: dict[str, Target] | None = None, scenario: str = "default", replicates: int = 5,
                  priors: list[Prior] | None = None, root_seed: int = ROOT_SEED, fixed: dict | None = None) -> Problem:
    """The model's calibration problem: which targets this model version can measure is found by one probe run
    of each scenario the targets name (the others are listed as not measurable)."""
    if replicates < 1:
        raise UsageError(f"replicates: {replicates} is not allowed; expected an integer >= 1")
    targets = dict(_targets.TARGETS if targets is None else targets)
    priors = default_priors() if priors is None else priors
    columns: dict[str, set] = {}
    for s in sorted({t.scenario or scenario for t in targets.values()}):
        columns[s] = set(_targets.observe(0, s, dict(fixed or {})))
    measurable = {k: t for k, t in targets.items() if t.measurable(columns[t.scenario or scenario])}
    missing = [k for k in targets if k not in measurable]
    sim = ModelSimulator(scenario, measurable, priors, replicates, root_seed, fixed)
    return Problem(f"model:{scenario}", priors, sim, measurable, dict(measurable), missing,
                   {"scenario": scenario, "replicates": replicates, "root_seed": root_seed, "fixed": fixed or {}})


# -- the posterior ------------------------------------------------------------------------------
@dataclass
class Posterior:
    """The calibrated values: one row per particle of the final population (values, `weight`, `distance`,
    and the statistics it gave), with how they were found."""

    table: pd.DataFrame
    priors: list[Prior]
    targets: dict[str, Target]
    info: dict  # generations, epsilons, simulations, seconds, ...

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.priors]

    @property
    def weights(self) -> np.ndarray:
        w = self.table["weight"].to_numpy(float)
        return w / w.sum()

    def values(self) -> pd.DataFrame:
        return self.table[self.names]

    def mean(self) -> pd.Series:
        return pd.Series(self.weights @ self.values().to_numpy(float), index=self.names)

    def quantile(self, q: float) -> pd.Series:
        return pd.Series({n: weighted_quantile(self.table[n].to_numpy(float), self.weights, q) for n in self.names})

    def draw(self, n: int, seed=ROOT_SEED) -> pd.DataFrame:
        """`n` rows drawn by weighted resampling; `seed` an int or a SeedSequence (reproducible)."""
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence([int(seed), 2])
        rng = np.random.default_rng(ss)
        idx = rng.choice(len(self.table), size=n, replace=True, p=self.weights)
        return self.values().iloc[idx].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Per value: prior range, posterior mean, median, 90% interval, and spread against the prior's."""
        rows = []
        for p in self.priors:
            x = self.table[p.name].to_numpy(float)
            ratio = p.spread_of(x, self.weights) / p.spread if p.spread > 0 else NAN
            rows.append({"name": p.name, "kind": p.kind, "prior": f"{p.dist} {p.low:g}..{p.high:g}"
                         if p.dist != "beta" else f"beta({p.a:g}, {p.b:g})",
                         "mean": float(self.weights @ x),
                         "median": weighted_quantile(x, self.weights, 0.5),
                         "q05": weighted_quantile(x, self.weights, 0.05),
                         "q95": weighted_quantile(x, self.weights, 0.95),
                         "spread_ratio": ratio, "identified": identified(ratio)})
        return pd.DataFrame(rows)

    def save(self, folder: str | Path) -> Path:
        from ..experiments.store import atomic_write

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / POSTERIOR_FILE, lambda tmp: self.table.to_parquet(tmp, index=False))
        meta = {"priors": [p.to_dict() for p in self.priors], "targets": {k: t.to_dict() for k, t in
                                                                           self.targets.items()}, "info": self.info}
        atomic_write(folder / META_FILE, lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=1, default=str)))
        return folder / POSTERIOR_FILE


def identified(ratio: float) -> str:
    """In words: how much the targets narrowed a value (posterior spread over prior spread)."""
    if not np.isfinite(ratio):
        return ""
    return "narrowed" if ratio < 0.5 else "somewhat narrowed" if ratio < 0.8 else "left free"


def weighted_quantile(x, w, q: float) -> float:
    order = np.argsort(x)
    x, w = np.asarray(x, float)[order], np.asarray(w, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cdf, x))


def load_posterior(folder: str | Path) -> Posterior:
    """A posterior `lcsim calibrate` wrote (posterior.parquet and posterior.json under `folder`)."""
    folder = Path(folder)
    table_path, meta_path = folder / POSTERIOR_FILE, folder / META_FILE
    if folder.is_file() and folder.name == POSTERIOR_FILE:
        table_path, meta_path = folder, folder.parent / META_FILE
    if not table_path.is_file() or not meta_path.is_file():
        raise UsageError(f"--posterior: '{folder}' holds no posterior; expected the folder `lcsim calibrate --out` "
                         f"wrote, with {POSTERIOR_FILE} and {META_FILE}")
    meta = json.loads(meta_path.read_text())
    priors = [Prior(**p) for p in meta["priors"]]
    table = pd.read_parquet(table_path)
    known = {**_targets.TARGETS}
    chosen = {k: known[k] for k in meta.get("targets", {}) if k in known}
    return Posterior(table, priors, chosen, meta.get("info", {}))


# -- running ABC-SMC ---------------------------------------------------------------------------
class Progress(logging.Handler):
    """Turns pyabc's per-generation log lines into one progress line per generation."""

    EPS = re.compile(r"t: (\d+), eps: ([-+0-9.eE]+|inf)")
    ACC = re.compile(r"Accepted: (\d+) / (\d+) = ([-+0-9.eE]+)")

    def __init__(self, say: Callable[[str], None] | None, started: float):
        super().__init__(logging.INFO)
        self.say, self.started, self.eps, self.t = say, started, NAN, -1

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if m := self.EPS.search(text):
            self.t, self.eps = int(m.group(1)), float(m.group(2).rstrip("."))
        elif (m := self.ACC.search(text)) and self.say:
            rate = float(m.group(3).rstrip("."))
            self.say(f"population {self.t}: epsilon {self.eps:.3g}, accepted {m.group(1)} of {m.group(2)} "
                     f"simulations (acceptance {rate:.1%}), {time.perf_counter() - self.started:.0f} s")


@contextmanager
def quiet_pyabc(handler: logging.Handler | None = None):
    """pyabc logs at INFO to stderr: route its "ABC" loggers to `handler` only, and restore them after."""
    logger = logging.getLogger("ABC")
    saved = (logger.level, logger.propagate, list(logger.handlers))
    logger.handlers = [handler] if handler else []
    logger.setLevel(logging.INFO if handler else logging.WARNING)
    logger.propagate = False
    try:
        yield
    finally:
        logger.setLevel(saved[0])
        logger.propagate = saved[1]
        logger.handlers = saved[2]


def sampler_for(workers: int, scheduler: str | None):
    import pyabc

    if scheduler:
        from distributed import Client

        try:
            client = Client(scheduler, timeout="10s")
        except OSError as err:
            raise UsageError(f"--scheduler: cannot reach '{scheduler}' ({' '.join(str(err).split())})") from None
        return pyabc.sampler.DaskDistributedSampler(dask_client=client, batch_size=4), client
    if workers <= 1:
        return pyabc.sampler.SingleCoreSampler(), None
    return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=workers), None


def run_abc(problem: Problem, db: str | Path, *, population: int = 100, max_populations: int = 8,
            min_acceptance: float = 0.01, max_simulations: int | None = None, max_seconds: float | None = None,
            workers: int = 1, scheduler: str | None = None, progress: Callable[[str], None] | None = None,
            seed: int = ROOT_SEED, fresh: bool = False) -> Posterior:
    """ABC-SMC on `problem`; its history in the SQLite file `db`, resumed when `db` holds this problem's run.

    Stops at `max_populations` generations (counting those already in `db`), when every particle of a
    generation lies inside every band (epsilon 0), when a generation's acceptance falls below
    `min_acceptance`, or past `max_simulations` / `max_seconds`. The posterior is the last generation;
    when some of its particles lie inside every band, only those (reweighted: they are the ABC posterior
    at epsilon 0 under the same proposal).
    """
    import pyabc

    for name, value in (("population", population), ("max_populations", max_populations)):
        if value < 1:
            raise UsageError(f"{name}: {value} is not allowed; expected an integer >= 1")
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    stamp = db.with_suffix(".json")
    same = db.is_file() and stamp.is_file() and json.loads(stamp.read_text()).get("key") == problem.key
    if fresh or (db.is_file() and not same):
        db.unlink(missing_ok=True)
        stamp.unlink(missing_ok=True)
        same = False
    np.random.seed(np.random.SeedSequence([seed, 3]).generate_state(1)[0])  # pyabc draws from numpy's global state
    started = time.perf_counter()
    prior = pyabc.Distribution(**{p.name: p.rv() for p in problem.priors})
    handler = Progress(progress, started)
    resumed, client = 0, None
    try:
        with quiet_pyabc(handler):
            sampler, client = sampler_for(workers, scheduler)
            abc = pyabc.ABCSMC(problem.simulator, prior, BandDistance(problem.targets), population_size=population,
                               sampler=sampler)
            url = f"sqlite:///{db.resolve()}"
            if same:
                history = abc.load(url, 1)
                resumed = history.max_t + 1
                if progress:
                    progress(f"resuming {db}: {resumed} generation(s) already done, "
                             f"{history.total_nr_simulations} simulations")
            else:
                observed = {k: float(t.value) for k, t in problem.targets.items()}
                abc.new(url, observed)
                stamp.write_text(json.dumps({"key": problem.key, "problem": problem.name}))
            left = max_populations - resumed
            last_eps = _last_epsilon(abc.history) if resumed else None
            if left > 0 and not (last_eps is not None and _all_inside(abc.history)):
                abc.run(minimum_epsilon=0.0, max_nr_populations=left, min_acceptance_rate=min_acceptance,
                        max_total_nr_simulations=max_simulations or np.inf,
                        max_walltime=None if max_seconds is None else _timedelta(max_seconds))
            history = abc.history
    finally:
        if client is not None:
            client.close()
    return posterior_from(history, problem, seconds=time.perf_counter() - started, resumed=resumed)


def _timedelta(seconds: float):
    from datetime import timedelta

    return timedelta(seconds=float(seconds))


def _last_epsilon(history) -> float | None:
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    return float(pops["epsilon"].iloc[-1]) if len(pops) else None


def _all_inside(history) -> bool:
    d = history.get_weighted_distances()
    return bool(len(d) and (d["distance"] <= 0).all())


MIN_INSIDE = 20  # fewest particles inside every band for the posterior to be restricted to them


def posterior_from(history, problem: Problem, seconds: float = NAN, resumed: int = 0) -> Posterior:
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    population = history.get_population()
    rows = []
    for particle in population.particles:
        row = {p.name: float(particle.parameter[p.name]) for p in problem.priors}
        row.update(weight=float(particle.weight), distance=float(particle.distance))
        row.update({f"stat:{k}": float(v) for k, v in particle.sum_stat.items()})
        rows.append(row)
    table = pd.DataFrame(rows)
    inside = table["distance"] <= 0
    restricted = int(inside.sum()) >= MIN_INSIDE and not inside.all()
    if restricted:
        table = table[inside].reset_index(drop=True)
    table["weight"] = table["weight"] / table["weight"].sum()
    info = {"problem": problem.name, "key": problem.key, "generations": int(len(pops)),
            "epsilons": [float(e) for e in pops["epsilon"]], "simulations_per_generation":
            [int(s) for s in pops["samples"]], "simulations": int(history.total_nr_simulations),
            "particles": int(len(population.particles)), "inside_all_bands": int(inside.sum()),
            "restricted_to_inside": bool(restricted), "final_epsilon": float(pops["epsilon"].iloc[-1]),
            "seconds": float(seconds), "resumed_generations": int(resumed), **problem.info,
            "not_measurable": list(problem.not_measurable),
            "runs_per_simulation": int(problem.info.get("replicates", 1))
            * max(1, len(getattr(problem.simulator, "scenarios", [None])))}
    return Posterior(table, list(problem.priors), dict(problem.targets), info)
