"""Calibration's batches of simulations: `parallel_map`, and a pyabc sampler whose result does not depend on how
many workers ran it.

pyabc's parallel samplers accept particles in the order workers finish them, each worker drawing from its own
random state, so the same seed gives another posterior on another number of workers (or on the same one).
`IndexedSampler` makes the order part of the data: generation t's candidate i is drawn, simulated and judged
from numpy's random state seeded by SeedSequence([seed, t + 1, i]) alone, candidates are evaluated in batches
(anywhere, in any order) and accepted in index order until the population is full. Candidates past the
population's last accepted one are discarded unseen, so batch sizes change only the work, never the result. In
this process (1 worker) each batch is as many candidates as acceptances are still wanted, so none is evaluated
in vain; on workers a batch is sized from the acceptance rate, a little more than expected, so that few rounds
fill the population.
"""

from __future__ import annotations

import math

import numpy as np
import pyabc

from ..experiments.executor import Executor, execute


def parallel_map(fn, items: list, workers: int = 1, scheduler: str | None = None) -> list:
    """`fn` over `items` through the one executor (this process for 1 worker, local workers, or a Dask
    cluster); results in the order of `items`. `fn` must be importable by the workers."""
    return execute(fn, list(items), workers=None if scheduler else workers, scheduler=scheduler)


def simulate_values(problem, values, workers: int = 1, scheduler: str | None = None) -> list[dict]:
    """`problem.simulator` at each row of `values` (a table of the problem's values, one simulation each, each seeded
    from its values, so the result does not depend on where it ran): one dict of statistics per row, in order."""
    rows = [{k: float(v) for k, v in r.items()} for r in values.to_dict("records")]
    return parallel_map(problem.simulator, rows, workers, scheduler)


_LOADED: list = [b"", None]  # the payload last loaded in this process, and its simulate_one


def loaded(payload: bytes):
    """`cloudpickle.loads(payload)`, once per generation in each process rather than once per batch: its
    priors alone are some 35 scipy distributions frozen again on every load. Drawing, simulating and judging a
    candidate leave the loaded objects as they were (pyabc's serial sampler reuses them too), so a reused one
    gives what a fresh copy would."""
    if _LOADED[0] != payload:
        import cloudpickle

        _LOADED[:] = [payload, cloudpickle.loads(payload)]
    return _LOADED[1]


def evaluate(task: tuple) -> list:
    """Candidates `indices` of one generation: each drawn, simulated and judged by pyabc's `simulate_one` (sent
    cloudpickled, as pyabc's own distributed samplers send it) from the random state of its index alone."""
    payload, entropy, indices = task
    simulate_one = loaded(payload)
    found = []
    for i in indices:
        np.random.seed(np.random.SeedSequence([*entropy, i]).generate_state(1)[0])  # pyabc draws from numpy's global
        found.append(simulate_one())
    return found


class IndexedSampler(pyabc.sampler.Sampler):
    """A pyabc sampler that accepts candidates in index order, each candidate's randomness its index's.

    `seed` is the calibration's seed; `executor` (an open `lcsim.experiments.executor.Executor`) runs the
    batches, one pool for every generation.
    """

    MIN_RATE = 0.005  # the lowest acceptance rate a batch is sized for (more batches follow when it is lower)

    def __init__(self, seed: int, executor: Executor):
        super().__init__()
        self.seed, self.executor = int(seed), executor
        self.workers = max(1, executor.capacity)
        self.rate = 1.0  # the last generation's acceptance rate: sizes the first batch of the next

    def batch_size(self, wanted: int, rate: float | None = None) -> int:
        """How many candidates to evaluate for `wanted` more acceptances (a little more than expected) at the
        acceptance `rate` (default: the last generation's)."""
        rate = self.rate if rate is None else rate
        expected = math.ceil(1.2 * wanted / max(rate, self.MIN_RATE))
        return max(expected, 2 * self.workers)

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None):
        import cloudpickle

        payload = cloudpickle.dumps(simulate_one)
        sample = self._create_empty_sample()
        evaluated = accepted = 0
        while accepted < n and evaluated < max_eval:
            if all_accepted or self.executor.in_process:  # in this process: no candidate evaluated in vain
                size = n - accepted
            else:  # after a first batch, this generation's own rate so far (the last one's can be far off)
                size = self.batch_size(n - accepted, (accepted + 1) / (evaluated + 1) if evaluated else None)
            size = int(min(size, max_eval - evaluated))
            chunks = max(1, min(size, 4 * self.workers))
            indices = np.array_split(np.arange(evaluated, evaluated + size), chunks)
            tasks = [(payload, (self.seed, t + 1), part.tolist()) for part in indices if len(part)]
            for particles in self.executor.map(evaluate, tasks, chunk_size=1):
                for particle in particles:
                    if accepted == n:
                        break
                    sample.append(particle)
                    evaluated += 1
                    accepted += bool(particle.accepted)
        self.nr_evaluations_ = evaluated
        if not all_accepted and evaluated:
            self.rate = accepted / evaluated
        if accepted < n:
            sample.ok = False
        return sample
