"""Structural alternatives weighed by the data: ABC model selection between variants of the rules (issue 21
item 3).

A structure is the model with some assumptions fixed: a rule switched off by its neutral value
(`availability_shape` 0 is the old, even attendance rule; `founding_demand` 0 is founding without density
dependence). pyabc's ABC-SMC runs every structure in one inference (a list of models and their priors) and
the share of the final population each holds is its posterior probability (equal prior probabilities). The
history resumes like the main inference's (`histories`), and the seed alone fixes the result.

    from lcsim.calibration import selection
    alternatives = selection.structures(["availability_shape", "founding_demand"])
    result = selection.select(selection.model_problems(alternatives), "out/calibration/select.db")
    result.table   # structure, probability, particles, Bayes factor against the best, in words
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UsageError
from .abc import MIN_INSIDE
from .posterior import effective_size
from .problem import ROOT_SEED, Problem
from .smc import run_smc
from .targets import NAN

DEFAULT_SWITCHES = ("availability_shape", "founding_demand")  # the alternatives issue 21 names


@dataclass(frozen=True)
class Structure:
    """One structural variant: the rules with `settings` (assumptions) fixed."""

    name: str
    settings: dict = field(default_factory=dict)
    description: str = ""


def structures(switches=DEFAULT_SWITCHES) -> list[Structure]:
    """The revised rules (every rule on, its strength from the prior) and, for each switch, the rules with that
    one off (its neutral value 0). Unknown switches are refused in one line."""
    from .problem import rule_switches

    known = rule_switches()
    found = [Structure("revised rules", {}, "every rule on; each rule's strength drawn from its prior")]
    for name in switches:
        if name not in known:
            raise UsageError(f"--select: '{name}' is not a rule switch; expected one of {', '.join(known)}")
        found.append(Structure(f"without {name}", {name: 0.0}, f"{name} = 0 (the rule removed)"))
    return found


def model_problems(alternatives: list[Structure], **options) -> list[Problem]:
    """One model problem per structure (same targets, scenario, replicates; `options` as `model_problem`)."""
    from .problem import model_problem

    return [model_problem(assumptions=s.settings, name=s.name, **options) for s in alternatives]


class Alternatives:
    """Several problems as one configuration, for the history's stamp (`histories`)."""

    def __init__(self, problems: list[Problem]):
        if len(problems) < 2:
            raise UsageError(f"model selection needs at least two structures; got {len(problems)}")
        keys = [sorted(p.targets) for p in problems]
        if any(k != keys[0] for k in keys):
            raise UsageError("model selection: the structures measure different targets; expected the same ones "
                             "(a target not measurable under one structure cannot weigh it)")
        self.problems = problems
        self.name = "selection: " + " | ".join(p.name for p in problems)
        self.targets = problems[0].targets

    def identity(self) -> dict:
        return {"selection": [p.identity() for p in self.problems], "names": [p.name for p in self.problems]}

    @property
    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.identity(), sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Selection:
    """What model selection found: per structure, its posterior probability, and the run's size."""

    table: pd.DataFrame  # structure, probability, particles, bayes_factor (best over it), evidence
    info: dict
    particles: pd.DataFrame  # the final population: structure index m, values, weight, distance

    @property
    def best(self) -> str:
        return str(self.table.iloc[self.table["probability"].idxmax()]["structure"])


def evidence(bayes_factor: float) -> str:
    """Kass & Raftery (1995)'s words for a Bayes factor of the best structure over another."""
    if not np.isfinite(bayes_factor):
        return "decisive (no particle of the other survived)"
    if bayes_factor < 3:
        return "not worth more than a bare mention"
    if bayes_factor < 20:
        return "positive"
    if bayes_factor < 150:
        return "strong"
    return "very strong"


def select(problems: list[Problem], db: str | Path, *, population: int = 100, max_populations: int = 8,
           min_acceptance: float = 0.01, max_seconds: float | None = None, workers: int = 1,
           scheduler: str | None = None, progress=None, seed: int = ROOT_SEED, fresh: bool = False) -> Selection:
    """ABC-SMC model selection among `problems` (one per structure, equal prior probabilities); the history in
    `db`, resumed when it holds these structures' run. Stops as `abc.run_abc` does."""
    alternatives = Alternatives(problems)
    run = run_smc(alternatives, list(problems), db, population=population, max_populations=max_populations,
                  min_acceptance=min_acceptance, max_seconds=max_seconds, workers=workers, scheduler=scheduler,
                  progress=progress, seed=seed, fresh=fresh)
    return selection_from(run.history, problems, run.seconds, run.resumed)


