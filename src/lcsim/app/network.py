"""The community's network as the room sees it: a layout that moves gently, drawn with matplotlib.

The layout is computed once when a community is built and then nudged a few force-directed
iterations per simulated month from the previous positions, with a small cap on how far any
member may move, so the picture drifts as ties form and fade instead of jumping every month.
"""

from __future__ import annotations

from types import SimpleNamespace

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


class _Members:
    """One community's organisations, as `NetworkLayout` reads a member table (local rows 0..n-1)."""

    def __init__(self, active: np.ndarray, sector: np.ndarray) -> None:
        self.active, self.sector = active, sector

    def __len__(self) -> int:
        return len(self.active)


class ProgrammeLayout:
    """One `NetworkLayout` per community of a programme, over the community's own rows (`Community.rows`
    only grows, by higher rows, so a local row keeps its place). A community that was the whole picture
    before the programme had several starts from where the one-community picture had it."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.layouts: dict[int, NetworkLayout] = {}

    def update(self, model, start: NetworkLayout | None = None) -> dict[int, np.ndarray]:
        members, ties = model.members, model.ties
        n = len(members)
        a, b, strength = np.asarray(ties.a), np.asarray(ties.b), np.asarray(ties.strength, float)
        out = {}
        for c in model.communities:
            layout = self.layouts.get(c.index)
            if layout is None:
                layout = self.layouts[c.index] = NetworkLayout(self.seed * 1009 + 17 * c.index + 1)
                if start is not None and start.month is not None and c.index == 0:
                    placed = int(np.searchsorted(c.rows, len(start.pos)))  # rows the old picture placed
                    layout.pos, layout.month = start.pos[c.rows[:placed]].copy(), start.month
            rows = c.rows
            local = np.full(n, -1)
            local[rows] = np.arange(len(rows))
            la, lb = local[a], local[b]
            keep = (la >= 0) & (lb >= 0)
            sub = SimpleNamespace(members=_Members(c.current & members.active[rows] if c.alive else
                                                   np.zeros(len(rows), bool), members.sector[rows]),
                                  ties=SimpleNamespace(a=la[keep], b=lb[keep], strength=strength[keep]),
                                  month=model.month)
            out[c.index] = layout.update(sub)
        return out


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
        if view.programme:
            self.live.drawn = draw_programme(self.ax, view)
            return self.fig
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


LINK_COLOUR = "#2f7d32"  # a founder's line to the community it came from
HULL_COLOURS = {"convened": "#f1f1f1", "replicated": "#e9f3e9"}


def draw_programme(ax, view) -> list:
    """Every community in its own region: a light box with its number (and, if founded by a member,
    the number of the community its founder came from), its members and ties, the convener at the
    centre of each convened community it still convenes, a dot inside organisations that are in more
    than one community, and a line from each founder to where it is in its parent community."""
    from matplotlib.patches import FancyBboxPatch

    drawn = []
    groups = {g.index: g for g in view.groups}
    size = 2 * FRAME / max(1, int(np.ceil(np.sqrt(len(groups)))))  # a region's width
    scale = marker_scale(view.n_members) * float(np.clip(size / 1.4, 0.45, 1.0))
    for g in view.groups:
        (cx, cy), (w, h) = g.region
        drawn.append(ax.add_patch(FancyBboxPatch((cx - w / 2 + 0.03, cy - h / 2 + 0.03), w - 0.06, h - 0.06,
                                                 boxstyle="round,pad=0,rounding_size=0.04", linewidth=0.8,
                                                 facecolor=(HULL_COLOURS.get(g.origin, "#f1f1f1") if g.alive
                                                            else "white"),
                                                 edgecolor="#cccccc", linestyle="-" if g.alive else "--", zorder=0)))
        label = str(g.index + 1) if g.origin == "convened" else f"{g.index + 1} ← {g.parent + 1}"
        if not g.alive:
            label += " ended"
        drawn.append(ax.text(cx - w / 2 + 0.06, cy + h / 2 - 0.05, label, ha="left", va="top", fontsize=TEXT_PT,
                             color="#333333" if g.alive else "#888888", zorder=6))
        if not len(g.rows):
            continue
        drawn += draw_group(ax, g, scale=scale)
        if g.shared is not None and g.shared.any():
            at = g.pos[g.shared]
            drawn.append(ax.scatter(at[:, 0], at[:, 1], s=6 * max(scale, 0.6), c="#111111", linewidths=0, zorder=4))
        if g.origin == "convened" and view.convener_present:
            drawn += draw_convener(ax, g, at=np.asarray(g.centre), size=110 * scale, label=False)
    links = []
    for g in view.groups:
        parent = groups.get(g.parent)
        if g.origin == "convened" or parent is None:
            continue
        start = g.pos[g.founder] if g.founder >= 0 else np.asarray(g.centre)
        hit = np.flatnonzero(parent.rows == g.founder_row)
        end = parent.pos[hit[0]] if len(hit) else np.asarray(parent.centre)
        links.append([start, end])
    if links:
        drawn.append(ax.add_collection(LineCollection(np.asarray(links), linewidths=1.6, colors=LINK_COLOUR,
                                                      alpha=0.75, linestyles=(0, (3, 2)), zorder=5)))
    return drawn


def draw_convener(ax, group, at=CONVENER_AT, size: float = 260, label: bool = True) -> list:
    """The convener at the hub, with spokes to the latest meeting's attendees."""
    drawn = []
    attendees = group.attendees
    if len(attendees):
        spokes = np.stack([np.broadcast_to(at, (len(attendees), 2)), group.pos[attendees]], axis=1)
        # Fainter with more attendees: hundreds of spokes would hide the members they point at.
        alpha = 0.3 * min(1.0, 120 / len(attendees))
        drawn.append(ax.add_collection(LineCollection(spokes, linewidths=0.6, colors=SPOKE_COLOUR, alpha=alpha,
                                                      zorder=2)))
    drawn.append(ax.scatter(*at, s=size, marker="D", c="#111111", edgecolors="white", linewidths=1.5, zorder=5))
    if not label:
        return drawn
    drawn.append(ax.annotate("convener", at, xytext=(0, -19), textcoords="offset points", ha="center",
                             fontsize=TEXT_PT, zorder=6,
                             bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.7)))
    return drawn


