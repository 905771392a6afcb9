"""The community's network as the room sees it: a layout that moves gently, drawn with matplotlib.

The layout is computed once when a community is built and then nudged a few force-directed
iterations per simulated month from the previous positions, with a small cap on how far any
member may move, so the picture drifts as ties form and fade instead of jumping every month.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..parameters import SECTORS
from .canvas import LiveFigure
from .live import plural

# Okabe-Ito colours: distinguishable for colour-blind viewers and on a projector.
SECTOR_COLOURS = {"cso": "#E69F00", "business": "#0072B2", "academia": "#009E73", "government": "#CC79A7"}
SECTOR_LABELS = {"cso": "civil society", "business": "business", "academia": "academia", "government": "government"}
SPOKE_COLOUR = "#c44e52"  # the convener's links to the latest meeting's attendees
CONVENER_AT = np.array([0.0, 0.0])  # the convener sits at the hub of the picture
FRAME = 1.0  # members stay inside [-FRAME, FRAME]^2, so the axes never rescale

INITIAL_ITERATIONS = 150
MONTHLY_ITERATIONS = 6
MONTHLY_STEP = 0.012  # largest move of one member in one iteration (frame units)
GRAVITY = 2.5
MOBILITY = 0.005  # displacement per unit of net force: near balance, members barely move
REPULSION_SAMPLE = 400  # above this many members, repel from a random sample (keeps a month O(n))


class NetworkLayout:
    """Positions of every member row (rows are never reused, so a row keeps its place)."""

    def __init__(self, seed: int = 0) -> None:
        self.rng = np.random.default_rng(seed)
        self.pos = np.empty((0, 2))
        self.month: int | None = None

    def update(self, model) -> np.ndarray:
        """Bring the layout up to the model's month and return the positions of all rows."""
        members, ties = model.members, model.ties
        first = self.month is None
        self._place_newcomers(members, ties)
        if first:
            self._relax(members.active, ties, INITIAL_ITERATIONS, step=0.08, cooling=True)
        elif model.month != self.month:
            # Catch up a few months at most: after a long jump the picture may move, but not fly.
            months = min(abs(model.month - self.month), 3)
            self._relax(members.active, ties, MONTHLY_ITERATIONS * months, step=MONTHLY_STEP)
        self.month = model.month
        return self.pos

    def _place_newcomers(self, members, ties) -> None:
        old, n = len(self.pos), len(members)
        if n == old:
            return
        new = np.arange(old, n)
        if old == 0:
            # Start each sector in its own part of the frame: the first ties are mostly within sectors.
            angle = 2 * np.pi * members.sector[new] / len(SECTORS) + self.rng.normal(0, 0.5, len(new))
            radius = 0.55 * np.sqrt(self.rng.random(len(new))) + 0.15
            placed = np.column_stack([np.cos(angle), np.sin(angle)]) * radius[:, None]
        else:
            # A newcomer was brought in by someone it knows: start next to that tie.
            anchor = _first_known(new, ties, old)
            placed = np.where((anchor >= 0)[:, None], self.pos[np.maximum(anchor, 0)],
                              self.rng.uniform(-0.6, 0.6, (len(new), 2)))
            placed = placed + self.rng.normal(0, 0.04, placed.shape)
        self.pos = np.vstack([self.pos, np.clip(placed, -FRAME, FRAME)])

    def _relax(self, active, ties, iterations: int, step: float, cooling: bool = False) -> None:
        """Fruchterman-Reingold iterations over the active members, ties pulling by strength."""
        rows = np.flatnonzero(active)
        m = len(rows)
        if m < 2:
            return
        local = np.full(len(active), -1)
        local[rows] = np.arange(m)
        la, lb = local[ties.a], local[ties.b]
        keep = (la >= 0) & (lb >= 0)
        la, lb, weight = la[keep], lb[keep], ties.strength[keep]
        x = self.pos[rows].copy()
        k = 0.9 * np.sqrt(4.0 * FRAME**2 / m)  # ideal distance: the frame shared out among members
        for it in range(iterations):
            others = x if m <= REPULSION_SAMPLE else x[self.rng.choice(m, REPULSION_SAMPLE, replace=False)]
            scale = 1.0 if m <= REPULSION_SAMPLE else m / REPULSION_SAMPLE
            # Repulsion k^2/d from every other member; x and y apart (two n x s arrays beat one n x s x 2).
            dx = x[:, 0:1] - others[:, 0]
            dy = x[:, 1:2] - others[:, 1]
            inverse = 1.0 / np.maximum(dx * dx + dy * dy, 1e-4)
            force = scale * k**2 * np.column_stack([(dx * inverse).sum(1), (dy * inverse).sum(1)])
            pull = x[la] - x[lb]
            pull *= (weight * np.sqrt((pull**2).sum(-1)) / k)[:, None]
            for axis in (0, 1):
                force[:, axis] += np.bincount(lb, pull[:, axis], m) - np.bincount(la, pull[:, axis], m)
            force -= GRAVITY * x  # loose members and fragments stay in the picture
            move = MOBILITY * force
            length = np.maximum(np.sqrt((move**2).sum(-1)), 1e-12)
            limit = step * (1.0 - it / iterations) if cooling else step
            x += move * (np.minimum(length, limit) / length)[:, None]
            np.clip(x, -FRAME, FRAME, out=x)
        self.pos[rows] = x


