"""What the live page runs and shows, kept free of UI code so it can be tested without a browser.

- `LiveCommunity`: the model the page steps, built by Mesa's Reset as `type(model)(**params)`.
- `model_params`: the page's controls in Mesa's SolaraViz `model_params` format, generated from
  the parameter schema, so a parameter added to the schema gets a control with no app code.
- `start_settings`: what `lcsim app --scenario ... --set ...` asked for (passed in the environment,
  because `solara run` imports the page in its own process).
- `status_line`: the month counter and vital signs as one line of text.
"""

from __future__ import annotations

import json
import math
import os
import threading
from typing import Any

from ..model import LearningCommunity
from ..parameters import SCHEMA, Parameter, check_params
from ..scenarios import scenario_params
from ..values import check_seed

ENV_SCENARIO = "LCSIM_APP_SCENARIO"
ENV_SET = "LCSIM_APP_SET"  # JSON object of parameter overrides
ENV_SEED = "LCSIM_APP_SEED"
STEP_BACK_STRATEGIES = tuple(s for s in SCHEMA["exit_strategy"].choices if s != "stay")  # stay is no exit


class LiveCommunity(LearningCommunity):
    """The LearningCommunity the page steps.

    The preset's name travels as `preset=`: Mesa's Reset passes `scenario=` holding a Mesa
    `Scenario` object of its own, which is not one of lcsim's named scenarios (and is ignored).
    Mesa's play loop steps the model in a thread while the page draws it: `lock` keeps a drawing
    from seeing a half-done month.
    """

    def __init__(self, rng=None, preset: str = "default", scenario=None, **params) -> None:
        if isinstance(scenario, str):
            preset = scenario
        self.lock = threading.RLock()
        super().__init__(rng=rng, scenario=preset, **params)
        self.preset = preset

    def step(self) -> None:
        with self.lock:
            super().step()

    def step_back(self, strategy: str = "phase_out") -> None:
        with self.lock:
            super().step_back(strategy)


def make_model(preset: str, settings: dict[str, Any], seed: int | None,
               assumptions: dict[str, Any] | None = None) -> LiveCommunity:
    return LiveCommunity(rng=seed, preset=preset, **settings, **({"assumptions": assumptions} if assumptions else {}))


def start_settings(environ=os.environ) -> tuple[str, dict[str, Any], int]:
    """The preset, its full checked parameter set with the overrides applied, and the seed."""
    preset = environ.get(ENV_SCENARIO, "default")
    overrides = json.loads(environ.get(ENV_SET, "{}"))
    return preset, check_params(overrides, scenario_params(preset)), check_seed(environ.get(ENV_SEED, "0"))


def model_params(values: dict[str, Any], limits=None) -> dict[str, dict]:
    """One Mesa SolaraViz control per schema parameter, showing `values`.

    Beyond Mesa's keys ("type", "value", "label", "min", "max", "step", "values"), each entry
    carries "help" (the meaning), "detail" (unit, range, default, source) and "group". With the
    session's `limits` (limits.py), the size sliders end at them rather than at the schema's maxima.
    """
    specs = {name: control(p, values[name]) for name, p in SCHEMA.items()}
    if limits is not None:
        for name, limit in (("n_members", limits.members), ("n_communities", limits.communities)):
            specs[name]["max"] = max(specs[name]["min"], min(specs[name]["max"], limit))
            specs[name]["detail"] += f"; this session's limit: {limit}"
    return specs


def control(p: Parameter, value: Any) -> dict:
    spec = {"value": value, "label": p.name, "group": p.group, "help": p.meaning, "detail": _detail(p)}
    if p.kind == "int":
        spec.update(type="SliderInt", min=int(p.low), max=int(p.high), step=1)
    elif p.kind == "float":
        spec.update(type="SliderFloat", min=p.low, max=p.high, step=float_step(p))
    elif p.kind == "bool":
        spec.update(type="Checkbox")
    elif p.kind == "choice":
        spec.update(type="Select", values=list(p.choices))
    else:
        raise ValueError(f"parameter '{p.name}': no control for kind {p.kind!r}")
    return spec


