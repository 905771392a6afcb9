"""Designs: the table of design points an experiment asks for, and each run's id and seed.

Each kind of design is one class (`GridDesign`, `LhsDesign`, `SobolDesign`, `MorrisDesign`;
`design_class(kind)` finds it): how its [vary] entries and options are checked, how many points it
has, how it draws them, and which analyses its points allow. Nothing else branches on the kind.

A run is (design point, replicate). Its id ("p0003-r0012") and its seed derive from those two
numbers and the root seed alone, so a run's result never depends on the order, the worker
or the executor that ran it, and a resumed sweep reruns exactly what is missing.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..errors import ExperimentError, ParameterError
from ..parameters import SCHEMA, Parameter, check_consistency

DESIGN_STREAM = 2**32 - 1  # spawn key of the sampler's seed, apart from every run's (point, replicate)
RUN_ID = "p{point:04d}-r{replicate:04d}"
SEED_RULE = "SeedSequence(root_seed, spawn_key=(point, replicate)).generate_state(1)[0]"
COMMON_SEED_RULE = "SeedSequence(root_seed, spawn_key=(replicate,)).generate_state(1)[0]"
MAX_RUNS = 10_000_000  # a design beyond this is almost surely a typo; split it into several experiments
# What a run of a design costs the sweeping process, in bytes (measured on 1M-point lhs designs and 150-run
# tables: a drawn point ~250 B + ~125 B per varied value, its dict for the workers ~100 B + 90 B per value;
# the table `sweep` returns ~8 B a cell plus ~60 B of strings a row, held about 3 times while it is read).
POINT_BYTES, VALUE_BYTES, CELL_BYTES, ROW_BYTES, READ_COPIES = 350, 215, 8, 60, 3
OUTCOME_COLUMNS = 30  # the summary's outcomes (29 today), before the runs have told
MEMORY_LIMIT_VARIABLE = "LCSIM_MEMORY_LIMIT"
RULED = {"months", "exit_month", "transition_months", "exit_strategy", "n_members", "max_members"}  # check_consistency


def entry(name: str) -> Parameter:
    """The checked entry of a parameter (`control`) or an assumption (`assumptions.engagement_rate`)."""
    from ..assumptions import PREFIX, lookup

    if name.startswith(PREFIX):
        return lookup(name)
    return SCHEMA[name]


def show(value: Any) -> str:
    """A value as it would be written in TOML (true, "text", [1, 2])."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, OverflowError):
        text = repr(value)
    text = " ".join(text.split())  # one line, whatever the value
    return text if len(text) <= 60 else text[:40] + "..." + text[-12:]


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

    @property
    def allows_sensitivity(self) -> bool:
        return design_class(self.kind).allows_sensitivity

    def point_values(self) -> list[dict]:
        """Each point's varied values as plain Python values, in point order."""
        checks = {k: entry(k).check for k in self.varied}
        return [{k: checks[k](v) for k, v in row.items()} for row in self.table[self.varied].to_dict("records")]


