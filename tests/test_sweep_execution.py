"""Executors and crashes: one table whatever runs the sweep; `kill -9` mid-sweep, then resume."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

import lcsim
from lcsim.experiments import load_results, sweep

TINY = {"n_members": 30, "months": 24, "exit_month": 12}


def experiment(name, replicates=3):
    return {"name": name, "design": "grid", "replicates": replicates, "root_seed": 11, "fixed": dict(TINY),
            "vary": {"control": [0.1, 0.9], "exit_strategy": ["phase_out", "phase_down"]}}


def test_one_worker_two_workers_and_a_dask_cluster_give_identical_tables(tmp_path):
    distributed = pytest.importorskip("distributed")
    exp = experiment("same")
    one = sweep(exp, tmp_path / "one", workers=1, monthly=True, progress=False)
    two = sweep(exp, tmp_path / "two", workers=2, monthly=True, progress=False, chunk_size=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", processes=True,
                                  dashboard_address=None) as cluster:
        dask = sweep(exp, tmp_path / "dask", scheduler=cluster.scheduler_address, monthly=True, progress=False,
                     chunk_size=3)
    assert len(one) == 12 and one["error"].isna().all()
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(one, dask)
    monthly = load_results(tmp_path / "one", monthly=True)
    for other in ("two", "dask"):
        pd.testing.assert_frame_equal(monthly, load_results(tmp_path / other, monthly=True))


def test_a_sweep_killed_with_kill_9_resumes_to_exactly_the_designed_runs(tmp_path):
    path = tmp_path / "long.toml"
    path.write_text("""
