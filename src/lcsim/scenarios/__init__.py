"""Named scenarios: small sets of parameter values, each with a description and its sources.

Each scenario is a TOML file beside this module, read through the parameter schema, so a
scenario can never hold a parameter or value the model does not accept. A designer's own file
(`lcsim scenarios new NAME`, read by `community.load`) is taken wherever a name is: a path ending in
`.toml`, or naming an existing file, is read as such a file.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from ..parameters import ParameterError, check_params, close_match


@cache
def _library() -> dict[str, dict]:
    found = {}
    for entry in resources.files(__package__).iterdir():
        if entry.name.endswith(".toml"):
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            name = entry.name.removesuffix(".toml")
            found[name] = {
                "name": name,
                "title": data.get("title", name),
                "description": data["description"].strip(),
                "sources": data.get("sources", []),
                "params": data.get("params", {}),
            }
    return dict(sorted(found.items(), key=lambda kv: (kv[0] != "default", kv[0])))


def names() -> list[str]:
    return list(_library())


def is_file(name) -> bool:
    """Whether `name` means a scenario file rather than a named scenario."""
    if isinstance(name, Path):
        return True
    return isinstance(name, str) and name not in _library() and (
        name.endswith(".toml") or "/" in name or "\\" in name or _exists(name))


def _exists(name: str) -> bool:
    try:
        return Path(name).is_file()
    except (OSError, ValueError):  # a name too long, or with a NUL, for a path: not a file
        return False


def label(name) -> str:
    """A scenario's short name for folders and titles: the name, or a file's stem."""
    return Path(name).stem if is_file(name) else str(name)


def describe(name) -> dict:
    """A scenario's title, description, sources and its own parameter values (a file's: converted)."""
    if is_file(name):
        from .community import load

        return load(name)
    lib = _library()
    if name not in lib:
        match = close_match(name, lib)
        hint = f" (did you mean '{match}'?)" if match else ""
        raise ParameterError(f"scenario '{name}' is unknown{hint}; expected one of {', '.join(lib)}, "
                             "or a scenario file (lcsim scenarios new NAME)")
    return lib[name]


def scenario_params(name) -> dict:
    """The full, checked parameter set of a scenario (defaults, then the scenario's values); `name` may be
    a scenario file's path."""
    if is_file(name):
        return check_params(describe(name)["params"])  # load() names the file in its errors
    try:
        return check_params(describe(name)["params"])
    except ParameterError as err:
        raise ParameterError(f"scenario '{name}': {err}") from None


def plan_limits(name, levers, budget: float | None) -> tuple:
    """(levers, budget) for `advise` on scenario `name`: a scenario file's budget when none is given, and
    no digital-channel lever when the file says a channel is not possible (a named scenario: unchanged)."""
    if not is_file(name):
        return levers, budget
    found = describe(name)
    if budget is None:
        budget = found["budget"]
    if not found["channel_possible"]:
        listed = [s.strip() for s in levers.split(",")] if isinstance(levers, str) else list(levers)
        levers = tuple(s for s in listed if s and s != "digital_channel")
    return levers, budget
