"""The trainer's app in a real browser: how long `lcsim app` takes to answer and to show its page,
and how long the page takes from a click on Step to the redrawn month.

    python benchmarks/bench_app.py                 # default scenario, 10 steps
    python benchmarks/bench_app.py --steps 20 --set n_members=1000

Needs the app and test extras (`pip install -e ".[test]"`) and Debian's Chromium at
/usr/bin/chromium (scripts/install.sh installs both). Wall-clock times: other work on the machine
slows them. These figures used to be an assertion in tests/test_app.py; they are measured here.
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
SRC = "s => (document.querySelector(s) || {src: ''}).src"
TEXT = "s => (document.querySelector(s) || {innerText: ''}).innerText"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"bench_app: `lcsim app` exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    sys.exit(f"bench_app: `lcsim app` did not answer at {url} within {limit:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="Step clicks to time (default: %(default)s)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="a parameter for the app's first community (repeatable)")
    args = parser.parse_args()
    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"bench_app: needs Debian's Chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-m", "lcsim", "app", "--port", str(port), "--host", "127.0.0.1", "--seed", "1"]
    for setting in args.set:
        command += ["--set", setting]
    env = {**os.environ, "MPLBACKEND": "Agg"}
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            wait_http(url, proc)
            answered = time.perf_counter() - started
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page(viewport={"width": 1280, "height": 800})
                    opened = time.perf_counter()
                    page.goto(url)
                    page.locator(".lcsim-month").wait_for(timeout=120_000)
                    page.locator(".lcsim-charts").wait_for(timeout=120_000)
                    shown = time.perf_counter()
                    step = page.get_by_role("button", name="Step", exact=True)
                    waits = []
                    for month in range(1, args.steps + 1):
                        before = page.evaluate(SRC, ".lcsim-charts")
                        clicked = time.perf_counter()
                        step.click()
                        page.wait_for_function(
                            f"arg => {{ const text = {TEXT}, src = {SRC}; return text('.lcsim-month') === "
                            "'Month ' + arg[0] && src('.lcsim-charts') !== arg[1]; }", arg=[month, before],
                            timeout=120_000)
                        waits.append(time.perf_counter() - clicked)
                finally:
                    browser.close()
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    settings = " ".join(args.set) or "default scenario"
    print(f"lcsim app ({settings}), Chromium at 1280x800, {os.cpu_count()} cores:")
    print(f"  launch to HTTP 200:                 {answered:6.2f} s")
    print(f"  page opened to month and charts:    {shown - opened:6.2f} s")
    print(f"  launch to a usable page:            {shown - started:6.2f} s")
    print(f"  Step click to redrawn month ({len(waits)} steps): median {statistics.median(waits):.2f} s, "
          f"max {max(waits):.2f} s")


if __name__ == "__main__":
    main()
