"""Quantitative targets: what is known about communities like the model's, as data (docs/targets.md).

Each `Target` is one observation from a source, the population it was measured on, how it maps
onto the model's outputs (a function of a runs table and, where needed, a monthly table) and a
tolerance band that says how loosely it applies to learning communities. Targets of one group
(`group`) come from the same source or pattern and are left out together in the held-out check.

The runs table is one row per run: `simulate(...).summary`, plus the per-member statistics the
model does not report, which `observe` measures from a model run (participation inequality and
bridge decay), plus `scenario`. A target whose columns are absent (a model version without
them) is *not measurable*: `measure` gives NaN and `status` says so; nothing raises.

    from lcsim.calibration import targets
    runs = targets.observe_runs("default", seeds=range(20))
    for t in targets.TARGETS.values():
        print(t.key, t.measure(runs), t.band)
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UsageError

NAN = float("nan")
NOT_MEASURABLE = "not measurable with this model version"
MISS = 10.0  # distance of a statistic that came out NaN (e.g. no meeting was held): far outside any band


# -- per-member statistics the model does not output ---------------------------------------------
@dataclass
class Tracker:
    """Follows one run month by month: who attends the meetings the convener's communities hold
    before the exit, and which ties a year before the exit still exist at the exit (bridges against
    embedded ties). Attendance is per membership (an organisation in two communities is counted in
    each); communities started by replication are left out (the sources measure convened ones)."""

    exit_month: int
    held: dict = field(default_factory=dict)  # community -> meetings held while each of its rows was a member
    came: dict = field(default_factory=dict)  # community -> meetings each of its rows attended
    snapshot: tuple | None = None  # (keys, bridge mask, a, b) of the ties a year before the exit
    retention: tuple[float, float] = (NAN, NAN)  # (bridges, embedded) still there a year later
    measurable: bool = True

    @property
    def snapshot_month(self) -> int:
        return max(self.exit_month - 12, 1)

    def meetings(self, model) -> list[tuple]:
        """This month's in-person meetings: (community key, member rows, current mask, attendee rows)."""
        communities = getattr(model, "communities", None)
        if communities is not None:
            return [(c.index, c.rows, c.current, c.attended) for c in communities
                    if getattr(c, "origin", "convened") == "convened" and c.host is not None
                    and getattr(c.host, "kind", "") != "digital"]
        record = model.records[-1] if model.records else {}  # the one-community model
        if record.get("meeting") and record.get("host") != "digital":
            rows = np.arange(len(model.members.active))
            return [(0, rows, np.asarray(model.members.active, bool), np.asarray(model.last_attendees, np.int64))]
        return []

    def after_step(self, model) -> None:
        if not self.measurable:
            return
        try:
            month, ties = model.month, model.ties
            active = np.asarray(model.members.active, bool)
            if month <= self.exit_month:
                for key, rows, current, attendees in self.meetings(model):
                    n = len(rows)
                    held, came = self.held.get(key, np.zeros(0)), self.came.get(key, np.zeros(0))
                    if len(held) < n:
                        held = np.concatenate([held, np.zeros(n - len(held))])
                        came = np.concatenate([came, np.zeros(n - len(came))])
                    held[:n] += np.asarray(current, bool)
                    pos = np.searchsorted(rows, np.asarray(attendees, np.int64))
                    came[pos[(pos < n)]] += 1
                    self.held[key], self.came[key] = held, came
            if month in (self.snapshot_month, self.snapshot_month + 12):
                both = active[ties.a] & active[ties.b]
                keys = np.asarray(ties.keys)[both]
                if month == self.snapshot_month:
                    self.snapshot = (keys, np.asarray(ties.common)[both] == 0, ties.a[both], ties.b[both])
                elif self.snapshot is not None:
                    old, bridge, a, b = self.snapshot
                    stayed = active[a] & active[b]  # both ends still members a year later (Burt: people who stayed)
                    there = np.isin(old, keys)
                    self.retention = (share(there[bridge & stayed]), share(there[~bridge & stayed]))
        except AttributeError:  # a model without these tables: the statistics are not measurable
            self.measurable = False

    def stats(self) -> dict:
        if not self.measurable:
            return {}
        held = np.concatenate(list(self.held.values())) if self.held else np.zeros(0)
        came = np.concatenate(list(self.came.values())) if self.came else np.zeros(0)
        seen = came > 0  # participants: members who came at least once (ECHO's population)
        rate = came[seen] / np.maximum(held[seen], 1)
        return {"participants": int(seen.sum()),
                "low_attender_share": share(rate < 1 / 3),
                "high_attender_share": share(rate >= 2 / 3),
                "bridge_retention": self.retention[0],
                "embedded_retention": self.retention[1]}


