"""One ABC-SMC run, resumable, for the main inference (`abc.run_abc`) and model selection (`selection.select`).

`run_smc` opens the history (`histories`: another configuration's file is refused, `fresh` starts over), seeds
numpy's global state (pyabc draws from it), builds pyabc's `ABCSMC` on the one executor
(`batches.IndexedSampler`, so the seed alone fixes the result) with pyabc's proposals drawn at a fraction of
their cost (`proposals`), loads the history or starts it, runs the generations left, and hands back the
history. The callers turn it into their result.
"""

from __future__ import annotations

import gc
import logging
import re
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np

from ..errors import UsageError
from .histories import open_history, stamp_history
from .problem import BandDistance, Problem
from .targets import NAN


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


@contextmanager
def frozen_heap():
    """The objects alive before a run are left out of the garbage collector's passes during it (`gc.freeze`):
    a calibration's process holds some 400,000 (pandas, scipy, pyabc, SQLAlchemy) and each full pass over them
    took 0.2-0.4 s, several a run. They are handed back after (with any frozen before: `gc.unfreeze` returns
    them all to the oldest generation, where they are collected as usual); objects made during the run are
    collected as ever."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def reachable(scheduler: str) -> None:
    """One line if the Dask scheduler cannot be reached (before any work)."""
    from distributed import Client

    try:
        Client(scheduler, timeout="10s").close()
    except OSError as err:
        raise UsageError(f"--scheduler: cannot reach '{scheduler}' ({' '.join(str(err).split())})") from None


def all_inside(history) -> bool:
    """Whether the history's last generation lies inside every band (epsilon 0: nothing left to gain)."""
    d = history.get_weighted_distances()
    return bool(len(d) and (d["distance"] <= 0).all())


@dataclass
class Run:
    """What `run_smc` leaves: pyabc's history, how many generations were already there, the seconds taken."""

    history: object
    resumed: int
    seconds: float


def run_smc(configuration, problems: Problem | list[Problem], db: str | Path, *, population: int,
            max_populations: int, min_acceptance: float, max_simulations: int | None = None,
            max_seconds: float | None = None, workers: int = 1, scheduler: str | None = None,
            progress: Callable[[str], None] | None = None, seed: int, fresh: bool = False) -> Run:
    """ABC-SMC of `problems` (one problem; or a list of structures for model selection, equal prior
    probabilities) in the history `db`, stamped with `configuration` (the problem, or the structures as one
    `selection.Alternatives`). Resumes `db` when it holds this configuration's run; stops at `max_populations`
    generations in all, at epsilon 0, below `min_acceptance`, or past `max_simulations` / `max_seconds`."""
    import pyabc

    from ..experiments.executor import Executor
    from .batches import IndexedSampler
    from .proposals import Prior, Transition  # pyabc's, drawn the same, without their cost per proposal

    db = Path(db)
    same = open_history(configuration, db, fresh)
    if scheduler:
        reachable(scheduler)
    np.random.seed(np.random.SeedSequence([seed, 3]).generate_state(1)[0])  # pyabc draws from numpy's global state
    started = time.perf_counter()
    if isinstance(problems, list):
        models = [p.simulator for p in problems]
        priors = [Prior(**{q.name: q.rv() for q in p.priors}) for p in problems]
    else:
        models, priors = problems.simulator, Prior(**{p.name: p.rv() for p in problems.priors})
    targets = configuration.targets
    resumed = 0
    with quiet_pyabc(Progress(progress, started)), frozen_heap(), \
            Executor(None if scheduler else workers, scheduler) as pool:
        abc = pyabc.ABCSMC(models, priors, BandDistance(targets), population_size=population,
                           transitions=[Transition(scales={q.name: (q.log, q.spread) for q in p.priors}, prior=prior)
                                        for p, prior in zip(problems if isinstance(problems, list) else [problems],
                                                            priors if isinstance(priors, list) else [priors],
                                                            strict=True)],
                           sampler=IndexedSampler(seed, pool))
        url = f"sqlite:///{db.resolve()}"
        if same:
            history = abc.load(url, 1)
            resumed = history.max_t + 1
            if progress:
                progress(f"resuming {db}: {resumed} generation(s) already done, "
                         f"{history.total_nr_simulations} simulations")
        else:
            abc.new(url, {k: float(t.value) for k, t in targets.items()})
            stamp_history(configuration, db)
        left = max_populations - resumed
        if left > 0 and not (resumed and all_inside(abc.history)):
            abc.run(minimum_epsilon=0.0, max_nr_populations=left, min_acceptance_rate=min_acceptance,
                    max_total_nr_simulations=max_simulations or np.inf,
                    max_walltime=None if max_seconds is None else timedelta(seconds=float(max_seconds)))
        history = abc.history
    return Run(history, resumed, time.perf_counter() - started)
