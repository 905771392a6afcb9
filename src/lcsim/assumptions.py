"""Every constant of the model's rules, as data: value, meaning, unit, plausible range, source.

The parameter schema (`lcsim.parameters.SCHEMA`) holds what a user describes (the community,
the convener, the plan); this table holds what the model *assumes* about how communities work.
Both are checked the same way and can be fixed or varied the same way:

    lcsim.simulate(seed=1, assumptions={"engagement_rate": 0.2})
    LearningCommunity(rng=1, assumptions=Assumptions.of(engagement_rate=0.2))
    lcsim run --set assumptions.engagement_rate=0.2
    [vary] "assumptions.engagement_rate" = [0.2, 0.6]        # in an experiment file

A value is either sourced (the source is named; `docs/sources.md` has the references) or marked
*assumption*. `docs/model.md`'s constants table is generated from this table.
"""

from __future__ import annotations

from dataclasses import fields, make_dataclass
from typing import Any

from .errors import ParameterError
from .parameters import Parameter, close_match, quoted

PREFIX = "assumptions."  # how an assumption is named where parameters are (`--set`, experiment files)


def _a(name, kind, value, meaning, unit, source, low, high, rule):
    """One assumption: a schema Parameter (so it is checked like one) in group `rule`."""
    return Parameter(name, kind, value, meaning, unit, source, low=low, high=high,
                     sweep=(low, high), group=rule)