def share(mask) -> float:
    mask = np.asarray(mask, bool)
    return float(mask.mean()) if mask.size else NAN


def observe(seed: int, scenario: str = "default", params: dict | None = None, assumptions=None) -> dict:
    """One run, as `simulate` would give it, with the per-member statistics targets need.

    The summary is exactly `simulate(seed, scenario, **params).summary` (the same model, stepped
    month by month); to it are added `participants`, `low_attender_share`, `high_attender_share`
    (attendance over the meetings held before the exit, among members who came at least once),
    `bridge_retention` and `embedded_retention` (the share of the ties with no common contact, and
    with some, a year before the exit that still exist at the exit, between members still there).
    """
    from ..model.model import LearningCommunity
    from ..model.outcomes import summarize
    from ..simulation import run_months

    model = LearningCommunity(rng=seed, scenario=scenario, collect=False, assumptions=assumptions, **(params or {}))
    tracker = Tracker(int(model.p["exit_month"]))
    for _ in range(int(model.p["months"])):
        run_months(model, 1)
        tracker.after_step(model)
    return {**summarize(model), **tracker.stats(), "scenario": scenario, "seed": int(seed)}


def observe_runs(scenario: str, seeds: Iterable[int], params: dict | None = None, assumptions=None) -> pd.DataFrame:
    """`observe` for each seed: a runs table (one row per run)."""
    return pd.DataFrame([observe(int(s), scenario, params, assumptions) for s in seeds])


# -- statistics: functions of a runs table (and, where needed, its monthly table) --------------
class alive_after:  # noqa: N801 (a statistic, named like the functions beside it; a class so it pickles)
    """Share of runs still meeting `months` after the convener's exit."""

    def __init__(self, months: int):
        self.months = int(months)

    def __call__(self, runs: pd.DataFrame, monthly: pd.DataFrame | None = None) -> float:
        m, censored = runs["months_alive_after_exit"].to_numpy(float), runs["censored"].astype(bool).to_numpy()
        return float(((m >= self.months) | censored).mean())


class mean_of:  # noqa: N801
    """Mean over runs of one column (runs where it is undefined left out)."""

    def __init__(self, column: str):
        self.column = column

    def __call__(self, runs: pd.DataFrame, monthly: pd.DataFrame | None = None) -> float:
        values = pd.to_numeric(runs[self.column], errors="coerce").dropna()
        return float(values.mean()) if len(values) else NAN


def retention_gap(runs: pd.DataFrame, monthly: pd.DataFrame | None = None) -> float:
    both = runs[["embedded_retention", "bridge_retention"]].apply(pd.to_numeric, errors="coerce").dropna()
    return float((both["embedded_retention"] - both["bridge_retention"]).mean()) if len(both) else NAN


def any_replication(runs: pd.DataFrame, monthly: pd.DataFrame | None = None) -> float:
    return float((pd.to_numeric(runs["replications"]) > 0).mean())


def new_groups_per_group(runs: pd.DataFrame, monthly: pd.DataFrame | None = None) -> float:
    """Communities started by replication per community the convener started (over all runs)."""
    new = pd.to_numeric(runs["replications"]).sum()
    started = (pd.to_numeric(runs["communities_ever"]) - pd.to_numeric(runs["replications"])).sum()
    return float(new / started) if started > 0 else NAN


