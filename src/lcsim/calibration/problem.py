"""The calibration problem: priors over the uncertain values, a simulator (values -> the targets' statistics)
and the targets held against, with the distance ABC closes in on.

The distance of a particle is how far its worst statistic lies outside its target's tolerance band, in
units of the band's width (0: every statistic inside its band), summed over targets, so the epsilon
schedule closes in on the region that reproduces every target at once (history matching's "not
implausible" region, weighted as a posterior).

`toy_problem` is a binomial survival count with a Beta prior, whose exact posterior is known (the
known-answer test); `model_problem` runs REPLICATES (20) replicates of each scenario through `targets.observe`
at each particle and measures every target.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import UsageError
from . import targets as _targets
from .targets import NAN, Target

ROOT_SEED = 20261213
DISTANCE = "sum of band distances, v1"  # part of a run's identity: a history made with another is not resumed


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

    def ppf(self, u) -> np.ndarray:
        """The prior's quantiles at `u` (in [0, 1]): how a uniform draw becomes a draw of this value."""
        from scipy import stats

        u = np.asarray(u, float)
        if self.dist == "beta":
            return stats.beta(self.a, self.b).ppf(u)
        if self.log:
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return self.low + u * (self.high - self.low)

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


# The uncertain values calibrated by default: every behavioural value the one-at-a-time effects
# (docs/calibration.md, sensitivity section, measured on the rules before issue 20) show survival leans on
# moderately or strongly, with conversations (issue 20 found survival leans on it); the values behind the
# participation, bridge and replication targets; and every rule switch (`rule_switches`: the strength of
# each rule the issue-20 revision added, 0 removing it) with the new rules' other values. Left out: the
# design a convener chooses or the case sets (size, horizon, exit month and strategy, control, effort,
# meeting interval, channel, recruitment, sector mix), which scenarios fix. Scale-like values get a
# log-uniform prior. Names this model version does not have are skipped. Rerun the sensitivity on the
# final rules and revisit this list (`--values` chooses another).
UNCERTAIN: tuple[tuple[str, str, str], ...] = (
    ("hosting_cost", "assumption", "uniform"),
    ("coordination_scale", "assumption", "loguniform"),
    ("conversations", "assumption", "uniform"),
    ("leader_hosting_ease", "assumption", "uniform"),
    ("member_benefit", "param", "uniform"),
    ("attendance_cost", "param", "uniform"),
    ("engagement_shape_b", "assumption", "loguniform"),
    ("tie_decay", "param", "uniform"),
    ("embeddedness_protection", "assumption", "uniform"),
    ("leadership", "param", "uniform"),
    ("replication", "param", "uniform"),
    ("tie_gain", "param", "uniform"),
    ("burnout", "param", "uniform"),
    ("aspiration", "param", "uniform"),
    ("initial_engagement", "param", "uniform"),
    ("engagement_rate", "assumption", "loguniform"),
    ("ready_engagement", "assumption", "uniform"),
    ("learning_rate", "assumption", "uniform"),
    ("capacity_erosion", "assumption", "uniform"),
    ("resource_rate", "assumption", "uniform"),
    ("dissolution_intervals", "assumption", "uniform"),
    ("fatigue_recovery", "assumption", "uniform"),
    ("newness_halflife", "assumption", "loguniform"),
    ("smallness", "assumption", "uniform"),
    ("digital_turnout", "assumption", "uniform"),
)
NEUTRAL = "removes it"  # an assumption whose meaning says "0 removes it" switches a rule: 0 is the rule off


def rule_switches() -> list[str]:
    """The assumptions that switch a rule (their meaning says 0 removes it), in the table's order."""
    from ..assumptions import TABLE

    return [n for n, p in TABLE.items() if NEUTRAL in p.meaning and float(p.low) <= 0.0]


def uncertain() -> tuple[tuple[str, str, str], ...]:
    """UNCERTAIN and every rule switch, as far as this model version has them."""
    from ..assumptions import TABLE
    from ..parameters import SCHEMA

    chosen = [u for u in UNCERTAIN if u[0] in (SCHEMA if u[1] == "param" else TABLE)]
    return tuple(chosen + [(n, "assumption", "uniform") for n in rule_switches() if n not in {u[0] for u in chosen}])


def default_priors(names=None, without=()) -> list[Prior]:
    """Priors over `names` (default: `uncertain()`) less `without` (values a structural variant fixes): a
    parameter's schema `sweep` range, an assumption's plausible range (lcsim.assumptions.TABLE)."""
    from ..assumptions import TABLE
    from ..parameters import SCHEMA

    chosen = uncertain() if names is None else [(n, "param" if n in SCHEMA else "assumption", "uniform")
                                                for n in names]
    found = []
    for name, kind, dist in chosen:
        if name in without:
            continue
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

    def identity(self) -> dict:
        """What the inference depends on, as plain data: priors, targets and their bands, simulator settings."""
        data = {"priors": {p.name: p.to_dict() for p in self.priors},
                "targets": {k: [t.low, t.high, t.value, t.scenario] for k, t in sorted(self.targets.items())},
                **self.info, "distance": DISTANCE}
        return json.loads(json.dumps(data, sort_keys=True, default=str))

    @property
    def key(self) -> str:
        """A hash of `identity()`: a history made for another problem is never resumed as this one's."""
        return hashlib.sha256(json.dumps(self.identity(), sort_keys=True).encode()).hexdigest()[:16]

    @property
    def runs_per_simulation(self) -> int:
        """Model runs one simulation makes: its replicates times the scenarios it runs."""
        return int(self.info.get("replicates", 1)) * max(1, len(getattr(self.simulator, "scenarios", [None])))

    def without(self, group: str) -> Problem:
        """The same problem with one target group left out of the distance (held-out check); it is still
        measured."""
        kept = {k: t for k, t in self.targets.items() if t.group != group}
        return Problem(f"{self.name} without {group}", self.priors, self.simulator, kept, dict(self.predicted),
                       list(self.not_measurable), {**self.info, "held_out": group})

    def prior_sample(self, n: int, seed: int = ROOT_SEED) -> pd.DataFrame:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
        return pd.DataFrame({p.name: p.ppf(rng.random(n)) for p in self.priors})


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


