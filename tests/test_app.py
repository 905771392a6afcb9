"""The trainer's app: its model factory, controls, layout and figures, and the real page in Chromium.

The browser test (marked `browser`, so not in the default selection: `pytest -m browser`, which
`.ci/run` runs) starts `lcsim app` and drives the page with Playwright and Debian's Chromium,
blocking every request that leaves this machine, so it also proves the page works offline.
It saves its screenshots in its temporary folder; with LCSIM_REFRESH_SCREENSHOTS=1 it writes them
to docs/img/ instead, for docs/trainer-guide.md and the README. How fast the page answers is
measured by benchmarks/bench_app.py, not asserted here.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from lcsim.app.charts import Charts
from lcsim.app.live import LiveCommunity, control, make_model, model_params, start_settings, status_line, tidy
from lcsim.app.network import FRAME, MONTHLY_ITERATIONS, MONTHLY_STEP, NetworkLayout, NetworkPicture
from lcsim.cli import main
from lcsim.parameters import DEFAULTS, SCHEMA, Parameter
from lcsim.scenarios import describe, scenario_params

ROOT = Path(__file__).resolve().parents[1]
DOC_IMAGES = ROOT / "docs" / "img"
REFRESH = "LCSIM_REFRESH_SCREENSHOTS"  # set to 1 to rewrite the screenshots in docs/img/
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


# -- without a browser ------------------------------------------------------------------------
def test_every_schema_parameter_gets_a_control_of_its_kind():
    specs = model_params(DEFAULTS)
    assert list(specs) == list(SCHEMA)
    kinds = {"int": "SliderInt", "float": "SliderFloat", "bool": "Checkbox", "choice": "Select"}
    for name, p in SCHEMA.items():
        spec = specs[name]
        assert spec["type"] == kinds[p.kind]
        assert spec["value"] == p.default and spec["help"] == p.meaning and spec["group"] == p.group
        if p.kind in ("int", "float"):
            assert (spec["min"], spec["max"]) == (p.low, p.high)
        if p.kind == "int":
            assert spec["step"] == 1
        if p.kind == "float":
            assert 0 < spec["step"] <= (p.high - p.low) / 50
        if p.kind == "choice":
            assert spec["values"] == list(p.choices)


def test_a_new_schema_parameter_appears_without_app_code(monkeypatch):
    new = Parameter("meeting_snacks", "float", 0.2, "snacks per attendee", "share", "test", low=0.0, high=0.5)
    monkeypatch.setitem(SCHEMA, new.name, new)
    specs = model_params({**DEFAULTS, new.name: 0.2})
    assert specs["meeting_snacks"]["type"] == "SliderFloat" and specs["meeting_snacks"]["max"] == 0.5
    assert control(new, 0.3)["value"] == 0.3


def test_slider_values_are_tidied_to_what_the_schema_accepts():
    assert tidy("control", 0.30000000000000004) == 0.3
    assert tidy("n_members", 150.0) == 150 and isinstance(tidy("n_members", 150.0), int)
    SCHEMA["control"].check(tidy("control", 0.1 + 0.2))


def test_start_settings_read_what_the_command_line_passed():
    preset, settings, seed = start_settings({"LCSIM_APP_SCENARIO": "fragile", "LCSIM_APP_SET": '{"control": 0.3}',
                                             "LCSIM_APP_SEED": "4"})
    assert (preset, seed, settings["control"]) == ("fragile", 4, 0.3)
    assert settings == {**scenario_params("fragile"), "control": 0.3}


def test_mesa_reset_rebuilds_the_same_community_from_the_applied_settings():
    from mesa.visualization.solara_viz import _build_model_init_kwargs

    settings = scenario_params("mexico-csa")
    first = make_model("mexico-csa", settings, 3)
    # What Mesa's Reset button does: it adds a Mesa Scenario object as `scenario=`.
    kwargs = _build_model_init_kwargs(first, {"preset": "mexico-csa", "rng": 3, **settings},
                                      add_scenario_when_empty=True, require_model_accepts_scenario=True)
    again = type(first)(**kwargs)
    assert isinstance(again, LiveCommunity) and again.preset == "mexico-csa" and again.p == first.p
    for _ in range(8):
        first.step()
        again.step()
    assert first.records == again.records


def test_step_back_drops_the_convener_now_and_the_status_line_says_so():
    model = make_model("default", {**DEFAULTS, "months": 30, "exit_month": 24}, 1)
    for _ in range(5):
        model.step()
    assert "Month 5 of 30 · convener intensity 1.00 (phase_out, exit month 24)" in status_line(model)
    model.step_back("phase_out")
    assert "convener intensity 0.00 (phase_out, exit month 5)" in status_line(model)
    model.step()
    assert model.records[-1]["convener_intensity"] == 0.0


def test_latest_meeting_attendees_are_remembered_for_the_picture():
    model = make_model("default", DEFAULTS, 2)
    while not model.records[-1]["meeting"]:
        model.step()
    assert len(model.last_attendees) == model.records[-1]["attendance"]
    assert model.last_host is not None


def test_layout_moves_gently_and_newcomers_start_next_to_a_tie():
    model = make_model("default", {**DEFAULTS, "join_rate": 0.05}, 5)
    layout = NetworkLayout(seed=5)
    previous = layout.update(model).copy()
    cap = MONTHLY_ITERATIONS * MONTHLY_STEP + 1e-9
    newcomers_checked = 0
    for _ in range(24):
        model.step()
        pos = layout.update(model)
        old = len(previous)
        moved = np.sqrt(((pos[:old] - previous) ** 2).sum(axis=1))[model.members.active[:old]]
        assert moved.max() <= cap, "a member jumped further in a month than the layout allows"
        assert np.abs(pos).max() <= FRAME
        ties = model.ties
        for row in range(old, len(pos)):
            partners = np.concatenate([ties.b[ties.a == row], ties.a[ties.b == row]])
            partners = partners[partners < old]
            if len(partners):
                nearest = np.sqrt(((previous[partners] - pos[row]) ** 2).sum(axis=1)).min()
                assert nearest < 0.25, "a newcomer should start next to the member who brought it"
                newcomers_checked += 1
        previous = pos.copy()
    assert newcomers_checked > 0
    assert layout.update(model) is pos and np.array_equal(pos, previous), "redrawing the same month moved it"


def test_figures_redraw_without_piling_up_artists():
    model = make_model("default", DEFAULTS, 0)
    picture, charts = NetworkPicture(seed=0), Charts(model)

    def count():
        return len(picture.ax.collections) + len(picture.ax.texts), sum(len(ax.get_children()) for ax in charts.axes)

    for month in range(8):
        model.step()
        if month == 4:
            model.step_back("phase_over")
        picture.png(model)
        charts.png(model)
        drawn = count()
        assert picture.png(model).startswith(b"\x89PNG") and charts.png(model).startswith(b"\x89PNG")
        assert count() == drawn, "redrawing a month should replace its artists, not add to them"
    # ties (2), spokes, members, leaders, host, convener and its label
    assert len(picture.ax.collections) + len(picture.ax.texts) <= 8


def test_app_command_refuses_bad_settings_in_one_line(capsys):
    assert main(["app", "--scenario", "nowhere"]) == 2
    assert main(["app", "--set", "control=5"]) == 2
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        assert main(["app", "--port", str(busy.getsockname()[1])]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 3 and all(line.startswith("lcsim app: error:") for line in errors)
    assert "try another --port" in errors[2]


# -- the real page in Chromium ------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """`lcsim app` on a free local port; yields its address and stops it (and Solara under it) after."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"the app's browser test needs Debian's Chromium at {CHROMIUM}; install it with "
                    "`apt-get install -y chromium` (scripts/install.sh does this when run as root)")
    port = _free_port()
    log_path = tmp_path / "lcsim-app.log"
    command = [sys.executable, "-m", "lcsim", "app", "--port", str(port), "--host", "127.0.0.1", "--seed", "1",
               "--set", "months=72", "--set", "exit_month=60"]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)  # its own process group: stopping it stops Solara too
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                tail = "".join(log_path.read_text().splitlines(keepends=True)[-15:])
                pytest.fail(f"`lcsim app` did not answer at {url} (exit status {proc.poll()}):\n{tail}")
            time.sleep(0.3)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _month(page) -> int:
    return int(page.locator(".lcsim-month").inner_text().split()[1])


