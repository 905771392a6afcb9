"""Likelihood-free inference of the uncertain values from the targets: ABC-SMC with pyabc (`lcsim calibrate`).

`run_abc` runs pyabc's ABC-SMC on a `Problem` (lcsim.calibration.problem), its history in a SQLite database
that a second call resumes (`ABCSMC.load`; `histories` keeps each configuration's apart), sampled so that the
seed alone fixes the result (`batches.IndexedSampler`); `Posterior` is the result.

    from lcsim.calibration import abc, problem
    post = abc.run_abc(problem.model_problem(replicates=5), "out/calibration/abc.db", population=100, workers=2)
    post.table, post.summary()
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UsageError
from .histories import open_history, stamp_history
from .posterior import Posterior
from .problem import ROOT_SEED, BandDistance, Problem
from .targets import NAN

MIN_INSIDE = 20  # fewest particles inside every band for the posterior to be restricted to them


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
    import pyabc

    from ..experiments.executor import Executor
    from .batches import IndexedSampler

    for name, value in (("population", population), ("max_populations", max_populations)):
        if value < 1:
            raise UsageError(f"{name}: {value} is not allowed; expected an integer >= 1")
    db = Path(db)
    same = open_history(problem, db, fresh)
    if scheduler:
        reachable(scheduler)
    np.random.seed(np.random.SeedSequence([seed, 3]).generate_state(1)[0])  # pyabc draws from numpy's global state
    started = time.perf_counter()
    prior = pyabc.Distribution(**{p.name: p.rv() for p in problem.priors})
    resumed = 0
    with quiet_pyabc(Progress(progress, started)), Executor(None if scheduler else workers, scheduler) as pool:
        abc = pyabc.ABCSMC(problem.simulator, prior, BandDistance(problem.targets), population_size=population,
                           sampler=IndexedSampler(seed, pool))
        url = f"sqlite:///{db.resolve()}"
        if same:
            history = abc.load(url, 1)
            resumed = history.max_t + 1
            if progress:
                progress(f"resuming {db}: {resumed} generation(s) already done, "
                         f"{history.total_nr_simulations} simulations")
        else:
            abc.new(url, {k: float(t.value) for k, t in problem.targets.items()})
            stamp_history(problem, db)
        left = max_populations - resumed
        if left > 0 and not (resumed and _all_inside(abc.history)):
            abc.run(minimum_epsilon=0.0, max_nr_populations=left, min_acceptance_rate=min_acceptance,
                    max_total_nr_simulations=max_simulations or np.inf,
                    max_walltime=None if max_seconds is None else timedelta(seconds=float(max_seconds)))
        history = abc.history
    post = posterior_from(history, problem, seconds=time.perf_counter() - started, resumed=resumed)
    post.info["history"] = db.name
    return post


def reachable(scheduler: str) -> None:
    """One line if the Dask scheduler cannot be reached (before any work)."""
    from distributed import Client

    try:
        Client(scheduler, timeout="10s").close()
    except OSError as err:
        raise UsageError(f"--scheduler: cannot reach '{scheduler}' ({' '.join(str(err).split())})") from None


def _all_inside(history) -> bool:
    d = history.get_weighted_distances()
    return bool(len(d) and (d["distance"] <= 0).all())


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
            "effective_particles": float(1 / (table["weight"] ** 2).sum()),  # sets the posterior's Monte Carlo error
            "seconds": float(seconds), "resumed_generations": int(resumed), **problem.info,
            "not_measurable": list(problem.not_measurable),
            "runs_per_simulation": int(problem.info.get("replicates", 1))
            * max(1, len(getattr(problem.simulator, "scenarios", [None])))}
    return Posterior(table, list(problem.priors), dict(problem.targets), info)
