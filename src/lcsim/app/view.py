"""What the room sees of one community at one month, taken from the model once and kept.

A `View` is everything the page draws for a month: the status line, the network (positions,
the ties drawn, leaders, the latest host) and what the charts need (the monthly records so far
and the convener's plan). Views are taken every month and never change, so rewinding to a month
shows exactly what was there, and the figures can be drawn without touching a model that another
thread is stepping. `take_view` is the one place that reads the model for the page (besides
`live.status_line`): the model is being extended to programmes of several communities, and
keeping its attribute names here keeps that change small.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .live import plural, status_line

# Above this many ties the picture is a hairball: draw each member's strongest few instead, fewer
# the larger the community (about 1,000 lines at most for 1,000 members).
ALL_TIES_UP_TO = 400


def strongest_per_member(members: int) -> int:
    return 3 if members <= 300 else 2 if members <= 600 else 1


@dataclass(frozen=True)
class Group:
    """One community in the picture: its active members and the ties drawn between them.

    Indices in `tie_a`/`tie_b`, `host` and `attendees` are positions in `rows` (not model rows),
    so a picture of several communities is a list of groups drawn side by side.
    """

    rows: np.ndarray  # model rows of the active members drawn
    pos: np.ndarray  # (len(rows), 2) layout positions
    sector: np.ndarray
    capacity: np.ndarray
    leader: np.ndarray  # bool over rows
    tie_a: np.ndarray
    tie_b: np.ndarray
    tie_strength: np.ndarray
    ties_total: int  # all the community's ties, drawn or not
    host: int  # index of the latest meeting's local host in rows, or -1
    attendees: np.ndarray  # indices of the latest meeting's attendees in rows
    # In the programme picture (several communities): which community, where its region is, and how it began.
    index: int = 0
    origin: str = "convened"
    parent: int = -1  # the community its founder came from (-1: convened)
    founder: int = -1  # index of its founder in rows (-1: convened, or the founder has left)
    founder_row: int = -1  # the founder's organisation row (-1: convened)
    alive: bool = True
    started: int = 0
    centre: tuple = (0.0, 0.0)  # where its layout's (0, 0) is drawn, in picture units
    half: float = 1.0  # its layout's [-1, 1] is drawn at centre +- half
    region: tuple = ((0.0, 0.0), (2.0, 2.0))  # its region of the picture: (centre, (width, height))
    shared: np.ndarray | None = None  # bool over rows: also a member of another live community

    @property
    def ties_rule(self) -> str:
        """How the ties drawn were chosen, for the legend."""
        if self.ties_total <= ALL_TIES_UP_TO:
            return f"lines: all {plural(self.ties_total, 'tie')}"
        k = strongest_per_member(len(self.rows))
        which = "strongest tie" if k == 1 else f"{k} strongest ties"
        return f"lines: each member's {which} ({len(self.tie_a):,} of {self.ties_total:,} ties)"


@dataclass(frozen=True)
class View:
    month: int
    horizon: int
    n_members: int  # the community's planned size (the charts' scale)
    status: str  # the status line exactly as shown that month
    members: int
    leaders: int
    ties: int
    alive: bool
    dissolved_month: int | None
    convener_present: bool
    convener_intensity: float
    plan: object  # the convener's ExitPlan (immutable) that month
    exit_month: int | None
    stepped_back_at: int | None
    records: list = field(repr=False)  # the model's records list; this view uses records[: month + 1]
    group: Group = field(repr=False)
    # A programme (more than one community): every community as a group, and the communities meeting so far.
    groups: tuple = field(default=(), repr=False)
    alive_series: list = field(default_factory=list, repr=False)  # (convened, replicated) meeting, per month
    triggered_at: int | None = None  # the month the exit trigger's signpost held (it stepped back then)

    @property
    def programme(self) -> bool:
        return len(self.groups) > 0

    @property
    def communities_alive(self) -> list[tuple[int, int]]:
        return self.alive_series[: self.month + 1]

    @property
    def ties_rule(self) -> str:
        if not self.programme:
            return self.group.ties_rule
        drawn, total = sum(len(g.tie_a) for g in self.groups), sum(g.ties_total for g in self.groups)
        which = (f"all {plural(total, 'tie')}" if drawn == total
                 else f"{drawn:,} of {total:,} ties (each member's strongest)")
        return f"lines: ties within each community, {which}"

    @property
    def history(self) -> list[dict]:
        return self.records[: self.month + 1]

    @property
    def counts(self) -> dict:
        """What the status line counts, for comparing two showings of the same month."""
        return {"month": self.month, "members": self.members, "leaders": self.leaders, "ties": self.ties,
                "alive": self.alive}


def is_programme(model) -> bool:
    """More than one community (convened at month 0, or founded by members since): the programme picture."""
    return len(getattr(model, "communities", None) or ()) > 1


def take_view(model, pos: np.ndarray, groups: tuple = (), alive_series: list | None = None) -> View:
    """The month `model` is at, with the network laid out at `pos` (positions of every member row);
    `groups`: the programme picture's groups (see `programme_groups`), empty for one community."""
    r, convener, p = model.records[-1], model.convener, model.p
    return View(month=model.month, horizon=p["months"], n_members=p["n_members"], status=status_line(model),
                members=int(r["active_members"]), leaders=int(r["leaders"]), ties=int(r["ties"]),
                alive=model.dissolved_month is None, dissolved_month=model.dissolved_month,
                convener_present=bool(convener.present), convener_intensity=float(convener.intensity),
                plan=convener.plan, exit_month=convener.exit_month, stepped_back_at=convener.stepped_back_at,
                records=model.records,
                group=groups[0] if groups else community_group(model, pos, first_community_rows(model)),
                groups=tuple(groups), alive_series=alive_series if alive_series is not None else [],
                triggered_at=convener.triggered_at)


