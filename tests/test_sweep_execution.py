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