def float_step(p: Parameter) -> float:
    """About a hundred slider stops over the range, at a round number (0.01 for 0..1)."""
    return 10.0 ** math.floor(math.log10((p.high - p.low) / 100.0))


def tidy(name: str, value: Any) -> Any:
    """A control's value as the schema wants it: floats rounded to the slider's step, ints as int."""
    p = SCHEMA[name]
    if p.kind == "float":
        decimals = max(0, -math.floor(math.log10(float_step(p))))
        return round(float(value), decimals)
    if p.kind == "int":
        return int(value)
    return value


def show(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _detail(p: Parameter) -> str:
    unit = "" if p.unit in ("-", "") else f"{p.unit}; "
    return f"{unit}range {p.range_text}; default {show(p.default)}; source: {p.source}"


def changed(preset: str, values: dict[str, Any]) -> dict[str, Any]:
    """The settings that differ from the preset's own."""
    base = scenario_params(preset)
    return {k: v for k, v in values.items() if base.get(k) != v}


def status_line(model: LearningCommunity) -> str:
    """E.g. "Month 7 of 72 · convener intensity 1.00 (phase_out, exit month 36) · 143 active members · ..."."""
    r, convener, p = model.records[-1], model.convener, model.p
    plan = convener.plan
    exit_text = "stays" if convener.exit_month is None else f"{plan.strategy}, exit month {convener.exit_month}"
    if len(getattr(model, "communities", None) or ()) > 1:
        return programme_status(model, exit_text)
    if model.dissolved_month is not None:
        fate = f"dissolved at month {model.dissolved_month}"
    elif model.month >= p["months"]:
        fate = "still meeting at the horizon"
    else:
        fate = "alive"
    return (f"Month {model.month} of {p['months']} · convener intensity {convener.intensity:.2f} ({exit_text})"
            f" · {plural(r['active_members'], 'active member')} · {plural(r['leaders'], 'local leader')}"
            f" · {_ties(r)} · {_last_meeting(model)} · {fate}")


def programme_status(model, exit_text: str) -> str:
    """E.g. "Month 30 of 72 · 3 of 3 convened communities meeting, 2 founded by members (2 alive) · ..."."""
    r, p = model.records[-1], model.p
    convened = [c for c in model.communities if c.origin == "convened"]
    founded = [c for c in model.communities if c.origin != "convened"]
    meeting = sum(c.alive for c in convened)
    if model.dissolved_month is not None:
        fate = f"every convened community dissolved, the last at month {model.dissolved_month}"
    elif model.month >= p["months"]:
        fate = "still meeting at the horizon"
    else:
        fate = "alive"
    organisations = r.get("organisations_active", r["active_members"])
    return (f"Month {model.month} of {p['months']} · {meeting} of {len(convened)} convened "
            f"{'community' if len(convened) == 1 else 'communities'} meeting, {len(founded)} founded by members "
            f"({sum(c.alive for c in founded)} alive) · convener intensity {model.convener.intensity:.2f} ({exit_text})"
            f" · {plural(int(organisations), 'active organisation')} · {plural(r['leaders'], 'local leader')}"
            f" · {_ties(r)} · {fate}")


def _ties(r: dict) -> str:
    share = r["cross_sector_share"]
    if r["ties"] == 0 or share != share:  # NaN: no members, so no network to measure
        return "no ties"
    return f"{plural(r['ties'], 'tie')}, {share:.0%} across sectors"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _last_meeting(model) -> str:
    held = [r for r in model.records if r["meeting"]]
    if not held:
        return "no meeting yet"
    r = held[-1]
    host = {"convener": "the convener", "leader": "a local leader", "digital": "online"}[r["host"]]
    missed = "" if r["quorate"] else ", short of quorum"
    return f"last meeting month {r['month']}, {host}, {r['attendance']} came{missed}"
