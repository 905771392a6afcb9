"""Named scenarios: small sets of parameter values, each with a description and its sources.

Each scenario is a TOML file beside this module, read through the parameter schema, so a
scenario can never hold a parameter or value the model does not accept.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

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


def describe(name: str) -> dict:
    """A scenario's title, description, sources and its own parameter values."""
    lib = _library()
    if name not in lib:
        match = close_match(name, lib)
        hint = f" (did you mean '{match}'?)" if match else ""
        raise ParameterError(f"scenario '{name}' is unknown{hint}; expected one of {', '.join(lib)}")
    return lib[name]


def scenario_params(name: str) -> dict:
    """The full, checked parameter set of a scenario (defaults, then the scenario's values)."""
    try:
        return check_params(describe(name)["params"])
    except ParameterError as err:
        raise ParameterError(f"scenario '{name}': {err}") from None
