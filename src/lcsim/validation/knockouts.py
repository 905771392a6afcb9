"""Knock-out controls: each pattern's experiment again with the mechanism behind it switched off.

A pattern that still passes with its mechanism off is no evidence for that mechanism: the
knock-out must fail the same criterion. Each `Knockout` names the setting (existing parameters and
assumptions only: no rule is changed), which of the pattern's experiment's arms it reruns, and how
the criterion's headline is measured on the knock-out runs. Parts of patterns that the rules
guarantee are named in `BY_CONSTRUCTION` and not counted as evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from . import leaders, members
from .patterns import Verdict, assess_p1, assess_p2, assess_p4, with_share_at_exit
from .runs import Context, arm, experiment, run_knockout
from .statistics import paired


@dataclass(frozen=True)
class Knockout:
    key: str
    what: str  # the mechanism switched off, in words
    settings: dict  # added to the experiment's [fixed]
    experiment: str
    vary: dict | None = None  # the arms rerun (None: all of the experiment's)
    monthly: bool = False


KNOCKOUTS: dict[str, Knockout] = {k.key: k for k in [
    Knockout("P1", "no local leaders (leadership 0): nobody steps up to host or hand over to",
             {"leadership": 0.0}, "validation-p1-case"),
    Knockout("P2", "leadership propensity much the same for every member (propensity shapes 10 and 10: no heavy "
             "tail)", {"assumptions.propensity_shape_a": 10.0, "assumptions.propensity_shape_b": 10.0},
             "validation-p2-leaders"),
    Knockout("P3", "a channel that carries nothing (digital_turnout 0, digital_upkeep 0, digital_ties 0)",
             {"assumptions.digital_turnout": 0.0, "assumptions.digital_upkeep": 0.0, "assumptions.digital_ties": 0.0},
             "validation-p3-digital"),
    Knockout("P4", "complementarity no longer grows ties (known_tie_weight 0)",
             {"assumptions.known_tie_weight": 0.0}, "validation-p4-complementarity",
             vary={"complementarity": [0.2, 0.7]}, monthly=True),
    Knockout("P5", "every organisation equally available (availability_shape 0: no lasting, heavy-tailed "
             "availability)", {"assumptions.availability_shape": 0.0}, members.EXPERIMENT),
    Knockout("P6", "hosting does not tire the host (host_fatigue 0)", {"assumptions.host_fatigue": 0.0},
             members.EXPERIMENT),
    Knockout("P7", "conversations go to any acquaintance present, whatever its strength and shared contacts "
             "(renewal_weighting 0)", {"assumptions.renewal_weighting": 0.0}, members.EXPERIMENT),
    Knockout("L1", "no local leaders to hand over to or to taper towards (leadership 0)", {"leadership": 0.0},
             "validation-l1-exits", vary={"exit_strategy": ["phase_out", "phase_down", "phase_over"],
                                          "digital_channel": [False]}),
    Knockout("L3", "members pick up nothing of the convener's hosting routine (routine_learning 0)",
             {"assumptions.routine_learning": 0.0}, "validation-l1-exits-by-control",
             vary={"control": [0.1, 0.5], "exit_strategy": ["phase_out"]}),
    Knockout("L2", "the convener's resources do nothing (resource_rate 0, mentoring_rate 0)",
             {"assumptions.resource_rate": 0.0, "assumptions.mentoring_rate": 0.0}, "validation-l2-benefit-resources",
             vary={"member_benefit": [1.0], "resource_sharing": [0.0, 0.5]}),
]}

# What the rules guarantee: measuring these is no test of the model.
BY_CONSTRUCTION = {
    "P1": "the replication half: with `replication` > 0 a strong leader eventually founds a community, so some runs "
          "replicate whenever leaders emerge",
    "L1": "the phase_over half: a handover is an abrupt exit plus extra help (mentoring, leader development, hosting "
          "handed to leaders), so it cannot do worse than phase_out on common seeds except by chance",
    "L2": "the benefit half: with member_benefit 0 a meeting and a tie are worth nothing (value = benefit x ...), "
          "so engagement must fall below aspiration",
}


def measure_p1(runs: pd.DataFrame, ctx: Context) -> tuple[float, float, float, bool, list[str]]:
    """Judged on the survival half only: the replication half holds by construction (BY_CONSTRUCTION)."""
    v = assess_p1(runs)
    return v.value, v.low, v.high, v.low > 0.5, v.lines[:3]


def measure_p2(ko: Knockout, ctx: Context) -> tuple[float, float, float, bool, list[str]]:
    from ..experiments.design import run_seed
    from ..experiments.experiment import load_experiment

    exp = load_experiment(experiment(ko.experiment, ctx))
    params = {**exp.base_params, **ko.settings}
    seeds = [run_seed(exp.root_seed, 0, r, common=True) for r in range(exp.replicates)]
    per = leaders.measure(leaders.run_communities(params, seeds, ctx.workers))
    v = assess_p2(per, params["n_members"])
    return v.value, v.low, v.high, v.passed, [v.lines[1], v.lines[4]]


def measure_p3(runs: pd.DataFrame, ctx: Context) -> tuple[float, float, float, bool, list[str]]:
    main = paired("mexico-csa with a channel that carries nothing, channel vs none",
                  arm(runs, digital_channel=True), arm(runs, digital_channel=False))
    return main.diff, main.low, main.high, main.meets, [main.text()]


def measure_p4(runs: pd.DataFrame, monthly: pd.DataFrame, ctx: Context) -> tuple[float, float, float, bool, list]:
    v = assess_p4(with_share_at_exit(runs, monthly))
    return v.value, v.low, v.high, v.passed, v.lines[:2]


def measure_l1(runs: pd.DataFrame, ctx: Context) -> tuple[float, float, float, bool, list[str]]:
    out = arm(runs, exit_strategy="phase_out")
    down = paired("no leaders, phase_down vs phase_out", arm(runs, exit_strategy="phase_down"), out)
    over = paired("no leaders, phase_over vs phase_out", arm(runs, exit_strategy="phase_over"), out)
    # judged on phase_down: the phase_over half holds by construction (BY_CONSTRUCTION)
    return down.diff, down.low, down.high, down.meets, [down.text(), over.text()]


def measure_l2(runs: pd.DataFrame, ctx: Context) -> tuple[float, float, float, bool, list[str]]:
    loss = paired("resources that do nothing: resource_sharing 0.5 vs 0", arm(runs, resource_sharing=0.5),
                  arm(runs, resource_sharing=0.0))
    return loss.diff, loss.low, loss.high, loss.meets, [loss.text()]


def measure_l3(runs: pd.DataFrame, ctx: Context) -> tuple[float, float, float, bool, list[str]]:
    gain = paired("no routine learned, phase_out, control 0.5 vs 0.1", arm(runs, control=0.5), arm(runs, control=0.1))
    return gain.diff, gain.low, gain.high, gain.meets, [gain.text()]


MEASURES: dict[str, Callable] = {"P1": measure_p1, "P3": measure_p3, "L1": measure_l1, "L2": measure_l2,
                                 "L3": measure_l3}


def measure_member(ko: Knockout, ctx: Context) -> tuple[float, float, float, bool, list[str]]:
    """P5-P7's knock-out: their experiment's seeds observed again with the mechanism off, the same assessment."""
    exp, seeds = members.member_seeds(ctx)
    runs = members.observe_all(exp.scenario, {**exp.fixed, **ko.settings}, seeds, ctx.workers)
    v = members.MEMBER_PATTERNS[ko.key](runs)
    return v.value, v.low, v.high, v.passed, v.lines[:2]


def knock_out(verdict: Verdict, ctx: Context) -> Verdict:
    """Run `verdict`'s knock-out and fill its knock-out fields (and its by-construction label)."""
    ko = KNOCKOUTS[verdict.key]
    if ko.key == "P2":
        value, low, high, passed, lines = measure_p2(ko, ctx)
    elif ko.key in members.MEMBER_PATTERNS:
        value, low, high, passed, lines = measure_member(ko, ctx)
    else:
        runs, monthly = run_knockout(ko.experiment, ctx, ko.settings, ko.vary, ko.monthly)
        value, low, high, passed, lines = (measure_p4(runs, monthly, ctx) if ko.key == "P4"
                                           else MEASURES[ko.key](runs, ctx))
    verdict.knockout, verdict.knockout_low, verdict.knockout_high = float(value), float(low), float(high)
    verdict.knockout_passed = bool(passed)
    verdict.knockout_setting = ko.what
    verdict.knockout_lines = list(lines)
    verdict.by_construction = BY_CONSTRUCTION.get(ko.key, "")
    return verdict
