"""The trainer's app: how long one Step takes, in one community and with two plans side by side, at
150 and at 1,000 members; and what a Reset at the trainer's limits costs.

    python benchmarks/bench_app.py                  # server side: Room.step + drawing the month's figures
    python benchmarks/bench_app.py --browser        # also: a click on Step to the redrawn month, in Chromium
    python benchmarks/bench_app.py --steps 20 --sizes 150 1000
    python benchmarks/bench_app.py --limits         # only the Reset at the limits' maxima
    python benchmarks/bench_app.py --limits --max-members 2000 --max-communities 5   # limits a trainer raised

The limits (`lcsim app --max-members 1000 --max-communities 5 --months-per-second 5 --step-seconds 2`,
src/lcsim/app/limits.py) bound what one page may ask of the machine. At their maxima (members x communities)
each case runs in a fresh process: the CPU seconds of the Reset (Room.start: the runs built, month 0), then of
each month (Room.step, the model alone: what `--step-seconds` bounds), the process's peak resident memory, and
that a setting one past each limit is refused.

Server side is what the page's Python does per Step (every run one month on, each network and the
charts drawn as PNGs at the page's sizes); in the browser it is the whole round trip a trainer waits
for. The browser part needs the app and test extras (`pip install -e ".[test]"`) and Debian's
Chromium at /usr/bin/chromium. Wall-clock times: other work on the machine slows them.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TEXT = "s => (document.querySelector(s) || {innerText: ''}).innerText"
MODES = ("one community", "two plans")


def server_side(members: int, mode: str, steps: int, preset: str = "default",
                changes: dict | None = None) -> tuple[float, float, float]:
    """Median and max seconds per Step (model months, views, PNGs), and seconds to open the first month."""
    from lcsim.app.app import _figures
    from lcsim.app.room import Room
    from lcsim.scenarios import scenario_params

    started = time.perf_counter()
    base = scenario_params(preset)
    room = Room(preset, {**base, "n_members": members or base["n_members"], **(changes or {})}, 1)
    room.start(mode=mode)
    figures = _figures(room, any(v.programme for v in room.views()))

    def draw():
        views = room.views()
        for picture, view in zip(figures["networks"], views):
            picture.png(view)
        figures["charts"].png(views)

    draw()
    opened = time.perf_counter() - started
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        room.step()
        draw()
        times.append(time.perf_counter() - t)
    return statistics.median(times), max(times), opened


def at_limits_child(members: int, communities: int, mode: str, steps: int) -> None:
    """In a fresh process: a Reset of one page at `members` x `communities` in `mode`, then `steps` months;
    prints JSON (CPU seconds, peak RSS, the refusals one past each limit)."""
    import json

    from lcsim.app.limits import Limits
    from lcsim.app.room import Room
    from lcsim.errors import UsageError
    from lcsim.scenarios import scenario_params

    limits = Limits(members=members, communities=communities)
    params = {**scenario_params("default"), "n_members": members, "n_communities": communities}
    imported = peak_kib()
    room = Room("default", params, 1, limits=limits)
    cpu = time.process_time()
    room.start(mode=mode)
    reset = time.process_time() - cpu
    months, halted = [], None
    for _ in range(steps):
        cpu = time.process_time()
        try:
            room.step()
        except UsageError as err:  # past --step-seconds or the organisations a page may hold: the page stops
            halted = str(err)
            break
        finally:
            months.append(time.process_time() - cpu)
    refused = []
    for name, value in (("n_members", members + 1), ("n_communities", communities + 1)):
        try:
            room.start(params={**params, name: value})
        except UsageError as err:
            refused.append(str(err))
    print(json.dumps({"reset": reset, "months": months, "peak_kib": peak_kib(),
                      "imports_kib": imported, "refused": refused, "step_seconds": limits.step_seconds,
                      "halted": halted}))


def peak_kib() -> int:
    """This process's peak resident memory (VmHWM; unlike ru_maxrss, not inherited from the parent across exec)."""
    with open("/proc/self/status") as fh:
        return next((int(line.split()[1]) for line in fh if line.startswith("VmHWM:")), 0)


