"""`lcsim app`: the trainer's live page, served by Solara on this machine.

The command starts Solara as a child tied to it (lcsim.app.serve: it ends when this process ends,
even by SIGKILL), prints the address only once the page answers, and on Ctrl+C, SIGTERM or SIGHUP
stops it (so the port is free for the next start). Every participant's page is bounded by the
trainer's limits (--max-members, --max-communities, --months-per-second, --step-seconds; see
lcsim.app.limits). Solara's own output (a cookie warning over plain http, start-up lines) goes to a log file
unless --verbose; if Solara fails, the end of that log is printed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from ..app.limits import ENV_LIMITS, Limits
from ..errors import UsageError
from .options import add_model_options, add_seed_option, overrides, seed_of, split

ORDER = 60
APP_MODULE = "lcsim.app.app"


def register(sub) -> None:
    app = sub.add_parser("app", help="start the trainer's live page: watch the convener step back, in a browser",
                         description="Start the trainer's live page. It takes a scenario, parameters "
                                     "(--set NAME=VALUE, as `lcsim params` lists them; not assumptions: change those "
                                     "with lcsim run, compare or sweep), a seed or a saved session record, and the "
                                     "limits of what each participant's page may start and run.")
    app.add_argument("--port", type=int, default=8765, help="port to serve on (default: %(default)s)")
    app.add_argument("--host", default="127.0.0.1", metavar="ADDRESS",
                     help="address to listen on; 0.0.0.0 lets other machines in the room connect "
                          "(default: %(default)s)")
    add_model_options(app, assumptions=False)
    add_seed_option(app, "random seed of the first community")
    app.add_argument("--replay", metavar="FILE",
                     help="reopen a saved session record (the page's 'Save the session record') where it left off")
    limits = Limits()
    app.add_argument("--max-members", type=int, default=limits.members, metavar="N",
                     help="largest community (n_members) a participant may start (default: %(default)s)")
    app.add_argument("--max-communities", type=int, default=limits.communities, metavar="N",
                     help="largest programme (n_communities) a participant may start (default: %(default)s)")
    app.add_argument("--months-per-second", type=float, default=limits.months_per_second, metavar="X",
                     help="fastest play (default: %(default)s)")
    app.add_argument("--step-seconds", type=float, default=limits.step_seconds, metavar="S",
                     help="CPU seconds one month of a page may take before its runs stop (default: %(default)s)")
    app.add_argument("--verbose", action="store_true", help="show Solara's own messages on the terminal")
    app.set_defaults(handler=cmd_app)


def cmd_app(args) -> int:
    from ..extras import require
    from ..parameters import check_params
    from ..scenarios import describe, scenario_params

    require("app")  # before any work: one line naming the extra
    describe(args.scenario)  # an unknown scenario fails here, with the list of names
    given, assumed = split(overrides(args))
    if assumed:  # the live page builds its communities from parameters only
        raise UsageError(f"--set assumptions.{next(iter(assumed))}: the app takes parameters only; "
                         "use lcsim run, compare or sweep to change an assumption")
    seed = seed_of(args)
    limits = Limits(members=args.max_members, communities=args.max_communities,
                    months_per_second=args.months_per_second, step_seconds=args.step_seconds)
    limits.check(check_params(given, scenario_params(args.scenario)))  # fail now, in the terminal, not in the page
    env = dict(os.environ)
    if args.replay:  # a bad record is reported as such, before the port is looked at
        from ..app.session import ENV_REPLAY, load_session

        record = load_session(args.replay)  # a bad record fails here, in one line
        for spec in record["scenes"][-1]["runs"]:  # the scene the page re-simulates: within the limits
            limits.check(spec["params"])
        env[ENV_REPLAY] = os.path.abspath(args.replay)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: expected a port number 0-65535")
    port = args.port or _free_port(args.host)
    _check_port(args.host, port)
    env.update({
        "LCSIM_APP_SCENARIO": args.scenario,
        "LCSIM_APP_SET": json.dumps(given),
        "LCSIM_APP_SEED": str(seed),
        ENV_LIMITS: limits.to_env(),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no calls home: the room may have no internet
        "SOLARA_THEME_SHOW_BANNER": "False",  # its corner banner would cover the charts
        "MPLBACKEND": "Agg",
    })
    # lcsim.app.serve runs Solara tied to this process (parent-death signal and watchdog: it ends with us)
    command = [sys.executable, "-m", "lcsim.app.serve", str(os.getpid()), "run", APP_MODULE, "--host", args.host,
               "--port", str(port), "--no-open", "--production", "--no-check-version", "--log-level", "warning"]
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    return serve(command, env, f"http://{shown}:{port}/", verbose=args.verbose)


STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))


class Stop(Exception):
    """SIGTERM, SIGHUP (the terminal closed) or SIGINT (Ctrl+C) arrived."""


def serve(command: list[str], env: dict, url: str, verbose: bool = False, limit: float = 120.0) -> int:
    """Run Solara until it exits, Ctrl+C, SIGTERM or SIGHUP; say where to open the page once it answers.

    The server is in this process's group (a closed terminal's SIGHUP reaches both) and dies with this
    process even when it is SIGKILLed (`die_with_parent`, and a watchdog in lcsim.app.serve)."""
    from ..app.serve import die_with_parent

    log = None if verbose else tempfile.NamedTemporaryFile("w+", prefix="lcsim-app-", suffix=".log", delete=False)
    out = None if verbose else log
    # These signals stop the app, even when started with SIGINT ignored (as a shell's background job is).
    previous = {sig: signal.signal(sig, _raise_stop) for sig in STOP_SIGNALS}
    child = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT if out else None,
                             preexec_fn=die_with_parent)
    try:
        if not _wait_until_answering(url, child, limit):
            print(f"lcsim app: error: the page did not answer at {url}{_tail(log)}", file=sys.stderr)
            return 1
        print(f"lcsim app: open {url.rstrip('/')} in a browser (Ctrl+C stops the app)", flush=True)
        status = child.wait()
        if status != 0:
            print(f"lcsim app: error: the Solara server stopped (status {status}){_tail(log)}", file=sys.stderr)
        return status
    except (KeyboardInterrupt, Stop):  # Ctrl+C or SIGTERM: a normal way to stop
        return 0
    finally:
        _stop(child)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if log is not None:
            log.close()
            os.unlink(log.name)


def _raise_stop(signum, frame):
    raise Stop()


def _wait_until_answering(url: str, child: subprocess.Popen, limit: float) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if child.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def _stop(child: subprocess.Popen) -> None:
    """SIGTERM to the Solara server, then SIGKILL if it has not gone within 5 s."""
    if child.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            child.send_signal(sig)
        except ProcessLookupError:
            return
        try:
            child.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(log, lines: int = 15) -> str:
    if log is None:
        return ""
    log.flush()
    log.seek(0)
    text = "".join(log.readlines()[-lines:]).rstrip()
    return f"; Solara said:\n{text}" if text else ""


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _check_port(host: str, port: int) -> None:
    with socket.socket() as s:
        # As Solara's server binds: connections of a previous run still closing (TIME_WAIT) do not hold the port.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as err:
            raise UsageError(f"cannot serve on {host}:{port} ({err.strerror}); try another --port") from None
