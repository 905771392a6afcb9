"""Optional extras: a command that needs one says so in one line, before any work.

    require("advise")            # raises UsageError if pymoo is missing
    require("calibrate", "app")  # several at once

`EXTRAS` is the one table of which extra brings which modules (pyproject.toml's
[project.optional-dependencies] names the packages; the README names the extra where each command is shown).
"""

from __future__ import annotations

import importlib.util

from .errors import UsageError

# extra -> (modules it must make importable, what it is for)
EXTRAS: dict[str, tuple[tuple[str, ...], str]] = {
    "advise": (("pymoo",), "lcsim advise and report --advise (pymoo's NSGA-II proposes the plans)"),
    "calibrate": (("pyabc",), "lcsim calibrate (ABC-SMC with pyabc)"),
    "discover": (("ema_workbench", "sklearn"), "lcsim discover and analyze's discovery section (PRIM and CART)"),
    "app": (("solara", "ipyvue", "ipyvuetify"), "lcsim app (Mesa's SolaraViz, served offline)"),
    "cluster": (("distributed",), "sweeps on a Dask cluster (--scheduler)"),
}


def missing(extra: str) -> list[str]:
    """The modules of `extra` that cannot be imported here (empty: the extra is installed)."""
    modules, _ = EXTRAS[extra]
    return [m for m in modules if importlib.util.find_spec(m) is None]


def require(*extras: str) -> None:
    """Raise one UsageError line naming the first extra that is not installed and how to install it."""
    for extra in extras:
        if extra not in EXTRAS:
            raise UsageError(f"extra: {extra!r} is not an lcsim extra; known: {', '.join(EXTRAS)}")
        absent = missing(extra)
        if absent:
            raise UsageError(f"{EXTRAS[extra][1]} needs the '{extra}' extra ({', '.join(absent)} not installed): "
                             f"pip install 'lcsim[{extra}]'")