def _first_known(new: np.ndarray, ties, placed: int) -> np.ndarray:
    """For each new row, an already placed member it has a tie with (or -1)."""
    anchor = np.full(len(new), -1)
    index = {int(r): k for k, r in enumerate(new)}
    for a, b in zip(ties.a.tolist(), ties.b.tolist()):
        for me, other in ((a, b), (b, a)):
            k = index.get(me)
            if k is not None and anchor[k] < 0 and other < placed:
                anchor[k] = other
    return anchor


class NetworkPicture:
    """The picture of one community, redrawn each month.

    Members are coloured by sector and sized by capacity; local leaders have a black ring; tie
    width follows strength, with ties across sectors drawn darker. While the convener is present
    it is the diamond at the hub, linked to the attendees of the latest meeting. The figure, its
    axes and legend are built once: rebuilding them every month would cost more than the drawing.
    """

    def __init__(self, seed: int = 0, size: tuple[float, float] = (5.2, 5.4)) -> None:
        self.layout = NetworkLayout(seed)
        self.live = LiveFigure(size)
        self.fig = self.live.fig
        self.ax = ax = self.fig.add_axes((0.0, 0.1, 1.0, 0.84))
        ax.set_xlim(-FRAME - 0.08, FRAME + 0.08)
        ax.set_ylim(-FRAME - 0.08, FRAME + 0.08)
        ax.set_aspect("equal")
        ax.axis("off")
        self.fig.legend(handles=_legend_handles(), loc="lower center", ncol=3, fontsize=7.5, frameon=False,
                        handletextpad=0.3, columnspacing=0.9)

    def png(self, model) -> bytes:
        self.draw(model)
        return self.live.png(moving=[self.ax.title])

    def draw(self, model) -> Figure:
        self.live.clear()
        ax, pos = self.ax, self.layout.update(model)
        members, ties, convener = model.members, model.ties, model.convener
        a, b, strength = ties.a, ties.b, ties.strength
        n = min(len(pos), len(members))
        keep = (a < n) & (b < n)  # a newcomer added while drawing has no position yet
        a, b, strength = a[keep], b[keep], strength[keep]
        active = np.flatnonzero(members.active[:n])
        sector = members.sector[:n]
        drawn = []

        cross = sector[a] != sector[b]
        for mask, colour in ((~cross, "#9a9a9a"), (cross, "#3b3b5c")):
            segments = np.stack([pos[a[mask]], pos[b[mask]]], axis=1)
            drawn.append(ax.add_collection(LineCollection(segments, linewidths=0.3 + 2.4 * strength[mask],
                                                          colors=colour, alpha=0.45, zorder=1)))
        attendees = getattr(model, "last_attendees", np.empty(0, np.int64))
        attendees = attendees[attendees < n]
        attendees = attendees[members.active[attendees]]
        if convener.present and len(attendees):
            spokes = np.stack([np.broadcast_to(CONVENER_AT, (len(attendees), 2)), pos[attendees]], axis=1)
            drawn.append(ax.add_collection(LineCollection(spokes, linewidths=0.6, colors=SPOKE_COLOUR, alpha=0.3,
                                                          zorder=2)))

        colours = np.array([SECTOR_COLOURS[s] for s in SECTORS])
        sizes = 12 + 110 * members.capacity[:n]
        drawn.append(ax.scatter(pos[active, 0], pos[active, 1], s=sizes[active], c=colours[sector[active]],
                                edgecolors="white", linewidths=0.5, zorder=3))
        leaders = active[members.leader[active]]
        drawn.append(ax.scatter(pos[leaders, 0], pos[leaders, 1], s=sizes[leaders] + 60, facecolors="none",
                                edgecolors="black", linewidths=1.6, zorder=4))
        host = getattr(model, "last_host", None)
        if host is not None and host.local and host.row < n and members.active[host.row]:
            drawn.append(ax.scatter(*pos[host.row], s=sizes[host.row] + 170, marker="*", facecolors="none",
                                    edgecolors="black", linewidths=1.0, zorder=4))
        if convener.present:
            drawn.append(ax.scatter(*CONVENER_AT, s=260, marker="D", c="#111111", edgecolors="white",
                                    linewidths=1.5, zorder=5))
            drawn.append(ax.annotate("convener", CONVENER_AT, xytext=(0, -17), textcoords="offset points",
                                     ha="center", fontsize=8, zorder=6,
                                     bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7)))
        ax.set_title(_title(model, len(active), len(leaders)), fontsize=10)
        self.live.drawn = drawn
        return self.fig


def _title(model, active: int, leaders: int) -> str:
    convener = model.convener
    if convener.present:
        who = f"convener present ({convener.intensity:.0%})"
    else:
        who = "convener gone"
    fate = "" if model.alive else f" · dissolved at month {model.dissolved_month}"
    return f"Month {model.month}: {plural(active, 'member')}, {plural(leaders, 'local leader')}, {who}{fate}"


def _legend_handles() -> list:
    def dot(colour, label, **kw):
        return Line2D([], [], marker=kw.pop("marker", "o"), linestyle="", markerfacecolor=colour,
                      markeredgecolor=kw.pop("edge", "white"), markersize=kw.pop("size", 7), label=label, **kw)

    handles = [dot(SECTOR_COLOURS[s], SECTOR_LABELS[s]) for s in SECTORS]
    handles += [
        dot("none", "local leader", edge="black", markeredgewidth=1.6, size=9),
        dot("none", "host of last meeting", marker="*", edge="black", size=11),
        dot("#111111", "convener", marker="D"),
        Line2D([], [], color=SPOKE_COLOUR, linewidth=1.2, alpha=0.6, label="convener to last meeting"),
        Line2D([], [], color="#3b3b5c", linewidth=1.8, label="tie across sectors"),
    ]
    return handles
