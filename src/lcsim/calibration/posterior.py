"""The calibrated values: the final generation's particles, their weights, and what they reproduce."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UsageError
from . import targets as _targets
from .problem import ROOT_SEED, Prior
from .targets import NAN, Target


def effective_size(weights) -> float:
    """The effective sample size of importance weights (normalised or not): (sum w)^2 / sum w^2; 0 for none."""
    w = np.asarray(weights, float)
    total = w.sum()
    return float(total * total / (w @ w)) if total > 0 else 0.0

POSTERIOR_FILE = "posterior.parquet"
META_FILE = "posterior.json"


# -- the posterior ------------------------------------------------------------------------------
@dataclass
class Posterior:
    """The calibrated values: one row per particle of the final population (values, `weight`, `distance`,
    and the statistics it gave), with how they were found."""

    table: pd.DataFrame
    priors: list[Prior]
    targets: dict[str, Target]
    info: dict  # generations, epsilons, simulations, seconds, ...

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.priors]

    @property
    def weights(self) -> np.ndarray:
        w = self.table["weight"].to_numpy(float)
        return w / w.sum()

    def values(self) -> pd.DataFrame:
        return self.table[self.names]

    def mean(self) -> pd.Series:
        return pd.Series(self.weights @ self.values().to_numpy(float), index=self.names)

    def quantile(self, q: float) -> pd.Series:
        return pd.Series({n: weighted_quantile(self.table[n].to_numpy(float), self.weights, q) for n in self.names})

    def draw(self, n: int, seed=ROOT_SEED) -> pd.DataFrame:
        """`n` rows drawn by weighted resampling; `seed` an int or a SeedSequence (reproducible)."""
        ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence([int(seed), 2])
        rng = np.random.default_rng(ss)
        idx = rng.choice(len(self.table), size=n, replace=True, p=self.weights)
        return self.values().iloc[idx].reset_index(drop=True)

    def summary(self) -> pd.DataFrame:
        """Per value: prior range, posterior mean, median, 90% interval, and spread against the prior's."""
        rows = []
        for p in self.priors:
            x = self.table[p.name].to_numpy(float)
            ratio = p.spread_of(x, self.weights) / p.spread if p.spread > 0 else NAN
            rows.append({"name": p.name, "kind": p.kind, "prior": f"{p.dist} {p.low:g}..{p.high:g}"
                         if p.dist != "beta" else f"beta({p.a:g}, {p.b:g})",
                         "mean": float(self.weights @ x),
                         "median": weighted_quantile(x, self.weights, 0.5),
                         "q05": weighted_quantile(x, self.weights, 0.05),
                         "q95": weighted_quantile(x, self.weights, 0.95),
                         "spread_ratio": ratio, "identified": identified(ratio)})
        return pd.DataFrame(rows)

    def save(self, folder: str | Path) -> Path:
        from ..experiments.store import atomic_write

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / POSTERIOR_FILE, lambda tmp: self.table.to_parquet(tmp, index=False))
        meta = {"priors": [p.to_dict() for p in self.priors], "targets": {k: t.to_dict() for k, t in
                                                                           self.targets.items()}, "info": self.info}
        atomic_write(folder / META_FILE, lambda tmp: Path(tmp).write_text(json.dumps(meta, indent=1, default=str)))
        return folder / POSTERIOR_FILE


def identified(ratio: float) -> str:
    """In words: how much the targets narrowed a value (posterior spread over prior spread)."""
    if not np.isfinite(ratio):
        return ""
    return "narrowed" if ratio < 0.5 else "somewhat narrowed" if ratio < 0.8 else "left free"


def weighted_quantile(x, w, q: float) -> float:
    order = np.argsort(x)
    x, w = np.asarray(x, float)[order], np.asarray(w, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cdf, x))


def load_posterior(folder: str | Path) -> Posterior:
    """A posterior `lcsim calibrate` wrote (posterior.parquet and posterior.json under `folder`)."""
    folder = Path(folder)
    table_path, meta_path = folder / POSTERIOR_FILE, folder / META_FILE
    if folder.is_file() and folder.name == POSTERIOR_FILE:
        table_path, meta_path = folder, folder.parent / META_FILE
    if not table_path.is_file() or not meta_path.is_file():
        raise UsageError(f"--posterior: '{folder}' holds no posterior; expected the folder `lcsim calibrate --out` "
                         f"wrote, with {POSTERIOR_FILE} and {META_FILE}")
    meta = json.loads(meta_path.read_text())
    priors = [Prior(**p) for p in meta["priors"]]
    table = pd.read_parquet(table_path)
    known = {**_targets.TARGETS}
    chosen = {k: known[k] for k in meta.get("targets", {}) if k in known}
    return Posterior(table, priors, chosen, meta.get("info", {}))
