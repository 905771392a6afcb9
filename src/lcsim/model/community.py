"""One learning community of a programme: its members, meetings, hosts and fate.

Organisations (the rows of the programme's `MemberTable`) and their ties belong to the programme;
a community is a collective of some of them with its own meetings, quorum, agenda, hosts,
convener and dissolution. An organisation may belong to several communities (it then splits its
time: `attention_split`), and a tie made in one is there in the others.

`rows` lists every organisation that ever joined, in ascending row order (newcomers get new,
higher rows), and `current` marks those that are still members. Draws that range over a
community's members range over `rows`, so a community of everyone draws exactly as the
one-community model did.
"""

from __future__ import annotations

import math

import numpy as np

from ..parameters import SECTORS
from .agents import Convener
from .exits import ExitPlan
from .kernels import balanced_agenda, network_measures

NO_ROWS = np.empty(0, np.int64)


class Community:
    def __init__(self, model, index: int, rows: np.ndarray, convener: Convener, streams, *, origin: str = "convened",
                 parent: int = -1, founder: int = -1, started: int = 0) -> None:
        self.model = model
        self.index = index
        self.rows = np.asarray(rows, np.int64)
        self.current = np.ones(len(self.rows), bool)
        self.convener = convener
        self.streams = streams
        self.origin = origin  # "convened" (by the programme's convener) or "replicated" (by a member)
        self.parent = parent  # the community its founder came from (-1: none)
        self.founder = founder  # the founding organisation's row (-1: the programme's convener)
        self.started = started
        a, p = model.assumptions, model.p
        self.quorum = max(a.quorum_floor, math.ceil(p["quorum"] * len(self.rows)))
        self.last_meeting = started  # the launch counts as the first meeting
        self.last_quorate = started
        self.last_stock_take = started
        self.dissolved_month: int | None = None
        self.meetings = {"convener": 0, "leader": 0, "digital": 0}
        self.last_host = None
        self.last_attendees = NO_ROWS  # organisation rows of those who came to its latest meeting
        self.version = 0  # bumped when its membership changes (cache key for its member rows and measures)
        self._members: tuple = (-1, NO_ROWS)  # (version, rows of its current members): `member_rows`
        self._measures: tuple | None = None
        self._rows_stats: tuple | None = None  # (key, rows, members, leaders, mean engagement): outcomes.group_record
        self._dead_record: dict | None = None  # its record once dissolved (outcomes.records)
        self._interests_cache: tuple = (None, None, None, None)  # (interests, rows, its rows', their lengths)
        self._split: dict = {}  # exponent -> (commitments, rows, m^exponent): model._time_split
        # this month's meeting, if one was due
        self.host = None
        self.attended = NO_ROWS
        self.quorate = False
        self.joined = 0
        self.left = 0
        self.children = 0  # communities its members founded
        self.hosts_after_exit: dict[int, int] = {}  # member row -> meetings it hosted after the programme's exit month
        self.founding_size = len(self.rows)
        model.memberships = getattr(model, "memberships", 0) + 1  # a new community: the programme's caches renew

    # -- who is in it ---------------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return self.dissolved_month is None

    @property
    def everyone(self) -> bool:
        """Every organisation of the programme has been in it (rows are then 0..n-1): its arrays are
        the programme's own, unindexed (so a community of everyone computes as the one-community model)."""
        return len(self.rows) == len(self.model.members)

    def take(self, values: np.ndarray) -> np.ndarray:
        """`values` (one per organisation of the programme) of its rows: as they are where it has had
        everyone (then its rows are 0..n-1)."""
        rows = self.rows
        return values if len(values) == len(rows) else values[rows]

    def member_rows(self) -> np.ndarray:
        """Rows of its current members (read-only). Cached until its membership changes: the programme
        asks for them many times a month (issue 23), and `add`, `refresh` and `dissolve`, the only
        ways the rules change `current`, bump `version`."""
        version, rows = self._members
        if version != self.version:
            rows = self.rows[self.current]
            rows.flags.writeable = False
            self._members = (self.version, rows)
        return rows

    def mask(self) -> np.ndarray:
        """Its current members as a mask over the programme's organisations."""
        if self.everyone:
            return self.current.copy()
        out = np.zeros(len(self.model.members), bool)
        out[self.member_rows()] = True
        return out

    @property
    def n_active(self) -> int:
        return len(self.member_rows())

    def add(self, rows: np.ndarray) -> None:
        """New members: rows higher than any it has (newcomers), so `rows` stays in order."""
        self.rows = np.concatenate([self.rows, rows])
        self.current = np.concatenate([self.current, np.ones(len(rows), bool)])
        self._changed()

    def refresh(self) -> None:
        """Drop members who have left the programme."""
        still = self.current & self.model.members.active[self.rows]
        if not np.array_equal(still, self.current):
            self.current = still
            self._changed()

    def _changed(self) -> None:
        """Its membership changed: its caches (keyed on `version`) and the programme's (`memberships`) renew."""
        self.version += 1
        self.model.memberships += 1

    def dissolve(self, month: int) -> None:
        self.dissolved_month = month
        self.current[:] = False
        self._changed()
        self.last_host, self.last_attendees = None, NO_ROWS

    # -- what its members want ----------------------------------------------------------------
    def weights(self) -> np.ndarray:
        """Each member's say in the agenda: its engagement (0 for those who are not members)."""
        return self.take(self.model.members.engagement) * self.current

    def _interests(self) -> tuple[np.ndarray, np.ndarray]:
        """Its rows' interests and their lengths (read-only), kept until its rows change or the interests
        move to another array: an organisation's interests are drawn when it joins and never change, and
        every meeting reads them."""
        interests, cached = self.model.members.interests, self._interests_cache
        # Keyed on the array the interests are stored in (members.with_room: newcomers' rows are appended to it, the
        # rows already there never change), so newcomers elsewhere in the programme keep this cache.
        store = interests if interests.base is None else interests.base
        if cached[0] is not store or cached[1] is not self.rows:
            taken = self.take(interests)
            norms = np.linalg.norm(taken, axis=1)
            norms.flags.writeable = False
            cached = self._interests_cache = (store, self.rows, taken, norms)
        return cached[2], cached[3]

    def agenda(self) -> np.ndarray:
        """What its members, weighted by engagement, want to talk about."""
        m, w = self.model.members, self.weights()
        total = w.sum()
        return (w @ self._interests()[0]) / total if total > 0 else np.full(m.a.topics, 1.0 / m.a.topics)

    def sector_agenda(self) -> np.ndarray:
        """The agenda that serves every sector present alike: the mean of each sector's own agenda."""
        m = self.model.members  # compiled: `kernels.balanced_agenda` (one call instead of some ten array calls)
        return balanced_agenda(m.sector, m.engagement, self.rows, self.everyone, self.current, self._interests()[0],
                               len(SECTORS))

    def fit(self, agenda: np.ndarray) -> np.ndarray:
        """How well the agenda serves each of `rows` (cosine similarity, 0-1)."""
        interests, lengths = self._interests()
        norms = lengths * np.linalg.norm(agenda)
        return (interests @ agenda) / np.maximum(norms, 1e-12)

    # -- its network --------------------------------------------------------------------------
    def measures(self) -> tuple[int, int, int, int]:
        """(ties within it, of them across sectors, ties from its members to organisations outside
        it, size of its largest connected group). Cached until its membership or the ties change."""
        ties = self.model.ties
        key = (ties.version, self.version)
        if self._measures is None or self._measures[0] != key:
            self._measures = (key, *network_measures(ties.a, ties.b, self.model.members.sector, self.mask(),
                                                     self.member_rows()))
        return self._measures[1:]


class FounderConvener(Convener):
    """A member organisation convening the community it founded: its own capacity is its intensity
    (and so its subsidy, brokering and support), with no exit date; it stops convening when it
    stops leading (it burns out, loses heart, or leaves), like any leader."""

    def __init__(self, model, founder: int, month: int, capacity: float, control: float,
                 resource_sharing: float, effort: float) -> None:
        super().__init__(model, ExitPlan("stay", model.p["months"], 1), control, resource_sharing, effort)
        self.founder = founder
        self.scale = float(capacity)
        self.started = month
        self.intensity = self.scale

    def act(self, month: int) -> None:
        members = self.model.members
        leading = bool(members.active[self.founder] and members.leader[self.founder])
        if not leading and self.stepped_back_at is None:
            self.stepped_back_at = month
            self.plan = ExitPlan("phase_out", month, 1)  # it has stopped: the community is on its own
        self.intensity = self.scale if self.stepped_back_at is None else 0.0
        self.handover = 0.0
