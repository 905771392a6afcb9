"""The one executor: every batch of runs (sweep, compare, advise, calibration, validation) goes through it.

Tasks in, results out, on this process, local worker processes, or a Dask cluster:

    with Executor(workers=2, time_limit=60) as ex:
        values = ex.map(fn, items)                     # in the order of `items`
        for done in ex.run(fn, keyed_items):           # streaming: lists of Done(key, value, error)
            ...
    execute(fn, items, workers=2)                      # one batch, one pool

Worker processes are started here and nowhere else, by a fork server (or spawn), never by fork: a
forked copy of a process that holds threads (tqdm, Dask, the caller's) can deadlock. Each local worker
tells the client when it is ready and which item it is running, on a pipe: so a pool whose workers
never start is one error rather than a failure of every item, and an item past its time limit can be
ended even when it is blocked in compiled code (its worker is terminated). A worker that dies costs
only its items: they are retried one at a time, and an item that kills its worker `STRIKES` times on
its own fails with "WorkerDied". The executor draws no random numbers: items carry their seeds, so the
same items give the same values on any executor (docs/sweeps.md).
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import itertools
import math
import multiprocessing as mp
import os
import re
import signal
import sys
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..errors import LcsimError, SweepError
from .worker import Done, lcsim_version, one_line, run_tasks, start_worker

MAX_CHUNK = 32  # items per task: enough to hide a task's overhead, few enough for a smooth progress bar
IN_FLIGHT = 2  # chunks queued per worker, so no worker waits for the client
CONNECT_TIMEOUT = "10s"  # to reach a Dask scheduler
STRIKES = 2  # an item that kills its worker this many times (alone) fails
TICK = 2.0  # seconds between empty batches from `Executor.run`, so a caller can flush and show progress
SCHEDULER = re.compile(r"((tcp|tls|ucx|ws|wss)://)?(\[[0-9a-fA-F:]+\]|[^\s:/\[\]]+):\d{1,5}/?|inproc://\S+")


class ExecutorError(SweepError):
    """The executor cannot run the tasks: workers that cannot start, a cluster that fails tasks."""


class TaskError(LcsimError):
    """A task of `execute`/`Executor.map` raised; the message names it and its error in one line."""


def grace(time_limit: float) -> float:
    """How long past its limit an item may stay blocked before its worker is terminated: the limit is first
    enforced inside the worker (at the item's next Python instruction), which keeps the worker."""
    return max(1.0, 0.05 * time_limit)


def check_options(workers=None, scheduler=None, chunk_size=None, time_limit=None) -> None:
    """Raise one SweepError line for options no executor takes."""
    if scheduler is not None and workers is not None:
        raise SweepError("--workers does not apply with --scheduler: the cluster's workers run the sweep")
    if isinstance(scheduler, str) and not SCHEDULER.fullmatch(scheduler.strip()):
        raise SweepError(f"--scheduler: {scheduler!r} is not a scheduler address; expected e.g. tcp://HOST:8786")
    if scheduler is not None and not isinstance(scheduler, str) and not hasattr(scheduler, "get_executor"):
        raise SweepError(f"scheduler: {type(scheduler).__name__} is not allowed; expected an address or a "
                         "distributed.Client")
    for name, value in (("workers", workers), ("chunk_size", chunk_size)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise SweepError(f"{name}: {value!r} is not allowed; expected an integer >= 1")
    if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, (int, float))
                                   or not 0 < time_limit < math.inf):
        raise SweepError(f"time_limit: {time_limit!r} is not allowed; expected a number of seconds > 0")


def refuse_in_worker_start() -> None:
    """Called before a batch starts: in a worker process that is importing the user's script (a script
    without `if __name__ == "__main__":`), leave quietly, so the client reports it once instead of every
    worker printing a traceback."""
    if getattr(mp.current_process(), "_inheriting", False):
        os._exit(3)


def execute(fn, items, *, workers: int | None = None, scheduler=None, time_limit: float | None = None,
            chunk_size: int | None = None) -> list:
    """`fn(item)` for every item, on one pool opened for this batch; values in the order of `items`."""
    with Executor(workers, scheduler, time_limit=time_limit) as ex:
        return ex.map(fn, items, chunk_size=chunk_size)


