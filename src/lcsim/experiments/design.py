"""Designs: the table of design points an experiment asks for, and each run's id and seed.

A run is (design point, replicate). Its id ("p0003-r0012") and its seed derive from those two
numbers and the root seed alone, so a run's result never depends on the order, the worker
or the executor that ran it, and a resumed sweep reruns exactly what is missing.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..parameters import SCHEMA, ParameterError, check_consistency
from .experiment import Experiment, ExperimentError, show

DESIGN_STREAM = 2**32 - 1  # spawn key of the sampler's seed, apart from every run's (point, replicate)
RUN_ID = "p{point:04d}-r{replicate:04d}"
SEED_RULE = "SeedSequence(root_seed, spawn_key=(point, replicate)).generate_state(1)[0]"
COMMON_SEED_RULE = "SeedSequence(root_seed, spawn_key=(replicate,)).generate_state(1)[0]"


@dataclass(frozen=True)
class Design:
    """The design points (`table`: one row per point, a column per varied parameter) and how they were drawn."""

    kind: str
    table: pd.DataFrame
    problem: dict | None  # SALib's {num_vars, names, bounds} for lhs, sobol and morris
    sampler: dict | None  # what an analysis needs to know about the sampler (N, num_levels, ...)

    @property
    def varied(self) -> list[str]:
        return [c for c in self.table.columns if c != "point"]

    def point_values(self) -> list[dict]:
        """Each point's varied values as plain Python values, in point order."""
        return [{k: SCHEMA[k].check(v) for k, v in row.items()} for row in self.table[self.varied].to_dict("records")]


def run_id(point: int, replicate: int) -> str:
    return RUN_ID.format(point=point, replicate=replicate)


def run_seed(root_seed: int, point: int, replicate: int, common: bool = False) -> int:
    """The seed of run (point, replicate); with common seeds, replicate r has one seed at every point."""
    key = (replicate,) if common else (point, replicate)
    return int(np.random.SeedSequence(root_seed, spawn_key=key).generate_state(1)[0])


def sampler_seed(root_seed: int) -> int:
    return int(np.random.SeedSequence(root_seed, spawn_key=(DESIGN_STREAM,)).generate_state(1)[0])


def runs(exp: Experiment, n_points: int) -> Iterator[tuple[str, int, int, int]]:
    """(run_id, point, replicate, seed) for every run, replicate by replicate: a sweep stopped early
    has covered the whole design at least once rather than half of it many times."""
    for replicate in range(exp.replicates):
        for point in range(n_points):
            seed = run_seed(exp.root_seed, point, replicate, exp.common_seeds)
            yield run_id(point, replicate), point, replicate, seed


def build_design(exp: Experiment) -> Design:
    """Draw the design and check every point against the schema's rules (e.g. exit_month <= months)."""
    if exp.design == "grid":
        design = _grid(exp)
    else:
        design = _sampled(exp)
    _check_points(exp, design)
    return design


def _grid(exp: Experiment) -> Design:
    names = exp.varied
    rows = list(itertools.product(*exp.vary.values())) if names else [()]
    table = pd.DataFrame(rows, columns=names)
    for name in names:
        table[name] = table[name].astype(_dtype(name))
    table.insert(0, "point", np.arange(len(table), dtype=np.int64))
    return Design("grid", table, None, None)


def _sampled(exp: Experiment) -> Design:
    """lhs (scipy's Latin hypercube), sobol and morris (SALib's samplers, so SALib can analyse them later).

    An integer parameter is sampled as a number and rounded half up. For lhs and sobol its bounds are
    widened by 0.5 on each side, so every integer in [low, high] is equally likely; for morris they stay
    [low, high] and each of the num_levels levels rounds to a different integer (the file checks the width).
    """
    names, seed = exp.varied, sampler_seed(exp.root_seed)
    widen = exp.design != "morris"
    bounds = [[float(lo) - 0.5, float(hi) + 0.5] if widen and SCHEMA[n].kind == "int" else [float(lo), float(hi)]
              for n, (lo, hi) in exp.vary.items()]
    problem = {"num_vars": len(names), "names": names, "bounds": bounds}
    if exp.design == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(names), seed=seed).random(exp.samples)
        lows, highs = np.array(bounds).T
        X = lows + unit * (highs - lows)
        sampler = {"method": "lhs", "n": exp.samples, "seed": seed, "library": "scipy.stats.qmc.LatinHypercube"}
    elif exp.design == "sobol":
        from SALib.sample import sobol

        X = sobol.sample(problem, exp.samples, calc_second_order=exp.calc_second_order, scramble=True, seed=seed)
        sampler = {"method": "sobol", "N": exp.samples, "calc_second_order": exp.calc_second_order,
                   "scramble": True, "seed": seed, "library": "SALib.sample.sobol.sample"}
    else:
        from SALib.sample import morris

        X = morris.sample(problem, exp.samples, num_levels=exp.num_levels, seed=seed)
        sampler = {"method": "morris", "N": exp.samples, "num_levels": exp.num_levels, "seed": seed,
                   "library": "SALib.sample.morris.sample"}
    table = pd.DataFrame({"point": np.arange(len(X), dtype=np.int64)})
    for k, (name, (lo, hi)) in enumerate(exp.vary.items()):
        column = X[:, k]
        if SCHEMA[name].kind == "int":
            column = np.clip(np.floor(column + 0.5), lo, hi).astype(np.int64)
        else:
            column = np.clip(column, lo, hi)  # guard float rounding at the edges
        table[name] = column
    return Design(exp.design, table, problem, sampler)


def _dtype(name: str) -> str:
    return {"int": "int64", "float": "float64", "bool": "bool", "choice": "str"}[SCHEMA[name].kind]


def _check_points(exp: Experiment, design: Design) -> None:
    base = exp.base_params
    for point, values in enumerate(design.point_values()):
        try:
            check_consistency({**base, **values})
        except ParameterError as err:
            shown = ", ".join(f"{k}={show(v)}" for k, v in values.items())
            raise ExperimentError(f"{exp.source}: field 'vary': design point {point} ({shown}): {err}; "
                                  "narrow the ranges or change [fixed]") from None
