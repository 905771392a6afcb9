"""The figures of docs/calibration.md: the posterior (marginals, pairs), the predictive checks, and the
sensitivity (one at a time, Morris)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..validation.figures import error_bars, save
from .page_sensitivity import fmt_value
from .posterior import Posterior
from .problem import ROOT_SEED
from .targets import NOT_MEASURABLE

PAIRS = 8


def figures(post: Posterior, checks: pd.DataFrame, img: Path) -> None:
    import matplotlib.pyplot as plt
    import seaborn as sns


    img = Path(img)
    img.mkdir(parents=True, exist_ok=True)
    names = post.names
    sample = post.draw(2000, np.random.SeedSequence([ROOT_SEED, 7]))
    cols = 5
    rows = int(np.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.1 * cols, 2.5 * rows), squeeze=False)
    for ax, p in zip(axes.flat, post.priors):
        sns.histplot(sample[p.name], bins=20, stat="density", ax=ax, color="C0", log_scale=p.log)
        ax.axhline(0, color="black", lw=0.5)
        ax.set(xlim=(p.low, p.high), xlabel=p.name, ylabel="", title=f"{p.kind}", yticks=[])
    for ax in list(axes.flat)[len(names):]:
        ax.axis("off")
    fig.suptitle("posterior marginals over each prior's range (weighted resample)")
    save(fig, img, "calibration-posterior.png")
    # pairs of the PAIRS values the targets narrowed most (a pair grid grows with the square of the values)
    ratios = post.summary().set_index("name")["spread_ratio"].fillna(1.0)
    shown = [p for p in post.priors if p.name in set(ratios.nsmallest(PAIRS).index)]
    grid = sns.pairplot(sample[[p.name for p in shown]].sample(min(600, len(sample)), random_state=0), corner=True,
                        height=1.25, plot_kws={"s": 6, "alpha": 0.35, "edgecolor": "none"}, diag_kws={"bins": 15})
    for i, p in enumerate(shown):
        for j in range(i + 1):
            ax = grid.axes[i, j]
            if ax is None:
                continue
            ax.set_xlim(shown[j].low, shown[j].high)
            if i != j:
                ax.set_ylim(p.low, p.high)
    grid.figure.suptitle(f"posterior: pairs of the {len(shown)} values the targets narrowed most", y=1.01)
    grid.figure.savefig(img / "calibration-pairs.png", dpi=90, bbox_inches="tight")
    plt.close(grid.figure)
    measured = checks[checks["verdict"] != NOT_MEASURABLE]
    keys = list(dict.fromkeys(measured["target"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(keys) + 1.3))
    for i, key in enumerate(keys):
        t = measured[measured["target"] == key]
        band = t.iloc[0]
        ax.add_patch(plt.Rectangle((band["low"], i - 0.4), band["high"] - band["low"], 0.8, color="C2", alpha=0.2,
                                   lw=0))
        for offset, label, color in ((-0.15, "prior", "grey"), (0.15, "posterior", "C0")):
            r = t[t["check"] == label]
            if len(r):
                r = r.iloc[0]
                ax.errorbar(r["median"], i + offset, xerr=[[r["median"] - r["q025"]], [r["q975"] - r["median"]]],
                            fmt="o", color=color, capsize=3, label=label if i == 0 else None)
    ax.set_yticks(range(len(keys)), keys)
    ax.set(xlabel="statistic (green: the target's band)", title="predictive checks: median and 95% interval")
    ax.legend(loc="lower right", fontsize=8)
    save(fig, img, "calibration-checks.png")


def label(kind: str, name: str) -> str:
    return name if kind == "param" else f"{name} (assumption)"


def sensitivity_figures(table: pd.DataFrame, indices: pd.DataFrame | None, img: Path) -> None:
    import matplotlib.pyplot as plt

    img = Path(img)
    img.mkdir(parents=True, exist_ok=True)
    t = table.dropna(subset=["effect"]).copy()
    t["label"] = [label(k, n) for k, n in zip(t["kind"], t["name"])]
    t = t.assign(size=t["effect"].abs()).sort_values("size").tail(30)
    fig, ax = plt.subplots(figsize=(7.5, 0.28 * len(t) + 1.2))
    colors = np.where(t["kind"] == "param", "C0", "C1")
    labels = [f"{a} {fmt_value(h)} vs {fmt_value(lo)}" for a, h, lo in zip(t["label"], t["high"], t["low"])]
    ax.barh(labels, t["effect"], color=colors, xerr=error_bars(t["effect"], t["effect_low"], t["effect_high"]),
            capsize=2)
    ax.axvline(0, color="black", lw=0.8)
    ax.set(xlabel="survival(high) - survival(low), paired, 95% bootstrap",
           title="one at a time: 30 largest effects\n(blue: parameters, orange: assumptions)")
    save(fig, img, "calibration-oat.png")
    if indices is not None:
        part = indices[indices["output"] == "survived"].dropna(subset=["mu_star"])
        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        ax.scatter(part["mu_star"], part["sigma"])
        for _, r in part.iterrows():
            ax.annotate(r["parameter"], (r["mu_star"], r["sigma"]), fontsize=7, xytext=(3, 2),
                        textcoords="offset points")
        ax.set(xlabel="mu* (mean absolute elementary effect on survival)", ylabel="sigma (interactions, non-linearity)",
               title="Morris screening of survival (default scenario, phase_out)")
        save(fig, img, "calibration-morris.png")
