"""Options shared by every command that runs the model: --scenario and --set name=value; and
--fixed-values / --drawn-values for the answers (compare, report, advise: `lcsim.studies.uncertainty`).

`--set NAME=VALUE` sets a parameter (`lcsim params`); `--set assumptions.NAME=VALUE` one of the
model's assumptions (`lcsim params --assumptions`). Both are checked before anything runs.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..assumptions import PREFIX
from ..assumptions import parse_assignment as parse_assumption
from ..parameters import parse_assignment
from ..scenarios import describe, scenario_params


def add_model_options(parser: argparse.ArgumentParser, scenario: bool = True, assumptions: bool = True) -> None:
    """--scenario and --set; `assumptions=False` for a command that takes parameters only (the app)."""
    if scenario:
        parser.add_argument("--scenario", default="default", metavar="NAME",
                            help="a named scenario (see `lcsim scenarios`) or a scenario file, FILE.toml (write one "
                                 "with `lcsim scenarios new NAME`); default: %(default)s")
    what = ("set a parameter (repeatable), e.g. --set control=0.3, or an assumption, e.g. "
            f"--set {PREFIX}engagement_rate=0.2; see `lcsim params` (--assumptions)") if assumptions else (
        "set a parameter (repeatable), e.g. --set control=0.3; see `lcsim params`. Parameters only: "
        "assumptions are changed with lcsim run, compare or sweep")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE", help=what)


def parse_set(text: str) -> tuple[str, Any]:
    """One `--set`: (name, value) for a parameter, ("assumptions.NAME", value) for an assumption; checked."""
    name, sep, raw = text.partition("=")
    key = name.strip().replace("-", "_")
    if sep and key.startswith(PREFIX):
        found, value = parse_assumption(key, raw)
        return PREFIX + found, value
    return parse_assignment(text)


def overrides(args: argparse.Namespace) -> dict:
    """The --set values, parsed and checked (raises ParameterError); assumptions keep their dotted name,
    as sweeps and `simulate(**{"assumptions.NAME": value})` take them."""
    return dict(parse_set(text) for text in args.assignments)


def split(values: dict) -> tuple[dict, dict]:
    """(parameters, assumptions): the dotted `assumptions.NAME` keys apart, without their prefix."""
    params = {k: v for k, v in values.items() if not k.startswith(PREFIX)}
    assumed = {k[len(PREFIX):]: v for k, v in values.items() if k.startswith(PREFIX)}
    return params, assumed


def resolved_params(args: argparse.Namespace, **explicit) -> dict:
    """The scenario's parameters, then --set, then explicit options (e.g. --months); all checked.

    Assumptions set with --set are checked by `parse_set` but are not parameters: see `assumptions_of`.
    """
    from ..parameters import check_params

    describe(args.scenario)  # an unknown scenario fails here, with the list of names
    given = {**split(overrides(args))[0], **{k: v for k, v in explicit.items() if v is not None}}
    return check_params(given, scenario_params(args.scenario))


def assumptions_of(args: argparse.Namespace) -> dict:
    """The assumptions set with --set assumptions.NAME=VALUE: name (no prefix) -> checked value."""
    return split(overrides(args))[1]


def add_seed_option(parser: argparse.ArgumentParser, help: str, default: int = 0) -> None:
    """--seed N, read as text and checked by `seed_of` (argparse's int() would take '１５' and '1_0')."""
    parser.add_argument("--seed", default=str(default), metavar="N", help=f"{help} (default: %(default)s)")


def seed_of(args: argparse.Namespace) -> int:
    """The --seed, checked (an integer in [0, 2**63 - 1]) before anything runs or is written."""
    from ..values import check_seed

    return check_seed(args.seed, what="--seed")


def add_values_options(cmd: argparse.ArgumentParser) -> None:
    """--posterior, --fixed-values / --drawn-values: what is uncertain (lcsim.studies.uncertainty), for compare,
    report, advise."""
    cmd.add_argument("--posterior", metavar="DIR",
                     help="draw each world's uncertain values from this posterior (the folder lcsim calibrate "
                          "wrote, e.g. out/calibration/abc/posterior) instead of the shipped one")
    values = cmd.add_mutually_exclusive_group()
    values.add_argument("--fixed-values", dest="fixed_values", action="store_const", const=True, default=None,
                        help="the scenario's values, replicate noise only (by default each world draws the uncertain "
                             "values from the shipped posterior when one is fitted for these rules, else uses fixed "
                             "values; the output says which)")
    values.add_argument("--drawn-values", dest="fixed_values", action="store_const", const=False,
                        help="draw the uncertain values per world even when no posterior is fitted (over their "
                             "plausible ranges; docs/advise.md); a --set value is never drawn")


def output_dir(path: str | None, default: str) -> Path:
    return Path(path if path is not None else default)
