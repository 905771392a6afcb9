"""LearningCommunity: the world and its monthly step."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from mesa import DataCollector, Model

from ..assumptions import PREFIX, Assumptions
from ..parameters import check_params
from . import kernels
from .agents import Convener, Member, introductions
from .community import Community, FounderConvener
from .exits import ExitPlan
from .members import MemberTable, over
from .outcomes import REPORTED, community_record, group_record, month_record
from .ties import Ties


@dataclass(frozen=True)
class Host:
    """Who hosts a meeting: the convener, a local leader (its row), or the digital channel."""

    kind: str  # "convener", "leader" or "digital"
    row: int = -1  # the leader's row, for kind "leader"

    @property
    def local(self) -> bool:
        return self.kind == "leader"


CONVENER = Host("convener")
DIGITAL = Host("digital")


STREAMS = ("joining", "hosting", "attendance", "encounters", "leaders", "leaving", "recruitment", "replication",
           "digital", "scheduling")


class Streams:
    """One random generator per mechanism, each spawned from the run's seed.

    Arms on common seeds then share their history until their rules diverge, and a parameter that
    touches one rule changes only what follows from that rule: e.g. `replication` draws only from
    its own stream, so changing it leaves every other draw where it was.
    """

    def __init__(self, rng: np.random.Generator, root: np.random.SeedSequence | None = None,
                 community: int = 0) -> None:
        root = root if root is not None else rng.bit_generator.seed_seq  # what Mesa built from the seed
        self.root = root
        kind = type(rng.bit_generator)
        # Community k of a programme has its own streams (k = 0: the model's own), so what happens in
        # one community does not shift the draws of another.
        base = 1000 + 100 * community
        for k, name in enumerate(STREAMS):
            child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, base + k))
            setattr(self, name, np.random.Generator(kind(child)))


def pick_within(starts: np.ndarray, counts: np.ndarray, rng) -> np.ndarray:
    """One uniform pick inside each group [starts, starts + counts) of a flat array: the index of it.

    The idiom behind choosing a same-sector partner (groups: sectors) and a friend of a friend
    (groups: each member's neighbours). Groups must be non-empty.
    """
    return starts + (rng.random(len(starts)) * counts).astype(np.int64)


def _scenario_class():
    """`CommunityScenario`: Mesa's Scenario with one typed field per schema parameter (its default),
    plus `preset` (a named lcsim scenario the fields start from) and `assumptions`."""
    from mesa.experimental.scenarios import Scenario

    from ..parameters import SCHEMA

    kinds = {"int": int, "float": float, "bool": bool, "choice": str}
    namespace = {"__annotations__": {}, "__doc__": _scenario_class.__doc__, "__module__": __name__}
    for name, entry in SCHEMA.items():
        namespace["__annotations__"][name] = kinds[entry.kind]
        namespace[name] = entry.default
    namespace["__annotations__"].update(preset=str, assumptions=dict)
    namespace.update(preset="default", assumptions={})
    return type("CommunityScenario", (Scenario,), namespace)


CommunityScenario = _scenario_class()


class LearningCommunity(Model):
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
        self.member_agents: dict[int, Member] = {}
        # Per organisation: the month it last took stock, the value of the meetings it attended since,
        # and how many live communities it belongs to.
        self.last_stock = np.empty(0, np.int64)
        self.meeting_value = np.empty(0)
        self.commitments = np.empty(0, np.int64)
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
        agents = self.member_agents
        for r in rows.tolist():
            agents[r] = Member(self, r)
        self.last_stock = np.concatenate([self.last_stock, np.full(count, month, np.int64)])
        self.meeting_value = np.concatenate([self.meeting_value, np.zeros(count)])
        self.commitments = np.concatenate([self.commitments, np.ones(count, np.int64)])
        return rows

    def _recount(self) -> None:
        """How many live communities each organisation is in."""
        counts = np.zeros(len(self.members), np.int64)
        for c in self.communities:
            if c.alive:
                counts[c.member_rows()] += 1
        self.commitments = counts
        self._split = bool((counts > 1).any())  # anyone's time split? (else no rule needs it)

    def _time_split(self, c: Community, exponent: float) -> np.ndarray | None:
        """m^exponent for each of the community's rows, m its live communities; None if no one's time is split."""
        if not self._split or self.assumptions.attention_split == 0:
            return None
        return np.maximum(c.take(self.commitments), 1).astype(np.float64) ** exponent

    # -- the monthly step ---------------------------------------------------------------------
    def step(self) -> None:
        self.month += 1
        month, p, members, a = self.month, self.p, self.members, self.assumptions
        self.convener.act(month)
        live = [c for c in self.communities if c.alive]
        for c in live:
            if c.convener is not self.convener:
                c.convener.act(month)
        # Several communities meet in a random order each month: none is always first to the ties.
        order = live if len(live) < 2 else [live[k] for k in self.streams.scheduling.permutation(len(live))]

        # The community's life happens at its meetings: when one is due (held or missed), members
        # take stock, step up or down, leave, bring in newcomers and replicate. Every change there is
        # compounded over the months since members last took stock, so taking stock more often (a
        # monthly rhythm, or every month after a missed meeting) changes nothing by itself; ties and
        # capacity change monthly.
        due = [c for c in order if month - c.last_meeting >= p["meeting_interval"]]
        for c in self.communities:
            c.host, c.attended, c.quorate, c.joined, c.left = None, c.attended[:0], False, 0, 0
        for c in due:
            c.host = self._choose_host(c, c.n_active)
        self._budgets(live)

        n = len(members)
        attended = np.zeros(n, bool)
        fit = np.zeros(n)
        held = False
        for c in order:
            if c.host is not None:
                self._hold_meeting(c, c.host, attended, fit)
                held = True
        if held:
            self.ties.refresh_embeddedness(n)  # ties changed: recount common contacts

        self.left = 0
        if due:
            taking_stock = np.zeros(n, bool)
            for c in due:
                c.elapsed, c.last_stock_take = month - c.last_stock_take, month
                taking_stock[c.member_rows()] = True
            rows = np.flatnonzero(taking_stock)
            elapsed = month - self.last_stock[rows]
            # One number when every member took stock as long ago (always, in one community).
            elapsed = int(elapsed[0]) if len(elapsed) and (elapsed == elapsed[0]).all() else elapsed
            self.last_stock[rows] = month
            self.stock_takes += 1
            members.update_engagement(self._value(rows, elapsed), elapsed, None if len(rows) == n else rows)
            self.meeting_value[rows] = 0.0
        self.ties.decay(p["tie_decay"] * (1.0 - a.digital_upkeep * self._channel_open()))
        members.grow_capacity(attended, fit, self._support())

        if due:  # members notice a faded tie when they next take stock
            months = elapsed if np.ndim(elapsed) == 0 else self._spread(rows, elapsed, n)
            eligible = None if len(rows) == n else taking_stock
            self.ties.forget()
            self._leadership(due, months, eligible)
            self._turnover_out(due, months, eligible)
        for c in order:
            self._check_alive(c)
        for c in due:
            if c.alive:
                c.joined = self._turnover_in(c, c.elapsed)
                self._replicate(c, c.elapsed)
        self._record()
        if self.datacollector is not None:
            self.datacollector.collect(self)
        if self.month >= p["months"]:
            self.running = False

    @staticmethod
    def _spread(rows, values, n) -> np.ndarray:
        out = np.zeros(n, np.int64)
        out[rows] = values
        return out

    def _budgets(self, live: list[Community]) -> None:
        """Each convener splits its month's effort: the programme's across the members of every
        community it convenes (evenly per member), a founder's across its own community's."""
        if len(self.communities) == 1:
            c = self.communities[0]
            self.convener.budget(c.n_active, c.host == CONVENER)
            return
        convened = [c for c in live if c.convener is self.convener]
        self.convener.budget(sum(c.n_active for c in convened), sum(c.host == CONVENER for c in convened))
        for c in live:
            if c.convener is not self.convener:
                c.convener.budget(c.n_active, c.host == CONVENER)

    def _per_member(self, value_of, rows=None):
        """A convener-given quantity per organisation: `value_of(community)` for its members, the
        largest where it is in several communities (a convener's attention does not add up).
        One number where there is one community."""
        if len(self.communities) == 1:
            return value_of(self.communities[0])
        out = np.zeros(len(self.members))
        for c in self.communities:
            if c.alive:
                value = value_of(c)
                if value > 0:  # e.g. no resources once its convener has gone: nothing to add
                    where = c.member_rows()
                    out[where] = np.maximum(out[where], value)
        return out if rows is None else out[rows]

    def _value(self, rows, months) -> np.ndarray:
        """What each member in `rows` got per month over the `months` since it last took stock:
        access to complementary partners through its ties and its convener's follow-up (every
        month), and the meetings it attended, which fit its interests, less the cost of attending."""
        members, ties, a = self.members, self.ties, self.assumptions
        benefit = self.p["member_benefit"]
        tie_value = 1.0 - np.exp(-ties.per_member(len(members), ties.strength * ties.value))
        reach = self._per_member(lambda c: c.convener.reach, rows)
        if len(rows) == len(members):
            return benefit * tie_value + a.outreach * reach + self.meeting_value / months
        return benefit * tie_value[rows] + a.outreach * reach + self.meeting_value[rows] / months

    def _support(self):
        """Capacity support each organisation gets this month: its convener's resources, plus
        mentoring for leaders while a convener hands over."""
        leader = self.members.leader
        if len(self.communities) == 1:
            convener = self.communities[0].convener
            return convener.resources() + convener.mentoring() * leader
        resources = self._per_member(lambda c: c.convener.resources())
        mentoring = self._per_member(lambda c: c.convener.mentoring())
        return resources + mentoring * leader

    # -- meetings -----------------------------------------------------------------------------
    def _choose_host(self, c: Community, active_count: int | None = None) -> Host | None:
        """Who hosts community `c`'s meeting that is due, if anyone."""
        convener, rng = c.convener, c.streams.hosting
        # A present convener leaves some meetings to members (more as it tapers or hands over) and
        # hosts the rest itself, including any that no member takes up: a safety net while members
        # practise (Rogers & Coates 2015). Once it is gone, a member hosts or no one does.
        if convener.present:
            if convener.offers_hosting(rng):
                member = self._volunteer(c, active_count)
                if member is not None:
                    return member
            return CONVENER
        member = self._volunteer(c, active_count)
        if member is not None:
            return member
        if self._channel_open():
            engagement = c.take(self.members.engagement)[c.current]
            # When no one hosts a due meeting, the channel carries one if members care enough to
            # show up online. It fills the gap without postponing the next physical meeting.
            if len(engagement) and c.streams.digital.random() < engagement.mean():
                return DIGITAL
        return None

    def _channel_open(self) -> bool:
        """The digital channel, where there is one, opens when the programme's convener has left (as
        the case's did after CSA ended) and lasts while any community does; every community uses it."""
        return self.p["digital_channel"] and self.convener.plan.gone(self.month) and self.alive_any

    def _volunteer(self, c: Community, active_count: int | None = None) -> Host | None:
        """Hosting as collective action: any member may step up, leaders more readily (members.volunteer)."""
        if active_count is None:
            active_count = c.n_active
        rows = None if c.everyone else c.rows
        row = self.members.volunteer(active_count, self.p["member_benefit"], c.streams.hosting, rows, c.current,
                                     self._time_split(c, self.assumptions.attention_split))
        return Host("leader", row) if row is not None else None

    def _hold_meeting(self, c: Community, host: Host, attended_month: np.ndarray, fit_month: np.ndarray) -> None:
        members, p, a = self.members, self.p, self.assumptions
        if host != DIGITAL:
            c.last_meeting = self.month
        members_agenda = c.agenda()
        if host == CONVENER:
            cost = p["attendance_cost"] * (1.0 - c.convener.attendance_subsidy())
            agenda = c.convener.agenda(members_agenda, c.sector_agenda())
        elif host == DIGITAL:
            cost = p["attendance_cost"] * a.digital_cost
            agenda = members_agenda
        else:  # a local leader covers costs as far as its capacity allows, and leans the agenda to its interests
            cost = p["attendance_cost"] * (1.0 - a.local_subsidy * members.capacity[host.row])
            lean = a.local_agenda_lean
            agenda = lean * members.interests[host.row] + (1.0 - lean) * members_agenda
        c.meetings[host.kind] += 1
        attended = self._attend(c, cost)
        if host == DIGITAL:  # most members of an online channel read along without taking part
            attended &= c.streams.digital.random(len(attended)) < a.digital_turnout
        if host.local:
            attended[np.searchsorted(c.rows, host.row)] = True
            # Hosting is learning by doing: the host's capacity grows (assumption).
            members.capacity[host.row] += a.hosting_learning * (1.0 - members.capacity[host.row])
        fit = c.fit(agenda)
        venue = a.digital_ties if host == DIGITAL else 1.0
        if c.everyone:
            present, fit_all = attended, fit
        else:
            present = np.zeros(len(members), bool)
            present[c.rows[attended]] = True
            fit_all = np.zeros(len(members))
            fit_all[c.rows] = fit
        self._interact(c, present, fit_all, venue, self._broker_rate(c, host))
        people = c.rows[attended]
        # What the meeting was worth to each who came (counted when it next takes stock).
        self.meeting_value[people] += p["member_benefit"] * fit[attended] * venue - cost
        attended_month |= present
        fit_month[people] = fit[attended]
        c.attended = people
        c.last_host, c.last_attendees = host, people
        c.quorate = len(people) >= c.quorum
        if c.quorate:
            c.last_quorate = self.month

    def _attend(self, c: Community, cost: float) -> np.ndarray:
        """Which of the community's rows come: likelier the more engaged, less likely the dearer, and
        less likely for an organisation whose time is split across communities."""
        chance = c.take(self.members.engagement) * (1.0 - cost) * c.current
        split = self._time_split(c, -self.assumptions.attention_split)
        if split is not None:
            chance = chance * split
        return c.streams.attendance.random(len(c.rows)) < chance

    def _broker_rate(self, c: Community, host: Host) -> float:
        """Introductions per attendee: the convener brokers at its meetings, scaled by its intensity;
        a local leader brokers as far as its capacity allows (what a handover builds up)."""
        if host == CONVENER:
            return self.p["brokering"] * c.convener.reach
        if host == DIGITAL:
            return 0.0
        return self.p["brokering"] * self.members.capacity[host.row]

    # -- encounters at a meeting ----------------------------------------------------------------
    def _interact(self, c: Community, attended, fit, venue, broker_rate) -> None:
        """Attendees renew ties with those they know, then meet strangers, friends of friends, and
        people the host introduces; every new or renewed contact gains by its value. `attended` and
        `fit` are over every organisation of the programme."""
        members, ties, p, a = self.members, self.ties, self.p, self.assumptions
        people = np.flatnonzero(attended)
        if len(people) < 2:
            return
        rng = c.streams.encounters

        # A contact is worth more between complementary members on a fitting agenda.
        scale = p["tie_gain"] * venue
        self._renew_known_ties(attended, (scale, a.known_tie_weight, a.fit_weight, fit), rng)
        pairs = [self._chance_encounters(people, rng), self._friends_of_friends(people, attended, rng)]
        if broker_rate > 0:
            pairs.append(introductions(people, members.sector, broker_rate, rng))
        i = np.concatenate([pair[0] for pair in pairs])
        j = np.concatenate([pair[1] for pair in pairs])
        gain = scale * (a.known_tie_weight * members.complementarity(i, j) + a.fit_weight * (fit[i] + fit[j]))
        ties.interact(i, j, gain, members.complementarity)

    def _renew_known_ties(self, attended, gain, rng) -> None:
        """Catch up with acquaintances present, but a member only has so many conversations at one
        meeting: with more acquaintances there, each is renewed less often (Jin, Girvan & Newman 2001).

        `gain` is (scale, known-tie weight, fit weight, fit): a renewed tie gains
        scale x (known-tie weight x its value + fit weight x (fit of one + fit of the other)).
        """
        ties, n, conversations = self.ties, len(self.members), self.assumptions.conversations
        known, half = kernels.renew_candidates(ties.a, ties.b, attended, n, float(conversations))
        draws = rng.random(len(known))
        scale, known_weight, fit_weight, fit = gain
        kernels.renew(known, draws, half, ties.a, ties.b, ties.value, fit, ties.strength, ties.touched,
                      scale, known_weight, fit_weight)

    def _chance_encounters(self, people, rng) -> tuple[np.ndarray, np.ndarray]:
        """Each attendee meets someone at random, from its own sector with chance `homophily`."""
        members = self.members
        i = np.repeat(people, self.assumptions.encounters)
        j = people[rng.integers(0, len(people), len(i))]
        same = rng.random(len(i)) < self.p["homophily"]
        count = int(np.count_nonzero(same))
        if count:
            kernels.same_sector_partners(i, j, same, rng.random(count), people, members.sector)
        return i, j

    def _friends_of_friends(self, people, attended, rng) -> tuple[np.ndarray, np.ndarray]:
        """Some attendees meet a friend of a friend who is present (triadic closure)."""
        ties = self.ties
        if not len(ties) or self.p["triadic_closure"] <= 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        offsets, nbrs = ties.neighbours(len(self.members))
        seekers = kernels.with_contacts(offsets, people[rng.random(len(people)) < self.p["triadic_closure"]])
        first = rng.random(len(seekers))  # which contact
        second = rng.random(len(seekers))  # which of its contacts
        return kernels.friends_of_friends(offsets, nbrs, seekers, first, second, attended)

    # -- leaders, turnover, replication -------------------------------------------------------
    def _owners(self, due: list[Community], eligible) -> list[tuple[Community, np.ndarray | None]]:
        """Which community's rules and draws each member taking stock goes through: the first due
        community it belongs to (by index), so that each takes stock once and a community's draws
        never depend on another's (None: the community is everyone taking stock)."""
        if eligible is None or len(due) == 1 and not self._split:
            return [(due[0], eligible)]  # one community takes stock: its members are the eligible
        claimed = np.zeros(len(self.members), bool)
        owners = []
        for c in sorted(due, key=lambda c: c.index):
            own = np.zeros(len(self.members), bool)
            own[c.member_rows()] = True
            own &= ~claimed
            claimed |= own
            owners.append((c, own))
        return owners

    def _leadership(self, due: list[Community], months, eligible) -> None:
        """Ready members step up as leaders, and leaders step down, in each community that met."""
        members, p = self.members, self.p
        strength = self.ties.per_member(len(members))
        hosted = [c.host.row for c in due if c.host is not None and c.host.local]
        for c, own in self._owners(due, eligible):
            # Centrality within its community: the strongest-tied member of it scores 1.
            top = strength.max() if own is None else (strength[c.member_rows()].max() if c.n_active else 0.0)
            centrality = strength / top if top > 0 else strength
            convener = c.convener
            rate = min(p["leadership"] * (1.0 - convener.crowding_out()) * convener.leader_development(), 1.0)
            new = members.emerge_leaders(rate, centrality, months, c.streams.leaders, own)
            self.leaders_ever.update(new.tolist())
            members.burn_out(p["burnout"], hosted if len(hosted) != 1 else hosted[0], months, c.streams.leaders, own)

    def _turnover_out(self, due: list[Community], months, eligible) -> None:
        in_convened = self._in_convened() if len(self.communities) > 1 else None
        gone = [self.members.leave(months, c.streams.leaving, own) for c, own in self._owners(due, eligible)]
        gone = np.concatenate(gone) if len(gone) > 1 else gone[0]
        if len(gone):
            self.left = len(gone) if in_convened is None else int(np.count_nonzero(in_convened[gone]))
            self.ties.drop_members(~self.members.active)
            self._remove_agents(gone)
            for c in self.communities:
                if c.alive:
                    before = c.n_active
                    c.refresh()
                    c.left = before - c.n_active
            self._recount()

    def _in_convened(self) -> np.ndarray:
        mask = np.zeros(len(self.members), bool)
        for c in self.convened:
            mask[c.member_rows()] = True
        return mask

    def _remove_agents(self, rows) -> None:
        agents = self.member_agents
        for row in np.asarray(rows).tolist():
            agent = agents.pop(row, None)
            if agent is not None:
                agent.remove()

    def _turnover_in(self, c: Community, months: int) -> int:
        """Engaged members bring in organisations they know, while the community is alive."""
        members, rng = self.members, c.streams.recruitment
        pull = c.take(members.engagement) * c.current
        count = rng.poisson(self.p["join_rate"] * months * pull.sum())
        room = self.p["max_members"] - c.n_active
        if count >= room:  # the size cap: recruit up to it, and record that the run reached it
            count, self.reached_max_members = max(room, 0), True
        if count == 0:
            return 0
        cumulative = np.cumsum(pull)
        recruiters = c.rows[np.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right")]
        rows = self._new_organisations(count, rng, self.month)
        c.add(rows)
        self.ties.add_new(rows, recruiters, np.full(count, self.assumptions.initial_acquaintance),
                          members.complementarity(rows, recruiters))
        return count

    def _replicate(self, c: Community, months: int) -> None:
        """Strong leaders may found a community of their own (Appleseed replicated the case's model)."""
        m, a = self.members, self.assumptions
        ready = a.replication_capacity
        strong = (c.take(m.leader) & c.current & ~c.take(m.replicated) & (c.take(m.capacity) >= ready)
                  & (c.take(m.engagement) >= ready))
        if not strong.any():
            return
        strong &= c.take(self.ties.degree(len(m))) >= a.replication_degree
        hits = strong & (c.streams.replication.random(len(c.rows)) < over(self.p["replication"], months))
        for founder in c.rows[hits].tolist():
            self._found(c, founder)

    def _found(self, parent: Community, founder: int) -> None:
        """`founder` starts a community: it invites its strongest contacts (each comes with chance its
        engagement) and brings new organisations, and convenes it itself (FounderConvener)."""
        m, a, p, rng = self.members, self.assumptions, self.p, parent.streams.replication
        if len(self.communities) >= p["max_communities"]:
            self.replications_capped += 1  # no room: it may try again at a later stock-take
            return
        ties = self.ties
        mine = np.flatnonzero((ties.a == founder) | (ties.b == founder))
        contacts = np.where(ties.a[mine] == founder, ties.b[mine], ties.a[mine])
        keep = m.active[contacts]
        contacts, strength = contacts[keep], ties.strength[mine][keep]
        invited = contacts[np.argsort(-strength, kind="stable")][:math.ceil(a.invite_share * len(contacts))]
        came = np.sort(invited[rng.random(len(invited)) < m.engagement[invited]])
        newcomers = int(round(a.newcomer_ratio * len(came)))
        if 1 + len(came) + newcomers < a.founding_members:
            return  # too few would come: the attempt fails (it may try again)
        m.replicated[founder] = True
        index = len(self.communities)
        streams = Streams(self.rng, self.streams.root, community=index)
        new = self._new_organisations(newcomers, streams.joining, self.month)
        if newcomers:
            ties.add_new(new, np.full(newcomers, founder), np.full(newcomers, a.initial_acquaintance),
                         m.complementarity(new, np.full(newcomers, founder)))
        rows = np.unique(np.concatenate([[founder], came, new]).astype(np.int64))
        convener = FounderConvener(self, founder, self.month, m.capacity[founder], p["control"],
                                   p["resource_sharing"], a.founder_effort)
        self.communities.append(Community(self, index, rows, convener, streams, origin="replicated",
                                          parent=parent.index, founder=founder, started=self.month))
        self.last_stock[new] = self.month
        self.replications += 1
        parent.children += 1
        self._recount()

    def _check_alive(self, c: Community) -> None:
        """A community that has had no quorate meeting for `dissolution_intervals` meeting intervals has
        dissolved, for good: its members disperse, and it keeps no members, leaders, ties or hosts.
        An organisation in no other live community leaves the programme, with its ties."""
        if c.alive and self.month - c.last_quorate > self.assumptions.dissolution_intervals * self.p["meeting_interval"]:
            rows = c.member_rows()
            c.dissolve(self.month)
            self._recount()
            members = self.members
            orphans = rows[self.commitments[rows] == 0]
            self._remove_agents(orphans)
            members.active[orphans] = False
            members.leader[orphans] = False
            self.ties.drop_members(~members.active)
            for other in self.communities:
                if other.alive:
                    other.refresh()

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
        communities = self.communities
        if len(communities) == 1:  # one community: the programme's month is its month
            c = communities[0]
            group = group_record(self, communities, self.convener, self.replications, self.left)
            self.records.append(month_record(self, group[0]))
            self.community_records.append(community_record(self, c, group))
            return
        convened = self.convened
        first = group_record(self, convened, self.convener, self.replications, self.left) if len(
            convened) == 1 else None
        self.records.append(month_record(self, first[0] if first else None))
        self.community_records.extend(
            community_record(self, c, (first[0], first[1]) if first and c is convened[0] else None)
            for c in communities)
