"""Live charts of the community's vital signs, one panel per question the room asks.

All panels share a fixed month axis (the whole horizon), so lines grow to the right instead
of the axes rescaling every month. The convener's exit month is marked in every panel; after
"Convener steps back now" the marker moves to the new exit and the convener's planned
intensity (dotted) drops from the current month. With two runs (two plans, or a branch) their
lines are overlaid, one colour each. Tie measures of a community with no members are NaN in the
model's records and are drawn as gaps, so a dissolved community's lines stop instead of climbing.
The charts draw `View`s (view.py), never a live model.
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..analysis.trajectories import HOST_COLOURS
from ..strategies import GRADUAL
from .canvas import LiveFigure

EXIT_COLOUR = "#c44e52"
HOST_LABELS = {"convener": "convener", "leader": "leader", "digital": "online"}
DISSOLVED_COLOUR = "#777777"
RUN_COLOURS = ("#222222", "#D55E00")  # run A, run B (Okabe-Ito vermillion: not a sector colour)
TEXT_PT = 11  # every text on the charts: 11 pt at 100 dpi is 15 px at 1280x720
TITLES = ("active members", "meetings by host", "share of ties across sectors", "local leaders",
          "convener's intensity")
TITLES_TWO = ("active members", "meetings hosted locally (share)", "share of ties across sectors",
              "local leaders", "convener's intensity")


FOUNDED_COLOUR = "#2f7d32"  # communities founded by members (the picture's founder lines)


def notes(runs: int, programme: bool = False) -> list[tuple[str, str, str]]:
    """The charts' legend, as (symbol, colour, label), written as HTML under them (it wraps; a legend
    inside the figure would cover the panel titles at a projector's font size)."""
    if runs == 1:
        items = [("■", HOST_COLOURS[h], {"convener": "convener hosts", "leader": "leader hosts",
                                         "digital": "online"}[h]) for h in HOST_COLOURS]
        items += [("■", "#c9c9c9", "pale: no quorum"), ("┅", "#111111", "plan"),
                  ("─", HOST_COLOURS["leader"], "handover")]
    else:
        items = [("─", RUN_COLOURS[0], "A"), ("╌", RUN_COLOURS[1], "B (dashed)"), ("┅", "#111111", "plan"),
                 ("╌", "#777777", "handover")]
    items += [("┆", EXIT_COLOUR if runs == 1 else "#777777", "exit"), ("▒", "#bbbbbb", "dissolved")]
    if programme:
        items += [("─", "#333333", "convened"), ("─", FOUNDED_COLOUR, "founded")]
    return items


class Charts:
    """Five stacked panels: members, meetings by host, cross-sector ties, leaders, the convener.

    `runs` is 1 (one community) or 2 (overlaid). The figure, axes, titles and legends are built once;
    each month only the data and markers are redrawn (building five axes costs more than drawing).
    """

    def __init__(self, horizon: int, size: tuple[int, int] = (450, 580), runs: int = 1, dpi: int = 100,
                 programme: bool = False) -> None:
        self.live = LiveFigure((size[0] / dpi, size[1] / dpi), dpi=dpi)
        self.fig = self.live.fig
        self.runs = runs
        self.programme = programme
        panels = 6 if programme else 5
        self.axes = axes = self.fig.subplots(panels, 1, sharex=True)
        height = size[1] / dpi
        # Margins in inches, so the month axis and the titles keep their room at any figure height.
        self.fig.subplots_adjust(left=0.55 / (size[0] / dpi), right=0.97, top=1 - 0.24 / height,
                                 bottom=0.5 / height, hspace=0.75 * 5.8 / height * (1.45 if programme else 1))
        titles = (TITLES if runs == 1 else TITLES_TWO) + (("communities meeting",) if programme else ())
        for ax, text in zip(axes, titles):
            _style(ax, text)
            ax.set_xlim(0, horizon)
        axes[1].set_ylim(0, 1.05) if runs > 1 else None
        axes[2].set_ylim(0, 1.05)
        axes[4].set_ylim(0, 1.15)
        axes[-1].set_xlabel("month", fontsize=TEXT_PT, labelpad=1)

    def png(self, views) -> bytes:
        self.draw(views)
        # The limits that may grow decide when the axes and their ticks are rendered again.
        return self.live.png(key=tuple(ax.get_ylim() for ax in self.axes))

    def draw(self, views) -> Figure:
        self.live.clear()
        axes = self.axes
        drawn = []
        tops = {0: views[0].n_members * 1.25, 1: views[0].n_members, 3: 5.0, 5: 3.0}
        for k, view in enumerate(views):
            colour = RUN_COLOURS[k] if self.runs > 1 else "#333333"
            # B dashed, so A shows through where the two runs agree
            line = {"color": colour, "linewidth": 1.8, "linestyle": "-" if k == 0 else (0, (4, 2))}
            history = view.history
            months = np.array([r["month"] for r in history])

            def series(key, history=history):
                return np.array([r[key] for r in history], dtype=float)

            members, leaders = series("active_members"), series("leaders")
            drawn += axes[0].plot(months, members, **line)
            tops[0] = max(tops[0], np.nanmax(members) * 1.1)
            if self.runs == 1:
                bars, top = _meetings(axes[1], history)
                drawn += bars
                tops[1] = max(tops[1], top)
            else:
                drawn += axes[1].plot(months, _until_dissolved(series("local_hosting_share"), view), **line)
            drawn += axes[2].plot(months, series("cross_sector_share"), **line)
            drawn += axes[3].plot(months, leaders, **line)
            tops[3] = max(tops[3], np.nanmax(leaders) * 1.2)
            drawn += _convener(axes[4], view, months, series("convener_intensity"), series("handover"), line,
                               plan_line=self.runs == 1 or view.convener_present)
            if self.programme:
                alive = np.array(view.communities_alive, dtype=float).reshape(-1, 2)
                at = np.arange(len(alive))
                drawn += axes[5].plot(at, alive[:, 0], **line)
                founded = {**line, "color": FOUNDED_COLOUR if self.runs == 1 else colour, "linewidth": 1.4}
                drawn += axes[5].plot(at, alive[:, 1], **founded)
                if len(alive):
                    tops[5] = max(tops[5], alive.max() * 1.2)
            drawn += _markers(axes, view, colour if self.runs > 1 else EXIT_COLOUR, first=k == 0)
        if self.programme:
            axes[5].set_ylim(0, tops[5])
        axes[0].set_ylim(0, tops[0])
        if self.runs == 1:
            axes[1].set_ylim(0, tops[1] * 1.15)
        axes[3].set_ylim(0, tops[3])
        self.live.drawn = drawn
        return self.fig

    def smallest_text_px(self) -> float:
        """The smallest font on the figure, in the PNG's pixels (the browser test scales it as shown)."""
        return min_text_px(self.fig)


