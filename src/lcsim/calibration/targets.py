"""Quantitative targets: what is known about communities like the model's, as data (docs/targets.md).

Each `Target` is one observation from a source, the population it was measured on, how it maps
onto the model's outputs (a function of a runs table, `statistics`) and a tolerance band that says
how loosely it applies to learning communities. Targets of one `group` come from the same source or
pattern and are left out together in the held-out check.

The runs table is one row per run: `simulate(...).summary`, plus the per-member statistics the
model does not report, which `observe.observe` measures from a model run (participation inequality
and bridge decay), plus `scenario`. A target whose columns are absent (a model version without
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
from .observe import Tracker, observe, observe_runs, share  # noqa: F401 (the runs table's source, re-exported)
from .statistics import (  # noqa: F401
    alive_after,
    any_replication,
    core_share,
    mean_of,
    new_groups_per_group,
    retention_gap,
    yearly_hazard,
    yearly_hazards,
)

NAN = float("nan")
NOT_MEASURABLE = "not measurable with this model version"
MISS = 10.0  # distance of a statistic that came out NaN (e.g. no meeting was held): far outside any band


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
            mine = runs["scenario"].to_numpy() == self.scenario  # numpy's comparison: a fifth of pandas' cost
            if not mine.all():  # (a calibration measures each target on every simulation)
                runs = runs[mine]
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
HAZARD = "hazard"
CASE = "case"
PARTICIPATION = "participation"
BRIDGES = "bridges"
REPLICATION = "replication"
HCAP = ("NORC at the University of Chicago for ASPE/HHS (2012), An Assessment of the Sustainability and Impact of "
        "Community Coalitions once Federal Funding has Expired")
CTC_PA = "Feinberg, Bontempo & Greenberg (2008), Am J Prev Med 34(6):495-501"

TARGETS: dict[str, Target] = {t.key: t for t in [
    Target("alive_20m", SURVIVAL, "Coalitions still exist 20 months after support ends",
           "Twenty months after study support ended, 11 of 12 Communities That Care coalitions in the "
           "Community Youth Development Study still existed.",
           11 / 12, 0.65, 1.0,
           "Gloppen, Arthur, Hawkins & Shapiro (2012), J Adolesc Health 51(3):259-264",
           "12 prevention coalitions in a community-randomised trial (seven US states), after research support ended",
           "share of runs still meeting 20 months after the convener's exit (`months_alive_after_exit` >= 20 or "
           "censored)",
           alive_after(20), ("months_alive_after_exit", "censored"),
           confirmed="confirmed: the abstract (PubMed 22921136; pmc.ncbi.nlm.nih.gov/articles/PMC3428591) states 11 "
                     "of 12 coalitions existed 20 months after study support ended",
           band_reason="12 coalitions: the 95% Wilson interval of 11/12 is about 0.65-0.99; coalitions are "
                       "funded, staffed bodies, which a learning community is not, so nothing tighter"),
    Target("alive_36m", SURVIVAL, "Coalitions sustained years after funding ends",
           "HCAP: 113 (68%) of the responding coalitions were sustained after federal funding expired (three or "
           "more organisations still collaborating on an original goal); a third of the 52 not sustained had "
           "disbanded because their goals were met. Communities That Care in Pennsylvania: 90% continued after "
           "the 3-year initial funding, 3-8% terminating each year thereafter.",
           0.75, 0.6, 0.9,
           f"{HCAP}; {CTC_PA}",
           "HCAP coalitions surveyed after funding ended (2000-2006 grants; 165 responding); 110 CTC coalitions in "
           "Pennsylvania",
           "share of runs still meeting 36 months after the exit (`months_alive_after_exit` >= 36 or censored)",
           alive_after(36), ("months_alive_after_exit", "censored"),
           confirmed="confirmed: ASPE's 'Findings' page (113 (68%) of the 165 responding coalitions sustained; 52 "
                     "(32%) not sustained, 35 dissolved over funding or organisation, 17 (33%) disbanded because "
                     "their goals were met or they were no longer needed); its 'Coalition Sustainability Status' page "
                     "says 113 of 163 (the report's own two counts differ); the CTC abstract (PubMed 18471585)",
           band_reason="HCAP's 0.68 counts goal-met disbandings as failures (about 0.79 without them) and its "
                       "coalitions were surveyed at varying times after funding; CTC's 90% less 3-8% a year is "
                       "about 0.70-0.83 at three years: 0.6-0.9 covers both"),
    Target("alive_48m", SURVIVAL, "Coalitions still active four years after support",
           "Eleven of the 12 study-funded CTC coalitions of the Community Youth Development Study were still active "
           "in 2012, four years after study support ended (ten still used the CTC system); in Pennsylvania about "
           "two thirds of CTC sites operated four years after their grant ended.",
           11 / 12, 0.55, 1.0,
           "Arthur, Hawkins, Hanson & Shapiro (2013), Long-Term Sustainability of the Communities That Care "
           f"Prevention System, Society for Prevention Research 21st Annual Meeting, abstract 20582; {CTC_PA}",
           "the same 12 CYDS coalitions, four years after support; 110 CTC sites in Pennsylvania",
           "share of runs still meeting 48 months after the exit (needs a horizon of four years after it: the "
           "calibration runs every scenario to `after_exit` months past its exit)",
           alive_after(48), ("months_alive_after_exit", "censored"),
           confirmed="confirmed: the SPR 2013 abstract (spr.confex.com, Paper20582: '11 of the 12 study-funded CTC "
                     "coalitions were still active in 2012', 'four years after grant funding to support CTC ended'); "
                     "the paper itself was not read; the Pennsylvania figure from the CTC abstract (PubMed 18471585)",
           band_reason="11 of 12 (Wilson interval about 0.65-0.99) beside Pennsylvania's two thirds: from a little "
                       "below two thirds to all"),
    Target("yearly_hazard", HAZARD, "A few communities end each year after the first",
           "90% of CTC coalitions continued after the 3-year initial funding, with 3%-8% of sites terminating "
           "each year thereafter.",
           0.055, 0.02, 0.15,
           CTC_PA,
           "110 CTC coalitions in Pennsylvania, 2003-2006, after their initial funding",
           "the yearly hazard of ending after the exit (a life table over whole years after it, censored at the "
           "horizon), pooled over years 2 to the horizon: runs that ended in those years over the runs at risk "
           "at each year's start",
           yearly_hazard(2), ("months_alive_after_exit", "censored"),
           confirmed="confirmed: the abstract (PubMed 18471585; linkinghub.elsevier.com/retrieve/pii/"
                     "S0749-3797(08)00237-7): 'Ninety percent ... continued after the 3-year initial funding period, "
                     "with 3%-8% of sites terminating each year thereafter'",
           band_reason="funded coalitions with staff end at 3-8% a year; a learning community has neither, so up to "
                       "about twice the top; above zero, because communities past their first year did end"),
    Target("worst_yearly_hazard", HAZARD, "No late collapse",
           "The same 3-8% a year held over the years observed after funding: no year in which most of the "
           "remaining coalitions ended.",
           0.08, 0.0, 0.2,
           CTC_PA,
           "the same coalitions, over the years observed",
           "the largest yearly hazard of ending over years 2 to the horizon after the exit, among years with at "
           "least 5 runs at risk (the same life table)",
           yearly_hazard(2, worst=True), ("months_alive_after_exit", "censored"),
           confirmed="as for yearly_hazard: the range 3-8% per year is in the abstract; the hazard of each year is "
                     "not",
           band_reason="the top of the observed range, widened as for the pooled hazard and for the noise of one "
                       "year's hazard over a few runs"),
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
           confirmed="confirmed earlier (2026-12-02) in the abstract (spcare.bmj.com/content/11/Suppl_2/A73.1: low "
                     "1-32%, medium 34-67%, high >= 68% of sessions; in 20/28 networks >= 50% of participants were "
                     "low attenders); not re-read today",
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
           confirmed="confirmed earlier in a quoted excerpt of the book: core '10 to 15 percent', active group "
                     "'another 15 to 20 percent' who attend meetings regularly; the book itself was not read",
           band_reason="a rule of thumb, not a measurement: 25-35% widened by 10 points each way"),
    Target("core_share", PARTICIPATION, "A core group that takes the lead",
           "The core group, about 10-15% of members, participates actively, takes on the community's projects "
           "and leads it.",
           0.125, 0.05, 0.25,
           "Wenger, McDermott & Snyder (2002), Cultivating Communities of Practice, ch. 3 (docs/sources.md)",
           "as for high_attender_share",
           "organisations that ever became leaders per participant (`leaders_ever` over `participants`, summed over "
           "runs): the model's core is the members who take the lead",
           core_share, ("leaders_ever", "participants"),
           confirmed="as for high_attender_share (the 10-15% core share is in the quoted excerpt); that the core is "
                     "the members who lead is this mapping's reading of the book, not a count in it",
           band_reason="a rule of thumb about a role, mapped onto the model's leaders: half to twice the centre"),
    Target("bridge_retention", BRIDGES, "Nine in ten bridges are gone a year later",
           "\"Nine in ten bridges this year are gone next year\" among bankers' colleague relations.",
           0.1, 0.0, 0.35,
           "Burt (2002), Bridge decay, Social Networks 24(4):333-363",
           "bankers' colleague relations in one large investment bank, over four years",
           "per run, of the ties at least `initial_acquaintance` strong with no common contact a year before the "
           "exit (between members still there a year later), the share still that strong at the exit "
           "(`bridge_retention`, from `observe`); the mean over runs",
           mean_of("bridge_retention"), ("bridge_retention",),
           confirmed="confirmed: the abstract of the pre-print (Bridge Decay, December 2001, Burt's faculty page, "
                     "read as a stored copy): 'Nine in ten bridges this year are gone next year'; the decay rates "
                     "in the paper's tables were not read",
           band_reason="bankers named colleagues they worked with every year; organisations that meet quarterly "
                       "keep a contact longer than a trading floor does: from none to about a third"),
    Target("embedded_gap", BRIDGES, "Embedded ties last longer than bridges",
           "Ties embedded among common contacts decay more slowly than bridges.",
           0.1, 0.0, 1.0,
           "Burt (2002); Jin, Girvan & Newman (2001), Phys Rev E 64:046132 (docs/sources.md)",
           "the same bankers; simulated and observed friendship networks",
           "per run, the share of embedded ties (some common contact) still there a year later minus that of "
           "bridges (`embedded_retention` - `bridge_retention`); the mean over runs",
           retention_gap, ("bridge_retention", "embedded_retention"),
           confirmed="confirmed in the same abstract: bridges 'relative to other kinds of relationships show faster "
                     "rates of decay'; the size of the gap was not read",
           band_reason="a direction only: any non-negative gap"),
    Target("new_groups_per_group", REPLICATION, "At most about two new groups per group",
           "Years after the projects ended, replicated savings groups outnumbered the original project groups two "
           "to one (Uganda); in western Kenya the average group had formed nearly two more within 14 months.",
           2.0, 0.0, 2.0,
           "Datu Research (2013), Post-Project Replication of Savings Groups in Uganda (for CARE and CRS); FSD "
           "Kenya (2012), self-replication of COSALO savings groups",
           "savings groups after project support (Uganda, Kenya): an upper reference, not a learning community",
           "communities started by replication per community the convener started, over all runs "
           "(`replications` / (`communities_ever` - `replications`))",
           new_groups_per_group, ("replications", "communities_ever"),
           confirmed="confirmed: Datu Research's release (7 Nov 2013: replicated groups 'outnumbered the original "
                     "project groups by 2 to 1') and the report's summary (microfinancegateway.org); the Kenya figure "
                     "from a summary of the FSD Kenya study (savings-revolution.org); the reports were not read",
           band_reason="an upper reference (a savings group pays its members; a learning community does not): "
                       "anything from none to two"),
]}

# Observations checked in their sources but with no output of this model version to map onto (listed in
# docs/targets.md so they are not forgotten; each says what the model would need).
UNMAPPED: tuple[tuple[str, str, str], ...] = (
    ("HCAP: of the 52 coalitions not sustained, 80% still ran at least one activity started under the grant.",
     HCAP + " ('Findings' and 'Research Question 1' pages, confirmed)",
     "the model has no activity outside meetings: when a community dissolves its members leave it, and no output "
     "says whether any of its work goes on (a dissolved run ends with no ties and no active organisations)"),
)

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