name = "long"
design = "grid"
replicates = 150
root_seed = 5
[fixed]
n_members = 30
months = 24
exit_month = 12
[vary]
control = [0.1, 0.5, 0.9]
exit_strategy = ["phase_out", "phase_over"]
""")
    designed = lcsim.experiments.load_experiment(path).runs
    out = tmp_path / "out"
    command = [sys.executable, "-m", "lcsim", "sweep", str(path), "--out", str(out), "--workers", "2",
               "--monthly", "--flush-seconds", "0.2", "--quiet"]
    # Its own session, so the kill takes the worker processes down with the client, as a crash would.
    proc = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while len(list((out / "runs").glob("part-*.parquet"))) < 2 and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed; make it longer"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    partial = load_results(out)
    assert 0 < len(partial) < designed and partial["run_id"].is_unique

    resumed = subprocess.run(command[:-1], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{designed - len(partial)} runs ran, {len(partial)} resumed, 0 failed" in resumed.stderr
    runs = load_results(out)
    assert len(runs) == designed and runs["run_id"].is_unique
    expected = {f"p{p:04d}-r{r:04d}" for p in range(6) for r in range(150)}
    assert set(runs["run_id"]) == expected
    monthly = load_results(out, monthly=True)
    assert len(monthly[monthly["community"] == 0]) == designed * (TINY["months"] + 1)
    assert not monthly.duplicated(["run_id", "community", "month"]).any()
    assert not [f for f in out.rglob("*") if f.name.endswith(".tmp")]
    # Runs done before and after the crash are the runs a clean sweep would make.
    for row in runs.sample(4, random_state=0).itertuples():
        again = lcsim.simulate(seed=int(row.seed), **TINY, control=row.control, exit_strategy=row.exit_strategy)
        assert again.summary["months_alive_after_exit"] == row.months_alive_after_exit
        assert again.summary["ties"] == row.ties and again.summary["meetings"] == row.meetings


# -- the one executor: blame where it belongs -----------------------------------------------------------
def blocked(seed, scenario, target=None, **params):
    """A run stuck in compiled code: time.sleep does not return to the interpreter until it ends."""
    if seed == target:
        time.sleep(120)
    return lcsim.simulate(seed=seed, scenario=scenario, **params)


def test_a_run_blocked_in_compiled_code_is_ended_at_its_time_limit_and_the_others_finish(tmp_path):
    import functools

    from lcsim.experiments.design import run_seed

    hook = functools.partial(blocked, target=run_seed(11, 3, 1))
    started = time.monotonic()
    runs = sweep(experiment("stuck"), tmp_path / "s", workers=2, chunk_size=2, progress=False, time_limit=8,
                 _run=hook)
    assert time.monotonic() - started < 60
    failed = runs[runs["error"].notna()]
    assert list(failed["run_id"]) == ["p0003-r0001"] and len(runs) == 12
    assert failed["error"].iloc[0].startswith("RunTimeLimit:") and "worker process was ended" in failed["error"].iloc[0]
    clean = sweep(experiment("stuck"), tmp_path / "clean", workers=1, progress=False)
    kept = runs["error"].isna().to_numpy()
    pd.testing.assert_frame_equal(runs[kept].reset_index(drop=True), clean[kept].reset_index(drop=True),
                                  check_dtype=False)


SCRIPT = """
import lcsim
from lcsim.cli import main
print("top of the script")
{call}
print("after the call")
"""


def script(tmp_path, call, guard=False):
    body = SCRIPT.format(call=call)
    if guard:
        body = 'if __name__ == "__main__":\n' + "\n".join("    " + line for line in body.strip().splitlines())
    path = tmp_path / "plain.py"
    path.write_text(body)
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True, cwd=tmp_path, timeout=300)


def test_a_script_without_a_main_guard_gets_one_line_saying_what_to_do_and_no_run_is_recorded(tmp_path):
    exp = experiment("plain")
    out = tmp_path / "out"
    done = script(tmp_path, f"lcsim.sweep({exp!r}, {str(out)!r}, workers=2, progress=False)")
    assert done.returncode != 0
    assert done.stderr.count("Traceback") == 1, done.stderr  # the script's own call, not one per worker
    last = done.stderr.strip().splitlines()[-1]
    assert "ExecutorError" in last and 'if __name__ == "__main__":' in last and "plain.py" in last
    assert done.stdout.count("after the call") == 0
    assert not list(out.glob("runs/part-*.parquet"))  # no run was blamed for it
    again = sweep(exp, out, workers=1, progress=False)  # so a resume runs every one of them
    assert len(again) == 12 and again["error"].isna().all()

    # the command line in such a script: one line, exit 2
    toml = tmp_path / "plain.toml"
    toml.write_text('name = "plain"\ndesign = "grid"\nreplicates = 2\nroot_seed = 1\n[fixed]\nn_members = 30\n'
                    'months = 24\nexit_month = 12\n[vary]\ncontrol = [0.1, 0.9]\n')
    out = tmp_path / "cli"
    done = script(tmp_path, f"import sys; sys.exit(main(['sweep', {str(toml)!r}, '--out', {str(out)!r}, "
                            "'--workers', '2', '--quiet']))")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and 'if __name__ == "__main__":' in done.stderr
    assert not list(out.glob("runs/part-*.parquet"))


def test_the_same_script_with_a_main_guard_runs_on_two_workers(tmp_path):
    exp = experiment("guarded")
    out = tmp_path / "out"
    done = script(tmp_path, f"print(len(lcsim.sweep({exp!r}, {str(out)!r}, workers=2, progress=False)))", guard=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["top of the script", "12", "after the call"]


def test_execute_returns_values_in_order_on_every_executor_and_survives_a_killed_worker(tmp_path):
    from lcsim.experiments import execute

    items = [(seed, {"n_members": 30, "months": 24, "exit_month": 12}) for seed in range(10)]
    fn = functools_partial_summary()
    one = execute(fn, items, workers=1)
    two = execute(fn, items, workers=2, chunk_size=3)
    same = pd.DataFrame(one).equals  # NaN where NaN (a share of nothing), equal values elsewhere
    assert len(one) == 10 and same(pd.DataFrame(two))
    marker = tmp_path / "killed-once"
    hook = functools_partial_killer(marker)
    assert same(pd.DataFrame(execute(hook, items, workers=2, chunk_size=3))) and marker.exists()


def functools_partial_summary():
    import functools

    from lcsim.experiments.worker import simulate_summary

    return functools.partial(simulate_summary, "default", {})


def kill_once(marker, item):
    """Kills its worker the first time it sees seed 4 (a worker killed from outside, once)."""
    from lcsim.experiments.worker import simulate_summary

    if item[0] == 4 and not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return simulate_summary("default", {}, item)


def functools_partial_killer(marker):
    import functools

    return functools.partial(kill_once, str(marker))
