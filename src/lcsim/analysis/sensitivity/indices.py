"""Global sensitivity: which parameters move survival most, from a `morris` or `sobol` sweep.

SALib computes every index (`SALib.analyze.morris.analyze`, `SALib.analyze.sobol.analyze`);
this module feeds it what the sweep wrote: the `problem` and sampler settings from the
sweep's manifest, and one output value per design point, in design order. A design point
was run with several replicates (seeds); their mean is the point's value, so for
`survived` the output is the point's survival probability. The replicates average out the
model's own randomness, which would otherwise show up as spurious interaction (Sobol ST
above S1, Morris sigma) of every parameter.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import LcsimError
from ...experiments.design import DESIGN_CLASSES
from ..survival import completed
from .morris import morris_indices, point_inputs
from .sobol import sobol_indices

METHODS = tuple(sorted(kind for kind, design in DESIGN_CLASSES.items() if design.allows_sensitivity))
OUTPUTS = ("survived", "months_alive_after_exit")  # the run-table columns analysed by default


class SensitivityError(LcsimError, ValueError):
    """The sweep cannot be analysed for sensitivity (wrong design, missing points)."""


# What analysis asks of a sweep's design, answered by the design classes (lcsim.experiments.design).

def design_of(manifest: dict) -> str:
    """The sweep's design name ("grid", "lhs", "sobol", "morris") as the manifest records it."""
    return str(manifest.get("design") or manifest.get("experiment", {}).get("design", ""))


def has_indices(manifest: dict) -> bool:
    """Can SALib analyse the sweep's points (a morris or sobol design), so it has sensitivity indices?"""
    design = DESIGN_CLASSES.get(design_of(manifest))
    return bool(design and design.allows_sensitivity)


def is_balanced(manifest: dict) -> bool:
    """Does every level of a varied parameter meet every other's levels (a grid), so margins per value are fair?"""
    design = DESIGN_CLASSES.get(design_of(manifest))
    return bool(design and design.balanced_margins)


def problem_of(manifest: dict) -> dict:
    """SALib's problem dict (num_vars, names, bounds) as the sweep engine sampled it."""
    problem = manifest.get("problem")
    if not problem:
        raise SensitivityError("the manifest has no SALib problem: only morris and sobol sweeps have one")
    problem = dict(problem)
    problem.setdefault("num_vars", len(problem["names"]))
    return problem


def sampler_settings(manifest: dict) -> dict:
    """The sampler settings saved with the problem (e.g. num_levels, calc_second_order)."""
    return manifest.get("sampler") or {}


def point_means(runs: pd.DataFrame, output: str, n_points: int) -> np.ndarray:
    """One value per design point (mean over its replicates), in design order 0..n_points-1."""
    runs = completed(runs)
    means = runs.groupby("point")[output].mean().astype(float).reindex(range(n_points))
    missing = means.index[means.isna()].tolist()
    if missing:
        shown = ", ".join(map(str, missing[:5])) + (" ..." if len(missing) > 5 else "")
        raise SensitivityError(f"{len(missing)} design point(s) have no completed run ({shown}); "
                               "rerun the sweep to fill them before a sensitivity analysis")
    return means.to_numpy()


def sensitivity(runs: pd.DataFrame, manifest: dict, outputs=None) -> pd.DataFrame:
    """Sensitivity indices of each output to each sampled parameter, from a morris or sobol sweep.

    Returns one row per (output, parameter), with `method` and the method's index columns.
    An output that does not vary across points (e.g. every community survived) gets NaN
    indices: nothing in it to apportion.
    """
    method = design_of(manifest)
    if not has_indices(manifest):
        raise SensitivityError(f"design '{method}' has no sensitivity analysis; expected one of {', '.join(METHODS)}")
    problem = problem_of(manifest)
    settings = sampler_settings(manifest)
    n_points = _n_points(runs, manifest)
    frames = []
    for output in outputs or OUTPUTS:
        Y = point_means(runs, output, n_points)
        if np.ptp(Y) == 0:
            frame = pd.DataFrame({"parameter": problem["names"]})
        elif method == "morris":
            X = point_inputs(completed(runs), problem["names"], n_points)
            frame = morris_indices(problem, X, Y, num_levels=int(settings.get("num_levels", 4)))
        else:
            frame = sobol_indices(problem, Y, calc_second_order=bool(settings.get("calc_second_order", True)))
        frame.insert(0, "output", output)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table.insert(0, "method", method)
    return table


def ranking(table: pd.DataFrame, output: str = "survived") -> pd.DataFrame:
    """The parameters ordered by influence on one output (ST for Sobol, mu_star for Morris)."""
    part = table[table["output"] == output]
    key = "ST" if "ST" in part.columns and part["ST"].notna().any() else "mu_star"
    if key not in part.columns:
        return part
    return part.sort_values(key, ascending=False, na_position="last").reset_index(drop=True)


def _n_points(runs: pd.DataFrame, manifest: dict) -> int:
    """How many design points the sweep designed (the manifest says; a partial run table may not)."""
    points = manifest.get("points")
    if isinstance(points, int) and points > 0:
        return points
    return int(runs["point"].max()) + 1