def _intensity(page) -> float:
    found = re.search(r"convener intensity (\d\.\d\d)", page.locator(".lcsim-status").inner_text())
    assert found, "the status line should show the convener's intensity"
    return float(found.group(1))


# Page elements are replaced while Solara re-renders: look them up afresh, and allow them to be missing.
TEXT = "s => (document.querySelector(s) || {innerText: ''}).innerText"
SRC = "s => (document.querySelector(s) || {src: ''}).src"


def _until(page, condition: str, arg=None, timeout: float = 60) -> None:
    page.wait_for_function(f"arg => {{ const text = {TEXT}, src = {SRC}; return {condition}; }}", arg=arg,
                           timeout=timeout * 1000)


def _wait_month(page, at_least: int) -> None:
    _until(page, "parseInt(text('.lcsim-month').split(' ')[1]) >= arg", at_least)


def _play_until(page, month: int) -> None:
    """Play, then pause once the page shows `month`.

    Under heavy CPU load the browser may show a month or more behind the server, and the run may
    even reach its horizon first (Mesa then leaves the play button disabled): allow for both.
    """
    page.get_by_role("button", name="▶").click()
    _wait_month(page, month)
    playing = page.get_by_role("button", name="❚❚")
    if playing.is_enabled():
        playing.click()
    _until(page, "[...document.querySelectorAll('button')].some(b => b.innerText.trim() === '▶'"
                 " || (b.innerText.trim() === '❚❚' && b.disabled))")
    time.sleep(1.0)  # let the last redraw land


