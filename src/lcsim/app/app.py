"""The trainer's live page: watch a learning community as its convener steps back.

Run it with `lcsim app` (which runs `solara run lcsim.app.app`). The page shows a `Room`
(room.py): one community, two plans side by side, or a run and its branch, with a timeline to go
back to any month already run. Everything it draws is a matplotlib PNG or HTML text, so it needs
no internet. It is laid out for a projector: at 1280x720 the page fits the screen with no
scrolling (the parameter list scrolls inside its column), every text is at least 14 px, and at
1600x900 and 1920x1080 the same layout is zoomed (`ZOOM`) rather than re-flowed, with the figures
drawn at 1.5 times their CSS size so they stay sharp when zoomed.
"""

from __future__ import annotations

import sys
import time
import traceback

import reacton.ipywidgets as rw
import solara
from mesa.visualization.solara_viz import UserInputs

from ..errors import LcsimError, UsageError
from ..pages import fill
from ..scenarios import describe, names, scenario_params
from .charts import RUN_COLOURS, Charts, notes
from .limits import Limits
from .live import STEP_BACK_STRATEGIES, changed, model_params, plural, show, tidy
from .network import NetworkPicture, legend_items, title
from .room import PLANS, SINGLE, TWO_PLANS, Room, checked, difference_text
from .session import session_json, start_room


def opening_room() -> tuple[Room, str | None]:
    """The room the page opens on, or (if the replayed record or the settings cannot be used now) the
    default community and why, for the page's red note: a page never shows a traceback."""
    try:
        return start_room(), None
    except LcsimError as err:
        room = Room("default", scenario_params("default"), 0, limits=Limits.from_env())
        room.start()
        return room, f"{err}; showing the default community instead"


def refusal(err: BaseException) -> str:
    """What the page says when it cannot do something: lcsim's one line, or a short line for anything else
    (the details go to the server's log, never to the participant's page)."""
    if isinstance(err, LcsimError):
        return str(err)
    traceback.print_exception(err, file=sys.stderr)
    return f"that could not be done ({type(err).__name__}); the settings are unchanged"

DPI = 150  # figure pixels per inch; the CSS size is the figure's size at 100 per inch (see ZOOM)
# Design sizes in CSS px at 1280x720 (see the module docstring); the page's CSS follows them.
NETWORK_ONE = (470, 470)
CHARTS_ONE = (460, 540)
NETWORK_TWO = (300, 300)
CHARTS_TWO = (340, 530)
SIDE = 290

CSS = f"""
.lcsim-root {{ position: fixed; inset: 0; z-index: 5; background: white; display: flex; gap: 12px;
  padding: 8px; overflow: hidden; font-size: 15px; line-height: 1.3; color: #222; }}
@media (min-width: 1600px) and (min-height: 900px) {{ .lcsim-root {{ zoom: 1.25; }} }}
@media (min-width: 1920px) and (min-height: 1080px) {{ .lcsim-root {{ zoom: 1.5; }} }}
.lcsim-side {{ width: {SIDE}px; flex: none; overflow-y: auto; display: flex; flex-direction: column; gap: 6px;
  padding-right: 4px; }}
.lcsim-main {{ flex: 1 1 auto; min-width: 0; display: flex; flex-direction: column; gap: 6px; }}
.lcsim-head {{ flex: none; display: flex; gap: 12px; align-items: baseline; }}
.lcsim-figures {{ flex: 1 1 auto; min-height: 0; display: flex; gap: 10px; align-items: flex-start; }}
.lcsim-timeline {{ flex: none; display: flex; gap: 12px; align-items: center; }}
.lcsim-col {{ display: flex; flex-direction: column; gap: 4px; min-width: 0; }}
.lcsim-root img {{ display: block; max-width: 100%; max-height: 100%; object-fit: contain; height: auto; }}
.lcsim-caption {{ font-size: 14px; color: #444; line-height: 1.25; }}
.lcsim-card {{ border: 1px solid #ddd; border-radius: 4px; padding: 6px 8px; display: flex;
  flex-direction: column; gap: 4px; }}
.lcsim-card-title {{ font-weight: 600; font-size: 15px; }}
.lcsim-root .v-input, .lcsim-root .v-label, .lcsim-root .v-btn {{ font-size: 15px !important; }}
.lcsim-root .v-input {{ margin-top: 0; padding-top: 2px; }}
.lcsim-root .v-messages {{ min-height: 0; }}
.lcsim-root .v-slider__thumb-label {{ font-size: 14px !important; }}
"""


