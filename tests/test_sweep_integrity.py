"""Sweeps that never lie: folders that know what wrote them, runs that cannot stall a sweep, bounded runs,
one line for every bad input, rules per design point, assumptions in experiment files (tiny runs)."""

import errno
import functools
import hashlib
import json
import os
import signal
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import lcsim
from lcsim.cli import main
from lcsim.experiments import (
    ExperimentError,
    SweepError,
    SweepWarning,
    check_folder,
    design_class,
    load_experiment,
    load_results,
    plan,
    run_seed,
    sweep,
)

TINY = {"n_members": 20, "months": 12, "exit_month": 6, "transition_months": 3}


def exp_a(**extra):
    exp = {"name": "exp-a", "design": "grid", "replicates": 3, "root_seed": 11, "fixed": dict(TINY),
           "vary": {"control": [0.1, 0.9], "exit_strategy": ["phase_out", "phase_down"]}}
    exp.update(extra)
    return exp


def run(exp, out, **kw):
    return sweep(exp, out, workers=1, progress=False, **kw)


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def reseal(part: Path) -> None:
    """Record a part's present bytes as the ones written with it (what lcsim does when it writes one)."""
    folder, name = part.parent.parent, f"{part.parent.name}/{part.name}"
    sums = folder / "checksums" / f"{name}.sha256"
    sums.write_text(f"{hashlib.sha256(part.read_bytes()).hexdigest()}  {name}\n")


def one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lcsim sweep: error: "), err
    return err


# -- provenance: folders that know what wrote them ------------------------------------------------
def test_a_folder_without_its_manifest_is_not_adopted_by_another_experiment(tmp_path, capsys):
    out = tmp_path / "D"
    run(exp_a(), out)
    (out / "manifest.json").unlink()
    before = snapshot(out)
    other = exp_a(name="exp-b", root_seed=12)
    with pytest.raises(SweepError, match="no manifest.json") as info:
        run(other, out)
    assert "--adopt" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(SweepError, match="another experiment"):
        run(other, out, adopt=True)  # its parts say whose they are
    assert snapshot(out) == before
    # The experiment that wrote them may adopt them, and nothing reruns.
    again = run(exp_a(), out, adopt=True)
    assert len(again) == 12 and again["error"].isna().all()
    assert json.loads((out / "manifest.json").read_text())["status"]["complete"]


def test_every_part_carries_the_experiment_hash_the_model_fingerprint_and_its_run_ids(tmp_path):
    out = tmp_path / "p"
    runs = run(exp_a(), out, flush_seconds=1e-6)
    manifest = json.loads((out / "manifest.json").read_text())
    ids = []
    for f in sorted((out / "runs").glob("part-*.parquet")):
        meta = pq.read_schema(f).metadata
        assert meta[b"lcsim.experiment_hash"].decode() == manifest["experiment_hash"]
        assert meta[b"lcsim.model_fingerprint"].decode() == manifest["model_fingerprint"]
        listed = json.loads(meta[b"lcsim.run_ids"])
        assert listed == pq.read_table(f, columns=["run_id"]).column("run_id").to_pylist()
        ids += listed
    assert sorted(ids) == sorted(runs["run_id"])
    fingerprints = manifest["model_fingerprints"]
    assert list(fingerprints) == [manifest["model_fingerprint"]] and fingerprints[manifest["model_fingerprint"]][
        "runs"] == 12


def test_a_part_of_another_experiment_in_a_folder_is_refused(tmp_path):
    run(exp_a(), tmp_path / "a")
    run(exp_a(root_seed=99), tmp_path / "b")
    stray = next((tmp_path / "b" / "runs").glob("part-*.parquet"))
    (tmp_path / "a" / "runs" / "part-000099.parquet").write_bytes(stray.read_bytes())
    with pytest.raises(SweepError, match="part-000099.parquet: was written by another experiment"):
        run(exp_a(), tmp_path / "a")
    assert "written by another experiment" in " ".join(check_folder(tmp_path / "a").problems)


