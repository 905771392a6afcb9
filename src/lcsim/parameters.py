"""The one parameter schema.

Every surface reads this table: `lcsim.simulate`, the CLI (`--set`, `lcsim params`),
experiment files, the trainer's app and the parameter table in `docs/model.md`.
A parameter that is not here does not exist.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any

from .errors import ParameterError  # noqa: F401  (re-exported: the schema's error)
from .strategies import EXIT_STRATEGIES, GRADUAL
from .values import number as number_from_text

SECTORS = ("cso", "business", "academia", "government")




@dataclass(frozen=True)
class Parameter:
    name: str
    kind: str  # "int", "float", "bool" or "choice"
    default: Any
    meaning: str
    unit: str
    source: str
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    sweep: tuple = ()  # (low, high) for numbers, a tuple of values for bool/choice
    group: str = "model"

    @property
    def allowed(self) -> str:
        """What values are allowed, in words (used in errors and tables)."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return "one of " + ", ".join(self.choices)
        kind = "an integer" if self.kind == "int" else "a number"
        return f"{kind} in [{_fmt(self.low)}, {_fmt(self.high)}]"

    @property
    def range_text(self) -> str:
        if self.kind == "bool":
            return "true/false"
        if self.kind == "choice":
            return "|".join(self.choices)
        return f"{_fmt(self.low)}..{_fmt(self.high)}"

    def check(self, value: Any, shown: str | None = None) -> Any:
        """Return `value` converted to this parameter's type, or raise ParameterError."""
        def refuse(why: str = "") -> ParameterError:
            extra = f" ({why})" if why else ""
            said = " ".join((shown if shown is not None else repr(value)).split())  # one line, however odd
            said = said if len(said) <= 60 else said[:40] + "..." + said[-12:]
            return ParameterError(f"parameter '{self.name}': {said} is not allowed{extra}; expected {self.allowed}")

        if getattr(value, "shape", ()) != ():  # a numpy array (or the like): one value is expected
            raise refuse("an array, not one value")
        if self.kind == "bool":
            if isinstance(value, (bool,)) or (hasattr(value, "dtype") and value.dtype == bool):
                return bool(value)
            raise refuse()
        if self.kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return value
            hint = _close(value, self.choices) if isinstance(value, str) else ""
            raise refuse(hint)
        if isinstance(value, bool) or not isinstance(value, (int, float)) and not _is_numpy_number(value):
            raise refuse("wrong type")
        if isinstance(value, int) or (hasattr(value, "dtype") and value.dtype.kind in "iu"):
            number = int(value)  # exact: a huge integer is out of range, not an overflow
            if not (self.low <= number <= self.high):
                raise refuse("out of range")
            return number if self.kind == "int" else float(number)
        number = float(value)
        if math.isnan(number) or math.isinf(number):
            raise refuse()
        if self.kind == "int":
            if number != int(number):
                raise refuse("not a whole number")
            number = int(number)
        if not (self.low <= number <= self.high):
            raise refuse("out of range")
        return number

    def parse(self, text: str) -> Any:
        """Convert command-line text (`--set name=value`) to this parameter's type and check it."""
        raw = text.strip()
        if self.kind == "bool":
            lowered = raw.lower()
            if lowered in ("true", "yes", "1", "on"):
                return True
            if lowered in ("false", "no", "0", "off"):
                return False
            return self.check(raw, shown=repr(raw))
        if self.kind == "choice":
            return self.check(raw, shown=repr(raw))
        shown = raw if raw.isprintable() and len(raw) <= 40 else repr(raw[:40])
        try:
            value = number_from_text(raw)  # as the user means it: ASCII digits, no silent rounding to 0 or inf
        except ValueError as why:
            raise ParameterError(f"parameter '{self.name}': {shown} is not allowed ({why}); "
                                 f"expected {self.allowed}") from None
        if isinstance(value, float) and self.kind == "int" and value == int(value):
            value = int(value)
        return self.check(value, shown=shown)