# -- the kinds of design ------------------------------------------------------------------------------
class DesignKind:
    """One kind of design. Subclasses say how [vary] is read, which options apply and how points are drawn."""

    kind: ClassVar[str]
    sampled: ClassVar[bool] = True  # [vary] holds ranges [low, high] (else lists of values)
    allows_sensitivity: ClassVar[bool] = False  # SALib can analyse its points (Morris EE, Sobol' indices)
    balanced_margins: ClassVar[bool] = False  # every level of a varied parameter meets every other's levels
    options: ClassVar[tuple[str, ...]] = ("samples",)  # design-specific fields of the file

    # -- reading the file --------------------------------------------------------------------------
    def check_options(self, data: dict, vary: dict, refuse) -> dict:
        """The design's options (samples, num_levels, calc_second_order) from the file, checked."""
        samples = data.get("samples")
        if samples is None:
            raise refuse("samples", None, _SAMPLES, missing=True)
        low = 2 if self.kind == "morris" else 1
        if isinstance(samples, bool) or not isinstance(samples, int) or not low <= samples <= MAX_RUNS:
            raise refuse("samples", samples, _SAMPLES)
        return {"samples": samples}

    def check_vary(self, name: str, spec: Any, value, refuse) -> list | tuple:
        """One [vary] entry: a (low, high) range of a numeric parameter."""
        key, p = f"vary.{name}", entry(name)
        if p.kind not in ("int", "float"):
            raise refuse(key, spec, f"a numeric parameter for design {self.kind}; vary {p.kind} "
                         f"parameters with design grid, or set them under [fixed]")
        if spec == SWEEP:
            spec = list(p.sweep)
        if not isinstance(spec, list) or len(spec) != 2:
            raise refuse(key, spec, f'a range [low, high] within [{p.low:g}, {p.high:g}] for design {self.kind}, '
                         'or "sweep"')
        low, high = (value(name, v, f"{key}[{i}]") for i, v in enumerate(spec))
        if not low < high:
            raise refuse(key, spec, f"a range [low, high] with low < high, within [{p.low:g}, {p.high:g}]")
        return (low, high)

    def check_design(self, vary: dict, options: dict, refuse) -> None:
        if not vary:
            raise refuse("vary", {}, f"at least one parameter range for design {self.kind}")

    # -- sizes and points ------------------------------------------------------------------------------
    def points(self, exp) -> int:
        raise NotImplementedError

    def draw(self, exp) -> Design:
        raise NotImplementedError

    def _problem(self, exp, widen: bool) -> dict:
        bounds = [[float(lo) - 0.5, float(hi) + 0.5] if widen and entry(n).kind == "int" else [float(lo), float(hi)]
                  for n, (lo, hi) in exp.vary.items()]
        return {"num_vars": len(exp.vary), "names": list(exp.vary), "bounds": bounds}

    def _table(self, exp, X: np.ndarray) -> pd.DataFrame:
        """Sampled numbers as the design table: an integer parameter rounded half up, all clipped to range."""
        table = pd.DataFrame({"point": np.arange(len(X), dtype=np.int64)})
        for k, (name, (lo, hi)) in enumerate(exp.vary.items()):
            column = X[:, k]
            if entry(name).kind == "int":
                column = np.clip(np.floor(column + 0.5), lo, hi).astype(np.int64)
            else:
                column = np.clip(column, lo, hi)  # guard float rounding at the edges
            table[name] = column
        return table


class GridDesign(DesignKind):
    """Every combination of the [vary] lists (a full factorial)."""

    kind, sampled, balanced_margins, options = "grid", False, True, ()

    def check_options(self, data, vary, refuse) -> dict:
        if data.get("samples") is not None:
            raise refuse("samples", data["samples"],
                         "no samples for design grid (its size is the product of the [vary] lists)")
        return {}

    def check_vary(self, name, spec, value, refuse):
        key, p = f"vary.{name}", entry(name)
        numeric = p.kind in ("int", "float")
        if spec == SWEEP:
            if numeric:
                raise refuse(key, spec, f'a list of values for design grid ("sweep" gives {name} a range, '
                             f"which only lhs, sobol and morris sample), e.g. [{p.sweep[0]:g}, {p.sweep[1]:g}]")
            spec = list(p.sweep)
        if not isinstance(spec, list) or not spec:
            raise refuse(key, spec, f"a non-empty list of values for design grid, each {p.allowed}"
                         + ("" if numeric else ', or "sweep" for all of them'))
        values = [value(name, v, f"{key}[{i}]") for i, v in enumerate(spec)]
        if len(set(values)) < len(values):
            raise refuse(key, spec, "a list without repeated values")
        return values

    def check_design(self, vary, options, refuse) -> None:
        pass  # a grid of nothing is one point: the base parameters

    def points(self, exp) -> int:
        return math.prod(len(values) for values in exp.vary.values())

    def draw(self, exp) -> Design:
        names = list(exp.vary)
        rows = list(itertools.product(*exp.vary.values())) if names else [()]
        table = pd.DataFrame(rows, columns=names)
        for name in names:
            table[name] = table[name].astype(_dtype(name))
        table.insert(0, "point", np.arange(len(table), dtype=np.int64))
        return Design(self.kind, table, None, None)


class LhsDesign(DesignKind):
    """A Latin hypercube (scipy) of `samples` points. An integer's bounds are widened by 0.5 on each
    side before rounding, so every integer in [low, high] is equally likely."""

    kind = "lhs"

    def points(self, exp) -> int:
        return exp.samples

    def draw(self, exp) -> Design:
        from scipy.stats import qmc

        seed, problem = sampler_seed(exp.root_seed), self._problem(exp, widen=True)
        unit = qmc.LatinHypercube(d=problem["num_vars"], seed=seed).random(exp.samples)
        lows, highs = np.array(problem["bounds"]).T
        X = lows + unit * (highs - lows)
        sampler = {"method": "lhs", "n": exp.samples, "seed": seed, "library": "scipy.stats.qmc.LatinHypercube"}
        return Design(self.kind, self._table(exp, X), problem, sampler)