def test_a_duplicated_part_is_detected_and_its_rows_are_returned_once(tmp_path, capsys):
    out = tmp_path / "d"
    runs = run(exp_a(), out, flush_seconds=1e-6)
    first = sorted((out / "runs").glob("part-*.parquet"))[0]
    (out / "runs" / "part-000050.parquet").write_bytes(first.read_bytes())
    assert any("part-000050.parquet: its checksum file is missing" in p for p in check_folder(out).problems)
    reseal(out / "runs" / "part-000050.parquet")  # copied with a checksum: intact, but a duplicate
    verdict = check_folder(out)
    assert not verdict.ok and verdict.rows == 13 and verdict.runs == 12
    assert any("more than once" in p and "part-000050.parquet" in p for p in verdict.problems)
    pd.testing.assert_frame_equal(load_results(out), runs)
    with pytest.warns(SweepWarning, match="more than one part"):
        again = run(exp_a(), out)
    pd.testing.assert_frame_equal(again, runs)
    assert main(["sweep", "--check", str(out)]) == 1
    text = capsys.readouterr().out
    assert "problem" in text and "12 of 12 designed" in text and len(text.splitlines()) <= 24


def test_check_reports_a_sound_folder_and_its_counts(tmp_path, capsys):
    out = tmp_path / "c"
    run(exp_a(), out)
    verdict = check_folder(out)
    assert verdict.ok and verdict.complete and verdict.runs == verdict.designed == 12 and verdict.failed == 0
    assert main(["sweep", "--check", str(out)]) == 0
    assert "sound, complete" in capsys.readouterr().out
    (out / "manifest.json").unlink()
    assert not check_folder(out).ok


def test_resuming_on_other_model_code_records_both_fingerprints(tmp_path):
    out = tmp_path / "f"
    run(exp_a(), out, flush_seconds=1e-6)
    manifest = json.loads((out / "manifest.json").read_text())
    (out / "manifest.json").write_text(json.dumps({**manifest, "model_fingerprint": "older"}))
    first = sorted((out / "runs").glob("part-*.parquet"))[0]
    table = pq.read_table(first)
    meta = {**table.schema.metadata, b"lcsim.model_fingerprint": b"older"}
    pq.write_table(table.replace_schema_metadata(meta), first)
    reseal(first)
    sorted((out / "runs").glob("part-*.parquet"))[-1].unlink()
    with pytest.warns(SweepWarning, match="other model code"):
        run(exp_a(), out)
    recorded = json.loads((out / "manifest.json").read_text())
    assert recorded["model_fingerprint"] == "older"
    fps = recorded["model_fingerprints"]
    assert set(fps) == {"older", manifest["model_fingerprint"]}
    assert fps["older"]["parts"] == [first.name] and fps["older"]["runs"] == 1
    assert sum(v["runs"] for v in fps.values()) == 12


# -- bounded runs ------------------------------------------------------------------------------------
def test_max_members_is_in_the_schema_and_a_set_that_must_exceed_it_is_refused(tmp_path, capsys):
    assert "max_members" in lcsim.SCHEMA
    with pytest.raises(lcsim.ParameterError, match="max_members"):
        lcsim.simulate(seed=1, n_members=300, max_members=200, months=2)
    text = exp_a()
    text["fixed"] = {"months": 12, "exit_month": 6, "transition_months": 3, "max_members": 50}
    text["vary"] = {"n_members": [20, 60]}
    with pytest.raises(ExperimentError, match="design point 1 .*n_members=60.*max_members"):
        load_experiment(text)


def test_the_fastest_growth_over_the_longest_horizon_ends_in_a_recorded_outcome(tmp_path):
    high = {name: lcsim.SCHEMA[name].high for name in ("join_rate", "months")}
    exp = {"name": "runaway", "design": "grid", "replicates": 1, "root_seed": 1,
           "fixed": {**high, "exit_month": 36}, "vary": {}}
    runs = run(exp, tmp_path / "r", time_limit=3)
    assert len(runs) == 1
    row = runs.iloc[0]
    if pd.isna(row["error"]):
        # it reaches the size cap, or (since issue 20's outside exits and growth bound) dissolves before it
        assert (bool(row["reached_max_members"]) or not bool(row["survived"])) and (
            row["peak_members"] <= lcsim.SCHEMA["max_members"].default)
    else:
        assert row["error"].startswith("RunTimeLimit:") and "3 s" in row["error"]


def test_a_run_past_its_time_limit_is_recorded_as_failed_and_the_others_finish(tmp_path, monkeypatch):
    import lcsim.experiments.worker as worker

    real = worker.simulate

    def slow(seed, scenario, **params):
        if params["control"] == 0.9 and params["exit_strategy"] == "phase_down":
            while True:
                time.sleep(0.01)
        return real(seed=seed, scenario=scenario, **params)

    monkeypatch.setattr(worker, "simulate", slow)
    runs = run(exp_a(replicates=1), tmp_path / "t", time_limit=0.3)
    failed = runs[runs["error"].notna()]
    assert len(runs) == 4 and list(failed["run_id"]) == ["p0003-r0000"]
    assert "per-run time limit of 0.3 s" in failed["error"].iloc[0]
    manifest = json.loads((tmp_path / "t" / "manifest.json").read_text())
    assert manifest["limits"]["time_limit"] == 0.3