def Caption(text: str, classes=()):
    return solara.Div(children=[text], classes=["lcsim-caption", *classes])


def Image(png: bytes, size: tuple[int, int], classes: list[str]):
    # CSS size = the design size; the PNG holds DPI/100 times as many pixels, for the zoomed layouts.
    return rw.Image(value=png, format="png", _dom_classes=classes,
                    layout={"width": f"{size[0]}px", "height": f"{size[1]}px"})


def _figures(room: Room, programme: bool = False) -> dict:
    """The figures of the scene on show, built once per scene (building them costs more than drawing), and
    again when the picture becomes (or, rewound, stops being) a programme: the charts gain a panel."""
    one = room.mode == SINGLE
    network = NETWORK_ONE if one else NETWORK_TWO
    return {"networks": [NetworkPicture(_pixels(network), dpi=DPI) for _ in room.runs],
            "charts": Charts(room.horizon, size=_pixels(CHARTS_ONE if one else CHARTS_TWO), runs=len(room.runs),
                             dpi=DPI, programme=programme),
            "network_size": network, "charts_size": CHARTS_ONE if one else CHARTS_TWO}


def _pixels(size: tuple[int, int]) -> tuple[int, int]:
    return round(size[0] * DPI / 100), round(size[1] * DPI / 100)


