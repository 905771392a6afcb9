"""Live charts of the community's vital signs, one panel per question the room asks.

All panels share a fixed month axis (the whole horizon), so lines grow to the right instead
of the axes rescaling every month. The convener's exit month is marked in every panel; after
"Convener steps back now" the marker moves to the new exit and the convener's planned
intensity (dotted) drops from the current month.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from ..analysis.trajectories import HOST_COLOURS
from ..strategies import GRADUAL
from .canvas import LiveFigure

EXIT_COLOUR = "#c44e52"
HOST_LABELS = {"convener": "convener", "leader": "leader", "digital": "online"}
DISSOLVED_COLOUR = "#777777"


class Charts:
    """Five stacked panels: members, meetings by host, cross-sector ties, leaders, the convener.

    The figure, axes, titles and legends are built once per community; each month only the data
    and markers are redrawn (building five axes with their ticks costs more than drawing them).
    """

    def __init__(self, model, size: tuple[float, float] = (4.0, 6.4)) -> None:
        self.live = LiveFigure(size)
        self.fig = self.live.fig
        self.axes = axes = self.fig.subplots(5, 1, sharex=True)
        self.fig.subplots_adjust(left=0.11, right=0.97, top=0.96, bottom=0.06, hspace=0.5)
        titles = ("active members", "meetings by host", "share of ties across sectors",
                  "local leaders", "convener's intensity")
        for ax, title in zip(axes, titles):
            _style(ax, title)
            ax.set_xlim(0, model.p["months"])
        axes[2].set_ylim(0, 1.0)
        axes[4].set_ylim(0, 1.12)
        _legend(axes[1], handles=[Patch(color=c, label=HOST_LABELS.get(h, h)) for h, c in HOST_COLOURS.items()],
                handlelength=0.9)
        _legend(axes[4], handlelength=1.4, handles=[
            Line2D([], [], color="#111111", linewidth=1.5, label="so far"),
            Line2D([], [], color="#111111", linewidth=1.2, linestyle=":", label="plan"),
            Line2D([], [], color=HOST_COLOURS["leader"], linewidth=1.2, label="handed over")])
        axes[-1].set_xlabel("month", fontsize=8)

    def png(self, model) -> bytes:
        self.draw(model)
        # The limits that may grow decide when the axes and their ticks are rendered again.
        return self.live.png(key=tuple(ax.get_ylim() for ax in self.axes))

    def draw(self, model) -> Figure:
        self.live.clear()
        records, axes, p = model.records, self.axes, model.p
        months = np.array([r["month"] for r in records])

        def series(key):
            return np.array([r[key] for r in records], dtype=float)

        drawn = []
        members, leaders = series("active_members"), series("leaders")
        drawn += axes[0].plot(months, members, color="#333333", linewidth=1.5)
        axes[0].set_ylim(0, max(p["n_members"] * 1.25, members.max() * 1.1))
        drawn += _meetings(axes[1], records, p["n_members"])
        drawn += axes[2].plot(months, series("cross_sector_share"), color="#333333", linewidth=1.5)
        drawn += axes[3].plot(months, leaders, color="#333333", linewidth=1.5)
        axes[3].set_ylim(0, max(5.0, leaders.max() * 1.2))
        drawn += _convener(axes[4], model, months, series("convener_intensity"), series("handover"))
        drawn += _markers(axes, model)
        self.live.drawn = drawn
        return self.fig


def _markers(axes, model) -> list:
    """Now, the exit month, the month the trainer stepped back and the dissolution, in every panel."""
    horizon = model.p["months"]
    convener = model.convener
    plan = convener.plan
    exit_month = convener.exit_month if convener.exit_month is not None and convener.exit_month <= horizon else None
    stepped_back = convener.stepped_back_at is not None
    drawn = []
    for ax in axes:
        drawn.append(ax.axvline(model.month, color="#bbbbbb", linewidth=0.8, zorder=0))
        if exit_month is not None:
            drawn.append(ax.axvline(exit_month, color=EXIT_COLOUR, linestyle="--", linewidth=1.2))
        if stepped_back and plan.start != exit_month:
            drawn.append(ax.axvline(plan.start, color=EXIT_COLOUR, linestyle=":", linewidth=1.2))
        if model.dissolved_month is not None:
            drawn.append(ax.axvspan(model.dissolved_month, horizon, color=DISSOLVED_COLOUR, alpha=0.15,
                                    linewidth=0))
    if exit_month is not None:
        label = "exit (stepped back)" if stepped_back and plan.start == exit_month else "exit"
        drawn.append(_mark(axes[0], exit_month, label, EXIT_COLOUR))
    if stepped_back and plan.start != exit_month:
        drawn.append(_mark(axes[0], plan.start, "stepped back", EXIT_COLOUR, low=True))
    if model.dissolved_month is not None:
        drawn.append(_mark(axes[0], model.dissolved_month, "dissolved", "#444444", low=True))
    return drawn


def _mark(ax, month: int, label: str, colour: str, low: bool = False):
    return ax.annotate(label, xy=(month, 0.04 if low else 0.96), xycoords=("data", "axes fraction"),
                       xytext=(3, 0), textcoords="offset points", color=colour, fontsize=7.5,
                       va="bottom" if low else "top")


def _style(ax, title: str) -> None:
    ax.set_title(title, loc="left", fontsize=8.5, fontweight="bold", pad=2)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    ax.tick_params(labelsize=7, length=2)
    ax.grid(axis="y", color="#eeeeee", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _meetings(ax, records, n_members: int) -> list:
    """One bar per meeting, as tall as its attendance, coloured by who hosted it; pale if it missed quorum."""
    held = [r for r in records if r["meeting"]]
    ax.set_ylim(0, max([n_members] + [r["attendance"] for r in held]) * 1.15)
    if not held:
        return []
    bars = ax.bar([r["month"] for r in held], [r["attendance"] for r in held], width=0.9,
                  color=[to_rgba(HOST_COLOURS[r["host"]], 1.0 if r["quorate"] else 0.35) for r in held])
    return list(bars.patches)


def _convener(ax, model, months, intensity, handover) -> list:
    """What the convener did (solid), what it plans from now (dotted), and how far it handed over."""
    plan = model.convener.plan
    ahead = np.arange(model.month, model.p["months"] + 1)
    drawn = ax.plot(months, intensity, color="#111111", linewidth=1.5)
    drawn += ax.plot(ahead, [plan.intensity(m) for m in ahead], color="#111111", linewidth=1.2, linestyle=":")
    drawn.append(ax.scatter([model.month], [model.convener.intensity], s=14, color="#111111", zorder=3))
    if handover.any() or plan.strategy in GRADUAL:
        drawn += ax.plot(months, handover, color=HOST_COLOURS["leader"], linewidth=1.2)
    return drawn


def _legend(ax, **kw) -> None:
    """A one-line legend above the panel's right end, beside its title."""
    ax.legend(fontsize=6.5, loc="lower right", bbox_to_anchor=(1.0, 0.98), frameon=False, ncol=3,
              columnspacing=0.8, borderaxespad=0.0, borderpad=0.1, **kw)