# -- failures isolated ---------------------------------------------------------------------------------
def killer(seed, scenario, target=None, **params):
    """A run whose worker dies: SIGKILL, as the system's out-of-memory killer would."""
    if seed == target:
        os.kill(os.getpid(), signal.SIGKILL)
    return lcsim.simulate(seed=seed, scenario=scenario, **params)


def check_killed(runs, target_id):
    assert len(runs) == 12 and runs["run_id"].is_unique
    failed = runs[runs["error"].notna()]
    assert list(failed["run_id"]) == [target_id]
    error = failed["error"].iloc[0]
    assert error.startswith("WorkerDied:") and "died 2 times" in error
    assert "control=0.9" in error and 'exit_strategy="phase_down"' in error and target_id in error


def test_a_run_that_kills_its_worker_is_recorded_as_failed_and_the_sweep_finishes(tmp_path):
    hook = functools.partial(killer, target=run_seed(11, 3, 1))
    runs = sweep(exp_a(), tmp_path / "k", workers=2, chunk_size=2, progress=False, _run=hook)
    check_killed(runs, "p0003-r0001")
    assert runs.loc[runs["error"].isna(), "survived"].notna().all()


def test_a_run_that_kills_its_dask_worker_is_recorded_as_failed_and_the_sweep_finishes(tmp_path):
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    hook = functools.partial(killer, target=run_seed(11, 3, 1))
    with dask.config.set({"distributed.scheduler.allowed-failures": 0, "logging.distributed": "error"}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", processes=True,
                                      dashboard_address=None, silence_logs=50) as cluster:
            runs = sweep(exp_a(), tmp_path / "k", scheduler=cluster.scheduler_address, chunk_size=2,
                         progress=False, _run=hook)
    check_killed(runs, "p0003-r0001")


def test_retry_failed_reruns_only_the_failed_runs(tmp_path, monkeypatch, capsys):
    import lcsim.experiments.worker as worker

    real = worker.simulate

    def flaky(seed, scenario, **params):
        if params["control"] == 0.9 and params["exit_strategy"] == "phase_out":
            raise RuntimeError("transient")
        return real(seed=seed, scenario=scenario, **params)

    out = tmp_path / "f"
    monkeypatch.setattr(worker, "simulate", flaky)
    first = run(exp_a(), out, flush_seconds=1e-6)
    assert first["error"].notna().sum() == 3
    monkeypatch.setattr(worker, "simulate", real)
    assert "3 to run (failed runs rerun)" in plan(exp_a(), out, retry_failed=True).describe()
    calls = []

    def counted(seed, scenario, **params):
        calls.append(seed)
        return real(seed=seed, scenario=scenario, **params)

    monkeypatch.setattr(worker, "simulate", counted)
    capsys.readouterr()
    again = sweep(exp_a(), out, workers=1, retry_failed=True)
    assert "3 runs ran, 9 resumed, 0 failed" in capsys.readouterr().err
    assert sorted(calls) == sorted(first.loc[first["error"].notna(), "seed"])
    assert again["error"].isna().all() and again["run_id"].is_unique and len(again) == 12
    kept = first["error"].isna()
    pd.testing.assert_frame_equal(again[kept.to_numpy()].reset_index(drop=True),
                                  first[kept].reset_index(drop=True), check_dtype=False)
    assert check_folder(out).complete


# -- one line for every bad input ---------------------------------------------------------------------
GOOD = """name = "g"
design = "grid"
replicates = 1
root_seed = 1
[fixed]
n_members = 20
months = 12
exit_month = 6
[vary]
control = [0.2, 0.8]
"""


@pytest.mark.parametrize("kwargs, name", [({"control": 10**400}, "control"),
                                          ({"leadership": np.array([1, 2])}, "leadership"),
                                          ({"n_members": float("nan")}, "n_members"),
                                          ({"months": np.float64("inf")}, "months"),
                                          ({"digital_channel": np.array([True, False])}, "digital_channel")])
