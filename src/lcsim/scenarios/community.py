"""A designer's own scenario file: what they know of their community, in their own terms.

`template(name)` writes the commented file (`lcsim scenarios new NAME`); `load(path)` reads it back into
the model's parameters. The file asks for organisations by sector, meetings a year, months of convening
left, months to follow the community after, how the convener means to leave, a budget in convener-months
and whether a digital channel is possible; each answer becomes schema parameters by the conversion stated
in `_convert` (and in the file's own comments). Every range shown or checked comes from
`lcsim.parameters.SCHEMA`: a converted value is checked there, so the file can hold nothing the model
would refuse. A `[params]` table may set any schema parameter directly, in the model's terms.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

from ..parameters import SCHEMA, ParameterError, check_params, close_match

SECTOR_KEYS = ("csos", "businesses", "academics", "officials")  # the schema's SECTORS, as a designer names them
COMMUNITY_KEYS = (*SECTOR_KEYS, "communities", "meetings_per_year")
CONVENER_KEYS = ("months_of_convening_left", "months_to_follow_after", "how_to_leave", "handover_months",
                 "budget_convener_months", "digital_channel_possible", "digital_channel_planned")
TOP_KEYS = ("title", "description", "sources", "community", "convener", "params")


def _default_counts() -> dict[str, int]:
    """The default community's organisations by sector: the CSOs' share of n_members, the rest split evenly."""
    n, share = SCHEMA["n_members"].default, SCHEMA["cso_share"].default
    csos = round(n * share)
    rest = n - csos
    others = [rest // 3 + (k < rest % 3) for k in range(3)]
    return dict(zip(SECTOR_KEYS, [csos, *others]))


def _meetings_range() -> tuple[float, float]:
    p = SCHEMA["meeting_interval"]
    return 12 / p.high, 12 / p.low


def _follow_default() -> int:
    return SCHEMA["months"].default - SCHEMA["exit_month"].default


def template(name: str) -> str:
    """The commented scenario file for `name`, with the default community's values filled in."""
    counts = _default_counts()
    low, high = _meetings_range()
    interval, exit_month = SCHEMA["meeting_interval"].default, SCHEMA["exit_month"].default
    n, cso = SCHEMA["n_members"], SCHEMA["cso_share"]
    strategy = SCHEMA["exit_strategy"]
    return f'''# lcsim scenario "{name}": describe your community in your own terms.
# Use it wherever a scenario is taken:  lcsim run --scenario {name}.toml   (also compare, report, advise)
# Every value below is the model's default community: change what you know, delete a line to keep its default.
# Each comment says what the model makes of the answer, and what it allows (from `lcsim params`).

title = "{name}"
description = """
Who the community is, what it is for, where it stands today (a sentence or two, shown in reports).
"""
sources = []   # where your numbers come from (reports, a member list, your own estimate)

[community]
# Organisations taking part today, by sector. The model keeps their total, n_members ({n.allowed}),
# and the CSOs' share of it, cso_share ({cso.allowed}); it splits the other organisations evenly among
# businesses, academics and officials, so how you split them is recorded but does not change a run.
# A sector you leave out counts as none; leave all four out to keep the default ({n.default}, {cso.default:.0%} CSOs).
csos = {counts["csos"]}
businesses = {counts["businesses"]}
academics = {counts["academics"]}
officials = {counts["officials"]}   # local or national government
communities = {SCHEMA["n_communities"].default}   # communities convened together, each of the size above
#                 -> n_communities ({SCHEMA["n_communities"].allowed})
meetings_per_year = {12 // interval}   # -> meeting_interval = 12 / meetings a year, rounded to whole months
#                       ({low:g} to {high:g} a year: meeting_interval is {SCHEMA["meeting_interval"].allowed} months)

[convener]
months_of_convening_left = {exit_month}   # the model starts today: the convener is fully gone this many
#   months on -> exit_month ({SCHEMA["exit_month"].allowed})
months_to_follow_after = {_follow_default()}   # how long to follow the community after the convener leaves
#   -> months = months_of_convening_left + this (months is {SCHEMA["months"].allowed}), so this is at least 1
how_to_leave = "{strategy.default}"   # -> exit_strategy, one of: phase_out (leave at once), phase_down (taper
#                            effort), phase_over (hand hosting and agenda to members), stay (never leave)
handover_months = {SCHEMA["transition_months"].default}   # the taper or handover before the exit -> transition_months
#                       ({SCHEMA["transition_months"].allowed})
# budget_convener_months = 30   # convener-months you can still pay for (a month of the convener's full effort).
#   The model has no budget parameter: convening at full effort until the exit costs about as many
#   convener-months as months of convening left (a taper or handover costs less). `lcsim advise` takes
#   it as its --budget (plans over it rank last); run, compare and report record it only.
digital_channel_planned = {str(SCHEMA["digital_channel"].default).lower()}   # does your plan open a cheap online venue
#   for members once the convener has left? -> digital_channel ({SCHEMA["digital_channel"].allowed})
digital_channel_possible = true   # could it, if it helped? When false, `lcsim advise` proposes no plan
#   that opens one (and the plan cannot: digital_channel_planned must then be false)

[params]
# Any other model parameter, in the model's own terms (`lcsim params` lists them with their ranges);
# a value here wins over the answers above. For example:
# control = 0.4   # {SCHEMA["control"].meaning} ({SCHEMA["control"].allowed})
# initial_engagement = 0.5   # how engaged members are today: {SCHEMA["initial_engagement"].meaning}
#                              ({SCHEMA["initial_engagement"].allowed})
'''