class SobolDesign(DesignKind):
    """Saltelli's scheme for Sobol' indices (SALib's sampler, so SALib can analyse the runs)."""

    kind, allows_sensitivity, options = "sobol", True, ("samples", "calc_second_order")

    def check_options(self, data, vary, refuse) -> dict:
        out = super().check_options(data, vary, refuse)
        samples = out["samples"]
        if samples & (samples - 1):
            raise refuse("samples", samples, "a power of 2 for design sobol (e.g. 64, 128, 256)",
                         "Sobol' sequences are balanced only at powers of 2")
        second = data.get("calc_second_order")
        second = False if second is None else second
        if not isinstance(second, bool):
            raise refuse("calc_second_order", second, "true or false")
        return {**out, "calc_second_order": second}

    def points(self, exp) -> int:
        d = len(exp.vary)
        return exp.samples * ((2 * d + 2) if exp.calc_second_order else (d + 2))

    def draw(self, exp) -> Design:
        from SALib.sample import sobol

        seed, problem = sampler_seed(exp.root_seed), self._problem(exp, widen=True)
        X = sobol.sample(problem, exp.samples, calc_second_order=exp.calc_second_order, scramble=True, seed=seed)
        sampler = {"method": "sobol", "N": exp.samples, "calc_second_order": exp.calc_second_order,
                   "scramble": True, "seed": seed, "library": "SALib.sample.sobol.sample"}
        return Design(self.kind, self._table(exp, X), problem, sampler)


class MorrisDesign(DesignKind):
    """Morris trajectories (SALib's sampler). An integer's bounds stay [low, high] and each of the
    num_levels levels rounds to a different integer (the file is checked for that width)."""

    kind, allows_sensitivity, options = "morris", True, ("samples", "num_levels")

    def check_options(self, data, vary, refuse) -> dict:
        out = super().check_options(data, vary, refuse)
        levels = data.get("num_levels")
        levels = 4 if levels is None else levels
        if isinstance(levels, bool) or not isinstance(levels, int) or not 2 <= levels <= 1000 or levels % 2:
            raise refuse("num_levels", levels, "an even integer in [2, 1000] (Morris grid levels; 4 is usual)")
        for name, (low, high) in vary.items():
            if entry(name).kind == "int" and high - low < levels - 1:
                raise refuse(f"vary.{name}", [low, high], f"an integer range at least num_levels - 1 "
                             f"({levels - 1}) wide, so every Morris level is a different integer")
        return {**out, "num_levels": levels}

    def points(self, exp) -> int:
        return exp.samples * (len(exp.vary) + 1)  # trajectories of d + 1 points

    def draw(self, exp) -> Design:
        from SALib.sample import morris

        seed, problem = sampler_seed(exp.root_seed), self._problem(exp, widen=False)
        X = morris.sample(problem, exp.samples, num_levels=exp.num_levels, seed=seed)
        sampler = {"method": "morris", "N": exp.samples, "num_levels": exp.num_levels, "seed": seed,
                   "library": "SALib.sample.morris.sample"}
        return Design(self.kind, self._table(exp, X), problem, sampler)


SWEEP = "sweep"  # `vary.x = "sweep"`: the schema's own sweep range (or choices) for x
_SAMPLES = "an integer >= 1 (lhs: points; sobol: base samples N, a power of 2; morris: trajectories, >= 2)"
DESIGN_CLASSES: dict[str, DesignKind] = {cls.kind: cls() for cls in (GridDesign, LhsDesign, SobolDesign, MorrisDesign)}
DESIGNS = tuple(DESIGN_CLASSES)
OPTIONS = tuple(dict.fromkeys(o for d in DESIGN_CLASSES.values() for o in ("samples", *d.options)))


def design_class(kind: str) -> DesignKind:
    """The design kind named `kind` ("grid", "lhs", "sobol", "morris"), e.g.
    `design_class(manifest["design"]).allows_sensitivity`."""
    try:
        return DESIGN_CLASSES[kind]
    except (KeyError, TypeError):
        raise ExperimentError(f"design {show(kind)} is unknown; expected one of {', '.join(DESIGNS)}") from None


# -- runs and seeds -----------------------------------------------------------------------------------
def run_id(point: int, replicate: int) -> str:
    return RUN_ID.format(point=point, replicate=replicate)


def run_seed(root_seed: int, point: int, replicate: int, common: bool = False) -> int:
    """The seed of run (point, replicate); with common seeds, replicate r has one seed at every point."""
    key = (replicate,) if common else (point, replicate)
    return int(np.random.SeedSequence(root_seed, spawn_key=key).generate_state(1)[0])


