"""ABC-SMC with MCMC moves (Del Moral, Doucet & Jasra 2012, the adaptive variant): weights that do not degenerate.

Why: pyabc's ABC-SMC weighs each particle by prior / proposal density, and on this model those weights degenerate:
on the ten screened values the effective sample size of 100 particles fell to 2.4-11.7 from the second generation
on with the scaled global normal transition, and to 10.8 then 3.0 with pyabc's local (k-nearest-neighbour) one
(docs/calibration.md). Here a particle's weight is only ever its previous weight times "still within epsilon", so the
effective sample size is the number of particles alive, and it is the algorithm that keeps it up:

1. N particles from the prior, each simulated (one simulation: `problem.simulator`, seeded by its values).
2. Each round: the next epsilon is the smallest at which the effective sample size keeps `alpha` of its value;
   particles beyond it get weight 0; below N/2 effective particles, resample (multinomial) to N equal weights.
3. Move every particle by Metropolis-Hastings on the ABC posterior at that epsilon (as many steps as the last round's
   acceptance says it takes for a particle to move with 95% probability, at most `max_moves`): a normal step (twice the
   weighted covariance of the particles, on the priors' own scale: log of a log-uniform value, each value in units of
   its prior's spread), accepted when its simulation lies within epsilon and with the prior ratio (on that scale).
   With tied distances (a count statistic) no epsilon may keep `alpha`: then it steps to the next smaller distance.
4. Stop at epsilon 0, when fewer than `min_acceptance` of the moves are accepted (the chain no longer mixes), after
   `max_rounds` or past `max_seconds`.

The same seed gives the same particles on any number of workers (the moves' random numbers come from one
`SeedSequence`, each simulation from its particle's values). The result is a `Posterior`, as `abc.run_abc` gives.

    from lcsim.calibration import mcmc, problem
    post = mcmc.run_mcmc_smc(problem.toy_problem(), population=400)
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..errors import UsageError
from .posterior import Posterior, effective_size
from .problem import ROOT_SEED, BandDistance, Problem

ALPHA = 0.9  # share of the effective sample size each new epsilon keeps
MIN_ACCEPTANCE = 0.02
MOVE_MISS = 0.05  # chance a particle is left unmoved by a round's steps, given the last round's acceptance
MAX_MOVES = 10  # most steps per particle in one round


def _scale(priors) -> tuple[np.ndarray, np.ndarray]:
    """(log?, spread) per value: the priors' own scale."""
    return np.array([p.log for p in priors]), np.array([p.spread for p in priors], float)


def _to_u(x: np.ndarray, logs, spread) -> np.ndarray:
    return np.where(logs, np.log(np.where(logs, x, 1.0)), x) / spread


def _from_u(u: np.ndarray, logs, spread) -> np.ndarray:
    v = u * spread
    return np.where(logs, np.exp(np.where(logs, v, 0.0)), v)


def _log_prior_u(x: np.ndarray, priors) -> np.ndarray:
    """Log prior density of rows `x` on the priors' own scale, up to a constant; -inf outside the support. On that
    scale a uniform and a log-uniform prior are both flat (the log-uniform's 1/x cancels the Jacobian of the log);
    a Beta keeps its density."""
    from scipy import stats

    total = np.zeros(len(x))
    for j, p in enumerate(priors):
        col = x[:, j]
        dens = stats.beta(p.a, p.b).pdf(col) if p.dist == "beta" else ((col >= p.low) & (col <= p.high)) * 1.0
        with np.errstate(divide="ignore"):
            total += np.log(dens)
    return total


def next_epsilon(distances: np.ndarray, weights: np.ndarray, alpha: float = ALPHA) -> float:
    """The smallest epsilon (among the distances) at which the effective sample size of the weights within it keeps
    at least `alpha` of the current one."""
    target = alpha * effective_size(weights)
    for eps in np.unique(distances[weights > 0]):
        if effective_size(weights * (distances <= eps)) >= target - 1e-9:
            return float(eps)
    return float(np.max(distances[weights > 0]))