@pytest.fixture
def images(tmp_path) -> Path:
    """Where the screenshots go: the test's own folder, or docs/img/ when asked to refresh them."""
    if os.environ.get(REFRESH, "") not in ("", "0"):
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        return DOC_IMAGES
    return tmp_path


@pytest.mark.browser
def test_page_runs_offline_in_chromium(server, images):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the app's browser test needs the `playwright` Python package: pip install -e '.[test]'")
    left_machine: list[str] = []

    def local_only(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
            route.continue_()
        else:  # the room may have no internet: nothing may be fetched from elsewhere
            left_machine.append(url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.route("**/*", local_only)
            page.goto(server)
            page.locator(".lcsim-month").wait_for(timeout=60_000)
            assert _month(page) == 0

            # The controls come from the schema: every group, and in it every parameter.
            for group in dict.fromkeys(p.group for p in SCHEMA.values()):
                header = page.get_by_role("button", name=re.compile(rf"^{group} \(\d+\)"))
                if "v-expansion-panel-header--active" not in (header.get_attribute("class") or ""):
                    header.click()
            page.locator(".lcsim-parameter").nth(len(SCHEMA) - 1).wait_for()
            shown = "\n".join(page.locator(".lcsim-parameter").all_inner_texts())
            assert all(name in shown for name in SCHEMA), "a schema parameter has no control"
            assert SCHEMA["control"].meaning in shown

            # Stepping advances the month counter and redraws the charts (benchmarks/bench_app.py times it).
            step = page.get_by_role("button", name="Step", exact=True)
            for month in range(1, 6):
                before = page.evaluate(SRC, ".lcsim-charts")
                step.click()
                _until(page, "text('.lcsim-month') === 'Month ' + arg[0] && src('.lcsim-charts') !== arg[1]",
                       [month, before], timeout=30)

            _play_until(page, 18)
            page.screenshot(path=images / "app-convened.png")

            # The button: the convener leaves now, in the text and in the charts.
            present = _intensity(page)
            assert present > 0, "the convener should still be present before stepping back"
            before = page.evaluate(SRC, ".lcsim-charts")
            page.get_by_role("button", name="Convener steps back now").click()
            _until(page, "src('.lcsim-charts') !== arg && /convener intensity 0\\.00/.test(text('.lcsim-status'))",
                   before, timeout=30)
            assert _intensity(page) < present
            assert page.get_by_role("button", name="Convener steps back now").is_disabled()
            _play_until(page, _month(page) + 12)
            assert _intensity(page) == 0.0
            page.screenshot(path=images / "app.png")

            # Reset starts the same community again; a preset starts a new one at once.
            page.get_by_role("button", name="Reset", exact=True).click()
            _until(page, "text('.lcsim-month') === 'Month 0'")
            page.get_by_role("button", name=re.compile("^scenario preset")).click()
            page.get_by_role("option", name="mexico-csa").click()
            page.get_by_text(describe("mexico-csa")["title"]).wait_for()
            assert _month(page) == 0
            page.get_by_role("slider", name="pause between months (ms)").focus()
            page.keyboard.press("Home")  # the shortest pause: this part only makes a picture for the guide
            _play_until(page, describe("mexico-csa")["params"].get("exit_month", 36) + 6)
            page.screenshot(path=images / "app-handover.png")
        finally:
            browser.close()
    assert left_machine == [], f"the page tried to reach the internet: {left_machine[:3]}"
    from PIL import Image

    assert Image.open(images / "app.png").size == (1280, 800)