def sampler_seed(root_seed: int) -> int:
    return int(np.random.SeedSequence(root_seed, spawn_key=(DESIGN_STREAM,)).generate_state(1)[0])


def runs(exp, n_points: int) -> Iterator[tuple[str, int, int, int]]:
    """(run_id, point, replicate, seed) for every run, replicate by replicate: a sweep stopped early
    has covered the whole design at least once rather than half of it many times."""
    for replicate in range(exp.replicates):
        for point in range(n_points):
            seed = run_seed(exp.root_seed, point, replicate, exp.common_seeds)
            yield run_id(point, replicate), point, replicate, seed


_DRAWN: dict[str, Design] = {}  # the last few designs drawn, by experiment hash (a file is checked, then run)


def build_design(exp) -> Design:
    """Draw the design and check every point against the rules between parameters (e.g. exit_month <= months).

    A design too large to hold is refused before it is drawn (`check_size`)."""
    check_size(exp)  # cheap, and the limit may have changed since a design was cached
    key = exp.hash
    if key not in _DRAWN:
        design = design_class(exp.design).draw(exp)
        check_points(exp, design)
        if len(_DRAWN) >= 4:
            _DRAWN.pop(next(iter(_DRAWN)))
        _DRAWN[key] = design
    return _DRAWN[key]


def design_bytes(exp) -> tuple[int, int]:
    """(design, results): what drawing the design and holding its results table take in the sweeping process,
    estimated from points x replicates x columns before anything is drawn."""
    points = design_class(exp.design).points(exp)
    varied = len(exp.vary)
    columns = 4 + len(SCHEMA) + len(exp.assumptions) + OUTCOME_COLUMNS + 1  # identity, parameters, outcomes, error
    drawn = points * (POINT_BYTES + VALUE_BYTES * varied)
    results = points * exp.replicates * (CELL_BYTES * columns + ROW_BYTES) * READ_COPIES
    return drawn, results


def memory_limit() -> tuple[float, str]:
    """(bytes, where it comes from): LCSIM_MEMORY_LIMIT (in GB) if set, else half this machine's memory."""
    text = os.environ.get(MEMORY_LIMIT_VARIABLE)
    if text is not None:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0 < value < math.inf:
            raise ExperimentError(f"environment variable {MEMORY_LIMIT_VARIABLE}: {show(text)} is not allowed; "
                                  "expected a number of GB > 0")
        return value * 1e9, f"{MEMORY_LIMIT_VARIABLE}={text}"
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return 8e9, f"a default; set {MEMORY_LIMIT_VARIABLE}=GB to change it"
    return total / 2, f"half this machine's memory; set {MEMORY_LIMIT_VARIABLE}=GB to change it"


def check_size(exp) -> None:
    """Refuse, in one line, a design whose points and results would not fit in memory (before drawing it)."""
    drawn, results = design_bytes(exp)
    limit, why = memory_limit()
    if drawn + results > limit:
        field_ = "samples" if exp.samples is not None else "vary"
        points = design_class(exp.design).points(exp)
        raise ExperimentError(
            f"{exp.source}: field '{field_}': a design of {points:,} points x {exp.replicates} replicates "
            f"= {points * exp.replicates:,} runs would take about {(drawn + results) / 1e9:.1f} GB in this process "
            f"(design {drawn / 1e9:.1f} GB, results table {results / 1e9:.1f} GB); the limit is {limit / 1e9:.1f} GB "
            f"({why}); split it into smaller experiments")


def check_points(exp, design: Design) -> None:
    """The rules between parameters, on each design point (the base with that point's values set)."""
    base = exp.base_params
    if not RULED & set(design.varied):  # no varied value can break a rule: the base alone decides
        _consistent(exp, base, None, {})
        return
    names = [n for n in design.varied if n in RULED]
    for point, values in enumerate(design.table[names].to_dict("records")):
        _consistent(exp, {**base, **values}, point, values)


def _consistent(exp, params: dict, point: int | None, values: dict) -> None:
    try:
        check_consistency(params)
    except ParameterError as err:
        if point is None:
            raise ExperimentError(f"{exp.source}: field 'fixed': {err}") from None
        shown = ", ".join(f"{k}={show(_plain(v))}" for k, v in values.items())
        raise ExperimentError(f"{exp.source}: field 'vary': design point {point} ({shown}): {err}; "
                              "narrow the ranges or change [fixed]") from None


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def _dtype(name: str) -> str:
    return {"int": "int64", "float": "float64", "bool": "bool", "choice": "str"}[entry(name).kind]
