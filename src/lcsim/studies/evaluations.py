"""Evaluating plans: (plan, replicate) runs through the one executor, kept in a cache per configuration, and
the estimates read from them (survival with its Wilson interval, pairwise comparisons, the Pareto front)."""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from ..analysis.survival import wilson
from .fair import horizon
from .plans import plain, plan_key

CHUNK = 20  # runs per executor task
SAVE_SECONDS = 2.0  # the cache is rewritten whole: at most this often while runs come back


class Cache:
    """Every finished (plan, replicate) summary, in `out/evaluations/<hash of the inputs>.parquet`, so that
    rerunning the same advice reads them back instead of running them again. No folder: in memory only."""

    def __init__(self, out, inputs: dict):
        import hashlib
        import json

        self.results: dict[str, dict] = {}
        self.path = None
        if out is not None:
            digest = hashlib.sha256(json.dumps(inputs, sort_keys=True, default=str).encode()).hexdigest()[:16]
            from pathlib import Path

            self.path = Path(out) / "evaluations" / f"{digest}.parquet"

    def load(self) -> None:
        if self.path is None or not self.path.exists():
            return
        import json

        try:  # written whole and atomically: damage comes from outside, and is said, never silently dropped
            table = pd.read_parquet(self.path)
            self.results = {k: json.loads(v) for k, v in zip(table["key"], table["summary"], strict=True)}
        except Exception as err:
            from ..errors import UsageError

            raise UsageError(f"{self.path}: the stored evaluations cannot be read ({type(err).__name__}); "
                             "use --fresh to start this advice over") from None

    def add(self, results: dict) -> None:
        if not results:
            return
        self.results.update(results)
        if self.path is None:
            return
        import json

        from ..experiments.store import atomic_write

        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self.results)
        texts = [json.dumps({k: plain(v) for k, v in self.results[key].items()}, default=str) for key in keys]
        table = pd.DataFrame({"key": keys, "summary": texts})
        atomic_write(self.path, lambda tmp: table.to_parquet(tmp, index=False))


class Runner:
    """Runs (plan, replicate) pairs through the one executor (`lcsim.experiments.executor`), or through
    `evaluate`; keeps every run, and stores each finished one in the cache as it comes (at most every few
    seconds), so a dying worker costs nothing and a killed advice resumes."""

    def __init__(self, scenario, base, evaluate, workers, scheduler, cache=None, follow_up=None):
        self.scenario, self.base, self.evaluate = scenario, base, evaluate
        self.follow_up = follow_up  # each run lasts its plan's exit month + follow_up (studies.fair); None: base's
        self.workers, self.scheduler = workers, scheduler
        self.cache = cache if cache is not None else Cache(None, {})
        self.rows: list[dict] = []
        self.reused = 0
        self.executor = None

    def __enter__(self):
        self.cache.load()
        if self.evaluate is None:
            from ..experiments.executor import Executor

            self.executor = Executor(self.workers, self.scheduler).__enter__()
        return self

    def __exit__(self, *exc):
        if self.executor is not None:
            self.executor.__exit__(*exc)

    def run(self, plans, range_from: dict, upto: int, draws, seeds, tag: str = "r") -> None:
        tasks, meta, stored = [], {}, []
        for i, plan in plans:
            for r in range(range_from.get(i, 0), upto):
                rid = f"p{i:04d}-{tag}{r:04d}"
                params = {**plan, **draws[r]}
                if self.follow_up is not None:
                    params["months"] = horizon({**self.base, **params}, self.follow_up)
                key = plan_key(plan, tag, r)
                meta[rid] = (i, r, params, key)
                if key in self.cache.results:
                    stored.append((rid, self.cache.results[key]))
                else:
                    tasks.append((rid, seeds[r], params))
        self.reused += len(stored)
        found = dict(stored)
        found.update(self._evaluate(tasks, meta) if tasks else {})
        for rid, (i, r, params, _) in meta.items():
            summary = found.get(rid)
            row = {"run_id": rid, "plan": i, "replicate": r, "seed": seeds[r], **params}
            if isinstance(summary, str) or summary is None:
                row["error"] = summary or "failed"
            else:
                row.update(summary)
                row["error"] = None
                if self.follow_up is not None and "months_alive_after_exit" in summary:
                    # A trigger may fire before the backstop exit the horizon was set from: survival is read
                    # follow_up months after the month the convener actually left (studies.fair).
                    row["survived"] = bool(summary["survived"]) or summary["months_alive_after_exit"] > self.follow_up
            self.rows.append(row)

    def _evaluate(self, tasks, meta) -> dict:
        if self.evaluate is not None:
            found = dict(zip((rid for rid, _, _ in tasks), self.evaluate(tasks)))
            self.cache.add({meta[rid][3]: s for rid, s in found.items() if isinstance(s, dict)})
            return found
        import functools

        from ..experiments.worker import simulate_summary

        fn = functools.partial(simulate_summary, self.scenario, self.base)
        found, pending, saved = {}, {}, time.monotonic()
        for done in self.executor.run(fn, ((rid, (seed, params)) for rid, seed, params in tasks), chunk_size=CHUNK):
            for rid, summary, error in done:
                found[rid] = summary if error is None else error
                if error is None:
                    pending[meta[rid][3]] = summary
            if pending and time.monotonic() - saved > SAVE_SECONDS:
                self.cache.add(pending)
                pending, saved = {}, time.monotonic()
        self.cache.add(pending)
        return found

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def estimates(self, plans, done) -> pd.DataFrame:
        runs = self.frame()
        ok = runs[runs["error"].isna()]
        rows = []
        for i, n in done.items():
            part = ok[(ok["plan"] == i) & (ok["replicate"] < n)]
            s = int(part["survived"].astype(bool).sum())
            share, lo, hi = wilson(s, len(part))
            rows.append({"plan_index": i, **plans[i], "replicates": len(part), "survived": s, "survival": share,
                         "survival_lo": lo, "survival_hi": hi,
                         "convener_months": float(part["convener_months"].mean()) if len(part) else math.nan})
        return pd.DataFrame(rows).set_index("plan_index", drop=False).rename_axis(None)