def title(view) -> str:
    """The picture's caption, e.g. "Month 34: 0 members, convener gone · dissolved at month 34"."""
    if view.programme:
        convened = [g for g in view.groups if g.origin == "convened"]
        founded = [g for g in view.groups if g.origin != "convened"]
        who = f"convener {view.convener_intensity:.0%}" if view.convener_present else "convener gone"
        others = (f"{sum(g.alive for g in founded)} of {len(founded)} founded by members" if founded
                  else "none founded by members yet")
        return (f"Month {view.month}: {sum(g.alive for g in convened)} of {len(convened)} convened communities "
                f"meeting, {others}; {who}")
    if view.convener_present:
        who = f"convener present ({view.convener_intensity:.0%})"
    else:
        who = "convener gone"
    fate = "" if view.alive else f" · dissolved at month {view.dissolved_month}"
    return (f"Month {view.month}: {plural(view.members, 'member')}, {plural(view.leaders, 'local leader')}, "
            f"{who}{fate}")


def legend_items(programme: bool = False) -> list[tuple[str, str, str]]:
    """(symbol, colour, label) for the legend the page writes under the picture."""
    items = [("●", SECTOR_COLOURS[s], SECTOR_LABELS[s]) for s in SECTORS]
    if programme:
        items += [("▢", "#777777", "a community: its number (← the one its founder came from)"),
                  ("◉", "#111111", "in 2+ communities"), ("◯", "#111111", "local leader"),
                  ("◆", "#111111", "convener"), ("╌", LINK_COLOUR, "founder to its parent community")]
        return items
    items += [("◯", "#111111", "local leader"), ("☆", "#111111", "host of last meeting"),
              ("◆", "#111111", "convener"), ("─", SPOKE_COLOUR, "convener to last meeting"),
              ("━", "#3b3b5c", "tie across sectors"), ("─", "#9a9a9a", "tie within a sector")]
    return items
