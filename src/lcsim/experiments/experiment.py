"""Experiment files: what to run, read from TOML (or a dict of the same shape) and checked whole.

Every value goes through the one parameter schema (`lcsim.parameters.SCHEMA`) before
anything runs; a bad file raises `ExperimentError` (a `ParameterError`) with one line that
names the file, the field, the value and what is allowed. The format is in docs/sweeps.md.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..assumptions import PREFIX
from ..assumptions import TABLE as ASSUMPTIONS
from ..parameters import SCHEMA, ParameterError, check_params, close_match, parse_assignment
from ..scenarios import names as scenario_names
from ..scenarios import scenario_params
from .design import DESIGN_CLASSES, DESIGNS, MAX_RUNS, OPTIONS, SWEEP, build_design, design_class, entry, show  # noqa: F401

REQUIRED = ("name", "design", "vary", "replicates", "root_seed")
FIELDS = ("name", "description", "scenario", "fixed", "vary", "design", "samples", "replicates", "root_seed",
          "num_levels", "calc_second_order", "common_seeds", "scenario_values")
MAX_REPLICATES = 100_000
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


from ..errors import ExperimentError  # noqa: E402  (re-exported)


@dataclass(frozen=True)
class Experiment:
    """A checked experiment. `vary` maps a parameter (or `assumptions.NAME`) to a list of values (grid)
    or a (low, high) range (lhs, sobol, morris)."""

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
    scenario_values: dict[str, Any] | None = None  # a scenario file's values, as read when the experiment was
    source: str = field(default="<dict>", compare=False)  # loaded (None for a named scenario)

    @property
    def run_scenario(self) -> str:
        """The scenario name each run is given: a scenario file's values are all in `base_params` already, so its
        runs start from the defaults and never read the file again (a resume does not depend on it)."""
        return "default" if self.scenario_values is not None else self.scenario

    @property
    def varied(self) -> list[str]:
        return list(self.vary)

    @property
    def kind(self):
        """The design's class (`lcsim.experiments.design.GridDesign`, ...): its checks, points and analyses."""
        return design_class(self.design)

    @property
    def base_params(self) -> dict[str, Any]:
        """What every run starts from: the scenario's values, then [fixed] (assumptions as `assumptions.NAME`).

        The rules between parameters are checked on each design point, not here (build_design)."""
        if self.scenario_values is not None:
            base = check_params(self.scenario_values)
        else:
            base = dict(scenario_params(self.scenario))
        base.update(self.fixed)
        return base

    @property
    def assumptions(self) -> list[str]:
        """The assumptions this experiment fixes or varies (`assumptions.NAME`): each gets a column."""
        return [k for k in [*self.fixed, *self.vary] if k.startswith(PREFIX)]

    @property
    def points(self) -> int:
        return self.kind.points(self)

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
        if self.scenario_values is not None:
            out["scenario_values"] = dict(self.scenario_values)
        return out

    @property
    def hash(self) -> str:
        """Fingerprint of everything that decides the runs (the description is prose and left out)."""
        what = {k: v for k, v in self.to_dict().items() if k != "description"}
        return hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()


def parse_settings(assignments) -> dict[str, Any]:
    """`--set NAME=VALUE` strings (parameters, or `assumptions.NAME=VALUE`) as checked values."""
    from ..assumptions import parse_assignment as parse_assumption

    out: dict[str, Any] = {}
    for text in assignments:
        if not isinstance(text, str):
            raise ParameterError(f"--set {show(text)}: expected name=value, e.g. --set control=0.3")
        name = text.partition("=")[0].strip()
        if not name.isprintable() or len(name) > 60:
            raise ParameterError(f"--set {show(text)}: {show(name)} is not a parameter name; expected name=value, "
                                 "e.g. --set control=0.3 (see `lcsim params`)")
        if "=" in text and name.startswith(PREFIX):
            key, value = parse_assumption(name, text.partition("=")[2])
            out[PREFIX + key] = value
        else:
            key, value = parse_assignment(text)
            out[key] = value
    return out


def load_experiment(source, overrides: dict[str, Any] | None = None) -> Experiment:
    """An `Experiment` from a TOML path, a dict of the same shape, or an `Experiment`; checked whole,
    every design point included (the rules between parameters hold at each one).

    `overrides` (e.g. the CLI's `--set`) are added to [fixed]; they may not name a varied parameter.
    """
    if isinstance(source, Experiment):
        exp = source
    elif isinstance(source, dict):
        name = source.get("name", "?")
        shown = name if isinstance(name, str) and name.isprintable() and len(name) <= 60 else show(name)
        exp = from_dict(source, f"experiment '{shown}'")
    elif isinstance(source, (str, Path)):
        exp = from_dict(read_toml(Path(source)), str(source), Path(source).parent)
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
    build_design(exp)  # every point against the rules between parameters (cached for the sweep)
    return exp