# -- the targets ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """One quantitative target: an observation, its source and population, its map onto the model, a band."""

    key: str  # the statistic's name
    group: str  # targets from one source or pattern; left out together in the held-out check
    title: str
    observation: str  # what was observed, in the source's words
    value: float  # the observed value (the centre the band is drawn around)
    low: float  # the tolerance band: values in [low, high] count as reproducing the target
    high: float
    source: str
    population: str  # what the observation was measured on
    mapping: str  # how it maps onto the model's outputs, in words
    statistic: Callable = field(repr=False, compare=False)  # (runs, monthly) -> float
    requires: tuple[str, ...] = ()  # columns of the runs table the statistic reads
    scenario: str | None = None  # the scenario it is measured on (None: the one being calibrated)
    confirmed: str = ""  # what could be confirmed in the source, and what not
    band_reason: str = ""  # why the band is as wide as it is
    scale: float | None = None  # distance unit outside the band (default: the band's width, or 0.1)

    @property
    def band(self) -> tuple[float, float]:
        return self.low, self.high

    @property
    def unit(self) -> float:
        if self.scale:
            return float(self.scale)
        width = self.high - self.low
        return float(width) if width > 0 else 0.1

    def measurable(self, columns: Iterable[str]) -> bool:
        return set(self.requires) <= set(columns)

    def measure(self, runs: pd.DataFrame, monthly: pd.DataFrame | None = None) -> float:
        """The statistic on `runs` (only the rows of its scenario when `runs` has a scenario column);
        NaN when the runs lack its columns (not measurable) or hold no run of its scenario."""
        if not self.measurable(runs.columns):
            return NAN
        if self.scenario is not None and "scenario" in runs.columns:
            runs = runs[runs["scenario"] == self.scenario]
        if not len(runs):
            return NAN
        value = self.statistic(runs, monthly)
        return float(value) if value is not None else NAN

    def inside(self, value: float) -> bool:
        return bool(np.isfinite(value) and self.low <= value <= self.high)

    def distance(self, value: float) -> float:
        """0 inside the band; outside, how far beyond its nearer edge, in units of `unit`; MISS if NaN."""
        if value is None or not np.isfinite(value):
            return MISS
        return float(max(self.low - value, 0.0, value - self.high) / self.unit)

    def with_scenario(self, scenario: str) -> Target:
        return replace(self, scenario=scenario)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("key", "group", "title", "observation", "value", "low", "high",
                                              "source", "population", "mapping", "requires", "scenario",
                                              "confirmed", "band_reason")}


SURVIVAL = "survival"
CASE = "case"
PARTICIPATION = "participation"
BRIDGES = "bridges"
REPLICATION = "replication"