def rank(table: pd.DataFrame, budget) -> list[int]:
    """Plan indices best first: within budget first, then survival (higher), then effort (lower)."""
    over = (table["convener_months"] > budget) if budget is not None else pd.Series(False, index=table.index)
    order = table.assign(_over=over.astype(int), _neg=-table["survival"]).sort_values(
        ["_over", "_neg", "convener_months", "plan_index"])
    return order.index.tolist()


def cheapest_alike(runs: pd.DataFrame, table: pd.DataFrame, finals: list[int]) -> list[int]:
    """`finals` (ranked best first) with the plan to recommend first: the one of least convener effort among
    those the runs cannot tell apart from the top one (paired on common replicates, `paired`), in the spirit
    of the one-standard-error rule (Breiman et al. 1984): a designer should not pay convener-months for a
    survival gain the evidence does not show. Ties in effort go to higher survival, then the lower index."""
    top = finals[0]
    alike = [i for i in finals if i == top or not paired(runs, i, top)["distinct"]]
    chosen = min(alike, key=lambda i: (float(table.loc[i, "convener_months"]), -float(table.loc[i, "survival"]), i))
    return [chosen, *[i for i in finals if i != chosen]]


def summary(table: pd.DataFrame, i: int, plans) -> dict:
    row = table.loc[i]
    return {"plan": dict(plans[i]), "plan_index": int(i), "survival": float(row["survival"]),
            "survival_lo": float(row["survival_lo"]), "survival_hi": float(row["survival_hi"]),
            "convener_months": float(row["convener_months"]), "replicates": int(row["replicates"])}


def paired(runs: pd.DataFrame, a: int, b: int) -> dict:
    """Survival of plan a minus plan b on their common replicates: mean, 95% t interval, McNemar exact p."""
    from scipy import stats
    from statsmodels.stats.contingency_tables import mcnemar

    ok = runs[runs["error"].isna()]
    x = ok[ok["plan"] == a].set_index("replicate")["survived"].astype(bool)
    y = ok[ok["plan"] == b].set_index("replicate")["survived"].astype(bool)
    common = x.index.intersection(y.index)
    x, y = x.loc[common].to_numpy(), y.loc[common].to_numpy()
    n = len(common)
    if a == b or n == 0:
        return {"difference": 0.0, "lo": 0.0, "hi": 0.0, "p": 1.0, "distinct": False, "replicates": n}
    d = x.astype(float) - y.astype(float)
    mean = float(d.mean())
    if n > 1 and d.std(ddof=1) > 0:
        half = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n))
    else:
        half = 0.0
    only_a, only_b = int((x & ~y).sum()), int((~x & y).sum())
    p = float(mcnemar([[0, only_a], [only_b, 0]], exact=True).pvalue) if only_a + only_b else 1.0
    return {"difference": mean, "lo": mean - half, "hi": mean + half, "p": p,
            "distinct": bool(p < 0.05 and (mean - half > 0 or mean + half < 0)), "replicates": n}


def pareto(table: pd.DataFrame, levers) -> pd.DataFrame:
    """The non-dominated plans: no other plan has higher survival at no more effort (or less effort at no
    lower survival). Sorted by effort."""
    t = table.dropna(subset=["survival", "convener_months"])
    s, e = t["survival"].to_numpy(), t["convener_months"].to_numpy()
    keep = []
    for k in range(len(t)):
        dominated = np.any((s >= s[k]) & (e <= e[k]) & ((s > s[k]) | (e < e[k])))
        keep.append(not dominated)
    front = t[np.array(keep, dtype=bool)] if len(t) else t
    cols = ["plan_index", *levers, "survival", "survival_lo", "survival_hi", "convener_months", "replicates"]
    front = front[cols].sort_values(["convener_months", "survival"])
    return front.drop_duplicates(subset=["survival", "convener_months"]).reset_index(drop=True)
