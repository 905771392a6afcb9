"""What a worker runs: a chunk of tasks, each a call `fn(item)`; a task that raises is reported, not fatal.

This module is all a worker process (local or on a Dask cluster) needs to import, and it is
preloaded by the local process pool's fork server so new workers start warm.

Each task has a time limit: past it the task is stopped (an exception is raised in the thread that
runs it, at its next Python instruction) and recorded as failed with the reason. A task blocked in
compiled code does not reach a next instruction: the client ends its worker (`executor._Monitor`),
which is why a local worker reports on a pipe which task it runs since when.
"""

from __future__ import annotations

import ctypes
import itertools
import math
import os
import threading
import time
from contextlib import contextmanager
from typing import Any, NamedTuple

from ..simulation import simulate


class RunTimeLimit(BaseException):  # BaseException: no `except Exception` in the model can swallow it
    """Raised in a run that passed its time limit."""


class Done(NamedTuple):
    """One finished task: its key, its value (None if it failed) and its error (None, or one line)."""

    key: Any
    value: Any
    error: str | None


_pipe = None  # in a local worker process: where it tells the client what it runs (None elsewhere)


def start_worker(client_pid: int, pipe) -> None:
    """Process-pool initializer: watch the client, and say on `pipe` that this worker has started."""
    global _pipe
    _pipe = pipe
    watch_client(client_pid)
    pipe.send(("ready", os.getpid()))


def run_tasks(fn, tasks: list, time_limit: float | None = None, chunk: int = 0) -> list[tuple]:
    """`fn(item)` for each (key, item) of `tasks`; returns (key, value, error) for each, in order.

    One task carries several items so the per-task cost of the executor (pickling, scheduling)
    is paid once per chunk, not once per item.
    """
    results = []
    pid = os.getpid()
    for index, (key, item) in enumerate(tasks):
        started = time.perf_counter()
        if _pipe is not None:
            _pipe.send(("start", pid, chunk, index, time.time()))
        try:
            with deadline(time_limit):
                value = fn(item)
        except RunTimeLimit:
            results.append((key, None, f"RunTimeLimit: stopped after {time.perf_counter() - started:.0f} s, past "
                            f"the per-run time limit of {time_limit:g} s (raise it with --time-limit)"))
        except Exception as err:  # recorded with the task; the batch goes on
            results.append((key, None, one_line(err)))
        else:
            results.append((key, value, None))
        if _pipe is not None:
            _pipe.send(("end", pid, chunk, index))
    return results


def simulate_run(scenario: str, base: dict, monthly: bool, run, item: tuple) -> tuple:
    """One run of a sweep: item (seed, point values) on `base`; returns (summary, monthly table or None).

    The monthly table is per community and month (`SimulationResult.communities`). `run` replaces
    `simulate` (a test hook; it must be importable by the workers)."""
    seed, point = item
    result = (run or simulate)(seed=seed, scenario=scenario, **{**base, **point})
    return result.summary, (result.communities if monthly else None)


def simulate_summary(scenario: str, base: dict, item: tuple) -> dict:
    """One run's summary: item (seed, parameter values) on `base` (compare with draws, advise)."""
    seed, params = item
    return simulate(seed=seed, scenario=scenario, **{**base, **params}).summary


@contextmanager
def deadline(seconds: float | None):
    """Raise RunTimeLimit in this thread if the block is still running after `seconds`."""
    if not seconds:
        yield
        return
    watchdog = _Watchdog.here()
    thread = threading.get_ident()
    token = watchdog.arm(thread, seconds)
    try:
        yield
    finally:
        if watchdog.disarm(token):  # whether or not the exception was delivered yet: deliver it now, once
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), None)
            raise RunTimeLimit


class _Watchdog:
    """One thread per process that raises RunTimeLimit in the threads whose deadline passed (a thread per run,
    as `threading.Timer` would start, cost a tenth of a millisecond per run). Started on first use, so a
    process that never arms a deadline (the fork server) has no thread to fork."""

    _instance: _Watchdog | None = None

    @classmethod
    def here(cls) -> _Watchdog:
        if cls._instance is None or cls._instance.pid != os.getpid():
            cls._instance = cls()
        return cls._instance

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.cond = threading.Condition()
        self.jobs: dict[int, tuple[int, float]] = {}  # token -> (thread id, due on the monotonic clock)
        self.fired: set[int] = set()
        self.tokens = itertools.count()
        self.waking = math.inf  # when the thread wakes next: a later deadline need not wake it now
        threading.Thread(target=self.loop, name="lcsim-deadlines", daemon=True).start()

    def arm(self, thread: int, seconds: float) -> int:
        with self.cond:
            token = next(self.tokens)
            due = time.monotonic() + seconds
            self.jobs[token] = (thread, due)
            if due < self.waking:
                self.cond.notify()
        return token

    def disarm(self, token: int) -> bool:
        """End a deadline; True if it fired."""
        with self.cond:
            self.jobs.pop(token, None)
            if token in self.fired:
                self.fired.discard(token)
                return True
        return False

    def loop(self) -> None:
        with self.cond:
            while True:
                if not self.jobs:
                    self.waking = math.inf
                    self.cond.wait()
                    continue
                token, (thread, due) = min(self.jobs.items(), key=lambda job: job[1][1])
                left = due - time.monotonic()
                if left > 0:
                    self.waking = due
                    self.cond.wait(left)
                    continue
                del self.jobs[token]
                self.fired.add(token)
                ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread), ctypes.py_object(RunTimeLimit))


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
    """lcsim's version, as `lcsim.__version__` has it (read here without importing the package's top, which
    imports this package: no import cycle). Asked of every Dask worker before a sweep: it must have lcsim, and
    should have the client's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lcsim")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0+unknown"
