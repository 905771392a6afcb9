"""The trainer's live page: watch a learning community as its convener steps back.

Run it with `lcsim app` (which runs `solara run lcsim.app.app`). The page is built from Mesa's
SolaraViz parts: `ModelController` (Reset, play/pause, Step), `UserInputs` (the parameter
controls, in SolaraViz's `model_params` format) and its `update_counter`, which redraws the
figures after each step. It lays them out itself rather than through `SolaraViz`'s page,
whose draggable grid overlaps the figures at 1280x800 and whose parameter card cannot follow a
scenario preset. Everything it draws is a matplotlib PNG, so it renders with no internet.
"""

from __future__ import annotations

import solara
from mesa.visualization.solara_viz import ModelController, UserInputs
from mesa.visualization.utils import force_update, update_counter

from ..parameters import ParameterError, check_params
from ..scenarios import describe, names, scenario_params
from .charts import Charts
from .live import (
    STEP_BACK_STRATEGIES,
    changed,
    make_model,
    model_params,
    show,
    start_settings,
    status_line,
    tidy,
)
from .network import NetworkPicture

SIDE_WIDTH = "340px"
CAPTION = {"font-size": "0.78rem", "color": "#555", "line-height": "1.2"}


def png(model, figure) -> bytes:
    """`figure` drawn from one whole month (Mesa's play loop steps the model in another thread)."""
    with model.lock:
        return figure.png(model)


@solara.component
def Page():
    start = solara.use_memo(start_settings, [])
    preset = solara.use_reactive(start[0])
    settings = solara.use_reactive(start[1])  # what the controls show; may be inconsistent while edited
    seed = solara.use_reactive(start[2])
    # What Reset builds the next community from: the last consistent settings.
    applied = solara.use_reactive({"preset": start[0], "rng": start[2], **start[1]})
    problem = solara.use_reactive(None)
    first = solara.use_memo(lambda: make_model(start[0], start[1], start[2]), [])
    model = solara.use_reactive(first)
    strategy = solara.use_reactive(STEP_BACK_STRATEGIES[0])
    interval = solara.use_reactive(300)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)

    def apply(values: dict, chosen_seed: int) -> None:
        settings.set(values)
        try:
            checked = check_params(values)
        except ParameterError as err:
            problem.set(f"{err}. Reset keeps the last valid settings.")
            return
        problem.set(None)
        applied.set({"preset": preset.value, "rng": chosen_seed, **checked})

    def on_parameter(name, value):
        apply({**settings.value, name: tidy(name, value)}, seed.value)

    def on_seed(value):
        seed.set(value)
        apply(settings.value, value)

    def on_preset(name):
        # A new preset starts a new community at once: that is what the room came to see.
        values = scenario_params(name)
        preset.set(name)
        apply(values, seed.value)
        model.set(make_model(name, values, seed.value))
        force_update()

    def on_step_back():
        model.value.step_back(strategy.value)
        force_update()

    solara.Title("lcsim: the convener steps back")
    with solara.AppBar():
        solara.AppBarTitle("lcsim · will the learning community carry on when its convener steps back?")

    with solara.Row(gap="16px", style={"flex-wrap": "nowrap", "align-items": "flex-start"}):
        with solara.Column(gap="12px", style={"width": SIDE_WIDTH, "flex": "none", "overflow-y": "auto",
                                              "max-height": "calc(100vh - 90px)", "padding-right": "4px"}):
            with solara.Card("Run", margin=0):
                ModelController(model, model_parameters=applied, play_interval=interval,
                                render_interval=render_interval, use_threads=use_threads)
                solara.SliderInt("pause between months (ms)", value=interval, min=100, max=1500, step=50)
                StepBack(model.value, strategy, on_step_back)
            with solara.Card("Scenario", margin=0):
                solara.Select("scenario preset", value=preset.value, values=names(), on_value=on_preset)
                Caption(describe(preset.value)["title"])
                solara.InputInt("seed (same seed and settings, same community)", value=seed.value,
                                on_value=on_seed)
            with solara.Card("Parameters", margin=0):
                Caption("Changes apply when you press Reset.")
                different = changed(preset.value, settings.value)
                if different:
                    text = ", ".join(f"{k} {show(v)}" for k, v in different.items())
                    Caption(f"Changed from the preset: {text}")
                if problem.value:
                    solara.Error(problem.value, dense=True)
                ParameterControls(settings.value, on_parameter)
        with solara.Column(gap="8px", style={"flex": "1 1 auto", "min-width": "0"}):
            Status(model.value)
            with solara.Row(gap="8px", style={"flex-wrap": "nowrap", "align-items": "flex-start"}):
                with solara.Column(style={"flex": "57 1 0", "min-width": "0"}):
                    NetworkView(model.value, seed.value)
                with solara.Column(style={"flex": "43 1 0", "min-width": "0"}):
                    ChartsView(model.value)


@solara.component
def StepBack(model, strategy, on_step_back):
    update_counter.get()
    convener = model.convener
    gone = convener.gone
    solara.Select("exit strategy when stepping back", value=strategy, values=list(STEP_BACK_STRATEGIES))
    solara.Button("Convener steps back now", color="error", block=True, on_click=on_step_back,
                  disabled=gone or not model.running, classes=["lcsim-step-back"])
    if gone:
        Caption(f"The convener left at month {convener.exit_month}.")


@solara.component
def ParameterControls(values: dict, on_change):
    """The schema's parameters, one collapsible group per schema group, in schema order."""
    specs = model_params(values)
    groups: dict[str, list[str]] = {}
    for name, spec in specs.items():
        groups.setdefault(spec["group"], []).append(name)
    for group, members in groups.items():
        solara.Details(summary=f"{group} ({len(members)})", expand=group == "programme",
                       children=[ParameterControl(name, specs[name], on_change) for name in members])


@solara.component
def ParameterControl(name: str, spec: dict, on_change):
    with solara.Column(gap="0px", style={"margin-bottom": "10px"}, classes=["lcsim-parameter"]):
        if spec["type"].startswith("Slider"):
            # The slider shows no value of its own; the line above it does, next to the name.
            solara.Text(f"{name} = {show(spec['value'])}", style={"font-size": "0.9rem", "font-weight": "500"})
            UserInputs({name: {**spec, "label": ""}}, on_change=on_change)
        else:
            UserInputs({name: spec}, on_change=on_change)
        with solara.Tooltip(spec["detail"]):
            Caption(spec["help"])


def Caption(text: str):
    return solara.Div(children=[text], style=CAPTION)


@solara.component
def Status(model):
    update_counter.get()
    with solara.Row(gap="12px", style={"align-items": "baseline"}):
        solara.Text(f"Month {model.month}", style={"font-size": "1.6rem", "font-weight": "600",
                                                   "white-space": "nowrap"}, classes=["lcsim-month"])
        with model.lock:
            line = status_line(model)
        solara.Text(line, style={"font-size": "0.85rem"}, classes=["lcsim-status"])


@solara.component
def NetworkView(model, seed: int):
    update_counter.get()
    picture = solara.use_memo(lambda: NetworkPicture(seed), [model])
    image = solara.use_memo(lambda: png(model, picture), [model, model.month, update_counter.value])
    solara.Image(image, width="100%", classes=["lcsim-network"])


@solara.component
def ChartsView(model):
    update_counter.get()
    charts = solara.use_memo(lambda: Charts(model), [model])
    image = solara.use_memo(lambda: png(model, charts), [model, model.month, update_counter.value])
    solara.Image(image, width="100%", classes=["lcsim-charts"])