def _fmt(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _is_numpy_number(value) -> bool:
    return hasattr(value, "dtype") and value.dtype.kind in "iuf"


def close_match(name: str, names) -> str | None:
    found = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return found[0] if found else None


def _close(name: str, names) -> str:
    match = close_match(name, names)
    return f"did you mean '{match}'?" if match else ""


P = Parameter
SCHEMA: dict[str, Parameter] = {p.name: p for p in [
    # --- the programme: size, horizon and the convener's exit ---------------------------------
    P("n_members", "int", 150, "organisations in the community at month 0", "organisations",
      "assumption (the case: 46 CSOs plus allies over three LCs; its successor about 80 CSOs)",
      low=5, high=5000, sweep=(40, 400), group="programme"),
    P("max_members", "int", 5000, "most organisations a community may hold: recruiting stops there, and the run records "
      "that it reached the cap (a bound on runaway growth)", "organisations",
      "assumption (a bound, not a finding: no learning community in the sources approaches it)",
      low=5, high=20000, sweep=(5000, 5000), group="programme"),
    P("n_communities", "int", 1, "learning communities the convener convenes at once at month 0 (a programme); each has "
      "n_members organisations", "communities", "case (CSA convened three learning communities together)",
      low=1, high=50, sweep=(1, 5), group="programme"),
    P("shared_members", "float", 0.0, "share of each convened community's month-0 members, after the first community, who "
      "already belong to an earlier one (ties are between organisations, so they carry across)", "share",
      "assumption (the case's CSOs met across its three communities; no count is published)",
      low=0.0, high=0.9, sweep=(0.0, 0.5), group="programme"),
    P("max_communities", "int", 50, "most communities a run may hold, convened and replicated: at the cap no new community "
      "starts, and the attempt is counted in replications_capped", "communities",
      "assumption (a bound on runaway replication, not a finding)", low=1, high=500, sweep=(50, 50), group="programme"),
    P("months", "int", 72, "simulated horizon", "months",
      "assumption (three years of convening and three after, as in the case)",
      low=2, high=600, sweep=(48, 120), group="programme"),
    P("exit_month", "int", 36, "month at which the convener is fully gone", "month",
      "case (CSA convened about three years, 2017-2020)", low=1, high=600, sweep=(12, 48), group="programme"),
    P("exit_strategy", "choice", "phase_out", "how the convener withdraws", "-",
      "Rogers & Coates 2015 (phase down / out / over); stay is the control arm",
      choices=EXIT_STRATEGIES, sweep=EXIT_STRATEGIES, group="programme"),
    P("transition_months", "int", 12, "length of the taper (phase_down) or handover (phase_over) before exit", "months",
      "assumption", low=1, high=120, sweep=(3, 24), group="programme"),
    P("exit_trigger", "choice", "none", "a signpost that makes the convener step back before exit_month (then the latest "
      "month, a backstop): none, or local_hosting (members hosted trigger_share of the last trigger_window meetings)",
      "-", "adaptive pathways (Haasnoot et al. 2013); case lesson: hand over as members take up hosting",
      choices=("none", "local_hosting"), sweep=("none", "local_hosting"), group="programme"),
    P("trigger_share", "float", 0.5, "local_hosting trigger: share of the last trigger_window meetings that members "
      "(not the convener) hosted at which the convener steps back", "share", "assumption (a designer's choice)",
      low=0.05, high=1.0, sweep=(0.25, 0.9), group="programme"),
    P("trigger_window", "int", 4, "local_hosting trigger: the meetings (over its convened communities) the convener "
      "looks back on; it acts only once it has seen this many", "meetings", "assumption (a designer's choice)",
      low=1, high=24, sweep=(2, 8), group="programme"),
    P("control", "float", 0.5, "convener's style: share of hosting and agenda it keeps for itself", "0-1",
      "case lesson: balance convening and letting others lead", low=0.0, high=1.0, sweep=(0.0, 1.0), group="convener"),
    P("brokering", "float", 0.5, "cross-sector introductions per attendee at a meeting the convener hosts (a local host brokers this times its capacity)", "per attendee",
      "case lesson: new linkages among participants; rate is an assumption",
      low=0.0, high=3.0, sweep=(0.0, 1.5), group="convener"),
    P("convener_effort", "int", 100, "members the convener can fully serve in a month (follow-up, brokering, resources, "
      "mentoring); hosting a meeting takes a share of it", "members per month",
      "Cottica's community-management simulator (a manager's capacity cap); size is an assumption",
      low=1, high=5000, sweep=(20, 400), group="convener"),
    P("resource_sharing", "float", 0.5, "convener's monthly support to members' capacity at full intensity", "0-1",
      "Rogers & Coates 2015 (resources, capacity); size is an assumption",
      low=0.0, high=1.0, sweep=(0.0, 1.0), group="convener"),
    P("digital_channel", "bool", False, "a cheap online venue, open once the convener has left", "-",
      "case (a social-media channel after CSA ended)", sweep=(False, True), group="convener"),
    # --- the community ---------------------------------------------------------------------------
    P("cso_share", "float", 0.7, "share of CSOs at month 0; the rest split evenly among business, academia, government",
      "share", "case (mostly CSOs, with allies from the private sector, academia and local government)",
      low=0.0, high=1.0, sweep=(0.25, 1.0), group="community"),
    P("complementarity", "float", 0.7, "how different the sectors' assets are (0: all alike)", "0-1",
      "case lesson: value from complementary differences; size is an assumption",
      low=0.0, high=1.0, sweep=(0.0, 1.0), group="community"),
    P("initial_engagement", "float", 0.6, "mean engagement of members at month 0", "0-1",
      "case (all members said they wanted to keep taking part); size is an assumption",
      low=0.05, high=1.0, sweep=(0.3, 0.9), group="community"),
    P("member_benefit", "float", 1.0, "value a member gets from a meeting that fits its interests and from its ties", "0-2",
      "Rogers & Coates 2015 (motivation: benefits to participants)", low=0.0, high=2.0, sweep=(0.0, 2.0),
      group="community"),
    P("aspiration", "float", 0.3, "value a member expects per month at the start; engagement grows above it, fades below, and it adapts to what members get", "value per month",
      "calibrated: about what a member gets in the first months (0.24-0.29 on default when it was set; 0.31-0.33 at months 3-6 with the issue-20 rules), as the case's members all wanted to keep taking part at the fourth event (docs/sources.md); aspiration-level adaptation is an assumption", low=0.0, high=1.0, sweep=(0.15, 0.6), group="community"),
    P("attendance_cost", "float", 0.3, "cost of attending a meeting no one subsidises (time, travel)", "value",
      "assumption", low=0.0, high=1.0, sweep=(0.0, 0.6), group="community"),
    P("meeting_interval", "int", 3, "months between meetings", "months",
      "case (LC events a few times a year)", low=1, high=12, sweep=(1, 6), group="community"),
    P("quorum", "float", 0.1, "attendance a meeting needs to count, as a share of n_members", "share",
      "assumption", low=0.0, high=1.0, sweep=(0.05, 0.25), group="community"),
    # --- ties -----------------------------------------------------------------------------------
    P("homophily", "float", 0.6, "chance that a chance encounter at a meeting is with one's own sector", "probability",
      "assumption (homophily; Scheinert et al. 2017 estimated it for a multi-sector network)",
      low=0.0, high=1.0, sweep=(0.2, 0.9), group="ties"),
    P("triadic_closure", "float", 0.3, "chance per attendee per meeting of meeting a friend of a friend", "probability",
      "Jackson & Rogers 2007; Jin, Girvan & Newman 2001", low=0.0, high=1.0, sweep=(0.0, 0.8), group="ties"),
    P("tie_gain", "float", 0.4, "strengthening of a tie per interaction of full value", "strength",
      "assumption", low=0.0, high=1.0, sweep=(0.1, 0.8), group="ties"),
    P("tie_decay", "float", 0.15, "monthly loss of tie strength without contact (weak ties decay faster)", "per month",
      "Burt 2000, 2002 (most bridges gone within a year)", low=0.0, high=1.0, sweep=(0.02, 0.2), group="ties"),
    # --- leaders, turnover, replication ----------------------------------------------------------
    P("leadership", "float", 0.08, "monthly chance that a ready member with the highest propensity steps up", "per month",
      "case lesson (leaders emerge unpredictably); size is an assumption",
      low=0.0, high=1.0, sweep=(0.0, 0.3), group="leaders"),
    P("burnout", "float", 0.03, "monthly chance that a leader steps down, higher after hosting", "per month",
      "assumption", low=0.0, high=1.0, sweep=(0.0, 0.1), group="leaders"),
    P("join_rate", "float", 0.01, "new organisations brought in per engaged member per month while the community is alive",
      "per member-month", "assumption (growth through members' ties)", low=0.0, high=0.2, sweep=(0.0, 0.03),
      group="leaders"),
    P("replication", "float", 0.02, "monthly chance that a strong leader starts a new community", "per month",
      "case (Appleseed replicated the LC model); docs/sources.md (savings-group replication as an upper reference)",
      low=0.0, high=1.0, sweep=(0.0, 0.05), group="leaders"),
]}
del P

DEFAULTS: dict[str, Any] = {name: p.default for name, p in SCHEMA.items()}


def quoted(name: str) -> str:
    """A user's name for something, quoted, on one short line whatever it holds."""
    return f"'{name}'" if name.isprintable() and len(name) <= 60 else repr(name[:40])


def unknown(name: str) -> ParameterError:
    match = close_match(name, SCHEMA)
    tail = f"; did you mean '{match}'?" if match else ""
    return ParameterError(f"unknown parameter {quoted(name)}{tail} (see `lcsim params` for the list)")


def check_params(params: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return a complete, checked parameter dict: `base` (default: the defaults) updated by `params`.

    Raises ParameterError naming the parameter, the value and what is allowed.
    """
    merged = dict(DEFAULTS if base is None else base)
    for name, value in params.items():
        if name not in SCHEMA:
            raise unknown(name)
        merged[name] = SCHEMA[name].check(value)
    check_consistency(merged)
    return merged


def check_consistency(p: dict[str, Any]) -> None:
    """Rules that tie parameters together."""
    if "max_members" in p and p["n_members"] > p["max_members"]:
        raise ParameterError(
            f"parameter 'n_members': {p['n_members']} is not allowed; expected at most max_members "
            f"({p['max_members']}), the cap on how large a community may grow")
    if "n_communities" in p:
        if p["n_communities"] > p["max_communities"]:
            raise ParameterError(
                f"parameter 'n_communities': {p['n_communities']} is not allowed; expected at most max_communities "
                f"({p['max_communities']}), the cap on how many communities a run may hold")
        if p["shared_members"] > 0 and p["n_communities"] == 1:
            raise ParameterError(
                f"parameter 'shared_members': {p['shared_members']:g} is not allowed; expected 0 when n_communities "
                f"is 1 (there is no other community to share members with)")
        if round(p["shared_members"] * p["n_members"]) >= p["n_members"] and p["n_communities"] > 1:
            raise ParameterError(
                f"parameter 'shared_members': {p['shared_members']:g} is not allowed; expected a share that leaves each "
                f"community at least one organisation of its own (n_members {p['n_members']})")
    if p["exit_month"] > p["months"]:
        raise ParameterError(
            f"parameter 'exit_month': {p['exit_month']} is not allowed; expected at most months ({p['months']})")
    if p["exit_strategy"] in GRADUAL and p["transition_months"] > p["exit_month"]:
        raise ParameterError(
            f"parameter 'transition_months': {p['transition_months']} is not allowed; expected at most "
            f"exit_month ({p['exit_month']}) for {p['exit_strategy']}")


def parse_assignment(text: str) -> tuple[str, Any]:
    """Parse one `name=value` from the command line."""
    if "=" not in text:
        raise ParameterError(f"--set {text!r}: expected name=value, e.g. --set control=0.3")
    name, _, raw = text.partition("=")
    name = name.strip().replace("-", "_")
    if name not in SCHEMA:
        raise unknown(name)
    return name, SCHEMA[name].parse(raw)