TABLE: dict[str, Parameter] = {p.name: p for p in [
    # --- members: who they are when they join ----------------------------------------------------
    _a("asset_profile_weight", "float", 0.8, "weight of the sector's asset profile in a new member's asset mix (the rest is idiosyncratic)",
       "share", "assumption", 0.0, 1.0, "joining"),
    _a("asset_noise_concentration", "float", 2.0, "Dirichlet concentration of a new member's idiosyncratic asset mix",
       "-", "assumption", 0.1, 20.0, "joining"),
    _a("interest_concentration", "float", 0.5, "Dirichlet concentration of a member's interests over agenda topics (below 1: focused)",
       "-", "assumption", 0.05, 10.0, "joining"),
    _a("sector_interest_lean", "float", 0.5, "share of a member's interests in its own sector's concerns (the rest is its own mix)",
       "share", "assumption (the case: topics had to generate value from differences between sectors)", 0.0, 1.0,
       "joining"),
    _a("topics", "int", 4, "agenda topics a community can talk about (members' interests and the agenda are mixes of them)",
       "topics", "assumption", 2, 20, "joining"),
    _a("engagement_shape_b", "float", 4.0, "second shape of the Beta draw of initial engagement (its mean is initial_engagement)",
       "-", "assumption", 0.5, 50.0, "joining"),
    _a("capacity_shape_a", "float", 2.0, "first shape of the Beta draw of a new member's capacity", "-",
       "assumption", 0.1, 50.0, "joining"),
    _a("capacity_shape_b", "float", 4.0, "second shape of the Beta draw of a new member's capacity", "-",
       "assumption", 0.1, 50.0, "joining"),
    _a("propensity_shape_a", "float", 0.4, "first shape of the Beta draw of leadership propensity (heavy-tailed: a few carry the initiative)",
       "-", "van Mierlo 2014 (1% rule: a few members carry most activity); shape is an assumption", 0.05, 10.0, "joining"),
    _a("propensity_shape_b", "float", 3.0, "second shape of the Beta draw of leadership propensity", "-",
       "van Mierlo 2014; shape is an assumption", 0.1, 50.0, "joining"),
    _a("availability_shape", "float", 0.5, "shape a of the Beta(a, a) draw of each organisation's lasting availability (below 1: many with little time, a core with much); 0 removes it (everyone fully available)",
       "-", "Wenger, McDermott & Snyder 2002 (core 10-15%, active 15-20%, the rest peripheral); Project ECHO "
       "(most participants attend a third of sessions or fewer); the Beta form is an assumption", 0.0, 10.0,
       "joining"),
    _a("initial_acquaintance", "float", 0.2, "strength of the few ties members bring, and of a newcomer's tie to its recruiter",
       "strength", "case (\"limited experience collaborating\"); size is an assumption", 0.05, 1.0, "joining"),
    # --- motivation ------------------------------------------------------------------------------
    _a("engagement_rate", "float", 0.6, "monthly change in the log-odds of engagement per unit of value above or below aspiration",
       "per value-month", "assumption (a logistic process: bounded, compounded over the months elapsed)", 0.1, 2.0,
       "motivation"),
    _a("aspiration_adaptation", "float", 0.05, "monthly share of the gap to received value that aspirations close",
       "per month", "assumption (aspiration-level adaptation; half-life about 14 months)", 0.0, 0.3, "motivation"),
    _a("outreach", "float", 0.4, "value per month of the convener's own follow-up with a member it fully reaches", "value per month",
       "Cottica et al.: a manager's comment raised a member's odds of staying active about 5.8 times as much as a peer's "
       "(logit 1.25 vs 0.215); a typical peer tie here is worth about 0.074, so 0.4 is about 5.4 peer ties (the mapping "
       "is an assumption)", 0.0, 1.0, "motivation"),
    _a("known_tie_weight", "float", 0.5, "weight of a pair's complementarity in the gain of a contact (the rest: how well the agenda fits both)",
       "share", "assumption", 0.0, 1.0, "ties"),
    _a("fit_weight", "float", 0.25, "weight of each member's agenda fit in the gain of a contact", "share",
       "assumption", 0.0, 1.0, "ties"),
    # --- capacity --------------------------------------------------------------------------------
    _a("learning_rate", "float", 0.05, "capacity gained from a fully relevant meeting", "capacity",
       "assumption", 0.0, 1.0, "capacity"),
    _a("capacity_erosion", "float", 0.01, "monthly loss of capacity through staff turnover", "per month",
       "assumption", 0.0, 0.5, "capacity"),
    _a("hosting_learning", "float", 0.1, "capacity a leader gains by hosting a meeting (learning by doing)", "capacity",
       "assumption", 0.0, 1.0, "capacity"),
    # --- leaders ---------------------------------------------------------------------------------
    _a("ready_engagement", "float", 0.4, "engagement a member needs before it can step up as a leader", "engagement",
       "assumption", 0.0, 1.0, "leaders"),
    _a("centrality_weight", "float", 0.5, "weight of a member's tie centrality in its chance to step up (the rest is a floor)",
       "share", "assumption", 0.0, 1.0, "leaders"),
    _a("leader_quits_below", "float", 0.25, "a leader whose engagement falls below this steps down", "engagement",
       "assumption", 0.0, 1.0, "leaders"),
    _a("step_down_engagement", "float", 0.7, "share of its engagement a leader keeps when it steps down", "share",
       "assumption", 0.0, 1.0, "leaders"),
    _a("hosting_burnout", "float", 3.0, "how many times likelier the leader who just hosted is to burn out", "x",
       "assumption", 1.0, 20.0, "leaders"),
    # --- leaving ---------------------------------------------------------------------------------
    _a("leaves_below", "float", 0.1, "engagement below which a member may leave", "engagement",
       "assumption", 0.0, 1.0, "leaving"),
    _a("leave_chance", "float", 0.3, "monthly chance that a member whose engagement has faded leaves", "per month",
       "assumption", 0.0, 1.0, "leaving"),
    # --- meetings --------------------------------------------------------------------------------
    _a("quorum_floor", "int", 3, "fewest attendees a meeting needs to count, whatever the quorum share", "members",
       "assumption", 2, 50, "meetings"),
    _a("dissolution_intervals", "float", 2.0, "meeting intervals without a quorate meeting after which a community has dissolved",
       "intervals", "assumption", 1.0, 12.0, "meetings"),
    _a("hosting_cost", "float", 0.3, "cost of hosting a meeting, in value, for a member of full capacity (more for less capacity)",
       "value", "assumption (Diekmann 1985: volunteering has a private cost)", 0.01, 1.0, "hosting"),
    _a("leader_hosting_ease", "float", 0.5, "a leader's cost of hosting relative to a member's (the role, the know-how)",
       "x", "assumption", 0.1, 1.0, "hosting"),
    _a("coordination_scale", "float", 100.0, "members at which the cost of coordinating a meeting has doubled",
       "members", "Provan & Kenis 2008 (shared governance suits small networks); size is an assumption", 5.0, 1000.0,
       "hosting"),
    _a("host_fatigue", "float", 1.0, "how much hosting one meeting raises a member's cost of hosting again (it wears off: fatigue_recovery); 0 removes it",
       "x per meeting hosted", "assumption (volunteers who carry a task burn out: Allen & Mueller 2013; a core "
       "group's coordinating role rotates: Wenger, McDermott & Snyder 2002)", 0.0, 10.0, "hosting"),
    _a("fatigue_recovery", "float", 0.1, "share of a member's hosting fatigue that wears off each month", "per month",
       "assumption", 0.01, 1.0, "hosting"),
    _a("growth_bound", "float", 1.0, "how far recruitment slows as a community outgrows what it can host on its own: newcomers x (1 - K)^this, K the cheapest member's cost-to-benefit of hosting (no limit while a convener hosts); 0 removes it",
       "exponent", "Provan & Kenis 2008 (shared governance does not scale); the form is an assumption", 0.0, 5.0,
       "hosting"),
    _a("outside_exit", "float", 0.01, "monthly chance that a member organisation leaves for reasons outside the community (it loses its funding, its representative moves on); 0 removes it",
       "per month", "assumption (an outside hazard; compare: coalitions past their funding ended at 3-8% a year, "
       "Feinberg et al. 2008)", 0.0, 0.2, "leaving"),
    _a("routine_learning", "float", 0.1, "how much of the convener's hosting routine a member picks up at one of its meetings under full control (it lowers what hosting costs that member: x (1 - know-how)); 0 removes it",
       "share per meeting", "Nelson & Winter 1982; Argote & Ingram 2000 (routines carry know-how between "
       "people); the case (CSA ran the meetings to a format); size is an assumption", 0.0, 1.0, "hosting"),
    _a("local_subsidy", "float", 0.5, "share of attendance cost a local host at full capacity covers", "share",
       "assumption", 0.0, 1.0, "meetings"),
    _a("local_agenda_lean", "float", 0.5, "weight of a local host's own interests in its meeting's agenda (the rest: the members')",
       "share", "assumption", 0.0, 1.0, "meetings"),
    _a("encounters", "int", 1, "chance encounters per attendee per meeting", "per attendee",
       "assumption", 0, 20, "meetings"),
    _a("conversations", "float", 4.0, "acquaintances an attendee catches up with at one meeting", "per attendee",
       "Jin, Girvan & Newman 2001 (a cap on how many ties one keeps up); size is an assumption", 0.5, 50.0, "meetings"),
    _a("renewal_weighting", "float", 1.0, "how far an attendee's conversations go to its closest, most embedded acquaintances present: in proportion to (strength x (1 + common contacts))^this; 0 removes it (all alike)",
       "exponent", "Feld 1981 (ties inside shared foci are kept up); Krackhardt 1999 (ties embedded in cliques are "
       "stronger and more stable); Burt 2002 (bridges decay fast); the form is an assumption", 0.0, 3.0, "meetings"),
    # --- the convener ----------------------------------------------------------------------------
    _a("convener_subsidy", "float", 0.5, "share of attendance cost the convener covers at full intensity", "share",
       "assumption", 0.0, 1.0, "convener"),
    _a("resource_rate", "float", 0.03, "monthly capacity support per member at full intensity and resource_sharing 1",
       "per month", "assumption", 0.0, 0.5, "convener"),
    _a("mentoring_rate", "float", 0.1, "extra monthly capacity support to leaders at full handover", "per month",
       "assumption", 0.0, 1.0, "convener"),
    _a("development_boost", "float", 4.0, "leader emergence is up to 1 + this times likelier at full handover", "x",
       "assumption", 0.0, 20.0, "convener"),
    _a("hosting_effort", "float", 0.2, "share of the convener's monthly effort that hosting one meeting takes",
       "share", "assumption (Cottica's simulator caps a manager's capacity; size is an assumption)", 0.0, 1.0, "convener"),
    # --- the digital channel ---------------------------------------------------------------------
    _a("digital_cost", "float", 0.25, "share of the attendance cost an online meeting costs", "share",
       "assumption", 0.0, 1.0, "digital"),
    _a("digital_turnout", "float", 0.5, "share of would-be attendees who take part online", "share",
       "van Mierlo 2014 (most members of online groups lurk); size is an assumption", 0.0, 1.0, "digital"),
    _a("digital_upkeep", "float", 0.5, "share of tie decay that keeping in touch online prevents while the channel is open",
       "share", "assumption", 0.0, 1.0, "digital"),
    _a("moderation_cost", "float", 0.5, "cost of moderating an online meeting relative to hosting one in person: a channel meeting needs a member who takes it on (the volunteer's dilemma at this share of the cost); 0 removes it (no moderator needed)",
       "x", "Butler, Sproull, Kiesler & Kraut 2007 (online communities are kept up by a few volunteers' "
       "community work); size is an assumption", 0.0, 1.0, "digital"),
    _a("digital_ties", "float", 0.5, "how much ties and value grow online relative to a meeting in person", "x",
       "assumption (the case's channel was a fallback)", 0.0, 1.0, "digital"),
    # --- ties ------------------------------------------------------------------------------------
    _a("forget_below", "float", 0.05, "a tie weaker than this is forgotten: a contact no one would call on", "strength",
       "assumption", 0.0, 0.5, "ties"),
    _a("embeddedness_protection", "float", 0.5, "how much each common contact slows a tie's decay (decay / (1 + this x common contacts))",
       "per contact", "Burt 2002 (bridges decay faster); Jin, Girvan & Newman 2001 (ties in triangles last); size is an assumption",
       0.0, 5.0, "ties"),
    _a("weak_tie_decay", "float", 0.5, "how much faster a weak tie decays than a strong one (decay x (1 - this x strength))",
       "-", "Burt 2000, 2002 (weak ties decay faster); size is an assumption", 0.0, 1.0, "ties"),
    # --- replication -----------------------------------------------------------------------------
    _a("replication_capacity", "float", 0.6, "capacity and engagement a leader needs to start a new community",
       "0-1", "assumption", 0.0, 1.0, "replication"),
    _a("replication_degree", "int", 5, "ties a leader needs to start a new community", "ties",
       "assumption", 0, 100, "replication"),
    _a("invite_share", "float", 0.5, "share of its contacts a founding leader invites to its new community (the strongest first; each comes with chance its engagement)",
       "share", "case (Appleseed replicated the model with original and additional members); size is an assumption", 0.0, 1.0,
       "replication"),
    _a("newcomer_ratio", "float", 1.0, "new organisations a founding leader brings per contact who comes",
       "per contact", "case (\"original and additional members\"); size is an assumption", 0.0, 5.0, "replication"),
    _a("founding_members", "int", 5, "fewest members, the founder included, a new community needs to start (else the attempt fails)",
       "members", "assumption (below it a group cannot hold a quorate meeting)", 2, 100, "replication"),
    _a("founding_demand", "float", 1.0, "how far founding depends on demand around the founder: its chance is replication x (share of its contacts in no other live community)^this; 0 removes it",
       "exponent", "Hannan & Freeman 1989 (density-dependent founding: competition for members); the form is an "
       "assumption", 0.0, 5.0, "replication"),
    _a("newness_hazard", "float", 0.05, "monthly chance that a just-founded community of founding_members breaks up (liability of newness and smallness); 0 removes it",
       "per month", "Stinchcombe 1965; Freeman, Carroll & Hannan 1983 (young, small organisations fail more); "
       "size is an assumption", 0.0, 1.0, "replication"),
    _a("newness_halflife", "float", 12.0, "months over which a founded community's liability of newness halves",
       "months", "Freeman, Carroll & Hannan 1983 (death rates fall with age); size is an assumption", 1.0, 240.0,
       "replication"),
    _a("smallness", "float", 0.5, "how the liability of newness falls with size: x (founding_members / members)^this; 0: size does not matter",
       "exponent", "Freeman, Carroll & Hannan 1983 (liability of smallness); form is an assumption", 0.0, 3.0,
       "replication"),
    _a("founder_effort", "float", 30.0, "members a founding leader of full capacity can fully serve as its community's convener each month",
       "members per month", "assumption (a member organisation convenes with far less than the programme's convener)",
       1.0, 500.0, "replication"),
    # --- a programme: several communities ---------------------------------------------------------
    _a("attention_split", "float", 0.5, "how far membership of m live communities splits an organisation's time: it attends each with m^-this of its chance in one, and hosting costs it m^this as much",
       "exponent", "assumption (a fixed time budget; Wenger 1998 on multimembership); 0: no split, 1: an even split", 0.0, 1.0,
       "programme"),
]}
del _a

