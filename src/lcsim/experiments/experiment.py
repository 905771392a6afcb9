"""Experiment files: what to run, read from TOML (or a dict of the same shape) and checked whole.

Every value goes through the one parameter schema (`lcsim.parameters.SCHEMA`) before
anything runs; a bad file raises `ExperimentError` (a `ParameterError`) with one line that
names the file, the field, the value and what is allowed. The format is in docs/sweeps.md.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..parameters import SCHEMA, ParameterError, close_match, check_params
from ..scenarios import names as scenario_names
from ..scenarios import scenario_params

DESIGNS = ("grid", "lhs", "sobol", "morris")
REQUIRED = ("name", "design", "vary", "replicates", "root_seed")
FIELDS = ("name", "description", "scenario", "fixed", "vary", "design", "samples", "replicates", "root_seed",
          "num_levels", "calc_second_order", "common_seeds")
MAX_REPLICATES = 100_000
MAX_RUNS = 10_000_000  # a design beyond this is almost surely a typo; split it into several experiments
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
SWEEP = "sweep"  # `vary.x = "sweep"`: the schema's own sweep range (or choices) for x


from ..errors import ExperimentError  # noqa: E402  (re-exported)


@dataclass(frozen=True)
class Experiment:
    """A checked experiment. `vary` maps a parameter to a list of values (grid) or a (low, high) range."""

    name: str
    design: str
    vary: dict[str, Any]
    replicates: int
    root_seed: int
    description: str = ""
    scenario: str = "default"
    fixed: dict[str, Any] = field(default_factory=dict)
    samples: int | None = None
    num_levels: int | None = None  # morris only
    calc_second_order: bool | None = None  # sobol only
    common_seeds: bool = False
    source: str = field(default="<dict>", compare=False)

    @property
    def varied(self) -> list[str]:
        return list(self.vary)

    @property
    def base_params(self) -> dict[str, Any]:
        """The full parameter set every run starts from: the scenario's values, then [fixed]."""
        return check_params(self.fixed, scenario_params(self.scenario))

    @property
    def points(self) -> int:
        d = len(self.vary)
        if self.design == "grid":
            return math.prod(len(values) for values in self.vary.values())
        if self.design == "lhs":
            return self.samples
        if self.design == "sobol":
            return self.samples * ((2 * d + 2) if self.calc_second_order else (d + 2))
        return self.samples * (d + 1)  # morris: trajectories of d + 1 points

    @property
    def runs(self) -> int:
        return self.points * self.replicates

    def to_dict(self) -> dict[str, Any]:
        """The experiment in the file's own shape, every default filled in (what the manifest records)."""
        out = {"name": self.name, "description": self.description, "scenario": self.scenario,
               "design": self.design, "replicates": self.replicates, "root_seed": self.root_seed,
               "common_seeds": self.common_seeds, "fixed": dict(self.fixed),
               "vary": {k: list(v) for k, v in self.vary.items()}}
        for key in ("samples", "num_levels", "calc_second_order"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out

    @property
    def hash(self) -> str:
        """Fingerprint of everything that decides the runs (the description is prose and left out)."""
        what = {k: v for k, v in self.to_dict().items() if k != "description"}
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def load_experiment(source, overrides: dict[str, Any] | None = None) -> Experiment:
    """An `Experiment` from a TOML path, a dict of the same shape, or an `Experiment`.

    `overrides` (e.g. the CLI's `--set`) are added to [fixed]; they may not name a varied parameter.
    """
    if isinstance(source, Experiment):
        exp = source
    elif isinstance(source, dict):
        exp = from_dict(source, f"experiment '{source.get('name', '?')}'")
    elif isinstance(source, (str, Path)):
        exp = from_dict(read_toml(Path(source)), str(source))
    else:
        raise ExperimentError(f"experiment: {type(source).__name__} is not allowed; "
                              "expected a TOML file path, a dict or an Experiment")
    if overrides:
        where = exp.source
        clash = sorted(set(overrides) & set(exp.vary))
        if clash:
            raise ExperimentError(f"{where}: --set {clash[0]}: the experiment varies '{clash[0]}'; "
                                  "expected a parameter that is not under [vary]")
        exp = from_dict({**exp.to_dict(), "fixed": {**exp.fixed, **overrides}}, where)
    return exp


def read_toml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExperimentError(f"{path}: no such experiment file; expected a TOML file (see experiments/)") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ExperimentError(f"{path}: cannot read it ({err}); expected a UTF-8 TOML file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ExperimentError(f"{path}: TOML syntax error: {err}; expected valid TOML (see docs/sweeps.md)") from None


def from_dict(data: dict, where: str) -> Experiment:
    """Check every field of an experiment; raise ExperimentError at the first problem."""
    def refuse(key: str, value: Any, allowed: str, why: str = "") -> ExperimentError:
        extra = f" ({why})" if why else ""
        return ExperimentError(f"{where}: field '{key}': {show(value)} is not allowed{extra}; expected {allowed}")

    if not isinstance(data, dict):
        raise ExperimentError(f"{where}: {show(data)} is not allowed; expected a table of fields")
    for key in data:
        if key not in FIELDS:
            match = close_match(key, FIELDS)
            hint = f"; did you mean '{match}'?" if match else ""
            raise ExperimentError(f"{where}: field '{key}' is unknown{hint} (allowed: {', '.join(FIELDS)})")
    for key in REQUIRED:
        if key not in data:
            raise ExperimentError(f"{where}: field '{key}' is missing; expected {_ALLOWED[key]}")

    name = data["name"]
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise refuse("name", name, _ALLOWED["name"])
    description = data.get("description", "")
    if not isinstance(description, str):
        raise refuse("description", description, "a string")
    scenario = data.get("scenario", "default")
    if scenario not in scenario_names():
        match = close_match(scenario, scenario_names()) if isinstance(scenario, str) else None
        raise refuse("scenario", scenario, "one of " + ", ".join(scenario_names()),
                     f"did you mean '{match}'?" if match else "unknown scenario")
    design = data["design"]
    if design not in DESIGNS:
        raise refuse("design", design, "one of " + ", ".join(DESIGNS))
    replicates = _integer(data["replicates"], "replicates", 1, MAX_REPLICATES, refuse)
    root_seed = _integer(data["root_seed"], "root_seed", 0, 2**63 - 1, refuse)
    common = data.get("common_seeds", False)
    if not isinstance(common, bool):
        raise refuse("common_seeds", common, "true or false")

    fixed_in = data.get("fixed", {})
    if not isinstance(fixed_in, dict):
        raise refuse("fixed", fixed_in, "a table of parameter = value")
    fixed = {name_: _value(name_, v, f"fixed.{name_}", where) for name_, v in fixed_in.items()}
    vary_in = data["vary"]
    if not isinstance(vary_in, dict):
        raise refuse("vary", vary_in, "a table of parameter = [values] (grid) or [low, high] (lhs, sobol, morris)")
    both = sorted(set(fixed) & set(vary_in))
    if both:
        raise refuse(f"vary.{both[0]}", vary_in[both[0]], "a parameter that is not also under [fixed]")
    vary = {name_: _varied(name_, v, design, where, refuse) for name_, v in vary_in.items()}
    if design != "grid" and not vary:
        raise refuse("vary", vary_in, f"at least one parameter range for design {design}")

    samples, num_levels, second = _design_options(data, design, vary, where, refuse)
    exp = Experiment(name=name, design=design, vary=vary, replicates=replicates, root_seed=root_seed,
                     description=description.strip(), scenario=scenario, fixed=fixed, samples=samples,
                     num_levels=num_levels, calc_second_order=second, common_seeds=common, source=where)
    try:
        exp.base_params  # rules between fixed values (e.g. exit_month <= months)
    except ParameterError as err:
        raise ExperimentError(f"{where}: field 'fixed': {err}") from None
    if exp.runs > MAX_RUNS:
        raise refuse("replicates", replicates, f"a design of at most {MAX_RUNS:,} runs",
                     f"{exp.points:,} points x {replicates} replicates = {exp.runs:,} runs")
    return exp


_ALLOWED = {
    "name": "a name of letters, digits, '.', '_' or '-' (it names the output folder)",
    "design": "one of " + ", ".join(DESIGNS),
    "vary": "a table of parameter = [values] (grid) or [low, high] (lhs, sobol, morris)",
    "replicates": f"an integer in [1, {MAX_REPLICATES}] (runs per design point, each with its own seed)",
    "root_seed": "an integer >= 0 (every run's seed derives from it)",
    "samples": "an integer >= 1 (lhs: points; sobol: base samples N, a power of 2; morris: trajectories)",
}


def _design_options(data, design, vary, where, refuse):
    """samples, num_levels and calc_second_order, each only where its design uses it."""
    samples = data.get("samples")
    if design == "grid":
        if samples is not None:
            raise refuse("samples", samples, "no samples for design grid (its size is the product of the [vary] lists)")
    elif samples is None:
        raise ExperimentError(f"{where}: field 'samples' is missing; expected {_ALLOWED['samples']}")
    else:
        low = 2 if design == "morris" else 1
        samples = _integer(samples, "samples", low, MAX_RUNS, refuse)
        if design == "sobol" and samples & (samples - 1):
            raise refuse("samples", samples, "a power of 2 for design sobol (e.g. 64, 128, 256)",
                         "Sobol' sequences are balanced only at powers of 2")
    num_levels = data.get("num_levels")
    if num_levels is not None and design != "morris":
        raise refuse("num_levels", num_levels, "num_levels only with design morris")
    if design == "morris":
        num_levels = 4 if num_levels is None else num_levels
        if isinstance(num_levels, bool) or not isinstance(num_levels, int) or num_levels < 2 or num_levels % 2:
            raise refuse("num_levels", num_levels, "an even integer >= 2 (Morris grid levels; 4 is usual)")
        for name, (low, high) in vary.items():
            if SCHEMA[name].kind == "int" and high - low < num_levels - 1:
                raise refuse(f"vary.{name}", [low, high], f"an integer range at least num_levels - 1 "
                             f"({num_levels - 1}) wide, so every Morris level is a different integer")
    second = data.get("calc_second_order")
    if second is not None and design != "sobol":
        raise refuse("calc_second_order", second, "calc_second_order only with design sobol")
    if design == "sobol":
        second = False if second is None else second
        if not isinstance(second, bool):
            raise refuse("calc_second_order", second, "true or false")
    return samples, num_levels, second


def _integer(value, key, low, high, refuse) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise refuse(key, value, _ALLOWED.get(key, f"an integer in [{low}, {high}]"))
    return value


def _value(name: str, value: Any, key: str, where: str) -> Any:
    """One parameter value checked by the schema, with the error re-worded to name the field."""
    if name not in SCHEMA:
        match = close_match(name, SCHEMA)
        hint = f"; did you mean '{match}'?" if match else ""
        raise ExperimentError(f"{where}: field '{key}': unknown parameter '{name}'{hint} (see `lcsim params`)")
    try:
        return SCHEMA[name].check(value, shown=show(value))
    except ParameterError as err:
        raise ExperimentError(f"{where}: field '{key}': " + str(err).removeprefix(f"parameter '{name}': ")) from None


def _varied(name: str, spec: Any, design: str, where: str, refuse) -> list | tuple:
    key = f"vary.{name}"
    if name not in SCHEMA:
        _value(name, None, key, where)  # raises the unknown-parameter error
    p = SCHEMA[name]
    numeric = p.kind in ("int", "float")
    if spec == SWEEP:
        if design == "grid" and numeric:
            raise refuse(key, spec, f'a list of values for design grid ("sweep" gives {name} a range, '
                         f"which only lhs, sobol and morris sample), e.g. [{p.sweep[0]:g}, {p.sweep[1]:g}]")
        spec = list(p.sweep)
    if design == "grid":
        if not isinstance(spec, list) or not spec:
            raise refuse(key, spec, f"a non-empty list of values for design grid, each {p.allowed}"
                         + ("" if numeric else ', or "sweep" for all of them'))
        values = [_value(name, v, f"{key}[{i}]", where) for i, v in enumerate(spec)]
        if len(set(values)) < len(values):
            raise refuse(key, spec, "a list without repeated values")
        return values
    if not numeric:
        raise refuse(key, spec, f"a numeric parameter for design {design}; vary {p.kind} "
                     f"parameters with design grid, or set them under [fixed]")
    if not isinstance(spec, list) or len(spec) != 2:
        raise refuse(key, spec, f'a range [low, high] within [{p.low:g}, {p.high:g}] for design {design}, or "sweep"')
    low, high = (_value(name, v, f"{key}[{i}]", where) for i, v in enumerate(spec))
    if not low < high:
        raise refuse(key, spec, f"a range [low, high] with low < high, within [{p.low:g}, {p.high:g}]")
    return (low, high)


def show(value: Any) -> str:
    """A value as it would be written in TOML (true, "text", [1, 2])."""
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