def _file(path) -> str:
    """'scenario file NAME', the name quoted, on one line and not too long (a NUL or newline escaped)."""
    text = str(path)
    text = text if text.isprintable() else repr(text)[1:-1]
    return "scenario file '" + (text if len(text) <= 100 else text[:60] + "..." + text[-30:]) + "'"


def _where(path: Path, section: str, key: str) -> str:
    return f"{_file(path)}: [{section}] {key}" if section else f"{_file(path)}: {key}"


def _number(path: Path, section: str, key: str, value, *, whole: bool, low: float, high: float | None) -> float:
    """A number from the file, or a one-line error naming the field, the value and what is allowed."""
    kind = "a whole number" if whole else "a number"
    allowed = f"{kind} >= {low:g}" if high is None else f"{kind} in [{low:g}, {high:g}]"
    ok = (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
          and (not whole or value == int(value)) and low <= value and (high is None or value <= high))
    if not ok:
        raise ParameterError(f"{_where(path, section, key)} = {value!r} is not allowed; expected {allowed}")
    return value


def _unknown(path: Path, section: str, table: dict, known: tuple) -> None:
    for key in table:
        if key not in known:
            match = close_match(key, known)
            hint = f" (did you mean '{match}'?)" if match else ""
            raise ParameterError(f"{_where(path, section, key)} is unknown{hint}; expected one of {', '.join(known)}")


def _schema(path: Path, section: str, key: str, name: str, value):
    """`value` checked as schema parameter `name`; the error names the file's field as well."""
    try:
        return SCHEMA[name].check(value)
    except ParameterError as err:
        raise ParameterError(f"{_where(path, section, key)} = {value!r}: {err}") from None