TARGETS: dict[str, Target] = {t.key: t for t in [
    Target("alive_20m", SURVIVAL, "Coalitions still exist 20 months after support ends",
           "Twenty months after study support ended, 11 of 12 Communities That Care coalitions in the "
           "Community Youth Development Study still existed.",
           11 / 12, 0.65, 1.0,
           "Gloppen, Arthur, Hawkins & Shapiro (2012), J Adolesc Health 51(3):259-264 (docs/sources.md)",
           "12 prevention coalitions in a community-randomised trial (seven US states), after research support ended",
           "share of runs still meeting 20 months after the convener's exit (`months_alive_after_exit` >= 20 or "
           "censored)",
           alive_after(20), ("months_alive_after_exit", "censored"),
           confirmed="confirmed: the abstract (PubMed 22921136; pmc.ncbi.nlm.nih.gov/articles/PMC3428591) states 11 "
                     "of 12 coalitions existed 20 months after study support ended",
           band_reason="12 coalitions: the 95% Wilson interval of 11/12 is about 0.65-0.99; coalitions are "
                       "funded, staffed bodies, which a learning community is not, so nothing tighter"),
    Target("alive_36m", SURVIVAL, "Coalitions sustained years after funding ends",
           "Communities That Care in Pennsylvania: 90% continued after the 3-year initial funding, 3-8% "
           "terminating each year thereafter, about two thirds operating 4 years after the grant ended. "
           "HCAP: 68% of federally funded coalitions were sustained after federal funding expired.",
           0.75, 0.6, 0.9,
           "Feinberg, Bontempo & Greenberg (2008), Am J Prev Med 34(6):495-501; NORC for ASPE (2012), An "
           "Assessment of the Sustainability and Impact of Community Coalitions once Federal Funding has Expired",
           "110 CTC coalitions in Pennsylvania; HCAP coalitions surveyed after funding ended (2000-2006 grants)",
           "share of runs still meeting at the horizon, 36 months after the exit (`survived`)",
           alive_after(36), ("months_alive_after_exit", "censored"),
           confirmed="confirmed: the CTC abstract (PubMed 18471585: 90% continued after the 3-year initial funding, "
                     "3%-8% terminating each year thereafter, about two thirds operating 4 years after) and ASPE's "
                     "'Research Question 1: Sustainability Status' page (aspe.hhs.gov: 68 percent sustained); the "
                     "count 113 of 165 was not seen in what could be read here",
           band_reason="two thirds (CTC at four years, HCAP at various times) to 90% (CTC just after funding, less "
                       "3-8% a year for three years: about 0.70-0.83): 0.6-0.9 covers both studies at three years"),
    Target("share_alive", CASE, "The case's communities continued to meet after CSA ended",
           "\"When CSA concluded, the LCs continued to meet\": read as most of a programme's communities continue.",
           1.0, 0.5, 1.0,
           "The case (Storck & Huerta, USAID/Mexico CSA; `../shared/seed/learning-communities-blog.txt`)",
           "the three learning communities of USAID/Mexico's Civil Society Activity (2017-2020)",
           "mean over runs of `share_alive` (share of the programme's communities alive at the horizon), on "
           "`mexico-csa`",
           mean_of("share_alive"), ("share_alive", "communities_ever"), scenario="mexico-csa",
           confirmed="the case's own account (a blog post by the implementers); no count of communities per year",
           band_reason="one programme, described in words: 'most' (at least half) is all it supports"),
    Target("replicated_share", CASE, "A partner replicated the model",
           "\"partners internalized and replicated the LC model\" (Appleseed): read as replication common "
           "but not universal.",
           0.5, 0.2, 0.95,
           "The case (Storck & Huerta; docs/sources.md)",
           "the same programme",
           "share of `mexico-csa` runs with at least one community started by replication (`replications` > 0)",
           any_replication, ("replications", "communities_ever"), scenario="mexico-csa",
           confirmed="the case's own account; one replication by one partner",
           band_reason="one programme: it shows replication happens, not how often; 'common' is read as at least "
                       "a fifth of programmes, 'not universal' as not nearly all"),
    Target("low_attender_share", PARTICIPATION, "Most participants come to few sessions",
           "In 20 of 28 Project ECHO networks at least half of participants attended a third of sessions or "
           "fewer ('low attenders', 1-32% of sessions).",
           0.5, 0.4, 1.0,
           "Diffin et al. (2021), BMJ Supportive & Palliative Care 11(Suppl 2):A73, P-177 (Hospice UK, Belfast)",
           "1,588 participants of 28 ECHO networks (medical and social-care professionals), mostly nine monthly "
           "online sessions",
           "per run, among members who came to at least one meeting before the exit, the share who came to fewer "
           "than a third of the meetings held while they were members (`low_attender_share`, from `observe`); the "
           "mean over runs",
           mean_of("low_attender_share"), ("low_attender_share",),
           confirmed="confirmed: the abstract (spcare.bmj.com/content/11/Suppl_2/A73.1: low 1-32%, medium 34-67%, high "
                     ">= 68% of sessions; in 20/28 networks >= 50% of participants were low attenders)",
           band_reason="'at least half' in most (20 of 28) networks, not all: the band starts a little below half"),
    Target("high_attender_share", PARTICIPATION, "A core and an active group",
           "Communities of practice have a core group of about 10-15% of members and an active group of "
           "another 15-20%; the rest are peripheral.",
           0.30, 0.15, 0.45,
           "Wenger, McDermott & Snyder (2002), Cultivating Communities of Practice, ch. 3 (docs/sources.md)",
           "practitioners' observation of communities of practice in organisations (no sample stated)",
           "per run, among members who came at least once before the exit, the share who came to two thirds of "
           "the meetings or more (core plus active: they 'attend meetings regularly'; `high_attender_share`); the "
           "mean over runs",
           mean_of("high_attender_share"), ("high_attender_share",),
           confirmed="confirmed in a quoted excerpt of the book: core '10 to 15 percent', active group 'another 15 "
                     "to 20 percent' who attend meetings regularly; the book itself was not read here",
           band_reason="a rule of thumb, not a measurement: 25-35% widened by 10 points each way"),
    Target("bridge_retention", BRIDGES, "Most bridges are gone within a year",
           "Most bridge relations among bankers were gone a year later (bridge decay).",
           0.2, 0.0, 0.5,
           "Burt (2002), Bridge decay, Social Networks 24(4):333-363; Burt (2000), Decay functions (docs/sources.md)",
           "bankers' colleague relations in one investment bank, over four years",
           "per run, of the ties with no common contact a year before the exit (between members still there a "
           "year later), the share that still exists at the exit (`bridge_retention`); the mean over runs",
           mean_of("bridge_retention"), ("bridge_retention",),
           confirmed="not confirmed here: no text of the paper could be read; the claim is as docs/sources.md "
                     "records it (the observed share is not given there, so the centre 0.2 is only illustrative)",
           band_reason="'most gone': at most half remain"),
    Target("embedded_gap", BRIDGES, "Embedded ties last longer than bridges",
           "Ties embedded among common contacts decay more slowly than bridges.",
           0.1, 0.0, 1.0,
           "Burt (2002); Jin, Girvan & Newman (2001), Phys Rev E 64:046132 (docs/sources.md)",
           "the same bankers; simulated and observed friendship networks",
           "per run, the share of embedded ties (some common contact) still there a year later minus that of "
           "bridges (`embedded_retention` - `bridge_retention`); the mean over runs",
           retention_gap, ("bridge_retention", "embedded_retention"),
           confirmed="not confirmed here (as for bridge_retention)",
           band_reason="a direction only: any non-negative gap"),
    Target("new_groups_per_group", REPLICATION, "At most about two new groups per group",
           "Peer-driven replication of savings groups: about two spontaneously formed groups per project group "
           "(Kenya: about two new groups per group within 14 months).",
           0.5, 0.0, 2.0,
           "Design notes as recorded in docs/sources.md (savings groups; studies not named)",
           "savings groups after project support (Mali, Uganda, Kenya): an upper reference, not a learning community",
           "communities started by replication per community the convener started, over all runs "
           "(`replications` / (`communities_ever` - `replications`))",
           new_groups_per_group, ("replications", "communities_ever"),
           confirmed="not confirmed: the studies are not named in the design notes (docs/sources.md says so)",
           band_reason="an upper reference (savings groups have a payoff a learning community lacks): anything "
                       "from none to two"),
]}

