"""LearningCommunity: the programme of communities and its month (the ODD's process overview).

The rules live by mechanism: `meetings` (hosting, attendance, encounters), `lifecycle` (leaders,
turnover, dissolution), `founding` (replication), `streams` (one random stream per mechanism) and
`scenario` (Mesa's Scenario for lcsim's parameters); `step()` is the list of monthly steps.
"""

from __future__ import annotations

from itertools import accumulate

import numpy as np
from mesa import DataCollector, Model

from ..assumptions import PREFIX, Assumptions
from ..parameters import check_params
from .agents import Convener, Member
from .community import NO_ROWS, Community
from .exits import ExitPlan
from .founding import Founding
from .kernels.month import after_meetings
from .kernels.stock import settle_stock, stock_shift, stock_takers
from .lifecycle import LifeCycle
from .meetings import CONVENER, DIGITAL, Host, Meetings
from .members import MemberTable, with_room
from .outcomes import REPORTED, records
from .scenario import CommunityScenario
from .streams import STREAMS, Streams
from .ties import Ties

__all__ = ["CONVENER", "DIGITAL", "STREAMS", "CommunityScenario", "Host", "LearningCommunity", "Streams"]


class LearningCommunity(Meetings, LifeCycle, Founding, Model):
    """A programme of multi-sector learning communities, convened until the convener steps back.

    Build it with the parameters of `lcsim params` (or a named `scenario`) and an `rng`; one
    `step()` is one month. With `n_communities = 1` (the default) it is one learning community; with
    more, one convener convenes several at once, splitting its effort across their members, and
    organisations may belong to more than one (`shared_members`). Strong local leaders may found
    new communities (`replication`), which then live under the same rules. `communities` lists
    them all. Works under `mesa.batch_run`.
    """

    def __init__(self, rng=None, scenario: str | None = None, *, collect: bool = True,
                 assumptions: Assumptions | dict | None = None, **params) -> None:
        from ..scenarios import scenario_params  # late import: scenarios read the schema too

        mesa_scenario = None
        if isinstance(scenario, CommunityScenario):
            # Mesa's way: a Scenario object that carries lcsim's parameters. Its values are the
            # schema's defaults unless set, so it starts from its preset and applies what differs.
            from ..parameters import SCHEMA

            mesa_scenario = scenario
            given = {k: v for k, v in scenario if k in SCHEMA and v != SCHEMA[k].default}
            params = {**given, **params}
            if scenario.assumptions:  # the scenario's, then any given here on top
                assumptions = {**scenario.assumptions, **Assumptions.of(assumptions).changed()}
            rng = scenario.rng if rng is None else rng
            scenario = scenario.preset
        elif scenario is not None and not isinstance(scenario, str):
            scenario = None  # a plain Mesa Scenario (SolaraViz's Reset passes one): no lcsim values
        super().__init__(rng=rng)
        if mesa_scenario is not None:
            self.scenario = mesa_scenario

        # `assumptions.NAME=value` keyword arguments (what sweeps and `--set` pass) join `assumptions`.
        dotted = {k: params.pop(k) for k in [k for k in params if k.startswith(PREFIX)]}
        self.assumptions = Assumptions.of(assumptions, **dotted)  # `of` takes the prefixed names too

        base = scenario_params(scenario) if scenario else None
        self.p = p = check_params(params, base)
        self.scenario_name = scenario or "default"
        self.month = 0

        self.streams = Streams(self.rng)
        self.members = MemberTable(self.assumptions)
        self.ties = Ties(self.assumptions)
        self._member_agents: dict[int, Member] = {}  # built when asked for: see `agents`
        self.memberships = 0  # bumped when any community's membership changes or one starts: `_live`'s cache key
        self._live_cache: tuple = (-1,)
        self._measures: dict = {}  # the communities' measures for the records, and their cache keys (outcomes)
        # Per organisation: the month it last took stock, the value of the meetings it attended since,
        # and how many live communities it belongs to.
        self._buffers: dict[str, np.ndarray] = {}  # the per-organisation arrays' buffers (members.with_room)
        self.last_stock = np.empty(0, np.int64)
        self.meeting_value = np.empty(0)
        self.commitments = np.empty(0, np.int64)
        self.fatigue = np.empty(0)  # hosting fatigue: raises what hosting costs it, wears off monthly
        self.know_how = np.empty(0)  # the hosting routine it picked up at the convener's meetings (0-1)
        rows = self._new_organisations(p["n_members"], self.streams.joining, month=0)
        self._seed_acquaintances(rows, self.streams.joining)
        plan = ExitPlan(p["exit_strategy"], p["exit_month"], p["transition_months"])
        self.convener = Convener(self, plan, p["control"], p["resource_sharing"], p["convener_effort"])
        self.communities: list[Community] = [Community(self, 0, rows, self.convener, self.streams)]
        for k in range(1, p["n_communities"]):
            self._convene_another(k)
        self._recount()

        self.replications = 0  # communities started by members
        self.replications_capped = 0  # attempts refused at max_communities
        self.reached_max_members = False
        self.leaders_ever: set[int] = set()
        self.left = 0  # organisations that left a convened community this month
        self.stock_takes = 0  # months in which some members took stock (engagement and leaders change only then)
        self.records: list[dict] = []
        self.community_records: list[dict] = []
        # `records` is the source of truth; the DataCollector mirrors it for Mesa's tools (batch_run,
        # SolaraViz). `simulate` turns it off: copying every value each month costs a tenth of a run.
        self.datacollector = DataCollector(
            model_reporters={name: (lambda m, name=name: m.records[-1][name]) for name in REPORTED}
        ) if collect else None
        self._record()

    # -- the programme's communities ------------------------------------------------------------
    def _convene_another(self, index: int) -> None:
        """Convened community `index` (after the first): `shared_members` of its members come from the
        organisations already in the programme, the rest are new."""
        p = self.p
        streams = Streams(self.rng, self.streams.root, community=index)
        shared = int(round(p["shared_members"] * p["n_members"]))
        existing = np.flatnonzero(self.members.active)
        picked = np.sort(streams.joining.choice(existing, shared, replace=False)) if shared else existing[:0]
        new = self._new_organisations(p["n_members"] - shared, streams.joining, month=0)
        rows = np.concatenate([picked, new])
        self._seed_acquaintances(rows, streams.joining)
        self.communities.append(Community(self, index, rows, self.convener, streams))

    @property
    def convened(self) -> list[Community]:
        """The communities the programme's convener convenes (not those its members started)."""
        return [c for c in self.communities if c.origin == "convened"]

    def _new_organisations(self, count: int, rng, month: int) -> np.ndarray:
        rows = self.members.add(count, self.p, rng, month=month)
        start = len(self.members) - count
        # The programme's own per-organisation arrays grow in place too (members.with_room).
        for name, value in (("last_stock", month), ("meeting_value", 0.0), ("commitments", 1), ("fatigue", 0.0),
                            ("know_how", 0.0)):
            buffer = with_room(getattr(self, name), self._buffers, name, count)
            buffer[start:start + count] = value
            setattr(self, name, buffer[:start + count])
        return rows

    def _live(self) -> tuple[list[Community], np.ndarray, np.ndarray]:
        """The live communities in index order and their memberships as a CSR (offsets, member rows):
        what the per-organisation rules read in one array call (kernels.programme). Cached until a
        membership changes."""
        if self._live_cache[0] != self.memberships:
            live = [c for c in self.communities if c.alive]
            parts = [c.member_rows() for c in live]
            offsets = np.array([0, *accumulate(map(len, parts))], np.int64)
            rows = parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.empty(0, np.int64)
            self._live_cache = (self.memberships, live, offsets, rows)
        return self._live_cache[1:]

    def _recount(self) -> None:
        """How many live communities each organisation is in."""
        _, _, rows = self._live()
        counts = np.bincount(rows, minlength=len(self.members))
        self.commitments = counts
        self._split = bool((counts > 1).any())  # anyone's time split? (else no rule needs it)

    def _time_split(self, c: Community, exponent: float) -> np.ndarray | None:
        """m^exponent for each of the community's rows, m its live communities; None if no one's time is split."""
        if not self._split or self.assumptions.attention_split == 0:
            return None
        # Kept on the community, per exponent (hosting and attendance ask for opposite ones each meeting), until the
        # commitments (replaced, never changed in place) or its rows change.
        commitments, rows, split = c._split.get(exponent, (None, None, None))
        if commitments is not self.commitments or rows is not c.rows:
            split = np.maximum(c.take(self.commitments), 1).astype(np.float64) ** exponent
            split.flags.writeable = False
            c._split[exponent] = (self.commitments, c.rows, split)
        return split

    def _seed_acquaintances(self, rows, rng) -> None:
        """Members start with a few ties, mostly within their own sector (limited collaboration so far)."""
        n = len(rows)
        i = rows[rng.integers(0, n, n)]
        j = rows[rng.integers(0, n, n)]
        same = self.members.sector[i] == self.members.sector[j]
        i, j = i[same], j[same]
        self.ties.interact(i, j, np.full(len(i), self.assumptions.initial_acquaintance), self.members.complementarity)
        self.ties.touched[:] = False
        self.ties.refresh_embeddedness(len(self.members))

    # -- the monthly step (ODD section 3) --------------------------------------------------------
    def step(self) -> None:
        self.month += 1
        order = self._conveners_act()  # 1. conveners act; the live communities in this month's order
        due = self._hosts_for_due_meetings(order)  # 2. who hosts each meeting that is due
        self._budgets(order)  # 3. each convener splits its effort
        attended, fit = self._hold_meetings(order)  # 4. attendance and encounters
        months, stock = self._take_stock(due)  # 5. members take stock: value and engagement
        self._after_meetings(attended, fit)  # 6. idle ties decay, hosts recover; 7. capacity grows
        if due:  # 8. faded ties forgotten, leaders step up and down, members leave
            self._leaders_and_leaving(due, months, stock)
        for c in order:  # 9. dissolution (founded communities: also the liability of newness); newcomers and
            self._check_alive(c)  # founding where a meeting was due
        for c in due:
            if c.alive:
                c.joined = self._turnover_in(c, c.elapsed)
                self._replicate(c, c.elapsed)
        self._record()  # 10. observation
        if self.datacollector is not None:
            self.datacollector.collect(self)
        if self.month >= self.p["months"]:
            self.running = False

    def _conveners_act(self) -> list[Community]:
        """The programme's convener and each founder act; several live communities meet in a random
        order each month, so none is always first to the ties."""
        self.convener.act(self.month)
        live = [c for c in self.communities if c.alive]
        for c in live:
            if c.convener is not self.convener:
                c.convener.act(self.month)
        return live if len(live) < 2 else [live[k] for k in self.streams.scheduling.permutation(len(live))]

    def _hosts_for_due_meetings(self, order: list[Community]) -> list[Community]:
        """The communities whose meeting is due (held or missed), each with its host if any.

        The community's life happens at its meetings: when one is due, members take stock, step up or
        down, leave, bring in newcomers and replicate. Every change there is compounded over the months
        since members last took stock, so taking stock more often (a monthly rhythm, or every month
        after a missed meeting) changes nothing by itself; ties and capacity change monthly.
        """
        due = [c for c in order if self.month - c.last_meeting >= self.p["meeting_interval"]]
        for c in self.communities:
            c.host, c.attended, c.quorate, c.joined, c.left = None, NO_ROWS, False, 0, 0
        self.left = 0
        for c in due:
            c.host = self._choose_host(c, c.n_active)
        return due

    def _take_stock(self, due: list[Community]) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Members of the due communities take stock, each over the months since it last did: what
        they got moves their engagement (`MemberTable.update_engagement`). What a member got per month
        over those months: access to complementary partners through its ties (1 - exp(-sum of strength x
        complementarity)) and its convener's follow-up (reach, the largest of its communities') every
        month, and the meetings it attended, which fit its interests, less the cost of attending. Returns
        those months (per organisation, 0 for the others) and the mask of those taking stock (None, None:
        no meeting was due)."""
        if not due:
            return None, None
        month, members, ties, a = self.month, self.members, self.ties, self.assumptions
        live, offsets, rows = self._live()
        for c in due:
            c.elapsed, c.last_stock_take = month - c.last_stock_take, month
        self.stock_takes += 1
        # The arithmetic compiled (kernels.stock), the exponentials, logarithms and powers NumPy's.
        due = set(due)
        takers, elapsed, months, taking_stock, negated, odds = stock_takers(
            offsets, rows, np.array([k for k, c in enumerate(live) if c in due], np.int64), self.last_stock, month,
            ties.a, ties.b, ties.strength, ties.value, members.engagement)
        keep = 1.0 - a.aspiration_adaptation
        kept = keep ** np.arange(int(elapsed.max()) + 1 if len(elapsed) else 1)
        value, shifted = stock_shift(
            np.exp(negated), np.log(odds), takers, elapsed, offsets, rows,
            np.array([c.convener.reach for c in live], np.float64), self.meeting_value, float(self.p["member_benefit"]),
            a.outreach, members.aspiration, a.engagement_rate, kept, keep, a.aspiration_adaptation)
        settle_stock(np.exp(shifted), value, takers, elapsed, kept, members.engagement, members.aspiration,
                     self.meeting_value)
        return months, taking_stock

    def _budgets(self, live: list[Community]) -> None:
        """Each convener splits its month's effort: the programme's across the members of every
        community it convenes (evenly per member), a founder's across its own community's."""
        convened = [c for c in live if c.convener is self.convener]
        self.convener.budget(sum(c.n_active for c in convened), sum(c.host == CONVENER for c in convened))
        for c in live:
            if c.convener is not self.convener:
                c.convener.budget(c.n_active, c.host == CONVENER)

    def _after_meetings(self, attended: np.ndarray, fit: np.ndarray) -> None:
        """Ties with no contact this month weaken (an open digital channel slows that: upkeep online), hosting
        fatigue wears off, and members' capacity grows (`MemberTable.grow_capacity`) by what they learnt at the
        meetings (`attended`, with the agenda's `fit`) and by their convener's support: its resources, plus
        mentoring for leaders while a convener hands over, the largest of any community an organisation is in.
        One compiled call (kernels.month)."""
        a, members, ties = self.assumptions, self.members, self.ties
        live, offsets, rows = self._live()
        rate = self.p["tie_decay"] * (1.0 - a.digital_upkeep * self._channel_open())
        members.capacity = after_meetings(
            ties.strength, ties.touched, ties.common, rate, a.embeddedness_protection, a.weak_tie_decay, self.fatigue,
            a.host_fatigue > 0, 1.0 - a.fatigue_recovery, offsets, rows,
            np.array([c.convener.resources() for c in live], np.float64),
            np.array([c.convener.mentoring() for c in live], np.float64), members.leader, members.capacity, attended,
            fit, a.learning_rate, a.capacity_erosion, members.active)

    # -- Mesa's face: Member agents, built when asked for ------------------------------------------
    def _materialise_members(self) -> None:
        """One `Member` agent per active organisation. The rules never read them (they run on the
        member table), and building them every month cost 12-27% of a run, so they are built, and
        those of organisations that left removed, only when Mesa's agent sets are asked for."""
        agents, active = self._member_agents, self.members.active
        for row in [r for r in agents if not active[r]]:
            agents.pop(row).remove()
        for row in np.flatnonzero(active).tolist():
            if row not in agents:
                agents[row] = Member(self, row)

    @property
    def agents(self):
        self._materialise_members()
        return super().agents

    @agents.setter
    def agents(self, agents) -> None:
        Model.agents.fset(self, agents)  # Mesa refuses it, with its own message

    @property
    def agents_by_type(self):
        self._materialise_members()
        return super().agents_by_type

    @property
    def agent_types(self):
        self._materialise_members()
        return super().agent_types

    def reset_rng(self, rng=None) -> None:
        """New dynamics for the same programme (Mesa's reset_rng): every mechanism's stream restarts
        from `rng` (or, with None, from the run's own seed), the members and ties stay as they are."""
        root = self.streams.root
        super().reset_rng(rng)
        self.streams = Streams(self.rng, None if rng is not None else root)
        for c in self.communities:
            c.streams = self.streams if c.index == 0 else Streams(self.rng, self.streams.root, community=c.index)

    # -- the trainer's button ------------------------------------------------------------------
    def step_back(self, strategy: str = "phase_out") -> None:
        """The convener switches to `strategy` from this month on."""
        from ..parameters import SCHEMA

        SCHEMA["exit_strategy"].check(strategy)
        self.convener.step_back(strategy, self.month)

    @property
    def exit_month_actual(self) -> int:
        """The month the programme's convener left: the plan's `exit_month`, or earlier where a trigger fired.
        Everything counted "after the exit" (meetings, hosts, months alive) counts from here."""
        c = self.convener
        return self.p["exit_month"] if c.triggered_at is None else c.exit_month

    # -- the first community, as the one-community model named it ---------------------------------
    @property
    def alive_any(self) -> bool:
        return any(c.alive for c in self.communities)

    @property
    def alive(self) -> bool:
        """At least one convened community is alive (with one community: it is)."""
        return any(c.alive for c in self.convened)

    @property
    def dissolved_month(self) -> int | None:
        """When the last convened community dissolved (None while one is alive)."""
        convened = self.convened
        return None if any(c.alive for c in convened) else max(c.dissolved_month for c in convened)

    @property
    def quorum(self) -> int:
        return self.communities[0].quorum

    @property
    def meetings(self) -> dict:
        held = {"convener": 0, "leader": 0, "digital": 0}
        for c in self.convened:
            for kind, count in c.meetings.items():
                held[kind] += count
        return held

    @property
    def last_host(self) -> Host | None:
        return self.communities[0].last_host

    @property
    def last_attendees(self) -> np.ndarray:
        return self.communities[0].last_attendees

    @property
    def last_meeting(self) -> int:
        return self.communities[0].last_meeting

    @property
    def last_quorate(self) -> int:
        return self.communities[0].last_quorate

    @property
    def last_stock_take(self) -> int:
        return self.communities[0].last_stock_take

    def _record(self) -> None:
        month, communities = records(self)
        self.records.append(month)
        self.community_records.extend(communities)