def min_text_px(fig) -> float:
    sizes = [t.get_fontsize() for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))
             if t.get_text() and t.get_visible()]
    return min(sizes) * fig.dpi / 72


def _until_dissolved(values: np.ndarray, view) -> np.ndarray:
    """A share that has no meaning once the community has dissolved: a gap from then on."""
    if view.dissolved_month is not None:
        values = values.copy()
        values[view.dissolved_month:] = np.nan
    return values


def _markers(axes, view, colour: str, first: bool) -> list:
    """Now, the exit month, the month the trainer stepped back and the dissolution, in every panel."""
    horizon = view.horizon
    plan = view.plan
    exit_month = view.exit_month if view.exit_month is not None and view.exit_month <= horizon else None
    stepped_back = view.stepped_back_at is not None
    drawn = []
    for ax in axes:
        if first:
            drawn.append(ax.axvline(view.month, color="#bbbbbb", linewidth=0.8, zorder=0))
        if exit_month is not None:
            drawn.append(ax.axvline(exit_month, color=colour, linestyle="--", linewidth=1.2))
        if view.dissolved_month is not None:
            drawn.append(ax.axvspan(view.dissolved_month, horizon, color=colour if not first else DISSOLVED_COLOUR,
                                    alpha=0.12, linewidth=0))
    if exit_month is not None and first:
        label = "exit (stepped back)" if stepped_back and plan.start == exit_month else "exit"
        drawn.append(_mark(axes[0], exit_month, label, colour))
    if view.triggered_at is not None and view.triggered_at <= horizon:
        drawn.append(_mark(axes[0], view.triggered_at, "signpost held", colour, low=True))
    elif stepped_back and plan.start != exit_month:
        drawn.append(_mark(axes[0], plan.start, "stepped back", colour, low=True))
    if view.dissolved_month is not None:
        drawn.append(_mark(axes[3], view.dissolved_month, "dissolved", "#444444" if first else colour,
                           low=not first))
    return drawn


def _mark(ax, month: int, label: str, colour: str, low: bool = False):
    # Labels left of the line once past mid-run, so they never run off the figure's right edge.
    right = month > ax.get_xlim()[1] * 0.6
    return ax.annotate(label, xy=(month, 0.08 if low else 0.92), xycoords=("data", "axes fraction"),
                       xytext=(-3 if right else 3, 0), textcoords="offset points", color=colour, fontsize=TEXT_PT,
                       va="bottom" if low else "top", ha="right" if right else "left",
                       bbox=dict(boxstyle="square,pad=0.05", fc="white", ec="none", alpha=0.75))


def _style(ax, title: str) -> None:
    ax.set_title(title, loc="left", fontsize=TEXT_PT, fontweight="bold", pad=2)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=2, integer=False, steps=[1, 2, 5, 10]))
    ax.tick_params(labelsize=TEXT_PT, length=2, pad=1)
    ax.grid(axis="y", color="#eeeeee", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _meetings(ax, history) -> tuple[list, float]:
    """One bar per meeting, as tall as its attendance, coloured by who hosted it; pale if it missed quorum."""
    held = [r for r in history if r["meeting"]]
    if not held:
        return [], 0.0
    bars = ax.bar([r["month"] for r in held], [r["attendance"] for r in held], width=0.9,
                  color=[to_rgba(HOST_COLOURS.get(r["host"], "#999999"), 1.0 if r["quorate"] else 0.35) for r in held])
    return list(bars.patches), float(max(r["attendance"] for r in held))


def _convener(ax, view, months, intensity, handover, line: dict, plan_line: bool) -> list:
    """What the convener did (solid), what it plans from now (dotted), and how far it handed over."""
    plan, colour = view.plan, line["color"]
    drawn = ax.plot(months, intensity, **line)
    if plan_line:
        ahead = np.arange(view.month, view.horizon + 1)
        drawn += ax.plot(ahead, [plan.intensity(m) for m in ahead], color=colour, linewidth=1.2, linestyle=":")
    drawn.append(ax.scatter([view.month], [view.convener_intensity], s=16, color=colour, zorder=3))
    if handover.any() or plan.strategy in GRADUAL:
        drawn += ax.plot(months, handover, color=HOST_COLOURS["leader"] if colour == "#333333" else colour,
                         linewidth=1.2, alpha=0.7 if colour != "#333333" else 1.0, linestyle="-.")
    return drawn
