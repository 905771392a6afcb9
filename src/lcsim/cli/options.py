"""Options shared by every command that runs the model: --scenario and --set name=value."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..parameters import parse_assignment
from ..scenarios import describe, scenario_params


def add_model_options(parser: argparse.ArgumentParser, scenario: bool = True) -> None:
    if scenario:
        parser.add_argument("--scenario", default="default", metavar="NAME",
                            help="a named scenario (see `lcsim scenarios`); default: %(default)s")
    parser.add_argument("--set", dest="assignments", action="append", default=[], metavar="NAME=VALUE",
                        help="set a parameter (repeatable), e.g. --set control=0.3; see `lcsim params`")


def overrides(args: argparse.Namespace) -> dict:
    """The --set values, parsed and checked against the schema (raises ParameterError)."""
    return dict(parse_assignment(text) for text in args.assignments)


def resolved_params(args: argparse.Namespace, **explicit) -> dict:
    """The scenario's parameters, then --set, then explicit options (e.g. --months); all checked."""
    from ..parameters import check_params

    describe(args.scenario)  # an unknown scenario fails here, with the list of names
    given = {**overrides(args), **{k: v for k, v in explicit.items() if v is not None}}
    return check_params(given, scenario_params(args.scenario))


def output_dir(path: str | None, default: str) -> Path:
    return Path(path if path is not None else default)
