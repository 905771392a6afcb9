"""The session record's schema: a saved record is checked whole, and rebuilt, before anything is simulated or drawn.

A record comes back from a file a participant or anyone may have edited, and its strings end up in the
debrief (a page meant to be e-mailed) and in the next saved record. So `check_record` accepts only what
the app writes: known keys, types, ranges (parameters through the schema, seeds through
`values.check_seed`, months within the run's horizon), sizes, known presets, modes, plans and exit
strategies, and labels of the forms the room gives its runs. It returns a new record built from the
checked values alone (nothing of the file is carried over as it was), or raises one `UsageError`
line naming the scene, run and field.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import LcsimError, UsageError
from ..parameters import SCHEMA, check_params
from ..scenarios import names
from ..values import check_seed
from .room import BRANCH, MODES, PLANS, SINGLE, TWO_PLANS

FORMAT = "lcsim-session"
VERSION = 1
MAX_BYTES = 20_000_000  # a long session (hundreds of scenes, every month shown) is well under 1 MB
MAX_SCENES = 500
MAX_SHOWN = 20_000  # months shown in one scene, rewinds included
RUNS = {SINGLE: 1, TWO_PLANS: 2, BRANCH: 2}
TOP_KEYS = {"format", "version", "lcsim", "saved", "scenes"}
SCENE_KEYS = {"mode", "preset", "params", "seed", "plans", "runs", "shown"}
RUN_KEYS = {"label", "preset", "params", "seed", "events", "plan", "branched_at", "assumptions"}
_VERSION_TEXT = re.compile(r"[0-9A-Za-z.+_-]{1,40}", re.ASCII)


class Bad(Exception):
    """One field of the record is wrong; `read` turns it into the one-line UsageError."""


def read(path) -> dict:
    """The record in `path`, checked and rebuilt (see `check_record`); one UsageError line if it is not one."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UsageError(f"session record {path}: larger than {MAX_BYTES // 1_000_000} MB, not a record the app "
                             "saves")
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise UsageError(f"session record {path}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise UsageError(f"session record {path}: not JSON (not UTF-8 text)") from None
    try:
        record = json.loads(text, parse_constant=_no_constant)
    except Bad as err:
        raise UsageError(f"session record {path}: not JSON the app writes ({err})") from None
    except (ValueError, RecursionError) as err:  # JSONDecodeError is a ValueError; so are 5,000-digit numbers
        raise UsageError(f"session record {path}: not JSON ({_short(str(err), 80)})") from None
    return check_record(record, path)


def check_record(record: Any, path="the record") -> dict:
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise UsageError(f"session record {path}: not an lcsim session record (saved by the app's "
                         "'Save the session record')")
    if record.get("version") != VERSION or isinstance(record.get("version"), bool):
        raise UsageError(f"session record {path}: version {_shown(record.get('version'))}, this lcsim reads {VERSION}")
    try:
        return _record(record)
    except Bad as err:
        raise UsageError(f"session record {path}: {err}") from None
    except LcsimError as err:
        raise UsageError(f"session record {path}: {err}") from None


def _record(record: dict) -> dict:
    _keys(record, TOP_KEYS, "the record")
    scenes = record.get("scenes")
    if not isinstance(scenes, list) or not scenes:
        raise Bad("it holds no scenes")
    if len(scenes) > MAX_SCENES:
        raise Bad(f"{len(scenes)} scenes, more than the {MAX_SCENES} a record may hold")
    lcsim = record.get("lcsim", "")
    if not isinstance(lcsim, str) or (lcsim and not _VERSION_TEXT.fullmatch(lcsim)):
        raise Bad(f"field 'lcsim': {_shown(lcsim)} is not a version number")
    saved = record.get("saved", "")
    if not isinstance(saved, str) or len(saved) > 40 or (saved and not _is_time(saved)):
        raise Bad(f"field 'saved': {_shown(saved)} is not a date and time")
    return {"format": FORMAT, "version": VERSION, "lcsim": lcsim, "saved": saved,
            "scenes": [_scene(scene, f"scene {k}") for k, scene in enumerate(scenes, 1)]}


def _scene(scene: Any, where: str) -> dict:
    if not isinstance(scene, dict):
        raise Bad(f"{where}: expected an object, got {type(scene).__name__}")
    _keys(scene, SCENE_KEYS, where, required=("mode", "runs", "shown"))
    mode = _choice(scene["mode"], MODES, f"{where}, field 'mode'")
    runs = scene["runs"]
    if not isinstance(runs, list) or len(runs) != RUNS[mode]:
        raise Bad(f"{where}, field 'runs': expected {RUNS[mode]} run(s) for mode '{mode}'")
    specs = [_run(run, f"{where}, run {k}") for k, run in enumerate(runs, 1)]
    preset = _preset(scene.get("preset", specs[0]["preset"]), f"{where}, field 'preset'")
    params = _params(scene.get("params", specs[0]["params"]), f"{where}, field 'params'")
    seed = check_seed(scene.get("seed", specs[0]["seed"]), f"{where}, field 'seed'")
    plans = scene.get("plans")
    if mode == TWO_PLANS:
        if not isinstance(plans, list) or len(plans) != 2:
            raise Bad(f"{where}, field 'plans': expected the two plans' names")
        plans = [_choice(p, PLANS, f"{where}, field 'plans'") for p in plans]
        if [s["plan"] for s in specs] != plans:
            raise Bad(f"{where}: its runs are not its two plans")
    elif plans is not None:
        raise Bad(f"{where}, field 'plans': only a two-plan scene has plans")
    horizon = min(s["params"]["months"] for s in specs)
    shown = scene["shown"]
    if not isinstance(shown, list) or not shown or len(shown) > MAX_SHOWN:
        raise Bad(f"{where}, field 'shown': expected a list of 1 to {MAX_SHOWN} months")
    shown = [_month(m, horizon, f"{where}, field 'shown'") for m in shown]
    return {"mode": mode, "preset": preset, "params": params, "seed": seed,
            "plans": plans if mode == TWO_PLANS else None, "runs": specs, "shown": shown}


def _run(run: Any, where: str) -> dict:
    if not isinstance(run, dict):
        raise Bad(f"{where}: expected an object, got {type(run).__name__}")
    _keys(run, RUN_KEYS, where, required=("label", "preset", "params", "seed"))
    preset = _preset(run["preset"], f"{where}, field 'preset'")
    params = _params(run["params"], f"{where}, field 'params'")
    seed = check_seed(run["seed"], f"{where}, field 'seed'")
    months = params["months"]
    events = run.get("events", [])
    if not isinstance(events, list) or len(events) > months + 1:
        raise Bad(f"{where}, field 'events': expected a list of at most {months + 1} step-backs")
    steps = []
    for event in events:
        if not isinstance(event, dict) or set(event) != {"month", "step_back"}:
            raise Bad(f"{where}, field 'events': expected {{\"month\": M, \"step_back\": STRATEGY}} items")
        steps.append({"month": _month(event["month"], months, f"{where}, field 'events'"),
                      "step_back": _choice(event["step_back"], SCHEMA["exit_strategy"].choices,
                                           f"{where}, field 'events'")})
    plan = run.get("plan")
    if plan is not None:
        plan = _choice(plan, PLANS, f"{where}, field 'plan'")
    branched_at = run.get("branched_at")
    if branched_at is not None:
        branched_at = _month(branched_at, months, f"{where}, field 'branched_at'")
        if not steps or steps[-1]["month"] != branched_at:
            raise Bad(f"{where}: a branch steps back at the month it branched")
    label = run["label"]
    if not isinstance(label, str) or label not in _labels(plan, branched_at, steps):
        raise Bad(f"{where}, field 'label': {_shown(label)} is not a label the app gives a run")
    found = {"label": label, "preset": preset, "params": params, "seed": seed, "events": steps, "plan": plan,
             "branched_at": branched_at}
    assumed = run.get("assumptions")
    if assumed is not None:  # a two-plan world drawn from the posterior (room.world)
        from ..assumptions import Assumptions

        if not isinstance(assumed, dict):
            raise Bad(f"{where}, field 'assumptions': expected an object of assumption values")
        try:
            Assumptions.of(assumed)
        except LcsimError as err:
            raise Bad(f"{where}, field 'assumptions': {err}") from None
        found["assumptions"] = dict(assumed)
    return found


def _labels(plan, branched_at, steps) -> set[str]:
    """The labels room.py gives: one community, a plan (A or B), or a branch."""
    if branched_at is not None:
        return {f"B: steps back at month {branched_at} ({steps[-1]['step_back']})"}
    if plan is not None:
        return {f"A: {plan}", f"B: {plan}"}
    return {"the community"}


def _keys(d: dict, allowed: set, where: str, required=()) -> None:
    unknown = [k for k in d if k not in allowed]
    if unknown:
        raise Bad(f"{where}: unknown field {_shown(unknown[0])}; expected {', '.join(sorted(allowed))}")
    missing = [k for k in required if k not in d]
    if missing:
        raise Bad(f"{where}: field '{missing[0]}' is missing")


def _choice(value: Any, allowed, where: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise Bad(f"{where}: {_shown(value)} is not allowed; expected one of {', '.join(allowed)}")
    return value


def _preset(value: Any, where: str) -> str:
    return _choice(value, names(), where)


def _params(value: Any, where: str) -> dict:
    if not isinstance(value, dict) or len(value) > len(SCHEMA):
        raise Bad(f"{where}: expected an object of at most {len(SCHEMA)} parameters")
    for name in value:
        if name not in SCHEMA:
            raise Bad(f"{where}: unknown parameter {_shown(name)} (see `lcsim params`)")
    return check_params(value)


def _month(value: Any, horizon: int, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= horizon:
        raise Bad(f"{where}: {_shown(value)} is not allowed; expected a month in [0, {horizon}]")
    return value


def _is_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
        return True
    except ValueError:
        return False


def _no_constant(name: str):
    raise Bad(f"{name} is not a number")


def _shown(value: Any) -> str:
    """A value from the record, on one short line (for the error; the CLI prints it to a terminal)."""
    text = repr(value) if not isinstance(value, (list, dict)) else f"a {type(value).__name__}"
    return _short(text, 50)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    text = text.encode("ascii", "backslashreplace").decode("ascii")  # no terminal control or odd characters
    return text if len(text) <= limit else text[: limit - 15] + "..." + text[-12:]