def _convert(path: Path, community: dict, convener: dict) -> dict:
    """The designer's answers -> schema parameters; each conversion is stated where it is made."""
    params: dict = {}
    given = {k: community[k] for k in SECTOR_KEYS if k in community}
    if given:
        counts = {k: int(_number(path, "community", k, v, whole=True, low=0, high=None)) for k, v in given.items()}
        total = sum(counts.values())  # organisations by sector -> n_members (their total) ...
        n = SCHEMA["n_members"]
        if not n.low <= total <= n.high:
            raise ParameterError(f"{_file(path)}: [community] {' + '.join(counts)} = {total} organisations "
                                 f"is not allowed; expected {n.allowed} (n_members)")
        params["n_members"] = total
        params["cso_share"] = counts.get("csos", 0) / total  # ... and cso_share (the others split evenly)
    if "communities" in community:  # communities convened together -> n_communities, as is
        params["n_communities"] = _schema(path, "community", "communities", "n_communities", community["communities"])
    if "meetings_per_year" in community:  # meetings a year -> months between meetings, whole months
        low, high = _meetings_range()
        per_year = _number(path, "community", "meetings_per_year", community["meetings_per_year"],
                           whole=False, low=low, high=high)
        params["meeting_interval"] = _schema(path, "community", "meetings_per_year", "meeting_interval",
                                             max(1, round(12 / per_year)))
    if "months_of_convening_left" in convener:  # the model's month 0 is today: the exit is this many months on
        params["exit_month"] = _schema(path, "convener", "months_of_convening_left", "exit_month",
                                       convener["months_of_convening_left"])
    exit_month = params.get("exit_month", SCHEMA["exit_month"].default)
    if "months_to_follow_after" in convener or "exit_month" in params:  # horizon = exit + the follow-up
        follow = convener.get("months_to_follow_after", _follow_default())
        months = SCHEMA["months"]
        follow = _number(path, "convener", "months_to_follow_after", follow, whole=True, low=1,
                         high=months.high - exit_month)
        params["months"] = int(exit_month + follow)
    if "how_to_leave" in convener:
        params["exit_strategy"] = _schema(path, "convener", "how_to_leave", "exit_strategy", convener["how_to_leave"])
    if "handover_months" in convener:
        params["transition_months"] = _schema(path, "convener", "handover_months", "transition_months",
                                              convener["handover_months"])
    if "digital_channel_planned" in convener:  # the plan's channel, open once the convener has left
        params["digital_channel"] = _schema(path, "convener", "digital_channel_planned", "digital_channel",
                                            convener["digital_channel_planned"])
    return params


def load(path) -> dict:
    """A scenario file -> {name, title, description, sources, params, budget, channel_possible, path}.

    `params` are the schema parameters the file sets (its answers converted, then its [params] table);
    the full parameter set is `check_params(params)`. Raises a one-line ParameterError naming the field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ParameterError(f"{_file(path)} does not exist (write one with `lcsim scenarios new NAME`)") \
            from None
    except (OSError, ValueError) as err:  # a folder, no permission, not UTF-8, a NUL in the name
        why = err.strerror if isinstance(err, OSError) and err.strerror else str(err)  # not the path again
        raise ParameterError(f"{_file(path)} cannot be read: {' '.join(why.split())}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ParameterError(f"{_file(path)} is not valid TOML: {err}") from None
    _unknown(path, "", data, TOP_KEYS)
    tables = {}
    for section, known in (("community", COMMUNITY_KEYS), ("convener", CONVENER_KEYS), ("params", tuple(SCHEMA))):
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ParameterError(f"{_where(path, '', section)} = {table!r} is not allowed; "
                                 f"expected a [{section}] table")
        _unknown(path, section, table, known)
        tables[section] = table
    params = _convert(path, tables["community"], tables["convener"])
    for key, value in tables["params"].items():  # the model's own terms win over the answers
        params[key] = _schema(path, "params", key, key, value)
    possible = _schema(path, "convener", "digital_channel_possible", "digital_channel",
                       tables["convener"].get("digital_channel_possible", True))
    if params.get("digital_channel") and not possible:
        raise ParameterError(f"{_file(path)}: a digital channel (digital_channel_planned or [params] "
                             "digital_channel) is not allowed with digital_channel_possible = false")
    try:
        check_params(params)  # together: e.g. an exit after the horizon set in [params]
    except ParameterError as err:
        raise ParameterError(f"{_file(path)}: {err}") from None
    budget = tables["convener"].get("budget_convener_months")
    if budget is not None:
        budget = float(_number(path, "convener", "budget_convener_months", budget, whole=False, low=0, high=None))
        if budget == 0:
            raise ParameterError(f"{_where(path, 'convener', 'budget_convener_months')} = 0 is not allowed; "
                                 "expected a number of convener-months > 0")
    for key in ("title", "description"):
        if not isinstance(data.get(key, ""), str):
            raise ParameterError(f"{_where(path, '', key)} = {data[key]!r} is not allowed; expected text")
    sources = data.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        raise ParameterError(f"{_where(path, '', 'sources')} = {sources!r} is not allowed; expected a list of text")
    return {"name": path.stem, "title": data.get("title", path.stem), "path": str(path),
            "description": " ".join(data.get("description", "").split()) or f"the community described in {path}",
            "sources": sources, "params": params, "budget": budget,
            "channel_possible": possible}