class Executor:
    """Where batches of tasks run. `workers`: local processes (None: every core; 1: this process, no
    pickling). `scheduler`: a Dask address or `distributed.Client`. `time_limit`: seconds per item."""

    def __init__(self, workers: int | None = None, scheduler=None, *, time_limit: float | None = None):
        refuse_in_worker_start()
        check_options(workers, scheduler, None, time_limit)
        self.workers, self.scheduler, self.time_limit = workers, scheduler, time_limit
        self.pool: _Pool | None = None
        self._cm = None
        self._chunks = itertools.count()

    def __enter__(self) -> Executor:
        self._cm = _open(self.workers, self.scheduler, self.time_limit)
        self.pool = self._cm.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        cm, self._cm = self._cm, None
        if cm is not None:
            cm.__exit__(*exc)

    @property
    def capacity(self) -> int:
        return self.pool.capacity

    @property
    def label(self) -> str:
        return self.pool.label

    @property
    def in_process(self) -> bool:
        return self.pool.in_process

    def map(self, fn, items, chunk_size: int | None = None) -> list:
        """`fn(item)` for every item; values in order. A task that raised: TaskError after the batch."""
        items = list(items)
        values: list = [None] * len(items)
        errors = {}
        size = chunk_size or max(1, min(MAX_CHUNK, len(items) // (self.capacity * 4)))
        for batch in self.run(fn, enumerate(items), chunk_size=size):
            for key, value, error in batch:
                values[key] = value
                if error is not None:
                    errors[key] = error
        if errors:
            first = min(errors)
            raise TaskError(f"{len(errors)} of {len(items)} tasks failed on {self.label}; task {first}: "
                            f"{errors[first]}")
        return values

    def run(self, fn, tasks, chunk_size: int = 1):
        """Run `fn(item)` for each (key, item) of `tasks` (consumed lazily, a few chunks per worker ahead);
        yield lists of Done(key, value, error) as chunks finish, and [] every `TICK` seconds without one."""
        yield from _Batch(self, fn, iter(tasks), chunk_size).run()


@dataclass
class _Chunk:
    id: int
    items: list  # (key, item)
    alone: bool  # a suspect run on its own, after a worker died


class _Batch:
    """Submits chunks, isolates the items of a worker that died, and ends items past their time limit."""

    def __init__(self, ex: Executor, fn, tasks, size: int):
        self.ex, self.pool, self.fn, self.tasks = ex, ex.pool, fn, tasks
        self.size = max(1, size)
        self.inflight: dict[cf.Future, _Chunk] = {}
        self.suspects: collections.deque = collections.deque()  # items of a chunk whose worker died
        self.again: collections.deque = collections.deque()  # items lost with a pool we ended ourselves
        self.strikes: collections.Counter = collections.Counter()
        self.out: list = []

    def run(self):
        self.fill()
        while self.inflight:
            finished, _ = cf.wait(self.inflight, timeout=TICK, return_when=cf.FIRST_COMPLETED)
            for future in finished:
                if future not in self.inflight:  # dropped with a pool that broke
                    continue
                chunk = self.inflight.pop(future)
                try:
                    results = future.result()
                except Exception as err:
                    if self.pool.in_process or not _worker_died(err):
                        if self.pool.in_process:
                            raise
                        raise ExecutorError(f"a task failed on {self.pool.label} ({one_line(err)})") from None
                    self.died(chunk, err)
                    continue
                self.out.extend(Done(*r) for r in results)
            self.fill()
            out, self.out = self.out, []
            yield out
        if self.out:
            yield self.out

    def fill(self) -> None:
        while True:
            if self.suspects:  # isolate: one suspect at a time, nothing else beside it
                if self.inflight:
                    return
                if self.submit([self.suspects.popleft()], alone=True):
                    return
                continue
            if len(self.inflight) >= (1 if self.pool.in_process else self.pool.capacity * IN_FLIGHT):
                return
            chunk = [self.again.popleft() for _ in range(min(self.size, len(self.again)))]
            chunk += itertools.islice(self.tasks, self.size - len(chunk))
            if not chunk:
                return
            self.submit(chunk, alone=False)

    def submit(self, items: list, alone: bool) -> bool:
        chunk = _Chunk(next(self.ex._chunks), items, alone)
        try:
            future = self.pool.executor.submit(run_tasks, self.fn, items, self.pool.time_limit, chunk.id)
        except cf.BrokenExecutor as err:  # the pool broke since the last result came back
            self.died(chunk, err)
            return False
        except (OSError, EOFError, RuntimeError) as err:  # a worker process could not even be started
            if self.pool.in_process:
                raise
            raise ExecutorError(_cannot_start(err)) from None
        self.inflight[future] = chunk
        return True

    def died(self, chunk: _Chunk, err: BaseException) -> None:
        lost, ended = [chunk], {}
        if isinstance(err, cf.BrokenExecutor):  # a broken local pool fails every task in it: restart it
            lost += list(self.inflight.values())
            self.inflight.clear()
            ended = self.pool.broke(err)
        for c in lost:
            for index, (key, item) in enumerate(c.items):
                if (c.id, index) in ended:
                    self.out.append(Done(key, None, _ended(ended[c.id, index], self.pool.time_limit)))
                elif ended:  # we ended the pool for another item: these are innocent
                    self.again.append((key, item))
                elif c.alone:
                    self.strikes[key] += 1
                    if self.strikes[key] >= STRIKES:
                        self.out.append(Done(key, None, f"WorkerDied: the worker running it died {STRIKES} times, "
                                             f"with it alone ({one_line(err)[:160]}; e.g. killed by the system "
                                             "for lack of memory)"))
                    else:
                        self.suspects.append((key, item))
                else:
                    self.suspects.append((key, item))


def _ended(seconds: float, limit: float) -> str:
    return (f"RunTimeLimit: stopped after {seconds:.0f} s, past the per-run time limit of {limit:g} s (blocked in "
            "compiled code: its worker process was ended; raise the limit with --time-limit)")


def _worker_died(err: BaseException) -> bool:
    """A failure of the worker process itself (killed, out of memory), not of the task or the cluster."""
    return isinstance(err, cf.BrokenExecutor) or type(err).__name__ == "KilledWorker"


# -- pools -------------------------------------------------------------------------------------------

@dataclass
class _Pool:
    executor: cf.Executor
    capacity: int  # items that can execute at once
    label: str
    time_limit: float | None = None
    in_process: bool = False
    factory: object = field(default=None, repr=False)  # makes a fresh executor and monitor after one broke
    monitor: _Monitor | None = field(default=None, repr=False)
    restarts: int = 0

    def broke(self, err: BaseException) -> dict:
        """The local pool broke: say why if no worker ever started, else restart it. Returns the items the
        monitor ended for their time limit, {(chunk id, index): seconds}."""
        monitor = self.monitor
        monitor.sync()
        if not monitor.ready:
            raise ExecutorError(_cannot_start(err)) from None
        ended = dict(monitor.ended)
        self.close()
        self.executor, self.monitor = self.factory()
        self.restarts += 1
        return ended

    def close(self) -> None:
        try:
            self.executor.shutdown(wait=True, cancel_futures=True)
        except Exception:  # a broken pool may complain on the way down
            pass
        if self.monitor is not None:
            self.monitor.stop()


def _cannot_start(err: BaseException) -> str:
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None) if getattr(main, "__spec__", None) is None else None
    if script:
        return (f"the worker processes could not start: each one imports your script {os.path.basename(script)}, "
                "which starts lcsim's workers again at its top level; put that code under "
                "`if __name__ == \"__main__\":` (or pass workers=1)")
    return (f"the worker processes could not start ({one_line(err)}); check the memory and process limits of "
            "this machine, or pass workers=1")


class _InProcess(cf.Executor):
    """Runs each task at submit time in this process (workers=1): no pickling, and tests can patch it."""

    def submit(self, fn, /, *args, **kwargs):
        future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as err:
            future.set_exception(err)
        return future


class _Monitor:
    """Reads the workers' pipe: who is ready, who runs which item since when; ends an item past its limit."""

    def __init__(self, reader, writer, time_limit: float | None):
        self.reader, self.writer, self.time_limit = reader, writer, time_limit
        self.ready = False
        self.running: dict[int, tuple] = {}  # pid -> (chunk id, index, started)
        self.ended: dict[tuple, float] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.loop, name="lcsim-executor-monitor", daemon=True)
        self.thread.start()

    def loop(self) -> None:
        while not self.stopped.is_set():
            try:
                if self.reader.poll(0.1):
                    self.sync()
            except (OSError, EOFError):
                return
            self.enforce()

    def sync(self) -> None:
        with self.lock:
            try:
                while self.reader.poll(0):
                    self.take(self.reader.recv())
            except (OSError, EOFError):
                pass

    def take(self, message: tuple) -> None:
        kind, pid = message[:2]
        if kind == "ready":
            self.ready = True
        elif kind == "start":
            self.running[pid] = message[2:]
        elif self.running.get(pid, (None, None))[:2] == message[2:4]:  # "end" of what it ran
            del self.running[pid]

    def enforce(self) -> None:
        if not self.time_limit:
            return
        now = time.time()
        with self.lock:
            for pid, (chunk, index, started) in list(self.running.items()):
                if now - started > self.time_limit + grace(self.time_limit):
                    self.ended[chunk, index] = now - started
                    del self.running[pid]
                    try:
                        os.kill(pid, getattr(signal, "SIGKILL", signal.SIGTERM))
                    except OSError:  # already gone
                        pass

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=2)
        self.reader.close()
        self.writer.close()  # the workers' copies went with them


