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
from lcsim.app.live import control, make_model, model_params, start_settings, status_line, tidy
from lcsim.app.network import FRAME, MONTHLY_ITERATIONS, MONTHLY_STEP, NetworkLayout, NetworkPicture
from lcsim.app.session import load_session
from lcsim.cli import main
from lcsim.parameters import DEFAULTS, SCHEMA, Parameter
from lcsim.scenarios import scenario_params

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
    from lcsim.app.room import Room

    room = Room("default", DEFAULTS, 0)
    room.start()
    picture, charts = NetworkPicture(), Charts(DEFAULTS["months"])

    def count():
        return len(picture.ax.collections) + len(picture.ax.texts), sum(len(ax.get_children()) for ax in charts.axes)

    for month in range(8):
        room.step()
        if month == 4:
            room.step_back("phase_over")
        views = room.views()
        picture.png(views[0])
        charts.png(views)
        drawn = count()
        assert picture.png(views[0]).startswith(b"\x89PNG") and charts.png(views).startswith(b"\x89PNG")
        assert count() == drawn, "redrawing a month should replace its artists, not add to them"
    # ties (2), members, leaders, host; spokes, convener and its label
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


def test_app_says_what_it_takes_and_refuses_the_rest_in_one_line(capsys, monkeypatch, tmp_path):
    help_text = ""
    try:
        main(["app", "--help"])
    except SystemExit:
        help_text = capsys.readouterr().out
    assert "--set assumptions." not in help_text and "Parameters only" in help_text
    assert "--max-members" in help_text and "--max-communities" in help_text
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "lcsim-session", "version": 1, "scenes": []}')
    for argv in (["--set", "assumptions.hosting_cost=0.5"], ["--seed", "-3"], ["--seed", "1_0"],
                 ["--set", "n_members=2000"], ["--set", "n_communities=6"], ["--max-members", "2"],
                 ["--months-per-second", "0"], ["--replay", str(bad)]):  # the default port, held or not
        assert main(["app", *argv]) == 2, argv
        errors = capsys.readouterr().err.strip().splitlines()
        assert len(errors) == 1 and errors[0].startswith("lcsim app: error:"), (argv, errors)
        assert "port" not in errors[0], errors  # the record, the seed or the setting: never the port
    assert main(["app", "--set", "n_members=2000", "--max-members", "1500"]) == 2  # past the limit it raised
    assert "n_members 2000 is past this session's limit of 1500" in capsys.readouterr().err
    import lcsim.extras

    real = lcsim.extras.importlib.util.find_spec
    monkeypatch.setattr(lcsim.extras.importlib.util, "find_spec",
                        lambda name, *a: None if name == "solara" else real(name, *a))
    assert main(["app"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1 and "'app' extra" in errors[0] and "pip install 'lcsim[app]'" in errors[0]


def test_the_limits_bound_what_a_participant_starts_and_runs():
    from lcsim.app.app import refusal
    from lcsim.app.limits import Limits
    from lcsim.app.room import Room
    from lcsim.errors import LcsimError, UsageError

    limits = Limits(members=300, communities=2)
    specs = model_params(DEFAULTS, limits)
    assert specs["n_members"]["max"] == 300 and specs["n_communities"]["max"] == 2
    assert model_params(DEFAULTS)["n_members"]["max"] == SCHEMA["n_members"].high
    small = {**DEFAULTS, "n_members": 20, "months": 24, "exit_month": 12}
    room = Room("default", small, 1, limits=limits)
    room.start()
    with pytest.raises(UsageError, match=r"n_members 301 is past this session's limit of 300 .*--max-members"):
        room.start(params={**small, "n_members": 301})
    with pytest.raises(UsageError, match="n_communities 3 is past"):
        room.start(params={**small, "n_communities": 3})
    with pytest.raises(LcsimError, match=r"seed: -3 is not allowed \(negative\)"):
        room.start(seed=-3)
    assert room.runs[0].spec.params["n_members"] == 20  # a refusal leaves the room as it was
    # Growth: a run may not grow past 2 x members x communities organisations; the room halts until a new start.
    assert Limits(members=300, communities=2).organisations == 1200
    with pytest.raises(UsageError, match="grown to 1,201 organisations, past this session's limit of 1,200; Reset"):
        Limits(members=300, communities=2).check_growth(1201, 0.1)

    class Tight(Limits):
        organisations = 19  # one fewer than the community starts with: the first month is past it

    grower = Room("default", small, 2, limits=Tight())
    grower.start()
    with pytest.raises(UsageError, match="past this session's limit of 19; Reset"):
        grower.step()
    with pytest.raises(UsageError, match="past this session's limit"):
        grower.step()  # halted until a new start
    grower.limits = Limits()
    grower.start()
    assert grower.step() and grower.halted is None
    with pytest.raises(UsageError, match="took 3.0 s, past this session's limit of 2 s a month"):
        Limits().check_growth(10, 3.0)
    assert Limits(months_per_second=4).pause_ms == 250
    # Anything else the page cannot do is a short line, with no server path in it.
    said = refusal(ValueError(f"bad value in {__file__}"))
    assert said == "that could not be done (ValueError); the settings are unchanged"


def test_a_record_that_went_bad_after_the_start_opens_the_default_community_with_a_note(tmp_path, monkeypatch):
    from lcsim.app.app import opening_room
    from lcsim.app.limits import ENV_LIMITS, Limits
    from lcsim.app.session import ENV_REPLAY

    bad = tmp_path / "changed.json"
    bad.write_text('{"format": "lcsim-session", "version": 1, "scenes": [{"mode": "<script>"}]}')
    monkeypatch.setenv(ENV_REPLAY, str(bad))
    monkeypatch.setenv(ENV_LIMITS, Limits(members=200).to_env())
    room, note = opening_room()
    assert room.preset == "default" and room.limits.members == 200
    assert note.startswith(f"session record {bad}: scene 1") and note.endswith("showing the default community instead")


def test_the_server_ends_with_lcsim_app_however_it_ends(tmp_path):
    """SIGKILL (which lcsim app cannot catch) and SIGHUP (the terminal closed): the server is gone in seconds."""
    pytest.importorskip("solara")
    for sig in (signal.SIGKILL, signal.SIGHUP):
        port = _free_port()
        url = f"http://127.0.0.1:{port}/"
        log_path = tmp_path / f"app-{sig.name}.log"
        proc = _start(port, log_path)
        try:
            _wait_open(proc, log_path, url)
            proc.send_signal(sig)  # to lcsim app only, not its process group
            proc.wait(timeout=20)
            deadline = time.monotonic() + 5
            while _answers(url) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not _answers(url), f"the Solara server outlived `lcsim app` killed by {sig.name}"
            with socket.socket() as s:  # and the port is free again
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", port))
        finally:
            _kill(proc)


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan ended is reaped by whoever adopted it, maybe later)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_watchdog_ends_a_server_whose_parent_is_gone():
    """The fallback where there is no parent-death signal: a grandchild watching its parent ends when it is killed."""
    watching = ("import sys, time\nfrom lcsim.app.serve import watch_parent\n"
                "watch_parent(int(sys.argv[1]), every=0.1)\nprint('watching', flush=True)\ntime.sleep(60)\n")
    code = ("import os, subprocess, sys\n"
            f"child = subprocess.Popen([sys.executable, '-c', {watching!r}, str(os.getpid())])\n"
            "print(child.pid, flush=True)\nsys.stdin.read()\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    watcher = int(parent.stdout.readline())
    assert parent.stdout.readline().strip() == "watching" and _running(watcher)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _running(watcher):
        time.sleep(0.1)
    if _running(watcher):
        os.kill(watcher, signal.SIGKILL)
        pytest.fail("the watchdog did not end the process whose parent was killed")


# -- the real page in Chromium ------------------------------------------------------------------
# One server and one page go through every mode (it saves about a minute per extra start); the
# clean start and stop of the server is a second, short test.
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _need_chromium():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"the app's browser test needs Debian's Chromium at {CHROMIUM}; install it with "
                    "`apt-get install -y chromium` (scripts/install.sh does this when run as root)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.fail("the app's browser test needs the `playwright` Python package: pip install -e '.[test]'")


def _start(port: int, log_path: Path, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "lcsim", "app", "--port", str(port), "--host", "127.0.0.1", *args]
    with open(log_path, "w") as log:
        # its own process group, so a test that fails half-way can still stop whatever it left running
        return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def _wait_open(proc: subprocess.Popen, log_path: Path, url: str, limit: float = 90) -> None:
    """Wait for "open http://..." on the terminal; the page must answer the moment it is printed."""
    deadline = time.monotonic() + limit
    while "open http" not in log_path.read_text():
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text()[-2000:]
            pytest.fail(f"`lcsim app` printed no address (exit status {proc.poll()}):\n{tail}")
        time.sleep(0.1)
    assert _answers(url), "`lcsim app` printed the address before the page answered"


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture
def server(tmp_path):
    """`lcsim app` on a free local port; yields its address and stops it (and Solara under it) after."""
    _need_chromium()
    port = _free_port()
    log_path = tmp_path / "lcsim-app.log"
    # --verbose: Solara's own messages go to the log, to explain a failure
    # replication=0: the one-community checks stay on one community (the programme part picks its own preset)
    proc = _start(port, log_path, "--seed", "1", "--set", "months=72", "--set", "exit_month=60", "--set",
                  "replication=0", "--verbose")
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_open(proc, log_path, url)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        _kill(proc)


def _founding_seed(months: int = 30) -> int:
    """The first seed on which mexico-csa's members found a community by `months` (seed 23 did, on the model
    of 2026-12-02), found with the room library so the browser test follows the model as it changes."""
    from lcsim.app.room import Room

    for seed in range(23, 123):
        room = Room("mexico-csa", scenario_params("mexico-csa"), seed)
        room.start()
        for _ in range(months):
            room.step()
        if re.search(r"[1-9]\d* founded by members", room.views()[0].status):
            return seed
    pytest.fail("no seed in 23-122 has mexico-csa's members found a community within 30 months")


@pytest.fixture
def images(tmp_path) -> Path:
    """Where the screenshots go: the test's own folder, or docs/img/ when asked to refresh them."""
    if os.environ.get(REFRESH, "") not in ("", "0"):
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        return DOC_IMAGES
    return tmp_path


# Page elements are replaced while Solara re-renders: look them up afresh, and allow them to be missing.
TEXT = "s => (document.querySelector(s) || {innerText: ''}).innerText"
BOXES = """sels => sels.map(s => [...document.querySelectorAll(s)].map(e => {
  const r = e.getBoundingClientRect();
  return {sel: s, left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height,
          natural: [e.naturalWidth || 0, e.naturalHeight || 0]}; })).flat()"""
# Pixels of an image (drawn into a canvas), for comparing two pictures and finding ties in one.
PIXELS = """([s, skip]) => { const img = document.querySelector(s); const c = document.createElement('canvas');
  c.width = img.naturalWidth; c.height = img.naturalHeight; const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  if (skip === null) return c.toDataURL();
  const d = g.getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let y = 0; y < c.height; y++) { if (y > skip[0] * c.height && y < skip[1] * c.height) continue;
    for (let x = 0; x < c.width; x++) { const i = (y * c.width + x) * 4;
      if (d[i] < 230 || d[i + 1] < 230 || d[i + 2] < 230) n++; } }
  return n; }"""
SMALL_TEXT = """root => { const small = [];
  for (const e of document.querySelectorAll(root + ' *')) {
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const r = e.getBoundingClientRect();
    const size = getComputedStyle(e).fontSize;
    if (own && r.width > 0 && parseFloat(size) < 14) small.push(e.innerText.slice(0, 40) + ' ' + size);
  } return small; }"""


def _until(page, condition: str, arg=None, timeout: float = 60) -> None:
    page.wait_for_function(f"arg => {{ const text = {TEXT}; return {condition}; }}", arg=arg, timeout=timeout * 1000)


def _month(page) -> int:
    return int(page.evaluate(TEXT, ".lcsim-month").split()[1])


def _status(page) -> str:
    return page.evaluate(TEXT, ".lcsim-status")


def _step(page, runs: int = 1) -> int:
    """One click on Step; waits until the page (and every run shown) is at the next month."""
    month = _month(page) + 1
    page.get_by_role("button", name="Step", exact=True).click()
    _until(page, "text('.lcsim-month') === 'Month ' + arg", month, timeout=30)
    if runs == 1:  # the status line is its own element: wait for it too (under load it can land later)
        _until(page, "text('.lcsim-status').startsWith('Month ' + arg + ' ')", month, timeout=30)
    if runs == 2:
        _until(page, "text('.lcsim-status-a').startsWith('month ' + arg + ' ') && "
                     "text('.lcsim-status-b').startsWith('month ' + arg + ' ')", month, timeout=30)
    return month


def _play_until(page, month: int) -> None:
    page.get_by_role("button", name="▶").click()
    _until(page, "parseInt(text('.lcsim-month').split(' ')[1]) >= arg", month)
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="▶").wait_for()
    time.sleep(0.5)  # let the last redraw land


def _timeline(page, month: int) -> None:
    """Rewind (or forward) with the timeline slider, as a trainer would with the keyboard."""
    thumb = page.locator(".lcsim-timeline [role=slider]")
    thumb.focus()
    thumb.press("Home")
    _until(page, "text('.lcsim-month') === 'Month 0'")
    for _ in range(month):
        thumb.press("ArrowRight")
    _until(page, "text('.lcsim-month') === 'Month ' + arg", month)
    time.sleep(0.3)


def _check_fits(page, where: str, selectors=(".lcsim-charts", ".lcsim-network", ".lcsim-timeline")) -> list[dict]:
    """No scrolling, and every chart (so its month axis), picture and control named lies in the viewport."""
    size = page.viewport_size
    scroll = page.evaluate("() => [document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight]")
    assert scroll[0] <= size["width"] and scroll[1] <= size["height"], f"{where}: the page scrolls ({scroll})"
    boxes = page.evaluate(BOXES, list(selectors))
    assert {b["sel"] for b in boxes} == set(selectors), f"{where}: missing {set(selectors) - {b['sel'] for b in boxes}}"
    for b in boxes:
        assert b["width"] > 0 and b["left"] >= 0 and b["top"] >= 0, f"{where}: {b['sel']} is not on screen"
        assert b["right"] <= size["width"] + 0.5 and b["bottom"] <= size["height"] + 0.5, \
            f"{where}: {b['sel']} runs off the {size['width']}x{size['height']} screen ({b})"
    return boxes


def _check_text_sizes(page, where: str, runs: int) -> float:
    """Chart text as rendered: the figure's smallest font (in its PNG pixels) times the scale the page shows
    the PNG at; and every text in the main column, as the browser computes it."""
    from lcsim.app.app import CHARTS_ONE, CHARTS_TWO, DPI, _pixels
    from lcsim.app.room import Room

    room = Room("default", {**DEFAULTS, "months": 72, "exit_month": 60}, 1)
    room.start(mode="two plans" if runs == 2 else None)
    charts = Charts(72, size=_pixels(CHARTS_ONE if runs == 1 else CHARTS_TWO), runs=runs, dpi=DPI)
    charts.png(room.views())
    box = next(b for b in page.evaluate(BOXES, [".lcsim-charts"]))
    assert box["natural"] == list(charts.fig.canvas.get_width_height()), "the page shows another chart size"
    scale = min(box["width"] / box["natural"][0], box["height"] / box["natural"][1])
    shown = charts.smallest_text_px() * scale
    assert shown >= 14, f"{where}: chart text is {shown:.1f} px on screen"
    small = page.evaluate(SMALL_TEXT, ".lcsim-main")
    assert small == [], f"{where}: text under 14 px: {small[:5]}"
    return shown


@pytest.mark.browser
def test_the_room_on_a_projector(server, images, tmp_path):
    from playwright.sync_api import sync_playwright

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
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.route("**/*", local_only)
            page.goto(server)
            page.locator(".lcsim-month").wait_for(timeout=60_000)
            assert _month(page) == 0
            _check_fits(page, "one community", (".lcsim-charts", ".lcsim-network", ".lcsim-timeline",
                                                ".lcsim-step-back", ".lcsim-status"))
            px = _check_text_sizes(page, "one community", runs=1)
            print(f"chart text at 1280x720, one community: {px:.1f} px")

            page.get_by_role("slider", name="pause between months (ms)").press("Home")  # the shortest pause
            # The controls come from the schema: every group, and in it every parameter.
            for group in dict.fromkeys(p.group for p in SCHEMA.values()):
                page.get_by_role("button", name=re.compile(rf"^{group} \(\d+\)")).click()
            page.locator(".lcsim-parameter").nth(len(SCHEMA) - 1).wait_for()
            shown = "\n".join(page.locator(".lcsim-parameter").all_inner_texts())
            assert all(name in shown for name in SCHEMA), "a schema parameter has no control"

            # Every month as first shown, then the same months again from the timeline.
            first = {0: _status(page)}
            for _ in range(6):
                month = _step(page)
                first[month] = _status(page)
            _play_until(page, 18)
            first[_month(page)] = _status(page)
            latest = _month(page)
            assert page.evaluate(PIXELS, [".lcsim-network", [0.4, 0.6]]) > 1000, "a live community has ties"
            page.screenshot(path=images / "app-convened.png")
            for month in (3, 0, 6):
                _timeline(page, month)
                assert _status(page) == first[month], f"month {month} rewound is not month {month} as first shown"
            page.locator(".lcsim-timeline [role=slider]").press("End")
            _until(page, "text('.lcsim-month') === 'Month ' + arg", latest)
            assert _status(page) == first[latest]

            # The button: the convener leaves now.
            page.get_by_role("button", name="Convener steps back now").click()
            _until(page, "/convener intensity 0\\.00/.test(text('.lcsim-status'))")
            assert page.get_by_role("button", name="Convener steps back now").is_disabled()
            _play_until(page, latest + 12)
            page.screenshot(path=images / "app.png")

            # Branch from month 10: B is A up to month 10, then its convener steps back; both step together.
            _timeline(page, 10)
            page.get_by_role("button", name=re.compile("^exit strategy when stepping back")).click()
            page.get_by_role("option", name="phase_over").click()
            page.get_by_role("button", name="Branch from month 10").click()
            page.locator(".lcsim-network-b").wait_for()
            assert page.evaluate(TEXT, ".lcsim-run-b").startswith("B: steps back at month 10 (phase_over)")
            for _ in range(3):
                _step(page, runs=2)
            _check_fits(page, "a branch")
            _play_until(page, 30)
            page.screenshot(path=images / "app-branch.png")

            # Two plans: the same community (identical at month 0), stepped in lockstep.
            page.get_by_role("button", name="two plans").click()
            _until(page, "text('.lcsim-month') === 'Month 0' && text('.lcsim-status-b').startsWith('month 0 ')")
            time.sleep(0.5)
            a, b = (page.evaluate(PIXELS, [f".lcsim-network-{run}", None]) for run in "ab")
            assert a == b, "the two plans' month-0 networks differ"
            for _ in range(3):
                _step(page, runs=2)
            _until(page, "text('.lcsim-difference').startsWith('B − A at month 3:')")
            _check_fits(page, "two plans", (".lcsim-charts", ".lcsim-network-a", ".lcsim-network-b",
                                            ".lcsim-timeline", ".lcsim-difference"))
            px = _check_text_sizes(page, "two plans", runs=2)
            print(f"chart text at 1280x720, two plans: {px:.1f} px")
            _play_until(page, 66)  # past the exit at month 60, a year into the handover
            page.screenshot(path=images / "app-two-plans.png")
            page.set_viewport_size({"width": 1920, "height": 1080})
            time.sleep(0.5)
            _check_fits(page, "two plans at 1920x1080")
            page.set_viewport_size({"width": 1280, "height": 720})

            # A dissolved community: no ties, and the month it dissolved, in text and in the picture.
            page.get_by_role("button", name="one community").click()
            page.get_by_role("button", name=re.compile("^scenario preset")).click()
            page.get_by_role("option", name="fragile").click()
            _until(page, "text('.lcsim-month') === 'Month 0' && !document.querySelector('.lcsim-network-b')")
            _step(page)
            _step(page)
            page.get_by_role("button", name=re.compile("^exit strategy when stepping back")).click()
            page.get_by_role("option", name="phase_out").click()
            page.get_by_role("button", name="Convener steps back now").click()
            _until(page, "/convener intensity 0\\.00/.test(text('.lcsim-status'))")
            page.get_by_role("button", name="▶").click()
            _until(page, "/dissolved at month/.test(text('.lcsim-status'))")
            page.get_by_role("button", name="❚❚").click()
            page.get_by_role("button", name="▶").wait_for()
            time.sleep(0.5)
            status = _status(page)
            assert "0 active members" in status and "no ties" in status, status
            assert "dissolved at month" in page.evaluate(TEXT, ".lcsim-network-title")
            assert "all 0 ties" in page.evaluate(TEXT, ".lcsim-ties-rule")
            # Only the "dissolved at month k" note in the middle of the picture: no dots, no lines.
            assert page.evaluate(PIXELS, [".lcsim-network", [0.4, 0.6]]) == 0
            page.screenshot(path=images / "app-dissolved.png")
            page.set_viewport_size({"width": 1920, "height": 1080})
            time.sleep(0.5)
            _check_fits(page, "one community at 1920x1080", (".lcsim-charts", ".lcsim-network", ".lcsim-timeline",
                                                             ".lcsim-step-back", ".lcsim-status"))
            page.set_viewport_size({"width": 1280, "height": 720})

            # The session record: what the room saw, downloaded as a trainer would; then the debrief.
            with page.expect_download() as download:
                page.get_by_role("button", name=re.compile("Save the session record", re.I)).click()
            saved = tmp_path / "session.json"
            download.value.save_as(saved)
            scenes = load_session(saved)["scenes"]
            assert [s["mode"] for s in scenes] == ["one community", "branch", "two plans", "one community",
                                                   "one community"]
            assert scenes[0]["shown"][:8] == list(range(8)) and 3 in scenes[0]["shown"][8:]
            assert scenes[1]["runs"][1]["events"][-1] == {"month": 10, "step_back": "phase_over"}
            assert scenes[-1]["preset"] == "fragile" and max(scenes[-1]["shown"]) == _month(page)
            assert main(["report", "--session", str(saved)]) == 0
            assert (tmp_path / "session.html").read_text().count("<h2>Scene") == len(scenes)

            # A programme: mexico-csa's three convened communities, each in its own region, and the chart of
            # communities meeting.
            page.get_by_role("button", name=re.compile("^scenario preset")).click()
            page.get_by_role("option", name="mexico-csa").click()
            _until(page, "/3 of 3 convened communities meeting/.test(text('.lcsim-status'))")
            seed = page.get_by_label("seed (Reset applies it)")
            seed.fill("-3")  # refused with a short red line, never a traceback (issue 24)
            seed.press("Enter")
            page.get_by_role("button", name="Reset", exact=True).click()
            page.get_by_text("seed: -3 is not allowed (negative)").wait_for(timeout=30_000)
            body = page.evaluate("() => document.body.innerText")
            assert "Traceback" not in body and str(ROOT) not in body and "site-packages" not in body
            seed.fill(str(_founding_seed()))  # a seed on which members found a community by month 30
            seed.press("Enter")
            page.get_by_role("button", name="Reset", exact=True).click()
            _until(page, "text('.lcsim-month') === 'Month 0'")
            _play_until(page, 30)
            assert re.search(r"[1-9]\d* founded by members", _status(page)), _status(page)
            assert "convened communities meeting" in page.evaluate(TEXT, ".lcsim-network-title")
            _check_fits(page, "a programme", (".lcsim-charts", ".lcsim-network", ".lcsim-timeline", ".lcsim-status"))
            small = page.evaluate(SMALL_TEXT, ".lcsim-main")
            assert small == [], f"a programme: text under 14 px: {small[:5]}"
            page.screenshot(path=images / "app-programme.png")
        finally:
            browser.close()
    assert left_machine == [], f"the page tried to reach the internet: {left_machine[:3]}"


@pytest.mark.browser
def test_the_server_says_open_when_the_page_answers_and_sigterm_frees_the_port(tmp_path):
    """Two starts on one port: stopped by SIGTERM, then (reopening a session record) by SIGINT."""
    from playwright.sync_api import sync_playwright

    from lcsim.app.room import Room
    from lcsim.app.session import session_json

    _need_chromium()
    room = Room("default", {**DEFAULTS, "months": 40}, 4)
    room.start(mode="two plans")
    for _ in range(9):
        room.step()
    room.show(6)
    record = tmp_path / "room.json"
    record.write_text(session_json(room))
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    for attempt, (stop, args) in enumerate([(signal.SIGTERM, ["--seed", "2"]),
                                            (signal.SIGINT, ["--replay", str(record)])]):  # SIGINT: Ctrl+C
        log_path = tmp_path / f"app-{attempt}.log"
        proc = _start(port, log_path, *args)
        try:
            _wait_open(proc, log_path, url)
            if "--replay" in args:  # the session reopens where it left off: two plans, month 6 of 9 run
                with sync_playwright() as p:
                    browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                    try:
                        page = browser.new_page(viewport={"width": 1280, "height": 720})
                        page.goto(url)
                        page.locator(".lcsim-network-b").wait_for(timeout=60_000)
                        assert _month(page) == 6 and page.evaluate(TEXT, ".lcsim-status-b").startswith("month 6 ")
                        assert "(0-9 run so far)" in page.evaluate(TEXT, ".lcsim-timeline")
                    finally:
                        browser.close()
            proc.send_signal(stop)  # to lcsim only, not its process group: it must stop Solara itself
            assert proc.wait(timeout=20) == 0
            deadline = time.monotonic() + 5
            while _answers(url) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not _answers(url), "the Solara server outlived `lcsim app`"
        finally:
            _kill(proc)
        output = log_path.read_text()
        expected = f"lcsim app: open {url.rstrip('/')} in a browser (Ctrl+C stops the app)"
        assert output.strip().splitlines() == [expected], \
            f"the terminal should show one line, no framework warnings:\n{output}"
