"""The trainer's room as a library: one community, two plans in lockstep, rewind and branch.

- `RunSpec`: everything that decides a run (preset, parameters, seed, and the months the convener
  was told to step back). The model is deterministic, so a spec re-simulated from month 0 gives
  the same run: that is how a branch starts as an exact copy, and how a session is replayed.
- `Run`: a spec being simulated, with the `View` of every month it has reached (rewinding shows
  the stored view, so the room sees exactly what it saw).
- `Room`: what the page shows: one run, two plans (same community, same seed: the model's random
  streams are per mechanism, so the two runs stay paired until their rules differ) or a run and
  its branch; the month shown; and the session record (every scene, with the months shown).
  The two-plan view is one *world* as every answer draws it (`lcsim.studies.uncertainty`): with a
  posterior shipped, its community's uncertain values are one draw from it (seeded by the room's seed),
  except those the trainer changed from the preset; without one, the preset's values (`Room.world_note`).

No Solara here: the page (app.py) calls these, and the tests drive them directly.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..parameters import SCHEMA, ParameterError, check_params
from ..strategies import EXIT_STRATEGIES, WORDS
from ..values import check_seed
from .limits import Limits
from .live import make_model
from .network import NetworkLayout, ProgrammeLayout
from .view import View, communities_meeting, is_programme, programme_groups, take_view

SINGLE, TWO_PLANS, BRANCH = "one community", "two plans", "branch"
MODES = (SINGLE, TWO_PLANS, BRANCH)

# The plans the two-plan mode offers: each is a change to the community's settings.
PLANS: dict[str, dict[str, Any]] = {WORDS[s]: {"exit_strategy": s} for s in EXIT_STRATEGIES}
PLANS["control 0.3 (lets members lead)"] = {"control": 0.3}
PLANS["control 0.8 (keeps the floor)"] = {"control": 0.8}
DEFAULT_PLANS = (WORDS["phase_out"], WORDS["phase_over"])


@dataclass
class RunSpec:
    label: str
    preset: str
    params: dict[str, Any]  # the full checked parameter set
    seed: int
    events: list[tuple[int, str]] = field(default_factory=list)  # (month, strategy): convener stepped back
    plan: str | None = None  # the plan's name, in the two-plan mode
    branched_at: int | None = None  # a branch: the month it left the original run
    assumptions: dict[str, Any] = field(default_factory=dict)  # a drawn world's assumptions (two plans)

    def to_dict(self) -> dict:
        d = {"label": self.label, "preset": self.preset, "params": dict(self.params), "seed": self.seed,
             "events": [{"month": m, "step_back": s} for m, s in self.events], "plan": self.plan,
             "branched_at": self.branched_at}
        return {**d, "assumptions": dict(self.assumptions)} if self.assumptions else d

    @classmethod
    def from_dict(cls, d: dict) -> RunSpec:
        params = check_params(d["params"])
        events = [(int(e["month"]), str(e["step_back"])) for e in d.get("events", [])]
        for _, strategy in events:
            SCHEMA["exit_strategy"].check(strategy)
        from ..assumptions import Assumptions

        assumed = dict(d.get("assumptions") or {})
        Assumptions.of(assumed)  # an unknown name or a value out of range: one line
        return cls(label=str(d["label"]), preset=str(d["preset"]), params=params, seed=check_seed(d["seed"]),
                   events=events, plan=d.get("plan"), branched_at=d.get("branched_at"), assumptions=assumed)


class Run:
    """One community simulated month by month, with the view of every month reached."""

    def __init__(self, spec: RunSpec) -> None:
        self.spec = spec
        self.model = make_model(spec.preset, spec.params, spec.seed, spec.assumptions)
        self.layout = NetworkLayout(spec.seed)  # same seed, same first picture: two plans start identical
        self.programme_layout = ProgrammeLayout(spec.seed)  # once the run holds several communities
        self.alive_series: list[tuple[int, int]] = []  # (convened, replicated) communities meeting, per month
        self.views: list[View] = []
        self._take()
        self._replay_events()

    @property
    def month(self) -> int:
        return self.model.month

    @property
    def horizon(self) -> int:
        return self.spec.params["months"]

    def _take(self) -> None:
        model = self.model
        counts = communities_meeting(model)
        del self.alive_series[model.month:]
        self.alive_series.append((counts[0], counts[2]))
        if is_programme(model):
            # The one-community layout stops where the programme began; each community has its own from then.
            groups = programme_groups(model, self.programme_layout.update(model, start=self.layout))
            view = take_view(model, self.layout.pos, groups, self.alive_series)
        else:
            view = take_view(model, self.layout.update(model), (), self.alive_series)
        if len(self.views) > view.month:
            self.views[view.month] = view  # the same month again (after stepping back): what is shown now
        else:
            self.views.append(view)

    def _replay_events(self) -> None:
        """Step-backs the spec holds for this month (a replay or a branch re-simulating its past)."""
        for month, strategy in self.spec.events:
            if month == self.month:
                self.model.step_back(strategy)
                self._take()

    def advance(self) -> bool:
        """One month on; False at the horizon."""
        if self.month >= self.horizon:
            return False
        self.model.step()
        self._take()
        self._replay_events()
        return True

    def reach(self, month: int) -> None:
        while self.month < month and self.advance():
            pass

    def step_back(self, strategy: str) -> None:
        """The convener steps back now (at the run's latest month)."""
        self.model.step_back(strategy)
        self.spec.events.append((self.month, strategy))
        self._take()

    def view(self, month: int) -> View:
        return self.views[max(0, min(month, len(self.views) - 1))]


def world(preset: str, params: dict, seed: int) -> tuple[dict, dict, str]:
    """The two-plan view's community as one world of every answer (`lcsim.studies.uncertainty`): (parameters,
    assumptions, the sentence saying where they come from). A value the trainer changed from the preset is kept."""
    from ..assumptions import PREFIX
    from ..scenarios import scenario_params
    from ..studies.uncertainty import uncertainty

    preset_values = scenario_params(preset)
    changed = {k: v for k, v in params.items() if preset_values.get(k) != v}
    unc = uncertainty(preset, changed)
    if not unc.drawn:
        return dict(params), {}, unc.sentence()
    drawn = unc.draws(1, seed).iloc[0].to_dict()
    drawn_params = {k: v for k, v in drawn.items() if not k.startswith(PREFIX)}
    assumed = {k[len(PREFIX):]: float(v) for k, v in drawn.items() if k.startswith(PREFIX)}
    return check_params({**params, **drawn_params}), assumed, unc.sentence().replace(
        "Intervals include parameter uncertainty", "This community is one world drawn", 1)


def with_plan(params: dict, plan: str) -> dict:
    if plan not in PLANS:
        raise UsageError(f"plan {plan!r}: expected one of {', '.join(PLANS)}")
    return check_params({**params, **PLANS[plan]})


class Room:
    """The page's state. Every change goes through a method here, under `lock` (the page's play loop
    steps the room in a thread while the page draws it). `limits`: what one participant may start and run
    (limits.py); settings past them are refused in one line."""

    def __init__(self, preset: str, params: dict, seed: int, scenes: list | None = None,
                 limits: Limits | None = None) -> None:
        self.lock = threading.RLock()
        self.limits = limits or Limits()
        self.preset, self.params, self.seed = preset, check_params(params), check_seed(seed)
        self.halted: str | None = None  # why the runs may not go on (grown past the limits), until a new start
        self.plans = DEFAULT_PLANS
        self.mode = SINGLE
        self.runs: list[Run] = []
        self.shown = 0
        self.scenes: list[dict] = list(scenes or [])  # the session record; the last scene is the live one
        self.world_note = ""  # two plans: where the community's uncertain values come from (`world`)
        self.serial = 0  # counts scenes started here, so the page can rebuild its figures for a new one

    # -- starting scenes ----------------------------------------------------------------------
    def start(self, mode: str | None = None, preset: str | None = None, params: dict | None = None,
              seed: int | None = None, plans: tuple[str, str] | None = None) -> None:
        """Start the current (or given) mode from month 0. Two plans: both runs on the same seed."""
        with self.lock:
            mode = mode or (self.mode if self.mode != BRANCH else SINGLE)
            if mode not in (SINGLE, TWO_PLANS):
                raise UsageError(f"mode {mode!r}: start one community or two plans")
            preset = preset or self.preset
            params = check_params(params) if params is not None else self.params
            seed = self.seed if seed is None else check_seed(seed)
            self.limits.check(params)
            plans = tuple(plans or self.plans)
            if mode == SINGLE:
                specs = [RunSpec("the community", preset, params, seed)]
                self.world_note = ""
            else:
                drawn, assumed, self.world_note = world(preset, params, seed)
                specs = [RunSpec(f"{tag}: {plan}", preset, with_plan(drawn, plan), seed, plan=plan,
                                 assumptions=assumed) for tag, plan in zip("AB", plans)]
            self.preset, self.params, self.seed, self.plans, self.mode = preset, params, seed, plans, mode
            self._begin([Run(s) for s in specs], month=0)

    def branch(self, strategy: str) -> None:
        """The convener steps back at the month shown, in a copy of the run re-simulated from month 0
        (same seed and settings: an exact copy up to that month), compared with the original."""
        with self.lock:
            if self.mode != SINGLE:
                raise UsageError("branch from one community (leave the two-plan mode first)")
            SCHEMA["exit_strategy"].check(strategy)
            original, k = self.runs[0], self.shown
            if not original.view(k).convener_present:
                raise UsageError(f"the convener has already gone at month {k}: nothing to step back from")
            spec = original.spec
            events = [(m, s) for m, s in spec.events if m < k] + [(k, strategy)]
            copy = RunSpec(f"B: steps back at month {k} ({strategy})", spec.preset, dict(spec.params), spec.seed,
                           events=events, branched_at=k, assumptions=dict(spec.assumptions))
            branch = Run(copy)
            branch.reach(k)
            self.mode = BRANCH
            self._begin([original, branch], month=k)

    def _begin(self, runs: list[Run], month: int) -> None:
        self.runs, self.shown = runs, month
        self.halted = None
        self.serial += 1
        self.scenes.append({"mode": self.mode, "preset": self.preset, "params": dict(self.params), "seed": self.seed,
                            "plans": list(self.plans) if self.mode == TWO_PLANS else None,
                            "runs": [r.spec for r in runs], "shown": [month]})

    # -- moving through time -------------------------------------------------------------------
    @property
    def horizon(self) -> int:
        return min(r.horizon for r in self.runs)

    @property
    def latest(self) -> int:
        """The last month every run has reached: the timeline's end."""
        return min(len(r.views) - 1 for r in self.runs)

    def step(self) -> bool:
        """Every run one month on from the month shown (a stored month, or simulated now); False at the horizon."""
        with self.lock:
            if self.halted:
                raise UsageError(self.halted)
            target = self.shown + 1
            if target > self.horizon:
                return False
            started = time.thread_time()  # this thread's CPU: what the month cost, whatever else the machine runs
            for run in self.runs:
                run.reach(target)
            self._show(target)
            try:
                self.limits.check_growth(max(len(r.model.members.active) for r in self.runs),
                                         time.thread_time() - started)
            except UsageError as err:
                self.halted = str(err)
                raise
            return True

    def show(self, month: int) -> None:
        """Rewind (or forward) to a month already run."""
        with self.lock:
            self._show(max(0, min(int(month), self.latest)))

    def _show(self, month: int) -> None:
        self.shown = month
        shown = self.scenes[-1]["shown"]
        if shown[-1] != month:
            shown.append(month)

    @property
    def at_end(self) -> bool:
        return self.shown >= self.horizon

    def can_step_back(self) -> bool:
        """The button acts on one community's latest month while its convener is there."""
        run = self.runs[0]
        return (self.mode == SINGLE and self.shown == run.month and run.view(self.shown).convener_present
                and not self.at_end)

    def step_back(self, strategy: str) -> None:
        with self.lock:
            if not self.can_step_back():
                raise UsageError("the convener can step back now only in one community, at its latest month")
            self.runs[0].step_back(strategy)

    def views(self) -> list[View]:
        with self.lock:
            return [r.view(self.shown) for r in self.runs]

    def difference(self) -> dict | None:
        return difference(self.views())

    # -- the session record --------------------------------------------------------------------
    def record(self) -> list[dict]:
        with self.lock:
            return [{**s, "runs": [spec.to_dict() for spec in s["runs"]], "shown": list(s["shown"])}
                    for s in self.scenes]

    @classmethod
    def replay(cls, scenes: list[dict], limits: Limits | None = None) -> Room:
        """The room as a session left it: its last scene re-simulated to the last month shown (and the
        furthest month reached), the earlier scenes kept in the record. `scenes`: a checked record's
        (`session.load_session`); the scene re-simulated must be within `limits`."""
        if not scenes:
            raise UsageError("the session record has no scenes")
        last = scenes[-1]
        specs = [RunSpec.from_dict(d) for d in last["runs"]]
        room = cls(specs[0].preset, specs[0].params, specs[0].seed, scenes=[_scene(s) for s in scenes[:-1]],
                   limits=limits)
        for spec in specs:
            room.limits.check(spec.params)
        room.mode = last["mode"]
        room.preset, room.seed = last.get("preset", room.preset), check_seed(last.get("seed", room.seed))
        room.params = check_params(last.get("params", specs[0].params))
        if last.get("plans"):
            room.plans = tuple(last["plans"])
        runs = [Run(s) for s in specs]
        furthest = max(last["shown"])
        for run in runs:
            run.reach(furthest)
        room.runs, room.shown, room.serial = runs, int(last["shown"][-1]), 1
        room.scenes.append({**_scene(last), "runs": specs})
        return room


def difference(views: list[View]) -> dict | None:
    """B minus A at the month shown (two plans or a branch): members, ties, leaders, and who survives."""
    if len(views) < 2:
        return None
    a, b = views
    return {"month": a.month, "members": b.members - a.members, "ties": b.ties - a.ties,
            "leaders": b.leaders - a.leaders, "alive": (a.alive, b.alive),
            "dissolved": (a.dissolved_month, b.dissolved_month)}


def difference_text(views: list[View]) -> str:
    d = difference(views)
    fates = [f"{tag} still meeting" if alive else f"{tag} dissolved at month {month}"
             for tag, alive, month in zip("AB", d["alive"], d["dissolved"])]
    return (f"B − A at month {d['month']}: {d['members']:+d} members · {d['ties']:+d} ties · "
            f"{d['leaders']:+d} local leaders · " + ", ".join(fates))


def _scene(d: dict) -> dict:
    return {**d, "runs": [RunSpec.from_dict(r) for r in d["runs"]], "shown": [int(m) for m in d["shown"]]}


def replay_runs(scene: dict) -> list[Run]:
    """A recorded scene's runs, re-simulated to the furthest month it showed."""
    runs = [Run(spec if isinstance(spec, RunSpec) else RunSpec.from_dict(spec)) for spec in scene["runs"]]
    for run in runs:
        run.reach(max(scene["shown"]))
    return runs


def checked(values: dict) -> tuple[dict | None, str | None]:
    """Settings the room can start from, or why not (for the page's red note)."""
    try:
        return check_params(values), None
    except ParameterError as err:
        return None, str(err)