AFTER_EXIT = 60  # months every scenario is followed past its exit: CYDS's four years and a hazard over five
REPLICATES = 20  # runs of each scenario per simulation: a share over 20 runs moves in steps of 0.05, not 1/3


class ModelSimulator:
    """Runs `replicates` runs of each scenario the targets need at a particle's values; measures every target.

    `fixed` parameters and `assumptions` (a structural variant's settings, e.g. a rule switched off) hold for
    every run; each scenario runs to `after_exit` months past its exit month unless `fixed` sets `months`."""

    def __init__(self, scenario: str, targets: dict[str, Target], priors: list[Prior], replicates: int,
                 root_seed: int = ROOT_SEED, fixed: dict | None = None, assumptions: dict | None = None,
                 after_exit: int | None = AFTER_EXIT):
        self.scenario, self.replicates, self.root_seed = scenario, int(replicates), int(root_seed)
        self.targets = {k: t.scenario for k, t in targets.items()}  # key -> its scenario (None: `scenario`)
        self.kinds = {p.name: p.kind for p in priors}
        self.fixed, self.assumptions = dict(fixed or {}), dict(assumptions or {})
        self.after_exit = None if after_exit is None else int(after_exit)
        self.scenarios = sorted({s or scenario for s in self.targets.values()})

    def split(self, pars: dict) -> tuple[dict, dict]:
        params, assumptions = dict(self.fixed), dict(self.assumptions)
        for name, value in pars.items():
            (params if self.kinds.get(name) == "param" else assumptions)[name] = float(value)
        return params, assumptions

    def horizon(self, scenario: str, params: dict) -> dict:
        """`params` with `months` set to `after_exit` past the scenario's exit month (unless fixed)."""
        if self.after_exit is None or "months" in self.fixed:
            return params
        from ..scenarios import scenario_params

        exit_month = int(params.get("exit_month", scenario_params(scenario).get("exit_month", 36)))
        return {**params, "months": exit_month + self.after_exit}

    def runs(self, pars: dict) -> pd.DataFrame:
        params, assumptions = self.split(pars)
        seeds = particle_seed(self.root_seed, dict(pars)).generate_state(self.replicates * len(self.scenarios))
        rows = []
        for i, scenario in enumerate(self.scenarios):
            chosen = self.horizon(scenario, params)
            for r in range(self.replicates):
                rows.append(_targets.observe(int(seeds[i * self.replicates + r]), scenario, chosen, assumptions))
        return pd.DataFrame(rows)

    def measure(self, runs: pd.DataFrame) -> dict:
        found = {}
        for key, scenario in self.targets.items():
            found[key] = _targets.TARGETS[key].with_scenario(scenario or self.scenario).measure(runs)
        return found

    def __call__(self, pars: dict) -> dict:
        return self.measure(self.runs(pars))


def model_problem(targets: dict[str, Target] | None = None, scenario: str = "default",
                  replicates: int = REPLICATES, priors: list[Prior] | None = None, root_seed: int = ROOT_SEED,
                  fixed: dict | None = None, assumptions: dict | None = None, after_exit: int | None = AFTER_EXIT,
                  name: str | None = None) -> Problem:
    """The model's calibration problem: which targets this model version can measure is found by one probe run
    of each scenario the targets name (the others are listed as not measurable). `assumptions` fixes a
    structural variant's settings for every run (their priors are dropped)."""
    if replicates < 1:
        raise UsageError(f"replicates: {replicates} is not allowed; expected an integer >= 1")
    targets = dict(_targets.TARGETS if targets is None else targets)
    assumptions = dict(assumptions or {})
    priors = default_priors(without=set(assumptions)) if priors is None else [p for p in priors
                                                                             if p.name not in assumptions]
    columns: dict[str, set] = {}
    for s in sorted({t.scenario or scenario for t in targets.values()}):
        columns[s] = set(_targets.observe(0, s, dict(fixed or {}), assumptions))
    measurable = {k: t for k, t in targets.items() if t.measurable(columns[t.scenario or scenario])}
    missing = [k for k in targets if k not in measurable]
    sim = ModelSimulator(scenario, measurable, priors, replicates, root_seed, fixed, assumptions, after_exit)
    info = {"scenario": scenario, "replicates": replicates, "root_seed": root_seed, "fixed": fixed or {},
            "after_exit": after_exit}
    if assumptions:
        info["assumptions"] = assumptions
    return Problem(name or f"model:{scenario}", priors, sim, measurable, dict(measurable), missing, info)