DEFAULTS: dict[str, Any] = {name: a.default for name, a in TABLE.items()}


def _unknown(name: str) -> ParameterError:
    match = close_match(name, TABLE)
    tail = f"; did you mean '{PREFIX}{match}'?" if match else ""
    return ParameterError(f"unknown assumption {quoted(name)}{tail} (see `lcsim params --assumptions` for the list)")


_Base = make_dataclass("_AssumptionsBase", [(name, type(value), value) for name, value in DEFAULTS.items()],
                       frozen=True)


class Assumptions(_Base):
    """Every constant of the model's rules, frozen. `Assumptions()` holds the documented values.

    Build others with `Assumptions.of(name=value, ...)` or `.replace(...)`: each value is checked
    against its range, and an unknown name or bad value raises the one-line ParameterError.
    """

    __slots__ = ()

    @classmethod
    def of(cls, overrides: dict[str, Any] | Assumptions | None = None, **more) -> Assumptions:
        if isinstance(overrides, Assumptions):
            if not more:
                return overrides
            overrides = overrides.as_dict()
        values = dict(DEFAULTS)
        for name, value in {**(overrides or {}), **more}.items():
            entry = lookup(name)
            values[entry.name] = _checked(entry, entry.check, value)
        return cls(**values)

    def replace(self, **changes) -> Assumptions:
        return Assumptions.of({**self.as_dict(), **changes})

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def changed(self) -> dict[str, Any]:
        """The values that differ from the documented ones."""
        return {k: v for k, v in self.as_dict().items() if v != DEFAULTS[k]}


def _checked(entry: Parameter, convert, value: Any) -> Any:
    """`convert(value)` (the entry's check or parse), its error naming an assumption, not a parameter."""
    try:
        return convert(value)
    except ParameterError as err:
        raise ParameterError(str(err).replace(f"parameter '{entry.name}'", f"assumption '{entry.name}'", 1)) from None


def lookup(name: str) -> Parameter:
    """The Parameter entry of an assumption named `name` or `assumptions.name`."""
    key = name[len(PREFIX):] if isinstance(name, str) and name.startswith(PREFIX) else name
    if key not in TABLE:
        raise _unknown(str(key))
    return TABLE[key]


def parse_assignment(name: str, raw: str) -> tuple[str, Any]:
    """`--set assumptions.NAME=VALUE`: the assumption's name (without prefix) and checked value."""
    entry = lookup(name)
    return entry.name, _checked(entry, entry.parse, raw)


DOCUMENTED = Assumptions()
