"""`lcsim app`: the trainer's live page, served by Solara on this machine."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys

from ..errors import UsageError
from .options import add_model_options, overrides, split

ORDER = 60
APP_MODULE = "lcsim.app.app"


def register(sub) -> None:
    app = sub.add_parser("app", help="start the trainer's live page: watch the convener step back, in a browser")
    app.add_argument("--port", type=int, default=8765, help="port to serve on (default: %(default)s)")
    app.add_argument("--host", default="127.0.0.1", metavar="ADDRESS",
                     help="address to listen on; 0.0.0.0 lets other machines in the room connect "
                          "(default: %(default)s)")
    add_model_options(app)
    app.add_argument("--seed", type=int, default=0, help="random seed of the first community (default: %(default)s)")
    app.set_defaults(handler=cmd_app)


def cmd_app(args) -> int:
    from ..parameters import check_params
    from ..scenarios import describe, scenario_params

    describe(args.scenario)  # an unknown scenario fails here, with the list of names
    given, assumed = split(overrides(args))
    if assumed:  # the live page builds its communities from parameters only
        raise UsageError(f"--set assumptions.{next(iter(assumed))}: the app takes parameters only; "
                         "use lcsim run, compare or sweep to change an assumption")
    check_params(given, scenario_params(args.scenario))  # fail now, in the terminal, not in the page
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: expected a port number 0-65535")
    missing = [name for name in ("solara", "solara_assets") if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"the app needs {', '.join(missing)}: install it with pip install -e '.[app]' "
                         "(or pip install 'lcsim[app]')")
    port = args.port or _free_port(args.host)
    _check_port(args.host, port)

    env = dict(os.environ)
    env.update({
        "LCSIM_APP_SCENARIO": args.scenario,
        "LCSIM_APP_SET": json.dumps(given),
        "LCSIM_APP_SEED": str(args.seed),
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # no calls home: the room may have no internet
        "SOLARA_THEME_SHOW_BANNER": "False",  # its corner banner would cover the charts
        "MPLBACKEND": "Agg",
    })
    command = [sys.executable, "-m", "solara", "run", APP_MODULE, "--host", args.host, "--port", str(port),
               "--no-open", "--production", "--no-check-version", "--log-level", "warning"]
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    print(f"lcsim app: open http://{shown}:{port} in a browser (Ctrl+C stops the app)", flush=True)
    solara = subprocess.Popen(command, env=env)
    try:
        return solara.wait()
    except KeyboardInterrupt:  # Ctrl+C reached Solara too: let it shut down
        try:
            solara.wait(timeout=10)
        except subprocess.TimeoutExpired:
            solara.kill()
        return 0


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _check_port(host: str, port: int) -> None:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError as err:
            raise UsageError(f"cannot serve on {host}:{port} ({err.strerror}); try another --port") from None