def test_simulate_refuses_odd_values_with_the_packages_error(kwargs, name):
    with pytest.raises(lcsim.ParameterError, match=name) as info:
        lcsim.simulate(seed=1, **kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("setting", ["n_members=nan", "months=inf", "n_members=1e400", "months=-inf",
                                     "control=" + "9" * 400, "assumptions.engagement_rate=nan",
                                     "assumptions.no_such=1"])
def test_bad_set_values_give_one_line(setting, tmp_path, capsys):
    path = tmp_path / "g.toml"
    path.write_text(GOOD)
    err = one_line_error(capsys, ["sweep", str(path), "--out", str(tmp_path / "o"), "--set", setting])
    assert setting.split("=")[0].removeprefix("assumptions.") in err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("edit, field", [(("replicates = 1", "replicates = " + "7" * 400), "replicates"),
                                         (("n_members = 20", "n_members = " + "7" * 400), "fixed.n_members"),
                                         (("control = [0.2, 0.8]", "control = [0.2, " + "1" * 400 + "]"),
                                          "vary.control[1]"),
                                         (("root_seed = 1", "root_seed = " + "1" * 400), "root_seed")])
def test_a_huge_integer_in_an_experiment_file_gives_one_line(edit, field, tmp_path, capsys):
    path = tmp_path / "g.toml"
    path.write_text(GOOD.replace(*edit))
    err = one_line_error(capsys, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert f"field '{field}'" in err and len(err) < 400
    assert not (tmp_path / "o").exists()


def test_a_truncated_part_file_is_refused_by_load_results_and_redone_by_a_resume(tmp_path, capsys):
    path = tmp_path / "g.toml"
    path.write_text(GOOD)
    out = tmp_path / "o"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    whole = load_results(out)
    part = next((out / "runs").glob("part-*.parquet"))
    part.write_bytes(part.read_bytes()[:100])
    before = snapshot(out)
    with pytest.raises(SweepError, match="part-000001.parquet: fails its check") as info:
        load_results(out)
    assert "\n" not in str(info.value)
    assert main(["sweep", "--check", str(out)]) == 1
    assert "runs/part-000001.parquet:" in capsys.readouterr().out
    with pytest.warns(SweepWarning, match="part-000001.parquet"):
        assert plan(path, out).to_run == 2  # the dry run says so and changes nothing
    assert snapshot(out) == before
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert "fail their check" in capsys.readouterr().err
    assert (out / "damaged" / "runs" / "part-000001.parquet").read_bytes() == before["runs/part-000001.parquet"]
    pd.testing.assert_frame_equal(load_results(out), whole)
    assert check_folder(out).complete


@pytest.mark.parametrize("text", ["", '{"experiment_hash": "ab', "[1, 2]", "not json"])
def test_a_truncated_or_non_json_manifest_gives_one_line(text, tmp_path, capsys):
    path = tmp_path / "g.toml"
    path.write_text(GOOD)
    out = tmp_path / "o"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    (out / "manifest.json").write_text(text)
    for extra in ([], ["--dry-run"]):
        assert "manifest.json" in one_line_error(capsys, ["sweep", str(path), "--out", str(out), *extra])
    with pytest.raises(SweepError, match="manifest.json"):
        load_results(out)


def test_unusable_out_folders_give_one_line(tmp_path, capsys):
    path = tmp_path / "g.toml"
    path.write_text(GOOD)
    (tmp_path / "afile").write_text("x")
    for out in ["/proc/lcsim-sweep", str(tmp_path / "afile" / "sub"), str(tmp_path / ("n" * 300))]:
        err = one_line_error(capsys, ["sweep", str(path), "--out", out, "--workers", "1"])
        assert "choose another folder" in err or "another output folder" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "g.toml"]


def test_a_disk_that_fills_mid_sweep_gives_one_line_and_keeps_the_finished_runs(tmp_path, capsys, monkeypatch):
    import lcsim.experiments.store as store

    path = tmp_path / "g.toml"
    path.write_text(GOOD.replace("replicates = 1", "replicates = 4"))
    out = tmp_path / "o"
    real, written = store.pq.write_table, []

    def filling(table, where, *args, **kwargs):
        if "/runs/" in str(where) and len(written) >= 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(where)
        return real(table, where, *args, **kwargs)

    monkeypatch.setattr(store.pq, "write_table", filling)
    err = one_line_error(capsys, ["sweep", str(path), "--out", str(out), "--workers", "1", "--flush-seconds",
                                  "0.000001", "--quiet"])
    assert "disk is full" in err
    assert not [f for f in out.rglob("*") if f.name.endswith(".tmp")]
    saved = load_results(out)
    assert 0 < len(saved) < 8
    monkeypatch.setattr(store.pq, "write_table", real)
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    assert len(load_results(out)) == 8


@pytest.mark.parametrize("address", ["foo", "foo bar", "tcp://", "http://host:8786", "host:port"])
def test_a_bad_scheduler_address_is_refused_at_once(address, tmp_path, capsys):
    path = tmp_path / "g.toml"
    path.write_text(GOOD)
    err = one_line_error(capsys, ["sweep", str(path), "--out", str(tmp_path / "o"), "--scheduler", address])
    assert "is not a scheduler address" in err and not (tmp_path / "o").exists()


def test_a_dask_worker_restarting_during_the_version_check_is_not_reported_as_install_lcsim(monkeypatch):
    from lcsim.experiments import runner

    monkeypatch.setattr(runner.time, "sleep", lambda s: None)

    class Restarting:
        calls = 0

        def run(self, fn):
            self.calls += 1
            if self.calls < 3:
                raise OSError("Worker tcp://127.0.0.1:1 restarting: CommClosedError")
            return {"w": lcsim.__version__}

    assert runner._worker_versions(Restarting()) == {"w": lcsim.__version__}

    class Gone(Restarting):
        def run(self, fn):
            raise OSError("CommClosedError")

    with pytest.raises(SweepError, match="did not answer") as info:
        runner._worker_versions(Gone())
    assert "install lcsim" not in str(info.value)

    class Missing(Restarting):
        def run(self, fn):
            raise ModuleNotFoundError("No module named 'lcsim'")

    with pytest.raises(SweepError, match="install lcsim"):
        runner._worker_versions(Missing())


# -- rules between parameters on each design point -------------------------------------------------------
@pytest.mark.parametrize("fixed, vary", [({"months": 30}, {"exit_month": [12, 24]}),
                                         ({"exit_strategy": "phase_down", "exit_month": 6},
                                          {"transition_months": [1, 3, 6]})])
def test_experiments_whose_points_keep_the_rules_run(fixed, vary, tmp_path):
    exp = {"name": "rules", "design": "grid", "replicates": 1, "root_seed": 1,
           "fixed": {"n_members": 10, **fixed}, "vary": vary}
    runs = run(exp, tmp_path / "r")
    assert len(runs) == len(next(iter(vary.values()))) and runs["error"].isna().all()


def test_the_first_point_that_breaks_a_rule_is_named(tmp_path, capsys):
    exp = {"name": "rules", "design": "lhs", "samples": 20, "replicates": 1, "root_seed": 1,
           "fixed": {"months": 30}, "vary": {"exit_month": [12, 40]}}
    with pytest.raises(ExperimentError, match=r"design point \d+ \(exit_month=3\d\).*at most months \(30\)"):
        load_experiment(exp)


# -- designs, plans, assumptions ----------------------------------------------------------------------
def test_each_design_is_one_class_that_says_what_analysis_it_allows():
    assert design_class("grid").balanced_margins and not design_class("grid").allows_sensitivity
    assert design_class("morris").allows_sensitivity and design_class("sobol").allows_sensitivity
    assert not design_class("lhs").allows_sensitivity and not design_class("lhs").balanced_margins
    with pytest.raises(ExperimentError, match="grid, lhs, sobol, morris"):
        design_class("factorial")


def test_plan_says_what_a_sweep_would_do_and_dry_run_prints_it(tmp_path, capsys):
    path = tmp_path / "g.toml"
    path.write_text(GOOD)
    p = plan(path, tmp_path / "o")
    assert (p.done, p.to_run, p.resumable) == (0, 2, False) and not (tmp_path / "o").exists()
    assert main(["sweep", str(path), "--out", str(tmp_path / "o"), "--dry-run"]) == 0
    assert capsys.readouterr().out.strip() == p.describe()
    run(path, tmp_path / "o")
    p = plan(path, tmp_path / "o")
    assert (p.done, p.to_run, p.resumable) == (2, 0, True)


ASSUMED = """name = "assumed"
design = "grid"
replicates = 2
root_seed = 3
[fixed]
n_members = 20
months = 24
exit_month = 12
"assumptions.leave_chance" = 0.9
[vary]
assumptions.engagement_rate = [0.2, 1.5]
"""


def test_an_experiment_file_varies_and_fixes_assumptions_and_the_runs_show_them(tmp_path):
    path = tmp_path / "a.toml"
    path.write_text(ASSUMED)
    exp = load_experiment(path)
    assert exp.varied == ["assumptions.engagement_rate"] and exp.fixed["assumptions.leave_chance"] == 0.9
    quoted = load_experiment(_write(tmp_path / "q.toml", ASSUMED.replace("assumptions.engagement_rate =",
                                                                          '"assumptions.engagement_rate" =')))
    assert quoted.hash == exp.hash
    runs = run(path, tmp_path / "o")
    assert {"assumptions.engagement_rate", "assumptions.leave_chance"} <= set(runs.columns)
    assert not [c for c in runs.columns if c.startswith("assumptions.") and c not in
                ("assumptions.engagement_rate", "assumptions.leave_chance")]
    assert (runs["assumptions.leave_chance"] == 0.9).all()
    low, high = (runs[runs["assumptions.engagement_rate"] == v] for v in (0.2, 1.5))
    outcome = ["active_members", "meetings", "ties", "months_alive_after_exit"]
    assert not low[outcome].reset_index(drop=True).equals(high[outcome].reset_index(drop=True))
    # the same run, alone, from its row
    row = runs.iloc[-1]
    again = lcsim.simulate(seed=int(row["seed"]), n_members=20, months=24, exit_month=12,
                           **{"assumptions.engagement_rate": float(row["assumptions.engagement_rate"]),
                              "assumptions.leave_chance": 0.9})
    assert again.summary["meetings"] == row["meetings"]
    sampled = dict(load_experiment(path).to_dict(), design="lhs", samples=3,
                   vary={"assumptions.engagement_rate": "sweep"})
    entry = lcsim.assumptions.TABLE["engagement_rate"]
    assert load_experiment(sampled).vary["assumptions.engagement_rate"] == (entry.low, entry.high)


def _write(path, text):
    path.write_text(text)
    return path


def test_an_unknown_assumption_is_refused_in_one_line(tmp_path, capsys):
    path = _write(tmp_path / "a.toml", ASSUMED.replace("assumptions.engagement_rate", "assumptions.engagment_rate"))
    err = one_line_error(capsys, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert "vary.assumptions.engagment_rate" in err and "did you mean 'assumptions.engagement_rate'" in err
    path = _write(tmp_path / "b.toml", ASSUMED.replace('"assumptions.leave_chance" = 0.9',
                                                       '"assumptions.leave_chance" = 3'))
    err = one_line_error(capsys, ["sweep", str(path), "--out", str(tmp_path / "o")])
    assert "fixed.assumptions.leave_chance" in err and "3" in err
    assert not (tmp_path / "o").exists()


# -- designs too large to hold ------------------------------------------------------------------------
def test_a_design_too_large_to_hold_is_refused_at_dry_run_with_its_size_and_the_limit(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LCSIM_MEMORY_LIMIT", "16")  # this test's limit, whatever the machine's memory
    path = _write(tmp_path / "big.toml", GOOD.replace('design = "grid"', 'design = "lhs"\nsamples = 8400000')
                  .replace("control = [0.2, 0.8]", "control = [0.2, 0.8]\njoin_rate = [0.01, 0.1]"))
    started = time.monotonic()
    with pytest.raises(ExperimentError, match=r"8,400,000 runs would take about \d+\.\d GB") as info:
        plan(path, tmp_path / "o")
    assert time.monotonic() - started < 2  # refused from its size, before a point is drawn
    assert "the limit is 16.0 GB" in str(info.value) and "field 'samples'" in str(info.value)
    err = one_line_error(capsys, ["sweep", str(path), "--out", str(tmp_path / "o"), "--dry-run"])
    assert "results table" in err and not (tmp_path / "o").exists()
    monkeypatch.setenv("LCSIM_MEMORY_LIMIT", "0.0000001")  # the limit is the one used
    with pytest.raises(ExperimentError, match=r"2 runs would take .*the limit is 0\.0 GB \(LCSIM_MEMORY_LIMIT"):
        load_experiment(_write(tmp_path / "g.toml", GOOD))
    monkeypatch.setenv("LCSIM_MEMORY_LIMIT", "nan")
    with pytest.raises(ExperimentError, match="LCSIM_MEMORY_LIMIT: \"nan\" is not allowed"):
        load_experiment(_write(tmp_path / "g.toml", GOOD))
    monkeypatch.delenv("LCSIM_MEMORY_LIMIT")
    assert load_experiment(tmp_path / "g.toml").runs == 2