def at_limits(members: int, communities: int, steps: int) -> list[dict]:
    """A Reset at the limits' maxima, one community and two plans, each in a fresh process."""
    import json

    print(f"\na Reset at the limits' maxima: {members:,} members x {communities} communities (the default scenario, "
          f"seed 1), then {steps} months; CPU seconds, each case in a fresh process", flush=True)
    found = []
    for mode in MODES:
        out = subprocess.run([sys.executable, __file__, "--limits-child", str(members), str(communities), mode,
                              str(steps)], capture_output=True, text=True, check=True).stdout
        m = json.loads(out.strip().splitlines()[-1])
        found.append(m)
        within = max(m["months"]) <= m["step_seconds"]
        print(f"  {mode:13s}  Reset {m['reset']:5.1f} s, a month {statistics.median(m['months']):5.2f} s median / "
              f"{max(m['months']):5.2f} s max ({'within' if within else 'PAST'} --step-seconds "
              f"{m['step_seconds']:g}), peak {m['peak_kib'] / 1024:4.0f} MB ({m['imports_kib'] / 1024:.0f} MB "
              "of it imports)", flush=True)
        if m["halted"]:
            print(f"    the page stopped: {m['halted']}")
        for line in m["refused"]:
            print(f"    one past the limit: {line}")
        if len(m["refused"]) != 2:
            sys.exit("bench_app: a setting past the limits was not refused")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_browser(members: int, mode: str, steps: int) -> tuple[float, float]:
    """Median and max seconds from a click on Step to the page showing the next month (every run redrawn)."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "lcsim", "app", "--port", str(port), "--seed", "1", "--set",
               f"n_members={members}"]
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while True:
                log.seek(0)
                if "open http" in log.read():
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"bench_app: `lcsim app` did not start (status {proc.poll()})")
                time.sleep(0.1)
            urllib.request.urlopen(url, timeout=5).close()
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport={"width": 1280, "height": 720})
                    page.goto(url)
                    page.locator(".lcsim-month").wait_for(timeout=120_000)
                    if mode != MODES[0]:
                        page.get_by_role("button", name=mode).click()
                        page.locator(".lcsim-network-b").wait_for(timeout=120_000)
                    step = page.get_by_role("button", name="Step", exact=True)
                    waits = []
                    for month in range(1, steps + 1):
                        clicked = time.perf_counter()
                        step.click()
                        condition = "text('.lcsim-month') === 'Month ' + arg"
                        if mode != MODES[0]:
                            condition += " && text('.lcsim-status-b').startsWith('month ' + arg + ' ')"
                        page.wait_for_function(f"arg => {{ const text = {TEXT}; return {condition}; }}", arg=month,
                                               timeout=120_000)
                        waits.append(time.perf_counter() - clicked)
                finally:
                    browser.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    return statistics.median(waits), max(waits)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12, help="Steps to time per case (default: %(default)s)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[150, 1000], help="community sizes")
    parser.add_argument("--browser", action="store_true", help="also time the click-to-redraw in Chromium")
    parser.add_argument("--limits", action="store_true", help="only the Reset at the limits' maxima")
    parser.add_argument("--max-members", type=int, default=None, help="the members limit to measure at "
                        "(default: lcsim app's)")
    parser.add_argument("--max-communities", type=int, default=None, help="the communities limit to measure at "
                        "(default: lcsim app's)")
    parser.add_argument("--limits-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    if args.limits_child:
        members, communities, mode, steps = args.limits_child
        return at_limits_child(int(members), int(communities), mode, int(steps))
    from lcsim.app.limits import Limits

    default = Limits()
    members, communities = args.max_members or default.members, args.max_communities or default.communities
    if args.limits:
        at_limits(members, communities, args.steps)
        return None
    if args.browser and not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"bench_app: needs Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)")
    print(f"lcsim app, one Step ({args.steps} steps from month 0, median / max), {os.cpu_count()} cores:")
    # Programmes (several communities in one picture): mexico-csa as it is, and 5 convened communities of 150.
    for name, preset, members, changes in (("mexico-csa", "mexico-csa", 0, {}),
                                           ("5 x 150", "default", 150, {"n_communities": 5, "shared_members": 0.1})):
        median, worst, opened = server_side(members, MODES[0], args.steps, preset, changes)
        print(f"  programme {name:10s} one community  server {median * 1000:6.0f} / {worst * 1000:5.0f} ms"
              f"  (first month drawn in {opened:4.1f} s)", flush=True)
    for members in args.sizes:
        for mode in MODES:
            median, worst, opened = server_side(members, mode, args.steps)
            line = (f"  {members:5d} members, {mode:13s}  server {median * 1000:6.0f} / {worst * 1000:5.0f} ms"
                    f"  (first month drawn in {opened:4.1f} s)")
            if args.browser:
                median, worst = in_browser(members, mode, args.steps)
                line += f"   click to redrawn page {median:5.2f} / {worst:5.2f} s"
            print(line, flush=True)
    at_limits(members, communities, args.steps)


if __name__ == "__main__":
    main()
