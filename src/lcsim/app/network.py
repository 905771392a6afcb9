"""The community's network as the room sees it: a layout that moves gently, drawn with matplotlib.

The layout is computed once when a community is built and then nudged a few force-directed
iterations per simulated month from the previous positions, with a small cap on how far any
member may move, so the picture drifts as ties form and fade instead of jumping every month.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

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
        inside = (ties.a < len(active)) & (ties.b < len(active))  # rows the layout has not placed pull nothing
        la, lb = local[ties.a[inside]], local[ties.b[inside]]
        keep = (la >= 0) & (lb >= 0)
        la, lb, weight = la[keep], lb[keep], ties.strength[inside][keep]
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
    """The picture of one community at one month, drawn from its `View`.

    Members are coloured by sector and sized by capacity (smaller dots in larger communities, so
    1,000 members do not cover each other); local leaders have a black ring; tie width follows
    strength, ties across sectors darker. Above `view.ALL_TIES_UP_TO` ties only each member's
    strongest few are drawn (the legend says so). While the convener is present it is the diamond
    at the hub, linked to the attendees of the latest meeting. A dissolved community is drawn as
    such: no members, no ties, and the month it dissolved. The title and legend are HTML on the
    page (they wrap instead of being clipped); the figure is built once and only its data are
    redrawn each month.
    """

    def __init__(self, size: tuple[int, int] = (500, 500), dpi: int = 100) -> None:
        self.live = LiveFigure((size[0] / dpi, size[1] / dpi), dpi=dpi)
        self.fig = self.live.fig
        self.ax = ax = self.fig.add_axes((0.0, 0.0, 1.0, 1.0))
        ax.set_xlim(-FRAME - 0.06, FRAME + 0.06)
        ax.set_ylim(-FRAME - 0.06, FRAME + 0.06)
        ax.set_aspect("equal")
        ax.axis("off")

    def png(self, view) -> bytes:
        self.draw(view)
        return self.live.png()

    def draw(self, view) -> Figure:
        self.live.clear()
        self.live.drawn = draw_group(self.ax, view.group, scale=marker_scale(view.n_members))
        if view.convener_present:
            self.live.drawn += draw_convener(self.ax, view.group)
        if not view.alive:
            self.live.drawn.append(self.ax.text(0, 0, f"dissolved at month {view.dissolved_month}\nno members, no ties",
                                                ha="center", va="center", fontsize=TEXT_PT + 3, color="#555555",
                                                linespacing=1.5))
        return self.fig


TEXT_PT = 11  # 11 pt at 100 dpi is 15 px: legible on a projector at 1280x720


def marker_scale(n_members: int) -> float:
    """Dots shrink with the square root of the community's size beyond 150 members."""
    return float(np.sqrt(150 / max(n_members, 150)))


def draw_group(ax, group, scale: float = 1.0, offset=(0.0, 0.0)) -> list:
    """Draw one community's members and ties on `ax`; returns the artists (removed next month).

    `offset` moves the group in the picture, so several communities can share one axes.
    """
    pos = group.pos + np.asarray(offset)
    a, b, strength = group.tie_a, group.tie_b, group.tie_strength
    drawn = []
    cross = group.sector[a] != group.sector[b]
    for mask, colour in ((~cross, "#9a9a9a"), (cross, "#3b3b5c")):
        segments = np.stack([pos[a[mask]], pos[b[mask]]], axis=1) if mask.any() else np.empty((0, 2, 2))
        widths = (0.3 + 2.4 * strength[mask]) * max(scale, 0.6)
        drawn.append(ax.add_collection(LineCollection(segments, linewidths=widths, colors=colour,
                                                      alpha=0.45 * max(scale, 0.6), zorder=1)))
    colours = np.array([SECTOR_COLOURS[s] for s in SECTORS])
    sizes = (12 + 110 * group.capacity) * scale**2 if len(group.rows) else np.empty(0)
    drawn.append(ax.scatter(pos[:, 0], pos[:, 1], s=sizes, c=colours[group.sector] if len(pos) else [],
                            edgecolors="white", linewidths=0.5 * scale, zorder=3))
    leaders = np.flatnonzero(group.leader)
    drawn.append(ax.scatter(pos[leaders, 0], pos[leaders, 1], s=sizes[leaders] + 60 * scale, facecolors="none",
                            edgecolors="black", linewidths=1.6, zorder=4))
    if group.host >= 0:
        drawn.append(ax.scatter(*pos[group.host], s=sizes[group.host] + 170 * scale, marker="*", facecolors="none",
                                edgecolors="black", linewidths=1.0, zorder=4))
    return drawn


def draw_convener(ax, group, at=CONVENER_AT) -> list:
    """The convener at the hub, with spokes to the latest meeting's attendees."""
    drawn = []
    attendees = group.attendees
    if len(attendees):
        spokes = np.stack([np.broadcast_to(at, (len(attendees), 2)), group.pos[attendees]], axis=1)
        # Fainter with more attendees: hundreds of spokes would hide the members they point at.
        alpha = 0.3 * min(1.0, 120 / len(attendees))
        drawn.append(ax.add_collection(LineCollection(spokes, linewidths=0.6, colors=SPOKE_COLOUR, alpha=alpha,
                                                      zorder=2)))
    drawn.append(ax.scatter(*at, s=260, marker="D", c="#111111", edgecolors="white", linewidths=1.5, zorder=5))
    drawn.append(ax.annotate("convener", at, xytext=(0, -19), textcoords="offset points", ha="center",
                             fontsize=TEXT_PT, zorder=6,
                             bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7)))
    return drawn


def title(view) -> str:
    """The picture's caption, e.g. "Month 34: 0 members, convener gone · dissolved at month 34"."""
    if view.convener_present:
        who = f"convener present ({view.convener_intensity:.0%})"
    else:
        who = "convener gone"
    fate = "" if view.alive else f" · dissolved at month {view.dissolved_month}"
    return (f"Month {view.month}: {plural(view.members, 'member')}, {plural(view.leaders, 'local leader')}, "
            f"{who}{fate}")


def legend_items() -> list[tuple[str, str, str]]:
    """(symbol, colour, label) for the legend the page writes under the picture."""
    items = [("●", SECTOR_COLOURS[s], SECTOR_LABELS[s]) for s in SECTORS]
    items += [("◯", "#111111", "local leader"), ("☆", "#111111", "host of last meeting"),
              ("◆", "#111111", "convener"), ("─", SPOKE_COLOUR, "convener to last meeting"),
              ("━", "#3b3b5c", "tie across sectors"), ("─", "#9a9a9a", "tie within a sector")]
    return items
