"""What a worker runs: a chunk of runs, each with its own seed; a run that raises is reported, not fatal.

This module is all a worker process (local or on a Dask cluster) needs to import, and it is
preloaded by the local process pool's fork server so new workers start warm.

Each run has a time limit: past it the run is stopped (an exception is raised in the thread that
runs it, at the model's next Python instruction) and recorded as failed with the reason.
"""

from __future__ import annotations

import ctypes
import os
import threading
import time
from contextlib import contextmanager

from ..simulation import simulate


class RunTimeLimit(BaseException):  # BaseException: no `except Exception` in the model can swallow it
    """Raised in a run that passed its time limit."""


def run_chunk(scenario: str, base: dict, tasks: list[tuple[str, int, dict]], monthly: bool,
              time_limit: float | None = None, run=None) -> list[tuple]:
    """Run each (run_id, seed, point values) on `base`; return (run_id, summary, error, monthly table).

    The monthly table is per community and month (`SimulationResult.communities`).

    One task carries several runs so the per-task cost of the executor (pickling, scheduling)
    is paid once per chunk, not once per run. `run` replaces `simulate` (a test hook; it must be
    importable by the workers).
    """
    run = run or simulate
    results = []
    for rid, seed, point in tasks:
        started = time.perf_counter()
        try:
            with deadline(time_limit):
                result = run(seed=seed, scenario=scenario, **{**base, **point})
        except RunTimeLimit:
            results.append((rid, None, f"RunTimeLimit: stopped after {time.perf_counter() - started:.0f} s, past the "
                            f"per-run time limit of {time_limit:g} s (raise it with --time-limit)", None))
        except Exception as err:  # recorded with the run; the sweep goes on
            results.append((rid, None, one_line(err), None))
        else:
            results.append((rid, result.summary, None, result.communities if monthly else None))
    return results


@contextmanager
def deadline(seconds: float | None):
    """Raise RunTimeLimit in this thread if the block is still running after `seconds`."""
    if not seconds:
        yield
        return
    thread, lock, state = threading.get_ident(), threading.Lock(), {"active": True, "fired": False}

    def fire() -> None:
        with lock:
            if state["active"]:
                state["fired"] = True
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(RunTimeLimit))

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["active"] = False
        timer.cancel()
        if state["fired"]:  # whether or not the exception was delivered yet: deliver it now, once
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), None)
            raise RunTimeLimit


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
