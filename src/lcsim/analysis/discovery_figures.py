"""Scenario discovery's words and figures: how to say the cases of interest, numbers and quasi-p-values, and
the three figures (PRIM's peeling trade-off, the chosen box's limits, the CART tree) of a `Discovery`."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

TREE_DEPTH = 3  # levels of the CART tree drawn (the rules come from the whole tree)
FIGURES = ("discovery-tradeoff.png", "discovery-box.png", "discovery-tree.png")


def words_for(outcome: str, target: str) -> dict:
    """How to say the cases of interest: subject ("communities collapse"), cases ("collapses"), verbs."""
    if outcome == "survived":
        if target == "collapse":
            return {"subject": "communities collapse", "cases": "collapses", "verb": "collapse",
                    "verb_past": "collapsed", "Subject": "Communities collapse"}
        return {"subject": "communities survive", "cases": "survivals", "verb": "survive",
                "verb_past": "survived", "Subject": "Communities survive"}
    value = target == "survival"
    return {"subject": f"runs end with {outcome} {value}", "cases": f"runs with {outcome} {value}",
            "verb": f"end with {outcome} {value}", "verb_past": f"with {outcome} {value}",
            "Subject": f"Runs end with {outcome} {value}"}


def number_text(value: float, whole: bool) -> str:
    """A limit as people write it: whole numbers whole, others to three decimals (or significant figures)."""
    if whole:
        return f"{int(round(value))}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.3g}"
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def p_text(value: float) -> str:
    if pd.isna(value):
        return "-"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def draw_figures(d, tree) -> dict:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = {FIGURES[0]: tradeoff_figure(d), FIGURES[1]: box_figure(d), FIGURES[2]: tree_figure(d, tree)}
    for fig in figures.values():
        plt.close(fig)  # detached: they save and display, pyplot no longer holds them
    return figures


def tradeoff_figure(d):
    """PRIM's peeling trade-off: coverage against density per step, coloured by inputs restricted."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm

    words = words_for(d.outcome, d.target)
    t = d.trajectory
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    top = max(int(t["restricted"].max()), 1)
    cmap = plt.get_cmap("viridis", top + 1)
    norm = BoundaryNorm(np.arange(-0.5, top + 1.5), cmap.N)
    points = ax.scatter(t["coverage"], t["density"], c=t["restricted"], cmap=cmap, norm=norm, s=28, zorder=3)
    bar = fig.colorbar(points, ax=ax, ticks=range(top + 1))
    bar.set_label("inputs the box restricts")
    ax.axhline(d.base_rate, color="#888888", linestyle=":", linewidth=1)
    ax.annotate(f"whole sweep: {d.base_rate:.0%}", (0.02, d.base_rate), xycoords=("axes fraction", "data"),
                textcoords="offset points", xytext=(0, 4), fontsize=8, color="#555555")
    ax.scatter([d.coverage], [d.density], s=220, facecolors="none", edgecolors="#c44e52", linewidths=2, zorder=4)
    ax.annotate(f"chosen box (step {d.chosen}):\n{d.coverage:.0%} of {words['cases']},\n"
                f"{d.density:.0%} of its runs {words['verb']}", (d.coverage, d.density), textcoords="offset points",
                xytext=(-120, -48), fontsize=9, color="#c44e52",
                arrowprops=dict(arrowstyle="->", color="#c44e52"))
    ax.set_xlabel(f"coverage: share of all {words['cases']} inside the box")
    ax.set_ylabel(f"density: share of the box's runs that {words['verb']}")
    ax.set_xlim(-0.02, 1.04)
    ax.set_ylim(min(d.base_rate, t["density"].min()) - 0.05, 1.04)
    ax.grid(alpha=0.3)
    ax.set_title("PRIM peeling: smaller boxes are denser but catch fewer cases", fontsize=11)
    fig.tight_layout()
    return fig


def box_figure(d):
    """The chosen box's limits on each input, against the range the sweep covered."""
    import matplotlib.pyplot as plt

    rows = d.limits
    fig, ax = plt.subplots(figsize=(8.5, 0.6 * len(rows) + 1.8))
    for i, r in enumerate(rows.itertuples()):
        yy = len(rows) - 1 - i
        colour = "#c44e52" if r.restricted else "#8c8c8c"
        if r.kind == "choice":
            every = r.sweep_range.split(", ")
            kept = set(r.levels.split(", "))
            width = 1 / len(every)
            for j, level in enumerate(every):
                inside = level in kept
                ax.barh(yy, width * 0.92, left=j * width, height=0.5, color=colour if inside else "#eeeeee",
                        edgecolor="#999999")
                ax.text(j * width + width * 0.46, yy, level, ha="center", va="center", fontsize=8,
                        color="white" if inside and r.restricted else "#333333")
        else:
            span = (r.sweep_high - r.sweep_low) or 1.0
            lo, hi = (r.low - r.sweep_low) / span, (r.high - r.sweep_low) / span
            ax.barh(yy, 1, left=0, height=0.5, color="#eeeeee", edgecolor="#bbbbbb")
            ax.barh(yy, max(hi - lo, 0.005), left=lo, height=0.5, color=colour, alpha=0.9 if r.restricted else 0.5)
            whole = r.kind == "integer"
            ax.text(-0.01, yy, number_text(r.sweep_low, whole), ha="right", va="center", fontsize=8, color="#555555")
            ax.text(1.01, yy, number_text(r.sweep_high, whole), ha="left", va="center", fontsize=8, color="#555555")
        qp = np.nanmin([r.qp_low, r.qp_high]) if r.restricted and not (pd.isna(r.qp_low) and pd.isna(r.qp_high)) \
            else math.nan
        label = r.reading if r.restricted else "not restricted"
        if not pd.isna(qp):
            label += f"  (quasi-p {p_text(qp)})"
        ax.text(1.09, yy, label, ha="left", va="center", fontsize=8.5, color=colour)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([n.removeprefix("assumptions.") for n in rows["input"]][::-1])
    ax.set_xlim(-0.08, 1.75)
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    words = words_for(d.outcome, d.target)
    ax.set_title(f"The box where {words['subject']}: {d.coverage:.0%} of {words['cases']}, "
                 f"{d.density:.0%} of its runs {words['verb']}\n(red: the box's range on each input; grey: the "
                 "range the sweep covered)", fontsize=10)
    fig.tight_layout()
    return fig


def tree_figure(d, tree):
    """The CART tree's first levels: each node's share of runs that are cases of interest."""
    import matplotlib.pyplot as plt
    from sklearn.tree import plot_tree

    words = words_for(d.outcome, d.target)
    depth = min(TREE_DEPTH, tree.clf.get_depth())
    fig, ax = plt.subplots(figsize=(min(4 + 3.2 * 2 ** max(depth - 1, 0), 22), 2.2 * depth + 2.5))
    plot_tree(tree.clf, max_depth=TREE_DEPTH, feature_names=[str(f) for f in tree.feature_names],
              class_names=["other runs", words["cases"]], filled=True, proportion=True,
              impurity=False, rounded=True, fontsize=8, ax=ax)
    ax.set_title(f"CART decision tree: where {words['subject']} (value = shares of [other runs, {words['cases']}]; "
                 f"first {TREE_DEPTH} levels)", fontsize=10)
    fig.tight_layout()
    return fig
