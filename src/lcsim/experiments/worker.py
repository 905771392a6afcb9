"""What a worker runs: a chunk of runs, each with its own seed; a run that raises is reported, not fatal.

This module is all a worker process (local or on a Dask cluster) needs to import, and it is
preloaded by the local process pool's fork server so new workers start warm.
"""

from __future__ import annotations

import os
import threading
import time

from ..simulation import simulate


def run_chunk(scenario: str, base: dict, tasks: list[tuple[str, int, dict]], monthly: bool) -> list[tuple]:
    """Run each (run_id, seed, point values) on `base`; return (run_id, summary, error, monthly table).

    One task carries several runs so the per-task cost of the executor (pickling, scheduling)
    is paid once per chunk, not once per run.
    """
    results = []
    for rid, seed, point in tasks:
        try:
            result = simulate(seed=seed, scenario=scenario, **{**base, **point})
        except Exception as err:  # recorded with the run; the sweep goes on
            results.append((rid, None, one_line(err), None))
        else:
            results.append((rid, result.summary, None, result.monthly if monthly else None))
    return results


def watch_client(client_pid: int, every: float = 1.0) -> None:
    """Process-pool initializer: leave when the client is gone. A client killed with `kill -9` cannot
    shut its pool down, and idle workers would otherwise wait on their task queue forever."""
    if os.name != "posix":  # os.kill(pid, 0) would terminate the client on Windows
        return

    def watch() -> None:
        while True:
            time.sleep(every)
            try:
                os.kill(client_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # the id now belongs to another user's process: ours is gone
                os._exit(1)

    threading.Thread(target=watch, name="lcsim-watch-client", daemon=True).start()


def one_line(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def lcsim_version() -> str:
    """Asked of every Dask worker before a sweep: it must have lcsim, and should have the client's version."""
    from .. import __version__

    return __version__