def communities_meeting(model) -> tuple[int, int, int, int]:
    """(convened alive, convened, replicated alive, replicated) at the model's month, from `community_records`."""
    counts = [0, 0, 0, 0]
    records = getattr(model, "community_records", None) or []
    for rec in reversed(records):
        if rec["month"] != model.month:
            break
        k = 0 if rec["origin"] == "convened" else 2
        counts[k] += bool(rec["alive"])
        counts[k + 1] += 1
    return tuple(counts)


def regions(n: int, frame: float = 1.0) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """(centre, (width, height)) of n regions filling the square frame, in reading order."""
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    w, h = 2 * frame / cols, 2 * frame / rows
    return [((-frame + w * (k % cols + 0.5), frame - h * (k // cols + 0.5)), (w, h)) for k in range(n)]


LABEL_ROOM = 0.13  # picture units kept at the top of each region for its label


def programme_groups(model, layouts) -> tuple:
    """Every community as a group in its own region of the picture: `layouts[k]` holds community k's
    positions in [-1, 1] (over its `rows`), scaled into region k. An organisation in several
    communities is drawn in each, marked (`shared`)."""
    members = model.members
    n = len(members.active)
    commitments = np.asarray(getattr(model, "commitments", np.ones(n, np.int64)))
    groups = []
    for c, (centre, cell) in zip(model.communities, regions(len(model.communities))):
        local = layouts[c.index]
        half = 0.5 * min(cell[0], cell[1] - LABEL_ROOM) * 0.9
        at = (centre[0], centre[1] - LABEL_ROOM / 2)
        pos = np.zeros((n, 2))
        placed = min(len(local), len(c.rows))
        pos[c.rows[:placed]] = np.asarray(at) + half * local[:placed]
        rows = c.member_rows() if c.alive else c.rows[:0]
        rows = rows[np.isin(rows, c.rows[:placed])]
        g = community_group(model, pos, rows, meeting=c)
        founder = -1
        if c.founder >= 0:
            hit = np.flatnonzero(g.rows == c.founder)
            founder = int(hit[0]) if len(hit) else -1
        shared = commitments[g.rows] > 1 if len(commitments) >= n else np.zeros(len(g.rows), bool)
        groups.append(Group(**{f: getattr(g, f) for f in GROUP_CORE}, index=int(c.index), origin=c.origin,
                            parent=int(c.parent), founder=founder, founder_row=int(c.founder), alive=bool(c.alive),
                            started=int(c.started), centre=at, half=half, region=(centre, cell), shared=shared))
    return tuple(groups)


GROUP_CORE = ("rows", "pos", "sector", "capacity", "leader", "tie_a", "tie_b", "tie_strength", "ties_total", "host",
              "attendees")


def first_community_rows(model) -> np.ndarray | None:
    """The rows of the programme's first (convened) community, which the status line describes; None for a
    model without communities (then every active row is drawn). The other communities are for the
    programme view: one more `Group` each."""
    communities = getattr(model, "communities", None)
    if not communities:
        return None
    return np.asarray(communities[0].rows, np.int64)


def community_group(model, pos: np.ndarray, rows: np.ndarray | None = None, meeting=None) -> Group:
    """The active members among `rows` (default: every active row) and the ties among them, as drawn.

    Guards every index: `.ties` may hold rows of organisations outside this community, or rows
    the layout has not placed yet.
    """
    members, ties = model.members, model.ties
    n = min(len(pos), len(members.active))
    if rows is None:
        rows = np.flatnonzero(members.active[:n])
    rows = np.asarray(rows, np.int64)
    rows = rows[(rows >= 0) & (rows < n)]
    rows = rows[members.active[rows]]  # only members still taking part are drawn
    local = np.full(n, -1)
    local[rows] = np.arange(len(rows))
    a, b, strength = np.asarray(ties.a), np.asarray(ties.b), np.asarray(ties.strength, float)
    inside = (a < n) & (b < n) & (a >= 0) & (b >= 0)
    a, b, strength = a[inside], b[inside], strength[inside]
    la, lb = local[a], local[b]
    mine = (la >= 0) & (lb >= 0)
    la, lb, strength = la[mine], lb[mine], strength[mine]
    total = len(la)
    if total > ALL_TIES_UP_TO:
        keep = strongest(la, lb, strength, strongest_per_member(len(rows)))
        la, lb, strength = la[keep], lb[keep], strength[keep]
    host_row = -1
    meeting = model if meeting is None else meeting  # whose latest meeting: the model's, or a community's
    last_host = getattr(meeting, "last_host", None)
    if last_host is not None and last_host.local and 0 <= last_host.row < n:
        host_row = int(local[last_host.row])
    attendees = np.asarray(getattr(meeting, "last_attendees", np.empty(0, np.int64)), np.int64)
    attendees = attendees[(attendees >= 0) & (attendees < n)]
    attendees = local[attendees]
    return Group(rows=rows, pos=pos[rows].copy(), sector=members.sector[rows].copy(),
                 capacity=members.capacity[rows].copy(), leader=members.leader[rows].copy(),
                 tie_a=la, tie_b=lb, tie_strength=strength, ties_total=total, host=host_row,
                 attendees=attendees[attendees >= 0])


def strongest(a: np.ndarray, b: np.ndarray, strength: np.ndarray, per_member: int) -> np.ndarray:
    """Mask of the ties that are among the `per_member` strongest of at least one of their ends."""
    ends = np.concatenate([a, b])
    tie = np.concatenate([np.arange(len(a))] * 2)
    by_end = np.lexsort((-np.concatenate([strength, strength]), ends))  # by end, strongest first
    ends, tie = ends[by_end], tie[by_end]
    first = np.searchsorted(ends, ends, side="left")
    rank = np.arange(len(ends)) - first
    keep = np.zeros(len(a), bool)
    keep[tie[rank < per_member]] = True
    return keep