@solara.component
def Page():
    room, opening_problem = solara.use_memo(opening_room, [])
    limits = room.limits
    version = solara.use_reactive(0)  # bumped after every change to the room: redraws the page
    playing = solara.use_reactive(False)
    interval = solara.use_reactive(max(300, limits.pause_ms))
    strategy = solara.use_reactive(STEP_BACK_STRATEGIES[0])
    settings = solara.use_reactive(dict(room.params))  # what the controls show; applied on Reset
    seed = solara.use_reactive(room.seed)
    problem = solara.use_reactive(opening_problem)
    version.get()

    def redraw():
        version.set(version.value + 1)

    def act(do):
        """Run a change to the room; a refusal becomes the red note, not a traceback."""
        def handler(*args):
            try:
                do(*args)
                problem.set(None)
            except Exception as err:  # noqa: BLE001 - the page shows one short line, never a traceback
                problem.set(refusal(err))
            redraw()
        return handler

    def loop():
        while playing.value:
            time.sleep(max(interval.value, limits.pause_ms) / 1000)  # no faster than the trainer's months per second
            if not playing.value:
                break
            try:
                if not room.step():
                    playing.set(False)
            except Exception as err:  # noqa: BLE001 - e.g. the runs grew past the session's limits
                problem.set(refusal(err))
                playing.set(False)
            redraw()

    solara.lab.use_task(loop, dependencies=[playing.value], prefer_threaded=True)

    def reset():
        values, error = checked(settings.value)
        if error:
            raise UsageError(f"{error}. Reset keeps the last valid settings")
        playing.set(False)
        room.start(params=values, seed=seed.value)

    def on_preset(name):
        values = scenario_params(name)
        settings.set(values)
        playing.set(False)
        room.start(preset=name, params=values, seed=seed.value)

    def on_mode(mode):
        playing.set(False)
        values, _ = checked(settings.value)
        room.start(mode=mode, params=values or room.params, seed=seed.value)

    def on_plan(which, plan):
        plans = list(room.plans)
        plans[which] = plan
        playing.set(False)
        room.start(plans=tuple(plans))  # a new plan: both runs again from month 0, same seed

    def on_timeline(month):
        playing.set(False)
        room.show(month)

    views = room.views()
    programme = any(v.programme for v in views)
    figures = solara.use_memo(lambda: _figures(room, programme), [room.serial, programme])
    pngs = solara.use_memo(lambda: {"networks": [f.png(v) for f, v in zip(figures["networks"], views)],
                                    "charts": figures["charts"].png(views)},
                           [room.serial, tuple(id(v) for v in views)])

    solara.Title("lcsim: the convener steps back")
    solara.Style(CSS)
    with solara.Div(classes=["lcsim-root"]):
        with solara.Div(classes=["lcsim-side"]):
            solara.Div(children=["lcsim · will the community carry on when its convener steps back?"],
                       style={"font-weight": "600", "font-size": "15px"})
            solara.ToggleButtonsSingle(value=room.mode if room.mode != "branch" else SINGLE,
                                       values=[SINGLE, TWO_PLANS], on_value=act(on_mode), dense=True,
                                       classes=["lcsim-mode"])
            with solara.Row(gap="4px", style={"flex-wrap": "nowrap"}):
                solara.Button("Reset", on_click=act(reset), dense=True, outlined=True)
                if playing.value:
                    solara.Button("❚❚", on_click=lambda: playing.set(False), dense=True, color="primary")
                else:
                    solara.Button("▶", on_click=lambda: playing.set(True), dense=True, color="primary",
                                  disabled=room.at_end or bool(room.halted))
                solara.Button("Step", on_click=act(lambda: room.step()), dense=True, outlined=True,
                              disabled=room.at_end or playing.value or bool(room.halted))
            fastest = -(-limits.pause_ms // 50) * 50  # the trainer's months per second, on the slider's stops
            solara.SliderInt("pause between months (ms)", value=interval, min=fastest, max=max(1500, fastest), step=50)
            if room.mode == SINGLE:
                StepBackControls(room, strategy, act, version.value)
            elif room.mode == TWO_PLANS:
                PlanControls(room, act(on_plan), version.value)
            else:
                BranchControls(strategy)
            if problem.value:
                solara.Error(problem.value, dense=True)
            solara.FileDownload(lambda: session_json(room), filename="lcsim-session.json",
                                label="Save the session record", mime_type="application/json")
            with solara.Div(classes=["lcsim-card"]):
                solara.Select("scenario preset", value=room.preset, values=names(), on_value=act(on_preset))
                Caption(describe(room.preset)["title"])
                solara.InputInt("seed (Reset applies it)", value=seed.value, on_value=seed.set)
            with solara.Div(classes=["lcsim-card"]):
                solara.Div(children=["Parameters"], classes=["lcsim-card-title"])
                Caption("Changes apply when you press Reset.")
                different = changed(room.preset, settings.value)
                if different:
                    Caption("Changed from the preset: " + ", ".join(f"{k} {show(v)}" for k, v in different.items()))
                # the reactive itself: unchanged, so a Step does not re-render it
                ParameterControls(settings, limits)

        with solara.Div(classes=["lcsim-main"]):
            Head(room, views)
            with solara.Div(classes=["lcsim-figures"]):
                if room.mode == SINGLE:
                    with solara.Div(classes=["lcsim-col"], style={"width": f"{NETWORK_ONE[0]}px"}):
                        Caption(title(views[0]), classes=["lcsim-network-title"])
                        Image(pngs["networks"][0], figures["network_size"], ["lcsim-network"])
                        Legend(views[0])
                else:
                    with solara.Div(classes=["lcsim-col"], style={"width": f"{2 * NETWORK_TWO[0] + 10}px"}):
                        with solara.Row(gap="10px", style={"flex-wrap": "nowrap", "align-items": "flex-start"}):
                            for k, view in enumerate(views):
                                with solara.Div(classes=["lcsim-col"], style={"width": f"{NETWORK_TWO[0]}px"}):
                                    RunTitle(room, k, view)
                                    Image(pngs["networks"][k], figures["network_size"],
                                          ["lcsim-network", f"lcsim-network-{'ab'[k]}"])
                        Legend(views[0])
                with solara.Div(classes=["lcsim-col"]):
                    Image(pngs["charts"], figures["charts_size"], ["lcsim-charts"])
                    Symbols(notes(len(views), programme), classes=["lcsim-chart-notes"],
                            width=figures["charts_size"][0])
            with solara.Div(classes=["lcsim-timeline"]):
                with solara.Div(style={"flex": "1 1 auto"}):
                    solara.SliderInt(f"month shown (0-{room.latest} run so far)", value=room.shown, min=0,
                                     max=max(room.latest, 1), on_value=act(on_timeline), thumb_label="always")
                solara.Button(f"Branch from month {room.shown}",
                              on_click=act(lambda: room.branch(strategy.value)), dense=True, outlined=True,
                              disabled=room.mode != SINGLE or not views[0].convener_present or room.at_end,
                              classes=["lcsim-branch"])


@solara.component
def StepBackControls(room: Room, strategy, act, tick: int):
    solara.Select("exit strategy when stepping back", value=strategy, values=list(STEP_BACK_STRATEGIES))
    solara.Button("Convener steps back now", color="error", block=True,
                  on_click=act(lambda: room.step_back(strategy.value)),
                  disabled=not room.can_step_back(), classes=["lcsim-step-back"])
    view = room.views()[0]
    if view.exit_month is not None and view.exit_month <= view.month:
        held = "" if view.triggered_at is None else f" (its exit trigger's signpost held at month {view.triggered_at})"
        Caption(f"The convener left at month {view.exit_month}{held}.")


@solara.component
def PlanControls(room: Room, on_plan, tick: int):
    for which, tag in enumerate("AB"):
        solara.Select(f"plan {tag}", value=room.plans[which], values=list(PLANS),
                      on_value=lambda plan, which=which: on_plan(which, plan))
    Caption("Same community, same seed: the runs differ only by their plans. A new plan starts both again.")
    if room.world_note:
        Caption(room.world_note)


@solara.component
def BranchControls(strategy):
    solara.Select("exit strategy of a branch", value=strategy, values=list(STEP_BACK_STRATEGIES))
    Caption("B is a copy of A up to the branch month, where its convener steps back. "
            "Choose one community to go back to a single run.")


@solara.component
def Head(room: Room, views):
    # Two runs: the head says how they differ, as it happens.
    line = views[0].status if len(views) == 1 else difference_text(views)
    with solara.Div(classes=["lcsim-head"]):
        solara.Div(children=[f"Month {views[0].month}"], classes=["lcsim-month"],
                   style={"font-size": "26px", "font-weight": "600", "white-space": "nowrap"})
        solara.Div(children=[line], classes=["lcsim-status"] + (["lcsim-difference"] if len(views) > 1 else []),
                   style={"font-size": "15px", "font-weight": "400" if len(views) == 1 else "500"})


@solara.component
def RunTitle(room: Room, k: int, view):
    spec = room.runs[k].spec
    if room.mode == TWO_PLANS:
        name = f"{'AB'[k]}: {spec.plan}"
    else:
        name = "A: as run" if k == 0 else f"B: steps back at month {spec.branched_at} ({spec.events[-1][1]})"
    fate = "still meeting" if view.alive else f"dissolved at month {view.dissolved_month}"
    convener = f"convener {view.convener_intensity:.0%}" if view.convener_present else "convener gone"
    solara.Div(children=[name], style={"font-weight": "600", "color": RUN_COLOURS[k], "font-size": "15px"},
               classes=[f"lcsim-run-{'ab'[k]}"])
    solara.Div(children=[f"month {view.month} · {plural(view.members, 'member')} · {plural(view.leaders, 'leader')} · "
                         f"{plural(view.ties, 'tie')} · {convener} · {fate}"],
               classes=["lcsim-caption", f"lcsim-status-{'ab'[k]}"])


@solara.component
def Symbols(items, classes, width=None):
    """A legend as HTML text: (symbol, colour, label) items that wrap as the width allows."""
    # The only HTML the page writes itself: through lcsim.pages, so every part is escaped.
    spans = [solara.HTML(tag="span", unsafe_innerHTML=fill('<span style="color:{}">{}</span>&nbsp;{}', colour, symbol,
                                                          label),
                         style="margin-right: 10px; white-space: nowrap; display: inline-block")
             for symbol, colour, label in items]
    solara.Div(children=spans, classes=["lcsim-caption", *classes],
               style={"max-width": f"{width}px"} if width else None)


@solara.component
def Legend(view):
    Symbols(legend_items(view.programme), classes=["lcsim-legend"])
    solara.Div(children=[view.ties_rule + "; dots sized by capacity"], classes=["lcsim-caption",
                                                                                     "lcsim-ties-rule"])


@solara.component
def ParameterControls(settings, limits):
    """The schema's parameters, one collapsible group per schema group, in schema order; the size sliders
    end at the session's limits."""
    def on_change(name, value):
        settings.set({**settings.value, name: tidy(name, value)})

    specs = model_params(settings.value, limits)
    groups: dict[str, list[str]] = {}
    for name, spec in specs.items():
        groups.setdefault(spec["group"], []).append(name)
    for group, members in groups.items():
        solara.Details(summary=f"{group} ({len(members)})", expand=False,
                       children=[ParameterControl(name, specs[name], on_change) for name in members])


@solara.component
def ParameterControl(name: str, spec: dict, on_change):
    with solara.Column(gap="0px", style={"margin-bottom": "8px"}, classes=["lcsim-parameter"]):
        if spec["type"].startswith("Slider"):
            # The slider shows no value of its own; the line above it does, next to the name.
            solara.Text(f"{name} = {show(spec['value'])}", style={"font-size": "15px", "font-weight": "500"})
            UserInputs({name: {**spec, "label": ""}}, on_change=on_change)
        else:
            UserInputs({name: spec}, on_change=on_change)
        with solara.Tooltip(spec["detail"]):
            Caption(spec["help"])