GROUPS: dict[str, tuple[str, ...]] = {}
for _t in TARGETS.values():
    GROUPS.setdefault(_t.group, ())
    GROUPS[_t.group] += (_t.key,)


def status(target: Target, columns: Iterable[str]) -> str:
    return "measurable" if target.measurable(columns) else NOT_MEASURABLE


def load_targets(path: str | Path | None = None) -> dict[str, Target]:
    """The targets: the built-in ones, or those a JSON or TOML file selects and re-bands.

    The file holds a table `targets` whose keys are built-in target keys and whose values may set
    `low`, `high`, `value` and `scenario` (the statistic and its source stay as documented):

        [targets.alive_36m]
        low = 0.55
        high = 0.9
    """
    if path is None:
        return dict(TARGETS)
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"--targets: '{path}' is not a file; expected a TOML or JSON file with a [targets] table")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix == ".json":
            data = json.loads(text)
        else:
            import tomllib
            data = tomllib.loads(text)
    except (ValueError, json.JSONDecodeError) as err:
        raise UsageError(f"--targets: '{path}' cannot be read ({' '.join(str(err).split())})") from None
    chosen = data.get("targets")
    if not isinstance(chosen, dict) or not chosen:
        raise UsageError(f"--targets: '{path}' has no [targets] table; expected one entry per target, "
                         f"among {', '.join(TARGETS)}")
    found = {}
    for key, change in chosen.items():
        if key not in TARGETS:
            raise UsageError(f"--targets: unknown target '{key}' in {path}; expected one of {', '.join(TARGETS)}")
        change = change or {}
        unknown = set(change) - {"low", "high", "value", "scenario"}
        if unknown:
            raise UsageError(f"--targets: {key}.{sorted(unknown)[0]} is not allowed; a target may set low, high, "
                             "value, scenario")
        t = TARGETS[key]
        for name in ("low", "high", "value"):
            if name in change and not (isinstance(change[name], (int, float)) and math.isfinite(change[name])):
                raise UsageError(f"--targets: {key}.{name} = {change[name]!r} is not allowed; expected a number")
        t = replace(t, **{k: (float(v) if k != "scenario" else str(v)) for k, v in change.items()})
        if t.low > t.high:
            raise UsageError(f"--targets: {key} has low {t.low:g} above high {t.high:g}; expected low <= high")
        found[key] = t
    return found


