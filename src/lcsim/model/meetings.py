"""Meetings and encounters: who hosts a meeting that is due, who comes, and whom they meet there.

A mixin of `LearningCommunity` (it reads the model's members, ties, parameters and streams).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import kernels


@dataclass(frozen=True)
class Host:
    """Who hosts a meeting: the convener, a local leader (its row), or the digital channel."""

    kind: str  # "convener", "leader" or "digital"
    row: int = -1  # the member's row: the host, for kind "leader"; the moderator, for "digital" (-1: none needed)

    @property
    def local(self) -> bool:
        return self.kind == "leader"

    @property
    def online(self) -> bool:
        return self.kind == "digital"


CONVENER = Host("convener")
_NONE = np.empty(0)  # an optional factor that is absent (kernels.attend)
_NO_STREAM = np.zeros(5, np.uint64)  # a stream a meeting does not draw from (kernels.rng handles)
_KINDS = {"convener": 0, "leader": 1, "digital": 2}  # kernels.hold_meeting_at's codes
DIGITAL = Host("digital")


class Meetings:
    """Hosting, attendance and the encounters at a meeting (ODD 7.2, 7.3)."""

    def _hold_meetings(self, order) -> tuple[np.ndarray, np.ndarray]:
        """Each community with a host holds its meeting, in this month's order: who came, over every
        organisation, and how well the agenda fitted each who came."""
        n = len(self.members)
        attended = np.zeros(n, bool)
        fit = np.zeros(n)
        held = False
        for c in order:
            if c.host is not None:
                self._hold_meeting(c, c.host, attended, fit)
                held = True
        if held:
            self.ties.refresh_embeddedness(n)  # ties changed: recount common contacts
        return attended, fit

    def _choose_host(self, c, active_count: int | None = None) -> Host | None:
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
            # show up online and a member takes on moderating it. It fills the gap without postponing
            # the next physical meeting.
            if len(engagement) and c.streams.digital.random() < engagement.mean():
                if self.assumptions.moderation_cost == 0:
                    return DIGITAL
                moderator = self._volunteer(c, active_count, self.assumptions.moderation_cost)
                if moderator is not None:
                    return Host("digital", moderator.row)
        return None

    def _channel_open(self) -> bool:
        """The digital channel, where there is one, opens when the programme's convener has left (as
        the case's did after CSA ended) and lasts while any community does; every community uses it."""
        return self.p["digital_channel"] and self.convener.plan.gone(self.month) and self.alive_any

    def _volunteer(self, c, active_count: int | None = None, effort: float = 1.0) -> Host | None:
        """Hosting as collective action: any member may step up, leaders more readily (members.volunteer).
        `effort`: the task's cost relative to hosting a meeting in person (moderating the channel: less)."""
        if active_count is None:
            active_count = c.n_active
        fatigue = self.fatigue[c.rows] if self.assumptions.host_fatigue > 0 else None
        row = self.members.volunteer(active_count, self.p["member_benefit"], c.streams.hosting, c.rows, c.current,
                                     self._hosting_scale(c, effort), fatigue)
        return Host("leader", row) if row is not None else None

    def _hosting_scale(self, c, effort: float = 1.0) -> np.ndarray | None:
        """What hosting costs each of `c`'s rows relative to the rule's base cost: its split time
        (m^attention_split), the task's `effort`, and (1 - know_how): the hosting routine it picked up at
        the convener's meetings. None where all are 1."""
        scale = self._time_split(c, self.assumptions.attention_split)
        if effort != 1.0:
            scale = np.full(len(c.rows), effort) if scale is None else scale * effort
        if self.assumptions.routine_learning > 0:
            routine = 1.0 - self.know_how[c.rows]
            scale = routine if scale is None else scale * routine
        return scale

    def _hold_meeting(self, c, host: Host, attended_month: np.ndarray, fit_month: np.ndarray) -> None:
        members, p, a = self.members, self.p, self.assumptions
        if not host.online:
            c.last_meeting = self.month
        members_agenda = c.agenda()
        if host == CONVENER:
            cost = p["attendance_cost"] * (1.0 - c.convener.attendance_subsidy())
            agenda = c.convener.agenda(members_agenda, c.sector_agenda())
        elif host.online:
            cost = p["attendance_cost"] * a.digital_cost
            agenda = members_agenda
        else:  # a local leader covers costs as far as its capacity allows, and leans the agenda to its interests
            cost = p["attendance_cost"] * (1.0 - a.local_subsidy * members.capacity[host.row])
            lean = a.local_agenda_lean
            agenda = lean * members.interests[host.row] + (1.0 - lean) * members_agenda
        c.meetings[host.kind] += 1
        if host.local and self.month > self.exit_month_actual:
            c.hosts_after_exit[host.row] = c.hosts_after_exit.get(host.row, 0) + 1
        # How well the agenda fits each row (`Community.fit`): its BLAS products here (the agenda's length as
        # np.linalg.norm computes it: the square root of its dot product with itself), the division compiled.
        interests, lengths = c._interests()
        venue = a.digital_ties if host.online else 1.0
        # A convener in control runs its meetings to a routine; those who come pick it up
        # (organisational routines carry know-how: Nelson & Winter 1982; Argote & Ingram 2000).
        learnt = (a.routine_learning * c.convener.control_exercised * c.convener.intensity
                  if host == CONVENER and a.routine_learning > 0 else 0.0)
        # One compiled call (kernels.hold_meeting_at) from who comes to whom they meet: who comes (`_attend`); online,
        # most read along and the moderator takes part and tires; a local host takes part, learns by doing (its
        # capacity grows: assumption) and tires; those who came learn the routine and take away what the meeting was
        # worth to each (member_benefit x fit x venue - cost, counted when it next takes stock: `kernels.gather`);
        # then the encounters (`_renewal_weights`). Each stream is passed by its handle (kernels.rng).
        ties, streams = self.ties, c.streams
        split = self._time_split(c, -a.attention_split)
        handles = np.array([kernels.handle_of(streams.attendance),
                            kernels.handle_of(streams.digital) if host.online else _NO_STREAM,
                            kernels.handle_of(streams.encounters)])
        (people, ties.a, ties.b, ties.strength, ties.value, ties.touched, ties.common, ties._sorted,
         formed) = kernels.hold_meeting_at(
            handles, _KINDS[host.kind], host.row, c.rows, c.everyone, c.current, float(cost), members.engagement,
            members.availability if a.availability_shape > 0 else _NONE, _NONE if split is None else split,
            a.digital_turnout, a.host_fatigue * a.moderation_cost, a.hosting_learning, a.host_fatigue,
            members.capacity, self.fatigue, interests @ agenda, lengths, np.sqrt(agenda.dot(agenda)), self.know_how,
            float(learnt), self.meeting_value, float(p["member_benefit"]), float(venue), attended_month, fit_month,
            ties.a, ties.b, ties.strength, ties.value, ties.touched, ties.common, ties._sorted, members.sector,
            members.assets, p["tie_gain"] * venue, a.known_tie_weight, a.fit_weight, float(a.conversations),
            self._renewal_weights(), int(a.encounters), float(p["homophily"]), float(p["triadic_closure"]),
            float(self._broker_rate(c, host)), float(p["brokering"]))
        if formed:
            ties.version += 1
        c.attended = people
        c.last_host, c.last_attendees = host, people
        c.quorate = len(people) >= c.quorum
        if c.quorate:
            c.last_quorate = self.month

    def _attend(self, c, cost: float) -> np.ndarray:
        """Which of the community's rows come: likelier the more engaged and the more available (a lasting
        trait of the organisation), less likely the dearer, and less likely for an organisation whose time
        is split across communities. (A meeting runs this rule within its one call: kernels.hold_meeting_at.)"""
        # chance = engagement x (1 - cost) x member [x availability] [x m^-attention_split] (compiled: `kernels.attend`)
        members = self.members
        split = self._time_split(c, -self.assumptions.attention_split)
        return kernels.attend(members.engagement, c.rows, c.everyone, float(cost), c.current,
                              members.availability if self.assumptions.availability_shape > 0 else _NONE,
                              _NONE if split is None else split, c.streams.attendance.random(len(c.rows)))

    def _broker_rate(self, c, host: Host) -> float:
        """Introductions per attendee: the convener brokers at its meetings, scaled by its intensity;
        a local leader brokers as far as its capacity allows (what a handover builds up)."""
        if host == CONVENER:
            return self.p["brokering"] * c.convener.reach
        if host.online:
            return 0.0
        return self.p["brokering"] * self.members.capacity[host.row]

    # -- encounters at a meeting ----------------------------------------------------------------
    def _renewal_weights(self) -> np.ndarray:
        """Attendees renew ties with those they know, then meet strangers, friends of friends, and
        people the host introduces; every new or renewed contact gains by its value (compiled: `kernels.meet`,
        within the meeting's one call, `kernels.hold_meeting_at`). Returns each tie's claim on the conversations.

        Renewal: a member only has so many conversations at one meeting: with more acquaintances there,
        each is renewed less often (Jin, Girvan & Newman 2001). Conversations go to acquaintances in
        proportion to (strength x (1 + common contacts))^renewal_weighting: one catches up with close,
        embedded contacts first (Feld 1981; Krackhardt 1999), so bridges lapse. Then each attendee meets
        someone at random, from its own sector with chance `homophily`; some meet a friend of a friend
        who is present (triadic closure); the host introduces attendees across sectors (`introductions`).
        A contact between i and j is worth more between complementary members on a fitting agenda: it
        gains tie_gain x venue x (known_tie_weight x complementarity + fit_weight x (fit[i] + fit[j])).
        """
        ties, k = self.ties, self.assumptions.renewal_weighting
        # Renewal weights (strength x (1 + common))^k: with k = 1 the kernel computes them; another k takes NumPy's
        # power here (its SIMD pow can differ from the C library's in the last bit).
        return _NONE if k == 1 else np.ones(len(ties)) if k == 0 else (ties.strength * (1.0 + ties.common)) ** k
