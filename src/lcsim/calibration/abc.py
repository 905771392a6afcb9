"""Likelihood-free inference of the uncertain values from the targets: ABC-SMC with pyabc (`lcsim calibrate`).

`run_abc` runs pyabc's ABC-SMC on a `Problem` (lcsim.calibration.problem), its history in a SQLite database
that a second call resumes (`ABCSMC.load`; `histories` keeps each configuration's apart), sampled so that the
seed alone fixes the result (`batches.IndexedSampler`; the run itself is `smc.run_smc`, shared with model
selection); `Posterior` is the result.

    from lcsim.calibration import abc, problem
    post = abc.run_abc(problem.model_problem(replicates=5), "out/calibration/abc.db", population=100, workers=2)
    post.table, post.summary()
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..errors import UsageError
from .posterior import Posterior, effective_size
from .problem import ROOT_SEED, Problem
from .smc import Progress, all_inside, quiet_pyabc, reachable, run_smc  # noqa: F401 (their home was here)
from .targets import NAN

MIN_INSIDE = 20  # fewest particles inside every band for the posterior to be restricted to them
MIN_EFFECTIVE = 20  # fewest effective particles (1 / sum of squared weights) for a posterior that can be shipped


def effective_by_generation(history) -> list[float]:
    """Each generation's effective sample size (1 / sum of its squared normalised importance weights): where the
    weights degenerate, a generation of N particles stands for only a few."""
    return [effective_size(history.get_distribution(m=0, t=t)[1]) for t in range(history.max_t + 1)]


def run_abc(problem: Problem, db: str | Path, *, population: int = 100, max_populations: int = 8,
            min_acceptance: float = 0.01, max_simulations: int | None = None, max_seconds: float | None = None,
            workers: int = 1, scheduler: str | None = None, progress: Callable[[str], None] | None = None,
            seed: int = ROOT_SEED, fresh: bool = False) -> Posterior:
    """ABC-SMC on `problem`; its history in the SQLite file `db` (stamped by `<db>.json`), resumed when `db`
    holds this problem's run. A history of another problem, or one that cannot be read, is refused in one line
    (`histories.open_history`); `fresh` starts this file over.

    Stops at `max_populations` generations (counting those already in `db`), when every particle of a
    generation lies inside every band (epsilon 0), when a generation's acceptance falls below
    `min_acceptance`, or past `max_simulations` / `max_seconds`. The posterior is the last generation;
    when at least MIN_INSIDE of its particles lie inside every band, only those (reweighted: they are the ABC
    posterior at epsilon 0 under the same proposal). The same `seed` gives the same posterior on any number
    of workers (`batches.IndexedSampler`).
    """
    for name, value in (("population", population), ("max_populations", max_populations)):
        if value < 1:
            raise UsageError(f"{name}: {value} is not allowed; expected an integer >= 1")
    run = run_smc(problem, problem, db, population=population, max_populations=max_populations,
                  min_acceptance=min_acceptance, max_simulations=max_simulations, max_seconds=max_seconds,
                  workers=workers, scheduler=scheduler, progress=progress, seed=seed, fresh=fresh)
    post = posterior_from(run.history, problem, seconds=run.seconds, resumed=run.resumed)
    post.info["history"] = Path(db).name
    return post


def _wall_seconds(history) -> float:
    """The inference's wall time over every call that added to the history (pyabc records each generation's)."""
    pops = history.get_all_populations()
    return float(pops["wall_time"].sum()) if "wall_time" in pops else NAN


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
    restricted = int(inside.sum()) >= MIN_INSIDE  # then the posterior is the particles at distance 0
    if restricted:
        table = table[inside].reset_index(drop=True)
    table["weight"] = table["weight"] / table["weight"].sum()
    info = {"problem": problem.name, "key": problem.key, "generations": int(len(pops)),
            "epsilons": [float(e) for e in pops["epsilon"]], "simulations_per_generation":
            [int(s) for s in pops["samples"]], "simulations": int(history.total_nr_simulations),
            "particles": int(len(population.particles)), "inside_all_bands": int(inside.sum()),
            "restricted_to_inside": bool(restricted), "final_epsilon": float(pops["epsilon"].iloc[-1]),
            "effective_particles": effective_size(table["weight"]),  # sets the posterior's Monte Carlo error
            "effective_by_generation": effective_by_generation(history),
            "wall_seconds": _wall_seconds(history),
            "seconds": float(seconds), "resumed_generations": int(resumed), **problem.info,
            "not_measurable": list(problem.not_measurable),
            "runs_per_simulation": problem.runs_per_simulation}
    return Posterior(table, list(problem.priors), dict(problem.targets), info)
