"""Drawing and saving the validation figures (docs/img/validation-*.png): each pattern's (`figure_<key>`), and the
look and saving every validation and calibration figure shares."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.survival import wilson
from . import leaders
from .patterns import L1, L2, P1, P2, P3, P4, STRATEGIES, by_control
from .runs import alive_after_exit

DPI = 110


def error_bars(estimate, low, high) -> np.ndarray:
    """Error-bar lengths below and above, never negative (a bound can sit a rounding error past its estimate)."""
    return np.clip(np.vstack([np.asarray(estimate) - np.asarray(low), np.asarray(high) - np.asarray(estimate)]), 0,
                   None)


def theme(font_scale: float = 0.85) -> None:
    """The look of every validation and calibration figure."""
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="notebook", font_scale=font_scale)


def save(fig, img: Path, name: str) -> Path:
    import matplotlib.pyplot as plt

    img = Path(img)
    img.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(img / name, dpi=DPI)
    plt.close(fig)
    return img / name


def bar_axes(ax, table, title) -> None:
    """Survival with its 95% Wilson interval, one bar per (group, hue): `table` = [(group, hue, outcomes)]."""
    rows = []
    for group, hue, values in table:
        p, low, high = wilson(values.sum(), len(values))
        rows.append((group, hue, p, low, high))
    frame = pd.DataFrame(rows, columns=["group", "hue", "p", "low", "high"])
    groups, hues = list(dict.fromkeys(frame.group)), list(dict.fromkeys(frame.hue))
    width = 0.8 / len(hues)
    for k, h in enumerate(hues):
        sub = frame[frame.hue == h].set_index("group").reindex(groups)
        x = np.arange(len(groups)) + (k - (len(hues) - 1) / 2) * width
        ax.bar(x, sub.p, width, label=h, yerr=error_bars(sub.p, sub.low, sub.high), capsize=3)
    ax.set_xticks(np.arange(len(groups)), groups)
    ax.set(ylim=(0, 1.05), ylabel="survival", title=title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def bars(img: Path, name: str, table, title) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 3.8))
    bar_axes(ax, table, title)
    save(fig, img, name)


# -- each pattern's figure ---------------------------------------------------------------------------
def figure_p1(runs: pd.DataFrame, img) -> None:
    import matplotlib.pyplot as plt
    import seaborn as sns

    n = len(runs)
    horizon = int(runs["months"].iloc[0] - runs["exit_month"].iloc[0])
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    curve = alive_after_exit(runs, horizon)
    sns.lineplot(curve, x="months after exit", y="share alive", ax=axes[0], drawstyle="steps-post")
    axes[0].axhline(0.5, color="grey", ls=":", lw=1)
    axes[0].set(ylim=(0, 1.02), title=f"mexico-csa: communities alive after exit (n = {n})")
    counts = runs["replications"].value_counts().sort_index()
    sns.barplot(x=counts.index.astype(int), y=counts.to_numpy() / n, ax=axes[1], color="C2")
    axes[1].set(xlabel="replications per run", ylabel="share of runs", title="replications of the model")
    save(fig, img, P1.figure)


def figure_p2(per: pd.DataFrame, rows: list[dict], img, dynamics: int = leaders.DYNAMICS) -> None:
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    long = per.melt(value_vars=["jaccard_chance", "jaccard", "modal_first", "top_decile"], var_name="measure")
    long["measure"] = long["measure"].map({"jaccard_chance": "overlap if\nrandom", "jaccard": "overlap\n(Jaccard)",
                                           "modal_first": "same first\nleader",
                                           "top_decile": "leaders from\ntop decile"})
    sns.stripplot(long, x="measure", y="value", ax=axes[0], alpha=0.5, size=3)
    sns.pointplot(long, x="measure", y="value", ax=axes[0], color="black", linestyle="none", errorbar=("ci", 95))
    axes[0].axhline(1.0, color="grey", ls=":", lw=1)
    axes[0].set(ylim=(0, 1.05), xlabel="", ylabel="per community",
                title=f"same community, {dynamics} dynamics seeds (n = {len(per)})")
    pct = []
    for r in rows:
        ranks = r["propensity"].argsort().argsort() / (len(r["propensity"]) - 1)
        pct.extend(ranks[r["leaders"]].tolist())
    sns.histplot(x=pct, bins=20, stat="density", ax=axes[1], color="C1")
    axes[1].axhline(1.0, color="grey", ls=":", lw=1)
    axes[1].set(xlabel="leader's propensity percentile among members", ylabel="density (1 = no relation)",
                title="who leads: the tail, but spread")
    save(fig, img, P2.figure)


def figure_p3(runs: pd.DataFrame, l1_runs: pd.DataFrame, img) -> None:
    table = [("mexico-csa", "with channel" if d else "without", runs.loc[runs.digital_channel == d, "survived"])
             for d in (False, True)]
    for strategy in STRATEGIES:
        for d in (False, True):
            chosen = (l1_runs.exit_strategy == strategy) & (l1_runs.digital_channel == d)
            table.append((f"default\n{strategy}", "with channel" if d else "without", l1_runs.loc[chosen, "survived"]))
    bars(img, P3.figure, table, "survival at month 72 with and without the digital channel (95% Wilson)")


def figure_p4(runs: pd.DataFrame, img) -> None:
    import matplotlib.pyplot as plt
    import seaborn as sns

    exit_month = int(runs["exit_month"].iloc[0])
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    curve = runs.groupby("complementarity")["survived"].agg(["sum", "count"]).reset_index()
    est = np.array([wilson(s, n) for s, n in zip(curve["sum"], curve["count"])])
    axes[0].errorbar(curve["complementarity"], est[:, 0], yerr=error_bars(est[:, 0], est[:, 1], est[:, 2]),
                     marker="o", capsize=3)
    axes[0].set(ylim=(0, 1.02), xlabel="complementarity (0: all alike)", ylabel="survival at month 72",
                title="survival (95% Wilson)")
    sns.pointplot(runs, x="complementarity", y="cross_share_at_exit", ax=axes[1], native_scale=True,
                  errorbar=("ci", 95), color="C1")
    axes[1].set(ylim=(0, None), xlabel="complementarity (0: all alike)",
                ylabel=f"cross-sector share at month {exit_month}",
                title="cross-sector ties at exit (mean, 95% CI)")
    save(fig, img, P4.figure)


def figure_l1(runs: pd.DataFrame, style: pd.DataFrame, img) -> None:
    import matplotlib.pyplot as plt
    import seaborn as sns

    fig, axes = plt.subplots(1, 3, figsize=(15, 3.9), gridspec_kw={"width_ratios": [1.3, 1, 0.8]})
    table = []
    for d in (False, True):
        for s in ("stay", "phase_out", "phase_down", "phase_over"):
            g = runs.loc[(runs.exit_strategy == s) & (runs.digital_channel == d), "survived"]
            table.append((s, "with channel" if d else "without channel", g))
    bar_axes(axes[0], table, "default scenario: survival at month 72")
    strategies = list(STRATEGIES)
    curves = pd.concat([alive_after_exit(runs[(runs.exit_strategy == s) & ~runs.digital_channel.astype(bool)], 36)
                        .assign(strategy=s) for s in strategies])
    sns.lineplot(curves, x="months after exit", y="share alive", hue="strategy", hue_order=strategies, ax=axes[1],
                 drawstyle="steps-post")
    axes[1].set(ylim=(0, 1.02), title="default, no channel: alive after exit")
    found = by_control(style)
    xs = [c for c, _ in found]
    ys = np.array([[x.diff, x.low, x.high] for _, x in found])
    axes[2].errorbar(xs, ys[:, 0], yerr=error_bars(ys[:, 0], ys[:, 1], ys[:, 2]), marker="o", capsize=3)
    axes[2].axhline(0, color="black", lw=0.8)
    axes[2].set(xlabel="convener's control", ylabel="survival, phase_down - phase_out",
                title="taper vs abrupt exit, by convening style")
    save(fig, img, L1.figure)


def figure_l2(runs: pd.DataFrame, n: str, img) -> None:
    import matplotlib.pyplot as plt
    import seaborn as sns

    grid = runs.pivot_table(index="member_benefit", columns="resource_sharing", values="survived", aggfunc="mean")
    fig, ax = plt.subplots(figsize=(5.5, 4))
    sns.heatmap(grid.sort_index(ascending=False), annot=True, fmt=".2f", vmin=0, vmax=1, cmap="viridis", ax=ax,
                cbar_kws={"label": "survival at month 72"})
    ax.set(title=f"survival by benefit and resources (n = {n} each)")
    save(fig, img, L2.figure)


def figure_members(runs: pd.DataFrame, img: Path) -> None:
    """P5-P7's figures from their shared observed runs: attendance, post-exit hosting, tie retention."""
    import matplotlib.pyplot as plt

    from .members import BRIDGE_RETENTION, HIGH_ATTENDERS, LOW_ATTENDERS, TOP_HOST, spread

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    bins = np.linspace(0, 1, 41)
    ax.hist(spread(runs, "low_attender_share"), bins, alpha=0.7, label="a third of meetings or fewer")
    ax.hist(spread(runs, "high_attender_share"), bins, alpha=0.7, label="two thirds or more")
    ax.axvline(LOW_ATTENDERS, color="C0", ls="--")
    ax.axvspan(*HIGH_ATTENDERS, color="C1", alpha=0.08)
    ax.set(xlabel="share of participants (one value per run)", ylabel="runs",
           title="P5: attendance before the exit (dashed: low-attender target; band: high)")
    ax.legend(fontsize=8)
    save(fig, img, "validation-p5.png")

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.hist(spread(runs, "top_host_share_after_exit"), np.linspace(0, 1, 21), color="C2")
    ax.axvline(TOP_HOST, color="k", ls="--")
    ax.set(xlabel="share of member-hosted post-exit meetings held by the most frequent host", ylabel="runs",
           title=f"P6: hosting after the exit (dashed: {TOP_HOST:.1f}, the criterion's bound on the mean)")
    save(fig, img, "validation-p6.png")

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    both = runs[["bridge_retention", "embedded_retention"]].dropna()
    ax.scatter(both["bridge_retention"], both["embedded_retention"], s=10, alpha=0.6)
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8)
    ax.axvline(BRIDGE_RETENTION, color="k", ls="--")
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="bridges retained over the year before the exit",
           ylabel="embedded ties retained", title="P7: tie retention per run (dashed: bridge bound)")
    save(fig, img, "validation-p7.png")


def figure_l3(style: pd.DataFrame, img: Path) -> None:
    """L3: survival after an abrupt exit by the convener's control."""
    import matplotlib.pyplot as plt

    out = style[style["exit_strategy"] == "phase_out"]
    fig, ax = plt.subplots(figsize=(6.0, 3.4))
    bar_axes(ax, [(f"control {c:g}", "phase_out", g["survived"].astype(float)) for c, g in out.groupby("control")],
             "L3: survival after an abrupt exit, by the convener's control")
    save(fig, img, "validation-l3.png")
