"""The figure of one run: how the community's vital signs move as the convener steps back."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files, not windows: the CLI runs on servers and in CI
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

PANELS = [
    ("active_members", "Active members"),
    ("attendance", "Meeting attendance"),
    ("leaders", "Local leaders"),
    ("cross_sector_share", "Cross-sector share of ties"),
    ("mean_engagement", "Mean engagement"),
    ("convener_intensity", "Convener intensity"),
]
HOST_COLOURS = {"convener": "#4c72b0", "leader": "#55a868", "digital": "#8172b2"}


ORIGIN_COLOURS = {"convened": "#4c72b0", "replicated": "#55a868"}


def members_by_community(ax, communities: pd.DataFrame) -> None:
    """One line per community: its members over the months it lived (convened blue, replicated
    green, dashed), so a programme's communities and its replications are seen side by side."""
    for (_, origin), rows in communities.groupby(["community", "origin"], sort=True):
        lived = rows[(rows["month"] >= rows["started"]) & (rows["alive"] | (rows["active_members"] > 0))]
        ax.plot(lived["month"], lived["active_members"], color=ORIGIN_COLOURS.get(origin, "#333333"),
                linestyle="-" if origin == "convened" else "--", linewidth=1.4 if origin == "convened" else 1.0)
        gone = rows[~rows["alive"]]
        if len(gone):
            ax.scatter(gone["month"].iloc[0], 0, marker="x", color=ORIGIN_COLOURS.get(origin, "#333333"), zorder=3)
    for origin, colour in ORIGIN_COLOURS.items():
        count = communities.loc[communities["origin"] == origin, "community"].nunique()
        if count:
            ax.plot([], [], color=colour, linestyle="-" if origin == "convened" else "--",
                    label=f"{count} {origin}")
    ax.legend(fontsize=8, loc="upper left")


def trajectory_figure(monthly: pd.DataFrame, exit_month: int, title: str = "",
                      communities: pd.DataFrame | None = None):
    """A grid of the run's trajectories with the exit month marked; meetings coloured by who hosted.
    With `communities` (the per-community months) of more than one community, the members panel
    draws each community's members (x: a community's dissolution)."""
    sns.set_theme(style="whitegrid", context="notebook")
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), sharex=True)
    several = communities is not None and communities["community"].nunique() > 1
    for ax, (column, label) in zip(axes.flat, PANELS):
        if column == "active_members" and several:
            members_by_community(ax, communities)
            ax.axvline(exit_month, color="#c44e52", linestyle="--", linewidth=1.2)
            ax.set_title("Members of each community")
            ax.set_ylabel("")
            continue
        sns.lineplot(data=monthly, x="month", y=column, ax=ax, color="#333333", linewidth=1.6)
        if column == "attendance":
            held = monthly[monthly["meeting"]]
            # "mixed": a programme's communities met that month under different kinds of host
            for host, colour in {**HOST_COLOURS, "mixed": "#999999"}.items():
                rows = held[held["host"] == host]
                if host == "mixed" and not len(rows):
                    continue
                ax.scatter(rows["month"], rows["attendance"], s=22, color=colour, zorder=3,
                           label=f"hosted by {host}" if host != "mixed" else "several kinds of host")
            ax.legend(fontsize=8, loc="upper right")
        ax.axvline(exit_month, color="#c44e52", linestyle="--", linewidth=1.2)
        ax.set_title(label)
        ax.set_ylabel("")
    dead = monthly.loc[~monthly["alive"], "month"]
    if len(dead):
        for ax in axes.flat:
            ax.axvspan(dead.iloc[0], monthly["month"].max(), color="#bbbbbb", alpha=0.25, linewidth=0)
    axes.flat[0].annotate("convener exits", xy=(exit_month, 1), xycoords=("data", "axes fraction"),
                          xytext=(3, -12), textcoords="offset points", color="#c44e52", fontsize=9)
    fig.suptitle(title or "Learning community trajectory (grey: dissolved)")
    fig.tight_layout()
    return fig