def read_toml(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExperimentError(f"{path}: no such experiment file; expected a TOML file (see experiments/)") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ExperimentError(f"{path}: cannot read it ({err}); expected a UTF-8 TOML file") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ExperimentError(f"{path}: TOML syntax error: {err}; expected valid TOML (see docs/sweeps.md)") from None
    except (ValueError, RecursionError, MemoryError) as err:  # e.g. an integer too long to convert
        raise ExperimentError(f"{path}: cannot read it ({type(err).__name__}: {str(err)[:80]}); "
                              "expected a TOML experiment file (see docs/sweeps.md)") from None


def from_dict(data: dict, where: str, folder: Path | None = None) -> Experiment:
    """Check every field of an experiment; raise ExperimentError at the first problem. A scenario file is
    found relative to `folder` (the experiment file's; None: the working directory)."""
    def refuse(key: str, value: Any, allowed: str, why: str = "", missing: bool = False) -> ExperimentError:
        if missing:
            return ExperimentError(f"{where}: field '{key}' is missing; expected {allowed}")
        extra = f" ({why})" if why else ""
        return ExperimentError(f"{where}: field '{key}': {show(value)} is not allowed{extra}; expected {allowed}")

    if not isinstance(data, dict):
        raise ExperimentError(f"{where}: {show(data)} is not allowed; expected a table of fields")
    for key in data:
        if key not in FIELDS:
            shown = key if isinstance(key, str) and key.isprintable() and len(key) <= 60 else show(key).strip('"')
            match = close_match(key, FIELDS) if isinstance(key, str) else None
            hint = f"; did you mean '{match}'?" if match else ""
            raise ExperimentError(f"{where}: field '{shown}' is unknown{hint} (allowed: {', '.join(FIELDS)})")
    for key in REQUIRED:
        if key not in data:
            raise refuse(key, None, _ALLOWED[key], missing=True)

    name = data["name"]
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise refuse("name", name, _ALLOWED["name"])
    description = data.get("description", "")
    if not isinstance(description, str):
        raise refuse("description", description, "a string")
    scenario = data.get("scenario", "default")
    values = _scenario_values(scenario, data.get("scenario_values"), where, folder, refuse)
    design = data["design"]
    if not isinstance(design, str) or design not in DESIGNS:
        raise refuse("design", design, "one of " + ", ".join(DESIGNS))
    kind = design_class(design)
    replicates = _integer(data["replicates"], "replicates", 1, MAX_REPLICATES, refuse)
    root_seed = _integer(data["root_seed"], "root_seed", 0, 2**63 - 1, refuse)
    common = data.get("common_seeds", False)
    if not isinstance(common, bool):
        raise refuse("common_seeds", common, "true or false")

    fixed_in = _flatten(data.get("fixed", {}), "fixed", refuse, "a table of parameter = value")
    fixed = {name_: _value(name_, v, f"fixed.{name_}", where) for name_, v in fixed_in.items()}
    vary_in = _flatten(data["vary"], "vary", refuse, _ALLOWED["vary"])
    both = sorted(set(fixed) & set(vary_in))
    if both:
        raise refuse(f"vary.{both[0]}", vary_in[both[0]], "a parameter that is not also under [fixed]")

    def value(name_, v, key):
        return _value(name_, v, key, where)

    vary = {}
    for name_, spec in vary_in.items():
        _known(name_, f"vary.{name_}", where)
        vary[name_] = kind.check_vary(name_, spec, value, refuse)
    kind.check_design(vary, {}, refuse)
    for option in OPTIONS:
        if option not in kind.options and data.get(option) is not None and option != "samples":
            raise refuse(option, data[option], f"{option} only with design "
                         + " or ".join(k for k, d in DESIGN_CLASSES.items() if option in d.options))
    options = kind.check_options(data, vary, refuse)
    exp = Experiment(name=name, design=design, vary=vary, replicates=replicates, root_seed=root_seed,
                     description=description.strip(), scenario=scenario, fixed=fixed, source=where,
                     common_seeds=common, scenario_values=values, **options)
    if exp.runs > MAX_RUNS:
        raise refuse("replicates", replicates, f"a design of at most {MAX_RUNS:,} runs",
                     f"{exp.points:,} points x {replicates} replicates = {exp.runs:,} runs")
    return exp


def _scenario_values(scenario, recorded, where: str, folder: Path | None, refuse) -> dict | None:
    """None for a named scenario; for a scenario file (a path ending in .toml, relative to `folder`), its
    parameter values: those `recorded` with the experiment (a sweep folder's manifest), else read from the file."""
    named = scenario_names()
    if isinstance(scenario, str) and scenario in named:
        if recorded is not None:
            raise refuse("scenario_values", recorded, "scenario_values only with a scenario file (scenario = "
                         "\"FILE.toml\")")
        return None
    if not isinstance(scenario, str) or not (scenario.endswith(".toml") or "/" in scenario or "\\" in scenario):
        match = close_match(scenario, named) if isinstance(scenario, str) else None
        raise refuse("scenario", scenario, "one of " + ", ".join(named) + ", or a scenario file FILE.toml "
                     "(relative to the experiment file)", f"did you mean '{match}'?" if match else "unknown scenario")
    if recorded is not None:  # what the file held when the sweep began: the file itself may have moved since
        if not isinstance(recorded, dict):
            raise refuse("scenario_values", recorded, "a table of parameter = value")
        values = {name: _value(name, v, f"scenario_values.{name}", where) for name, v in recorded.items()}
        if any(name.startswith(PREFIX) for name in values):
            raise refuse("scenario_values", recorded, "parameters only (assumptions go under [fixed])")
        try:
            check_params(values)
        except ParameterError as err:
            raise ExperimentError(f"{where}: field 'scenario_values': {err}") from None
        return values
    from ..scenarios.community import load

    path = Path(scenario)
    if folder is not None and not path.is_absolute():
        path = folder / path
    try:
        return dict(load(path)["params"])
    except ParameterError as err:  # missing, unreadable or wrong: load() names the file and the field
        raise ExperimentError(f"{where}: field 'scenario': {err}") from None


_ALLOWED = {
    "name": "a name of letters, digits, '.', '_' or '-' (it names the output folder)",
    "design": "one of " + ", ".join(DESIGNS),
    "vary": "a table of parameter = [values] (grid) or [low, high] (lhs, sobol, morris)",
    "replicates": f"an integer in [1, {MAX_REPLICATES}] (runs per design point, each with its own seed)",
    "root_seed": "an integer >= 0 (every run's seed derives from it)",
}


def _flatten(table: Any, key: str, refuse, allowed: str) -> dict[str, Any]:
    """[fixed] or [vary] with assumptions as `assumptions.NAME` keys, whether the file quoted the dotted
    key (`"assumptions.x" = 1`) or TOML made it a nested table (`assumptions.x = 1`)."""
    if not isinstance(table, dict):
        raise refuse(key, table, allowed)
    out: dict[str, Any] = {}
    for name, value in table.items():
        if not isinstance(name, str):
            raise refuse(key, name, "parameter names as strings")
        if name == PREFIX[:-1] and isinstance(value, dict):
            for sub, v in value.items():
                if not isinstance(sub, str):
                    raise refuse(f"{key}.{PREFIX[:-1]}", sub, "assumption names as strings")
                dotted = PREFIX + sub
                if dotted in out:
                    raise refuse(f"{key}.{dotted}", v, "each assumption once")
                out[dotted] = v
        else:
            if name in out:
                raise refuse(f"{key}.{name}", value, "each parameter once")
            out[name] = value
    return out


def _known(name: str, key: str, where: str) -> None:
    if name.startswith(PREFIX):
        bare = name[len(PREFIX):]
        if bare not in ASSUMPTIONS:
            match = close_match(bare, ASSUMPTIONS)
            hint = f"; did you mean '{PREFIX}{match}'?" if match else ""
            raise ExperimentError(f"{where}: field '{key}': unknown assumption '{bare}'{hint} "
                                  "(see `lcsim params --assumptions`)")
        return
    if name not in SCHEMA:
        match = close_match(name, SCHEMA)
        hint = f"; did you mean '{match}'?" if match else ""
        raise ExperimentError(f"{where}: field '{key}': unknown parameter '{name}'{hint} (see `lcsim params`)")


def _integer(value, key, low, high, refuse) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise refuse(key, value, _ALLOWED.get(key, f"an integer in [{low}, {high}]"))
    return value


def _value(name: str, value: Any, key: str, where: str) -> Any:
    """One parameter (or assumption) value checked by its entry, with the error re-worded to name the field."""
    _known(name, key, where)
    p = entry(name)
    try:
        return p.check(value, shown=show(value))
    except ParameterError as err:
        raise ExperimentError(f"{where}: field '{key}': " + str(err).removeprefix(f"parameter '{p.name}': ")) from None
