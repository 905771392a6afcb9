"""Running the sensitivity analysis of docs/calibration.md: the one-at-a-time arms and the Morris screening,
each through `lcsim.sweep`; the indices come from `lcsim.analysis.sensitivity` (which only reads runs).

1. One at a time (OAT, `analysis.sensitivity.oat`): the default scenario (phase_out at month 36, survival
   at month 72), each arm one sweep of the same common seeds (`common_seeds = true`, one root seed), each
   parameter or assumption (as `assumptions.NAME` in [vary]) at its OAT levels.
2. Morris screening (the package's `validation-sensitivity-morris.toml`): every numeric parameter varied
   together, so the effects are averaged over the others' ranges (mu*) and interactions show up (sigma).
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..analysis.sensitivity.oat import OUTCOMES, SETTINGS, Factor, effects, factors

MORRIS = "validation-sensitivity-morris"
ROOT_SEED = 20260611
SEEDS = 100  # common seeds per OAT arm


def arm_experiment(name: str, n_seeds: int, setting: str | None, vary: dict | None = None) -> dict:
    """One OAT arm as an experiment dict: the default scenario, the common seeds, `vary` (one factor) if any."""
    return {"name": name, "description": "One-at-a-time calibration arm (lcsim calibrate).", "scenario": "default",
            "design": "grid", "replicates": n_seeds, "root_seed": ROOT_SEED, "common_seeds": True,
            "fixed": dict(SETTINGS.get(setting, {})), "vary": dict(vary or {})}


def _sweep_arms(exp: dict, labels: list[str], folder: Path, workers: int) -> pd.DataFrame:
    """Run one arm experiment through `lcsim.sweep`; its runs labelled by point (labels[point])."""
    import lcsim

    shutil.rmtree(folder, ignore_errors=True)
    runs = lcsim.sweep(exp, folder, workers=workers, progress=False)
    failed = runs["error"].notna().sum()
    if failed:
        raise RuntimeError(f"{exp['name']}: {failed} runs failed, e.g. {runs['error'].dropna().iloc[0]}")
    runs = runs.assign(arm=[labels[p] for p in runs["point"]])
    return runs[["arm", "replicate", *OUTCOMES]]


def oat(n_seeds: int, workers: int, out: Path, factors_: list[Factor] | None = None,
        progress=None) -> pd.DataFrame:
    """Every OAT arm (the baselines, then each factor's levels) swept into `<out>/oat/`: one row per run, `arm`
    naming it."""
    out = Path(out)
    chosen = factors() if factors_ is None else factors_
    parts = [_sweep_arms(arm_experiment("calibration-baseline", n_seeds, None), ["baseline"],
                         out / "oat" / "baseline", workers)]
    for key in SETTINGS:
        parts.append(_sweep_arms(arm_experiment(f"calibration-baseline-{key}", n_seeds, key), [f"baseline:{key}"],
                                 out / "oat" / f"baseline-{key}", workers))
    for i, f in enumerate(chosen):
        if not f.levels:
            continue
        if progress:
            progress(f"{i + 1}/{len(chosen)} {f.key}")
        exp = arm_experiment(f"calibration-{f.key}", n_seeds, f.setting, {f.key: list(f.levels)})
        parts.append(_sweep_arms(exp, [f.arm(v) for v in f.levels], out / "oat" / f.key, workers))
    return pd.concat(parts, ignore_index=True)


def morris(workers: int, out: Path) -> tuple[pd.DataFrame, int]:
    """The Morris screening swept into `<out>/morris/`, and its SALib indices: (indices, runs)."""
    import lcsim

    from ..analysis.sensitivity import sensitivity
    from ..validation.runs import Context, experiment

    folder = Path(out) / "morris"
    shutil.rmtree(folder, ignore_errors=True)
    runs = lcsim.sweep(experiment(MORRIS, Context(workers=workers, out=out)), folder, workers=workers, progress=False)
    manifest = json.loads((folder / "manifest.json").read_text())
    return sensitivity(runs, manifest), len(runs)


@dataclass
class Sensitivity:
    """What `measure` found: the one-at-a-time effects and the Morris indices."""

    table: pd.DataFrame  # one row per parameter (or choice value) and assumption
    indices: pd.DataFrame | None  # Morris indices, None if not run
    runs: pd.DataFrame  # every OAT run
    seconds: float
    n_seeds: int
    n_morris: int = 0  # runs of the Morris screening (0: not run)


def measure(*, seeds: int = SEEDS, workers: int = 2, out: Path, with_morris: bool = True,
            progress=None) -> Sensitivity:
    """OAT (and Morris) sensitivity of every parameter and assumption; its tables saved under `out`
    (oat.parquet, oat-effects.csv, morris-indices.csv)."""
    out = Path(out)
    started = time.perf_counter()
    runs = oat(seeds, workers, out, progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    runs.to_parquet(out / "oat.parquet")
    table = effects(runs)
    table.to_csv(out / "oat-effects.csv", index=False)
    indices, n_morris = morris(workers, out) if with_morris else (None, 0)
    if indices is not None:
        indices.to_csv(out / "morris-indices.csv", index=False)
    return Sensitivity(table, indices, runs, time.perf_counter() - started, seeds, n_morris)