def run_mcmc_smc(problem: Problem, *, population: int = 100, alpha: float = ALPHA,
                 min_acceptance: float = MIN_ACCEPTANCE, max_rounds: int = 50, max_moves: int = MAX_MOVES,
                 max_seconds: float | None = None,
                 workers: int = 1, scheduler: str | None = None, seed: int = ROOT_SEED,
                 progress: Callable[[str], None] | None = None) -> Posterior:
    """Adaptive ABC-SMC with MCMC moves on `problem` (see the module's docstring)."""
    from .batches import simulate_values

    if population < 2 or not 0 < alpha < 1 or max_rounds < 1:
        raise UsageError(f"mcmc: population {population}, alpha {alpha}, max_rounds {max_rounds} are not allowed; "
                         "expected population >= 2, 0 < alpha < 1 and max_rounds >= 1")
    started = time.perf_counter()
    priors, names = problem.priors, [p.name for p in problem.priors]
    logs, spread = _scale(priors)
    distance = BandDistance(problem.targets)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 17]))

    def simulate(x: np.ndarray) -> tuple[list[dict], np.ndarray]:
        stats = simulate_values(problem, pd.DataFrame(x, columns=names), workers, scheduler)
        return stats, np.array([distance(s) for s in stats], float)

    x = problem.prior_sample(population, seed)[names].to_numpy(float, copy=True)
    stats, d = simulate(x)
    w = np.full(population, 1.0 / population)
    simulations, epsilons, effective, acceptance = population, [], [], []
    eps, moves = np.inf, 1
    for _ in range(max_rounds):
        chosen = next_epsilon(d, w, alpha)
        below = d[(w > 0) & (d < eps)] if np.isfinite(eps) else np.array([])
        if np.isfinite(eps) and chosen >= eps and len(below):  # tied distances: step down to the next one anyway
            chosen = float(below.max())
        eps = chosen
        w = w * (d <= eps)
        w = w / w.sum()
        if effective_size(w) < population / 2:  # resample: equal weights again
            pick = rng.choice(population, size=population, replace=True, p=w)
            x, d, stats = x[pick], d[pick], [stats[i] for i in pick]
            w = np.full(population, 1.0 / population)
        alive = np.flatnonzero(w > 0)
        u = _to_u(x, logs, spread)
        mean = w @ u
        cov = 2.0 * ((u - mean).T * w) @ (u - mean) + 1e-9 * np.eye(len(names))
        accepted = tried = 0
        for _ in range(moves):  # each a Metropolis-Hastings step of every live particle at this epsilon
            u = _to_u(x, logs, spread)
            step = rng.multivariate_normal(np.zeros(len(names)), cov, size=len(alive))
            draws = rng.random(len(alive))
            proposed = _from_u(u[alive] + step, logs, spread)
            ratio = _log_prior_u(proposed, priors) - _log_prior_u(x[alive], priors)
            inside = np.isfinite(ratio) & (np.log(np.maximum(draws, 1e-300)) < ratio)  # the prior's part first
            moved, tried = alive[inside], tried + len(alive)
            if len(moved):
                new_stats, new_d = simulate(proposed[inside])
                simulations += len(moved)
                for k, i in enumerate(moved):
                    if new_d[k] <= eps:
                        x[i], d[i], stats[i] = proposed[inside][k], new_d[k], new_stats[k]
                        accepted += 1
        rate = accepted / max(tried, 1)
        # enough steps next round that a particle moves at least once with probability 1 - MOVE_MISS (Drovandi &
        # Pettitt 2011), at most max_moves
        moves = int(min(max_moves, max(1, np.ceil(np.log(MOVE_MISS) / np.log1p(-min(max(rate, 1e-9), 1 - 1e-9))))))
        epsilons.append(float(eps))
        effective.append(effective_size(w))
        acceptance.append(rate)
        if progress:
            progress(f"round {len(epsilons)}: epsilon {eps:.3g}, {effective[-1]:.0f} effective particles, "
                     f"{rate:.0%} of moves accepted, {time.perf_counter() - started:.0f} s")
        if eps <= 0 or rate < min_acceptance or (max_seconds and time.perf_counter() - started > max_seconds):
            break
    table = pd.DataFrame(x, columns=names).assign(weight=w / w.sum(), distance=d)
    table = pd.concat([table, pd.DataFrame(stats).add_prefix("stat:")], axis=1)
    table = table[table["weight"] > 0].reset_index(drop=True)
    inside_all = int((table["distance"] <= 0).sum())
    info = {"problem": problem.name, "key": problem.key, "method": "ABC-SMC with MCMC moves (Del Moral et al. 2012)",
            "generations": len(epsilons), "epsilons": epsilons, "acceptance": acceptance,
            "simulations": int(simulations), "particles": int(len(table)), "inside_all_bands": inside_all,
            "restricted_to_inside": False, "final_epsilon": float(eps),
            "effective_particles": effective_size(table["weight"]),
            "effective_by_generation": effective, "seconds": time.perf_counter() - started, **problem.info,
            "not_measurable": list(problem.not_measurable),
            "runs_per_simulation": problem.runs_per_simulation}
    return Posterior(table, list(priors), dict(problem.targets), info)
