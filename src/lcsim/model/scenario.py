"""The Mesa face of lcsim's parameters: `CommunityScenario`, a Mesa Scenario with one field per schema entry."""

from __future__ import annotations


def _scenario_class():
    """`CommunityScenario`: Mesa's Scenario with one typed field per schema parameter (its default),
    plus `preset` (a named lcsim scenario the fields start from) and `assumptions`."""
    from mesa.experimental.scenarios import Scenario

    from ..parameters import SCHEMA

    kinds = {"int": int, "float": float, "bool": bool, "choice": str}
    namespace = {"__annotations__": {}, "__doc__": _scenario_class.__doc__, "__module__": __name__}
    for name, entry in SCHEMA.items():
        namespace["__annotations__"][name] = kinds[entry.kind]
        namespace[name] = entry.default
    namespace["__annotations__"].update(preset=str, assumptions=dict)
    namespace.update(preset="default", assumptions={})
    return type("CommunityScenario", (Scenario,), namespace)


CommunityScenario = _scenario_class()
