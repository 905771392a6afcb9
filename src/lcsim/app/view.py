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

    @property
    def history(self) -> list[dict]:
        return self.records[: self.month + 1]

    @property
    def counts(self) -> dict:
        """What the status line counts, for comparing two showings of the same month."""
        return {"month": self.month, "members": self.members, "leaders": self.leaders, "ties": self.ties,
                "alive": self.alive}


def take_view(model, pos: np.ndarray) -> View:
    """The month `model` is at, with the network laid out at `pos` (positions of every member row)."""
    r, convener, p = model.records[-1], model.convener, model.p
    return View(month=model.month, horizon=p["months"], n_members=p["n_members"], status=status_line(model),
                members=int(r["active_members"]), leaders=int(r["leaders"]), ties=int(r["ties"]),
                alive=model.dissolved_month is None, dissolved_month=model.dissolved_month,
                convener_present=bool(convener.present), convener_intensity=float(convener.intensity),
                plan=convener.plan, exit_month=convener.exit_month, stepped_back_at=convener.stepped_back_at,
                records=model.records, group=community_group(model, pos, first_community_rows(model)))


def first_community_rows(model) -> np.ndarray | None:
    """The rows of the programme's first (convened) community, which the status line describes; None for a
    model without communities (then every active row is drawn). The other communities are for the
    programme view: one more `Group` each."""
    communities = getattr(model, "communities", None)
    if not communities:
        return None
    return np.asarray(communities[0].rows, np.int64)


def community_group(model, pos: np.ndarray, rows: np.ndarray | None = None) -> Group:
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
    last_host = getattr(model, "last_host", None)
    if last_host is not None and last_host.local and 0 <= last_host.row < n:
        host_row = int(local[last_host.row])
    attendees = np.asarray(getattr(model, "last_attendees", np.empty(0, np.int64)), np.int64)
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
