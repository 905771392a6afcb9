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
from .exits import ExitPlan
from .members import MemberTable, over
from .outcomes import REPORTED, month_record
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
           "digital")


class Streams:
    """One random generator per mechanism, each spawned from the run's seed.

    Arms on common seeds then share their history until their rules diverge, and a parameter that
    touches one rule changes only what follows from that rule: e.g. `replication` draws only from
    its own stream, so changing it leaves every other draw where it was.
    """

    def __init__(self, rng: np.random.Generator, root: np.random.SeedSequence | None = None) -> None:
        root = root if root is not None else rng.bit_generator.seed_seq  # what Mesa built from the seed
        self.root = root
        kind = type(rng.bit_generator)
        for k, name in enumerate(STREAMS):
            child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, 1000 + k))
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
    """A multi-sector learning community, convened until the convener steps back.

    Build it with the parameters of `lcsim params` (or a named `scenario`) and an `rng`;
    one `step()` is one month. Works under `mesa.batch_run`.
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
        a = self.assumptions
        self.quorum = max(a.quorum_floor, math.ceil(p["quorum"] * p["n_members"]))

        self.streams = Streams(self.rng)
        self.members = MemberTable(a)
        self.ties = Ties(a)
        rows = self.members.add(p["n_members"], p, self.streams.joining, month=0)
        self.member_agents: dict[int, Member] = {r: Member(self, r) for r in rows.tolist()}
        self._seed_acquaintances(rows)
        plan = ExitPlan(p["exit_strategy"], p["exit_month"], p["transition_months"])
        self.convener = Convener(self, plan, p["control"], p["resource_sharing"], p["convener_effort"])

        self.last_meeting = 0  # month of the last meeting held (month 0: the launch)
        self.last_quorate = 0
        self.last_stock_take = 0  # month members last took stock (a meeting was due)
        self.dissolved_month: int | None = None
        self.meetings = {"convener": 0, "leader": 0, "digital": 0}
        self.replications = 0
        self.reached_max_members = False
        self.leaders_ever: set[int] = set()
        self.last_host: Host | None = None  # who hosted the latest meeting
        self.last_attendees = np.empty(0, np.int64)  # rows of the members who came to it
        self.records: list[dict] = []
        # `records` is the source of truth; the DataCollector mirrors it for Mesa's tools (batch_run,
        # SolaraViz). `simulate` turns it off: copying every value each month costs a tenth of a run.
        self.datacollector = DataCollector(
            model_reporters={name: (lambda m, name=name: m.records[-1][name]) for name in REPORTED}
        ) if collect else None
        self._record(host=None, attended=np.zeros(len(self.members), bool), quorate=False, joined=0, left=0)

    # -- the monthly step ---------------------------------------------------------------------
    def step(self) -> None:
        self.month += 1
        p, members, a, convener = self.p, self.members, self.assumptions, self.convener
        convener.act(self.month)

        # The community's life happens at its meetings: when one is due (held or missed), members
        # take stock, step up or down, leave, bring in newcomers and replicate. Every change there is
        # compounded over the months since members last took stock, so taking stock more often (a
        # monthly rhythm, or every month after a missed meeting) changes nothing by itself; ties and
        # capacity change monthly.
        due = self.dissolved_month is None and self.month - self.last_meeting >= p["meeting_interval"]
        n_active = int(np.count_nonzero(members.active))
        host = self._choose_host(n_active) if due else None
        convener.budget(n_active, host == CONVENER)
        attended = np.zeros(len(members), bool)
        fit = np.zeros(len(members))
        cost = 0.0
        quorate = False
        if host is not None:
            attended, fit, cost = self._hold_meeting(host)
            self.last_host, self.last_attendees = host, np.flatnonzero(attended)
            quorate = attended.sum() >= self.quorum
            if quorate:
                self.last_quorate = self.month
            self.ties.refresh_embeddedness(len(members))  # ties changed: recount common contacts

        joined = left = 0
        if due:
            elapsed, self.last_stock_take = self.month - self.last_stock_take, self.month
            members.update_engagement(self._value(host, attended, fit, cost, elapsed), elapsed)
        self.ties.decay(p["tie_decay"] * (1.0 - a.digital_upkeep * self._channel_open()))
        members.grow_capacity(attended, fit, convener.resources() + convener.mentoring() * members.leader)

        if due:  # members notice a faded tie when they next take stock
            self.ties.forget()
            self._leadership(host, elapsed)
            left = self._turnover_out(elapsed)
        self._check_alive()
        if due and self.dissolved_month is None:
            joined = self._turnover_in(elapsed)
            self._replicate(elapsed)
        self._record(host, attended, quorate, joined, left)
        if self.datacollector is not None:
            self.datacollector.collect(self)
        if self.month >= p["months"]:
            self.running = False

    def _value(self, host, attended, fit, cost, months: int) -> np.ndarray:
        """What each member got per month over the `months` since it last took stock: access to
        complementary partners through its ties and the convener's follow-up (every month), and a
        meeting that fits its interests less the cost of attending (once, if it came)."""
        members, ties, a = self.members, self.ties, self.assumptions
        venue = a.digital_ties if host == DIGITAL else 1.0
        benefit = self.p["member_benefit"]
        tie_value = 1.0 - np.exp(-ties.per_member(len(members), ties.strength * ties.value))
        meeting = attended * (benefit * fit * venue - cost)
        return benefit * tie_value + a.outreach * self.convener.reach + meeting / months

    # -- meetings -----------------------------------------------------------------------------
    def _choose_host(self, active_count: int | None = None) -> Host | None:
        """Who hosts the meeting that is due, if anyone."""
        convener, rng = self.convener, self.streams.hosting
        # A present convener leaves some meetings to members (more as it tapers or hands over) and
        # hosts the rest itself, including any that no member takes up: a safety net while members
        # practise (Rogers & Coates 2015). Once it is gone, a member hosts or no one does.
        if convener.present:
            if convener.offers_hosting(rng):
                member = self._volunteer(active_count)
                if member is not None:
                    return member
            return CONVENER
        member = self._volunteer(active_count)
        if member is not None:
            return member
        if self._channel_open():
            active = self.members.active
            # When no one hosts a due meeting, the channel carries one if members care enough to
            # show up online. It fills the gap without postponing the next physical meeting.
            if active.any() and self.streams.digital.random() < self.members.engagement[active].mean():
                return DIGITAL
        return None

    def _channel_open(self) -> bool:
        """The digital channel, where there is one, opens when the convener has left (as the case's
        did after CSA ended) and lasts while the community does."""
        return self.p["digital_channel"] and self.alive and self.convener.plan.gone(self.month)

    def _volunteer(self, active_count: int | None = None) -> Host | None:
        """Hosting as collective action: any member may step up, leaders more readily (members.volunteer)."""
        if active_count is None:
            active_count = int(np.count_nonzero(self.members.active))
        row = self.members.volunteer(active_count, self.p["member_benefit"], self.streams.hosting)
        return Host("leader", row) if row is not None else None

    def _hold_meeting(self, host: Host) -> tuple[np.ndarray, np.ndarray, float]:
        members, p, a = self.members, self.p, self.assumptions
        if host != DIGITAL:
            self.last_meeting = self.month
        members_agenda = members.agenda()
        if host == CONVENER:
            cost = p["attendance_cost"] * (1.0 - self.convener.attendance_subsidy())
            agenda = self.convener.agenda(members_agenda, members.sector_agenda())
        elif host == DIGITAL:
            cost = p["attendance_cost"] * a.digital_cost
            agenda = members_agenda
        else:  # a local leader covers costs as far as its capacity allows, and leans the agenda to its interests
            cost = p["attendance_cost"] * (1.0 - a.local_subsidy * members.capacity[host.row])
            lean = a.local_agenda_lean
            agenda = lean * members.interests[host.row] + (1.0 - lean) * members_agenda
        self.meetings[host.kind] += 1
        attended = members.attend(cost, self.streams.attendance)
        if host == DIGITAL:  # most members of an online channel read along without taking part
            attended &= self.streams.digital.random(len(attended)) < a.digital_turnout
        if host.local:
            attended[host.row] = True
            # Hosting is learning by doing: the host's capacity grows (assumption).
            members.capacity[host.row] += a.hosting_learning * (1.0 - members.capacity[host.row])
        fit = members.fit(agenda)
        self._interact(attended, fit, a.digital_ties if host == DIGITAL else 1.0, self._broker_rate(host))
        return attended, fit, cost

    def _broker_rate(self, host: Host) -> float:
        """Introductions per attendee: the convener brokers at its meetings, scaled by its intensity;
        a local leader brokers as far as its capacity allows (what a handover builds up)."""
        if host == CONVENER:
            return self.p["brokering"] * self.convener.reach
        if host == DIGITAL:
            return 0.0
        return self.p["brokering"] * self.members.capacity[host.row]

    # -- encounters at a meeting ----------------------------------------------------------------
    def _interact(self, attended, fit, venue, broker_rate) -> None:
        """Attendees renew ties with those they know, then meet strangers, friends of friends, and
        people the host introduces; every new or renewed contact gains by its value."""
        members, ties, p, a = self.members, self.ties, self.p, self.assumptions
        people = np.flatnonzero(attended)
        if len(people) < 2:
            return

        # A contact is worth more between complementary members on a fitting agenda.
        scale = p["tie_gain"] * venue
        self._renew_known_ties(attended, (scale, a.known_tie_weight, a.fit_weight, fit))
        pairs = [self._chance_encounters(people), self._friends_of_friends(people, attended)]
        if broker_rate > 0:
            pairs.append(introductions(people, members.sector, broker_rate, self.streams.encounters))
        i = np.concatenate([pair[0] for pair in pairs])
        j = np.concatenate([pair[1] for pair in pairs])
        gain = scale * (a.known_tie_weight * members.complementarity(i, j) + a.fit_weight * (fit[i] + fit[j]))
        ties.interact(i, j, gain, members.complementarity)

    def _renew_known_ties(self, attended, gain) -> None:
        """Catch up with acquaintances present, but a member only has so many conversations at one
        meeting: with more acquaintances there, each is renewed less often (Jin, Girvan & Newman 2001).

        `gain` is (scale, known-tie weight, fit weight, fit): a renewed tie gains
        scale x (known-tie weight x its value + fit weight x (fit of one + fit of the other)).
        """
        ties, n, conversations = self.ties, len(self.members), self.assumptions.conversations
        known, half = kernels.renew_candidates(ties.a, ties.b, attended, n, float(conversations))
        draws = self.streams.encounters.random(len(known))
        scale, known_weight, fit_weight, fit = gain
        kernels.renew(known, draws, half, ties.a, ties.b, ties.value, fit, ties.strength, ties.touched,
                      scale, known_weight, fit_weight)

    def _chance_encounters(self, people) -> tuple[np.ndarray, np.ndarray]:
        """Each attendee meets someone at random, from its own sector with chance `homophily`."""
        members, rng = self.members, self.streams.encounters
        i = np.repeat(people, self.assumptions.encounters)
        j = people[rng.integers(0, len(people), len(i))]
        same = rng.random(len(i)) < self.p["homophily"]
        count = int(np.count_nonzero(same))
        if count:
            kernels.same_sector_partners(i, j, same, rng.random(count), people, members.sector)
        return i, j

    def _friends_of_friends(self, people, attended) -> tuple[np.ndarray, np.ndarray]:
        """Some attendees meet a friend of a friend who is present (triadic closure)."""
        ties, rng = self.ties, self.streams.encounters
        if not len(ties) or self.p["triadic_closure"] <= 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        offsets, nbrs = ties.neighbours(len(self.members))
        seekers = kernels.with_contacts(offsets, people[rng.random(len(people)) < self.p["triadic_closure"]])
        first = rng.random(len(seekers))  # which contact
        second = rng.random(len(seekers))  # which of its contacts
        return kernels.friends_of_friends(offsets, nbrs, seekers, first, second, attended)

    # -- leaders, turnover, replication -------------------------------------------------------
    def _leadership(self, host, months: int) -> None:
        members, convener, p = self.members, self.convener, self.p
        strength = self.ties.per_member(len(members))
        top = strength.max()
        centrality = strength / top if top > 0 else strength
        rate = p["leadership"] * (1.0 - convener.crowding_out()) * convener.leader_development()
        new = members.emerge_leaders(min(rate, 1.0), centrality, months, self.streams.leaders)
        self.leaders_ever.update(new.tolist())
        hosted = host.row if host is not None and host.local else -1
        members.burn_out(p["burnout"], hosted, months, self.streams.leaders)

    def _turnover_out(self, months: int) -> int:
        gone = self.members.leave(months, self.streams.leaving)
        if len(gone):
            self.ties.drop_members(~self.members.active)
            self._remove_agents(gone)
        return len(gone)

    def _remove_agents(self, rows) -> None:
        agents = self.member_agents
        for row in np.asarray(rows).tolist():
            agents.pop(row).remove()

    def _turnover_in(self, months: int) -> int:
        """Engaged members bring in organisations they know, while the community is alive."""
        members, rng = self.members, self.streams.recruitment
        pull = members.engagement * members.active
        count = rng.poisson(self.p["join_rate"] * months * pull.sum())
        room = self.p["max_members"] - int(np.count_nonzero(members.active))
        if count >= room:  # the size cap: recruit up to it, and record that the run reached it
            count, self.reached_max_members = max(room, 0), True
        if count == 0:
            return 0
        cumulative = np.cumsum(pull)
        recruiters = np.searchsorted(cumulative, rng.random(count) * cumulative[-1], side="right")
        rows = members.add(count, self.p, rng, month=self.month)
        agents = self.member_agents
        for r in rows.tolist():
            agents[r] = Member(self, r)
        self.ties.add_new(rows, recruiters, np.full(count, self.assumptions.initial_acquaintance),
                          members.complementarity(rows, recruiters))
        return count

    def _replicate(self, months: int) -> None:
        m, a = self.members, self.assumptions
        ready = a.replication_capacity
        strong = m.leader & ~m.replicated & (m.capacity >= ready) & (m.engagement >= ready)
        if not strong.any():
            return
        strong &= self.ties.degree(len(m)) >= a.replication_degree
        hits = strong & (self.streams.replication.random(len(m)) < over(self.p["replication"], months))
        m.replicated |= hits
        self.replications += int(hits.sum())

    def _check_alive(self) -> None:
        """A community that has had no quorate meeting for `dissolution_intervals` meeting intervals has
        dissolved, for good: its members disperse, and it keeps no members, leaders, ties or hosts
        (whatever ties the organisations keep elsewhere are no longer this community's)."""
        if self.dissolved_month is None and self.month - self.last_quorate > (
                self.assumptions.dissolution_intervals * self.p["meeting_interval"]):
            self.dissolved_month = self.month
            members = self.members
            self._remove_agents(np.flatnonzero(members.active))
            members.active[:] = False
            members.leader[:] = False
            self.ties.clear()
            self.last_host, self.last_attendees = None, np.empty(0, np.int64)

    def _seed_acquaintances(self, rows) -> None:
        """Members start with a few ties, mostly within their own sector (limited collaboration so far)."""
        n = len(rows)
        i = rows[self.streams.joining.integers(0, n, n)]
        j = rows[self.streams.joining.integers(0, n, n)]
        same = self.members.sector[i] == self.members.sector[j]
        i, j = i[same], j[same]
        self.ties.interact(i, j, np.full(len(i), self.assumptions.initial_acquaintance), self.members.complementarity)
        self.ties.touched[:] = False
        self.ties.refresh_embeddedness(len(self.members))

    def reset_rng(self, rng=None) -> None:
        """New dynamics for the same community (Mesa's reset_rng): every mechanism's stream restarts
        from `rng` (or, with None, from the run's own seed), the members and ties stay as they are."""
        root = self.streams.root
        super().reset_rng(rng)
        self.streams = Streams(self.rng, None if rng is not None else root)

    # -- the trainer's button ------------------------------------------------------------------
    def step_back(self, strategy: str = "phase_out") -> None:
        """The convener switches to `strategy` from this month on."""
        from ..parameters import SCHEMA

        SCHEMA["exit_strategy"].check(strategy)
        self.convener.step_back(strategy, self.month)

    @property
    def alive(self) -> bool:
        return self.dissolved_month is None

    def _record(self, host, attended, quorate, joined, left) -> None:
        self.records.append(month_record(self, host, attended, quorate, joined, left))