@contextmanager
def _open(workers: int | None, scheduler, time_limit: float | None):
    if scheduler is not None:
        with _dask(scheduler, time_limit) as pool:
            yield pool
        return
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n == 1:
        yield _Pool(_InProcess(), 1, "1 worker (this process)", time_limit, in_process=True)
        return
    # A fork server (or spawn) starts clean workers; the fork server imports lcsim and runs one tiny run
    # (warm.py) once, so each new worker starts with the model's compiled kernels loaded.
    if "forkserver" in mp.get_all_start_methods():
        context = mp.get_context("forkserver")
        context.set_forkserver_preload(["lcsim.experiments.worker", "lcsim.experiments.warm"])
    else:
        context = mp.get_context("spawn")

    def factory():
        reader, writer = context.Pipe(duplex=False)  # one pipe per pool: a killed writer cannot jam the next
        executor = cf.ProcessPoolExecutor(max_workers=n, mp_context=context, initializer=start_worker,
                                          initargs=(os.getpid(), writer))
        return executor, _Monitor(reader, writer, time_limit)

    executor, monitor = factory()
    pool = _Pool(executor, n, f"{n} local worker processes", time_limit, factory=factory, monitor=monitor)
    try:
        yield pool
    finally:
        pool.close()


@contextmanager
def _dask(scheduler, time_limit):
    try:
        from distributed import Client
    except ImportError:
        raise SweepError("--scheduler needs Dask: pip install 'lcsim[cluster]'") from None
    own = isinstance(scheduler, str)
    if own:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as err:
            raise SweepError(f"cannot reach the Dask scheduler at {scheduler}: {one_line(err)}") from None
    else:
        client = scheduler
    executor = None
    try:
        versions = worker_versions(client)
        __version__ = lcsim_version()
        other = sorted({v for v in versions.values() if v != __version__})
        if other:
            warnings.warn(f"Dask workers run lcsim {', '.join(other)}; this client runs {__version__}", stacklevel=4)
        threads = sum(client.nthreads().values())
        if not threads:
            warnings.warn(f"no Dask workers are connected to {client.scheduler.address} yet; the sweep waits for them",
                          stacklevel=4)
        executor = client.get_executor()
        yield _Pool(executor, max(threads, 1), f"Dask cluster {client.scheduler.address} ({threads} threads)",
                    time_limit)
    finally:
        if executor is not None:
            executor.shutdown(wait=False)  # cancels what is left after an error; a no-op after success
        if own:
            client.close()


def worker_versions(client, tries: int = 3) -> dict:
    """Every Dask worker's lcsim version. A worker without lcsim is told to install it; a worker that
    restarted or left during the check is asked again, and only then reported as it is."""
    for attempt in range(tries):
        try:
            return client.run(lcsim_version)
        except (ImportError, AttributeError) as err:  # unpickling lcsim.experiments.worker failed there
            raise SweepError(f"the Dask workers cannot run lcsim ({one_line(err)}); "
                             "install lcsim (same version) on every worker machine") from None
        except Exception as err:
            if "No module named" in str(err) or "lcsim" in str(err) and "import" in str(err).lower():
                raise SweepError(f"the Dask workers cannot run lcsim ({one_line(err)}); "
                                 "install lcsim (same version) on every worker machine") from None
            if attempt == tries - 1:
                raise SweepError(f"the Dask workers did not answer the version check ({one_line(err)}), "
                                 f"{tries} times: a worker restarting or leaving? Check the cluster and rerun"
                                 ) from None
            time.sleep(1.0 + attempt)
    return {}


__all__ = ["Done", "Executor", "ExecutorError", "TaskError", "check_options", "execute", "refuse_in_worker_start"]