def selection_from(history, problems: list[Problem], seconds: float = NAN, resumed: int = 0) -> Selection:
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    population = history.get_population()
    rows = []
    for m, particles in population.get_particles_by_model().items():
        for particle in particles:
            rows.append({"m": int(m), "structure": problems[m].name, "weight": float(particle.weight),
                         "distance": float(particle.distance), **{k: float(v) for k, v in particle.parameter.items()}})
    particles = pd.DataFrame(rows)
    inside = int((particles["distance"] <= 0).sum()) if len(particles) else 0
    restricted = inside >= MIN_INSIDE  # then the particles at distance 0, reweighted: exact ABC (as run_abc does)
    if restricted:
        particles = particles[particles["distance"] <= 0].reset_index(drop=True)
    probability = particles.groupby("m")["weight"].sum() / particles["weight"].sum() if len(particles) else pd.Series()
    table = pd.DataFrame({"structure": [p.name for p in problems],
                          "probability": [float(probability.get(m, 0.0)) for m in range(len(problems))],
                          "particles": [int((particles["m"] == m).sum()) if len(particles) else 0
                                        for m in range(len(problems))]})
    best = table["probability"].max()
    with np.errstate(divide="ignore"):
        table["bayes_factor"] = best / table["probability"]
    table["evidence"] = [("the best supported" if p == best else evidence(bf))
                         for p, bf in zip(table["probability"], table["bayes_factor"], strict=True)]
    info = {"generations": int(len(pops)), "epsilons": [float(e) for e in pops["epsilon"]],
            "simulations": int(history.total_nr_simulations), "particles": int(len(particles)),
            "final_epsilon": float(pops["epsilon"].iloc[-1]), "seconds": float(seconds),
            "resumed_generations": int(resumed), "structures": [p.name for p in problems],
            "inside_all_bands": inside, "restricted_to_inside": bool(restricted),
            "effective_particles": effective_size(particles["weight"]) if len(particles) else NAN}
    return Selection(table, info, particles)


def toy_problems(n: int = 50, survivors: int = 38, shapes=((2.0, 8.0), (8.0, 2.0))) -> list[Problem]:
    """The known-answer selection: the same binomial survival count under Beta priors of different shapes (two
    structures of one toy model); `exact_probabilities` gives each one's exact posterior probability."""
    from .problem import toy_problem

    found = []
    for i, (a, b) in enumerate(shapes):
        toy = toy_problem(n, survivors, a, b)
        found.append(Problem(f"toy {i}: p ~ Beta({a:g}, {b:g})", toy.priors, toy.simulator, toy.targets,
                             info=toy.info))
    return found


def exact_probabilities(n: int, survivors: int, shapes) -> np.ndarray:
    """Posterior probability of each Beta prior (equal prior odds): beta-binomial marginal likelihoods."""
    from scipy.special import betaln

    logs = np.array([betaln(survivors + a, n - survivors + b) - betaln(a, b) for a, b in shapes])
    w = np.exp(logs - logs.max())
    return w / w.sum()


def render(result: Selection) -> str:
    """The page's model-comparison section (docs/calibration.md)."""
    info = result.info
    lines = [f"""## Structural alternatives

The structures below ran in one ABC-SMC inference (pyabc model selection, equal prior probabilities,
{info['generations']} generations, {info['simulations']:,} simulations, final epsilon {info['final_epsilon']:.3g};
{'the particles inside every band, reweighted' if info['restricted_to_inside'] else 'the final population'}:
{info['particles']} particles, effective sample size {info['effective_particles']:.0f}); a structure's posterior
probability is its share of their weight (Monte Carlo error about sqrt(p (1 - p) / ESS)). The Bayes factor is the
best structure's probability over each one's, in Kass & Raftery's (1995) words.

| structure | posterior probability | particles | Bayes factor (best over it) | evidence |
|---|---|---|---|---|
"""]
    for _, r in result.table.iterrows():
        bf = "" if r["evidence"] == "the best supported" else f"{r['bayes_factor']:.3g}"
        lines.append(f"| {r['structure']} | {r['probability']:.3f} | {r['particles']} | {bf} | {r['evidence']} |\n")
    p = float(result.table["probability"].max())
    error = np.sqrt(p * (1 - p) / info["effective_particles"]) if info["effective_particles"] > 0 else NAN
    lines.append(f"\nThe best supported structure is **{result.best}** (probability {p:.2f}, Monte Carlo error about "
                 f"{error:.2f}); the answers are to use it.\n")
    return "".join(lines)
