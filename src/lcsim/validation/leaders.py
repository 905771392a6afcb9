"""Pattern P2's runs: the same community under different dynamics seeds, and who led in each.

A sweep run is (community, dynamics) from one seed; P2 needs the same community (members, traits,
first ties, convener) run again under new dynamics, so each task builds the community from its
seed, then `reset_rng`s the model to the dynamics seed. The tasks run through the one executor
(`lcsim.experiments.executor.execute`: worker processes started clean, or this process with 1 worker).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.stats import mannwhitneyu

DYNAMICS = 20  # dynamics seeds per community


def run_leaders(args) -> dict:
    """(params, seed, dyn): community `seed` run under dynamics seed `dyn`; who led, and who led first."""
    from ..model import LearningCommunity

    params, seed, dyn = args
    model = LearningCommunity(rng=seed, **params)
    n0 = len(model.members)
    propensity = model.members.propensity[:n0].copy()
    model.reset_rng(dyn)  # same members, traits, first ties and convener: new dynamics
    first = None
    for _ in range(model.p["months"]):
        before = model.members.leader[:n0].copy()
        model.step()
        new = np.flatnonzero(model.members.leader[:n0] & ~before)
        if first is None and len(new):
            first = int(new[0])  # ties broken by row; an observer must not draw from the model's generator
    led = sorted(r for r in model.leaders_ever if r < n0)
    return {"seed": seed, "dyn": dyn, "leaders": led, "late_leaders": len(model.leaders_ever) - len(led),
            "first": first, "propensity": propensity, "survived": model.alive}


def dynamics_seed(seed: int, k: int) -> int:
    """The k-th dynamics seed of community `seed`."""
    return int(np.random.SeedSequence(seed, spawn_key=(k,)).generate_state(1)[0])


def run_communities(params: dict, seeds: list[int], workers: int, dynamics: int = DYNAMICS) -> list[dict]:
    """Every community in `seeds` under `dynamics` dynamics seeds each, through the one executor."""
    from ..experiments.executor import execute

    tasks = [(params, s, dynamics_seed(s, k)) for s in seeds for k in range(dynamics)]
    return execute(run_leaders, tasks, workers=workers)


def measure(rows: list[dict]) -> pd.DataFrame:
    """Per community: overlap of leader sets across dynamics seeds, against chance and determinism."""
    rng = np.random.default_rng(1)
    out = []
    for seed, group in itertools.groupby(sorted(rows, key=lambda r: r["seed"]), key=lambda r: r["seed"]):
        group = list(group)
        prop = group[0]["propensity"]
        n0 = len(prop)
        sets = [set(r["leaders"]) for r in group]
        jac, null = [], []
        for a, b in itertools.combinations(sets, 2):
            if a | b:
                jac.append(len(a & b) / len(a | b))
                ra, rb = set(rng.choice(n0, len(a), replace=False)), set(rng.choice(n0, len(b), replace=False))
                null.append(len(ra & rb) / len(ra | rb))
        top = set(np.argsort(prop)[-max(1, n0 // 10):].tolist())
        led = [x for s in sets for x in s]
        firsts = pd.Series([r["first"] for r in group]).dropna()
        aucs = []
        for s in sets:
            if 0 < len(s) < n0:
                mask = np.zeros(n0, bool)
                mask[list(s)] = True
                aucs.append(mannwhitneyu(prop[mask], prop[~mask]).statistic / (mask.sum() * (~mask).sum()))
        out.append({"community": seed, "runs": len(group), "leaders": np.mean([len(s) for s in sets]),
                    "with_leader": np.mean([len(s) > 0 for s in sets]),
                    "jaccard": np.mean(jac) if jac else np.nan, "jaccard_chance": np.mean(null) if null else np.nan,
                    "modal_first": firsts.value_counts().iloc[0] / len(firsts) if len(firsts) else np.nan,
                    "first_is_top": (firsts == int(np.argmax(prop))).mean() if len(firsts) else np.nan,
                    "top_decile": np.mean([x in top for x in led]) if led else np.nan,
                    "auc": np.mean(aucs) if aucs else np.nan,
                    "distinct_leaders": len(set().union(*sets)), "survived": np.mean([r["survived"] for r in group])})
    return pd.DataFrame(out)
