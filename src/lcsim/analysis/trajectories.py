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


def trajectory_figure(monthly: pd.DataFrame, exit_month: int, title: str = ""):
    """A grid of the run's trajectories with the exit month marked; meetings coloured by who hosted."""
    sns.set_theme(style="whitegrid", context="notebook")
    fig, axes = plt.subplots(2, 3, figsize=(13, 6.5), sharex=True)
    for ax, (column, label) in zip(axes.flat, PANELS):
        sns.lineplot(data=monthly, x="month", y=column, ax=ax, color="#333333", linewidth=1.6)
        if column == "attendance":
            held = monthly[monthly["meeting"]]
            for host, colour in HOST_COLOURS.items():
                rows = held[held["host"] == host]
                ax.scatter(rows["month"], rows["attendance"], s=22, color=colour, label=f"hosted by {host}", zorder=3)
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