# -- docs/targets.md -------------------------------------------------------------------------------
def render(targets: dict[str, Target] | None = None) -> str:
    """docs/targets.md: every target with its source, population, mapping, band and what was confirmed."""
    targets = TARGETS if targets is None else targets
    lines = ["""# Targets: what is known, as numbers the model is held against

The quantitative targets `lcsim calibrate` fits the model's uncertain values to and checks it
against ([calibration.md](calibration.md)). They are data in `lcsim.calibration.targets.TARGETS`; this
page is generated from them (`lcsim calibrate` rewrites it; a test checks it matches). Each has the
observation, its source, the population it was measured on, how it maps onto the model's outputs
(a function of a runs table: `simulate(...).summary` for each run, plus the per-member statistics
`lcsim.calibration.targets.observe` measures from a model run), and a **tolerance band**: the values
that count as reproducing it, as loose as the transfer from the observed population to learning
communities warrants. Targets of one **group** come from one source or pattern and are left out
together in the held-out check. A target whose columns a model version does not produce is reported
as *not measurable with this model version* and left out of the inference.

Sources were checked where a public abstract or page could be read here (search of stored public
pages, 2026-12-02); the *confirmed* line of each target says what was and what was not.

| target | group | observed | band | scenario | source |
|---|---|---|---|---|---|
"""]
    for t in targets.values():
        lines.append(f"| `{t.key}` | {t.group} | {t.value:.2f} | {t.low:g}-{t.high:g} | {t.scenario or 'calibrated'} "
                     f"| {t.source} |\n")
    for group in dict.fromkeys(t.group for t in targets.values()):
        lines.append(f"\n## {group}\n")
        for t in targets.values():
            if t.group != group:
                continue
            lines.append(f"""
### `{t.key}`: {t.title}

- **Observation.** {t.observation}
- **Source.** {t.source}
- **Population.** {t.population}
- **Maps onto the model as** {t.mapping}{f" (scenario `{t.scenario}`)" if t.scenario else
                                         " (on the scenario being calibrated)"}; reads `{'`, `'.join(t.requires)}`.
- **Band.** {t.low:g} to {t.high:g} (observed {t.value:.2f}): {t.band_reason}.
- **Checked.** {t.confirmed}.
""")
    return "".join(lines)


def write_targets_doc(path: str | Path) -> Path:
    from ..experiments.store import atomic_write

    path = Path(path)
    text = render()
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return path
