"""Experiment files, designs, seeds, the run table, the manifest, resume and refusals (in-process, tiny runs).

The model is being recalibrated, so nothing here asserts a model outcome: only the plumbing.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lcsim
from lcsim.cli import main
from lcsim.experiments import ExperimentError, SweepError, load_experiment, load_results, sweep
from lcsim.experiments.store import harmonize
from lcsim.parameters import SCHEMA

TINY = {"n_members": 30, "months": 24, "exit_month": 12}


def grid(**extra):
    exp = {"name": "tiny-grid", "design": "grid", "replicates": 2, "root_seed": 7, "fixed": dict(TINY),
           "vary": {"control": [0.2, 0.8], "exit_strategy": ["stay", "phase_out", "phase_over"]}}
    exp.update(extra)
    return exp


def run(exp, out, **kw):
    return sweep(exp, out, workers=1, progress=False, **kw)


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


# -- designs --------------------------------------------------------------------------------------
RANGES = {"control": [0.2, 0.8], "meeting_interval": [1, 6]}
DESIGNS = {  # design -> (extra fields, designed points for the two ranges above)
    "lhs": ({"samples": 9}, 9),
    "sobol": ({"samples": 4}, 4 * (2 + 2)),
    "morris": ({"samples": 3, "num_levels": 4}, 3 * (2 + 1)),
}


@pytest.mark.parametrize("design", ["grid", *DESIGNS])
def test_each_design_yields_the_designed_runs_within_the_declared_ranges(design, tmp_path):
    if design == "grid":
        exp, points = grid(), 2 * 3
        ranges = None
    else:
        extra, points = DESIGNS[design]
        exp = {"name": f"tiny-{design}", "design": design, "replicates": 2, "root_seed": 3, "fixed": dict(TINY),
               "vary": dict(RANGES), **extra}
        ranges = RANGES
    runs = run(exp, tmp_path / design)
    assert len(runs) == points * 2 == load_experiment(exp).runs
    assert runs["run_id"].is_unique
    assert sorted(runs["point"].unique()) == list(range(points)) and set(runs["replicate"]) == {0, 1}
    assert runs["error"].isna().all()
    for name, value in TINY.items():
        assert (runs[name] == value).all()
    if ranges:
        for name, (low, high) in ranges.items():
            assert runs[name].between(low, high).all(), name
            assert runs[name].nunique() > 1
        assert (runs["meeting_interval"] == runs["meeting_interval"].round()).all()
        manifest = json.loads((tmp_path / design / "manifest.json").read_text())
        assert manifest["problem"]["names"] == list(ranges) and manifest["problem"]["num_vars"] == 2
        assert manifest["sampler"]["method"] == design
    else:
        assert set(runs["control"]) == {0.2, 0.8} and set(runs["exit_strategy"]) == {"stay", "phase_out", "phase_over"}
    table = pd.read_parquet(tmp_path / design / "design.parquet")
    assert list(table["point"]) == list(range(points))
    merged = runs.merge(table, on="point", suffixes=("", "_design"))
    for name in table.columns.drop("point"):
        assert (merged[name] == merged[f"{name}_design"]).all()


def test_morris_levels_and_sobol_problem_match_what_salib_expects(tmp_path):
    from SALib.analyze import morris, sobol

    exp = {"name": "m", "design": "morris", "samples": 4, "num_levels": 4, "replicates": 1, "root_seed": 1,
           "fixed": dict(TINY), "vary": dict(RANGES)}
    runs = run(exp, tmp_path / "m")
    manifest = lcsim.experiments.read_manifest(tmp_path / "m")
    X = runs.sort_values("point")[manifest["problem"]["names"]].to_numpy(float)
    assert len(np.unique(X[:, 1])) == 4  # each Morris level of the integer is a distinct integer
    morris.analyze(manifest["problem"], X, runs.sort_values("point")["meetings"].to_numpy(float),
                   num_levels=manifest["sampler"]["num_levels"])
    exp = {**exp, "name": "s", "design": "sobol", "samples": 8, "num_levels": None}
    del exp["num_levels"]
    runs = run(exp, tmp_path / "s")
    manifest = lcsim.experiments.read_manifest(tmp_path / "s")
    sobol.analyze(manifest["problem"], runs.sort_values("point")["meetings"].to_numpy(float),
                  calc_second_order=manifest["sampler"]["calc_second_order"])


# -- seeds, the run table, the manifest -----------------------------------------------------------
def test_every_run_has_its_seed_from_its_run_id_and_reproduces_alone(tmp_path):
    runs = run(grid(), tmp_path / "g")
    for row in runs.itertuples():
        expected = np.random.SeedSequence(7, spawn_key=(row.point, row.replicate)).generate_state(1)[0]
        assert row.seed == expected and row.run_id == f"p{row.point:04d}-r{row.replicate:04d}"
    assert runs["seed"].is_unique
    row = runs.iloc[3]
    again = lcsim.simulate(seed=int(row["seed"]), **{k: row[k].item() if hasattr(row[k], "item") else row[k]
                                                      for k in SCHEMA})
    for key, value in again.summary.items():
        assert (pd.isna(row[key]) and value is None) or row[key] == value, key


def test_common_seeds_give_a_replicate_one_seed_at_every_point(tmp_path):
    runs = run(grid(common_seeds=True), tmp_path / "c")
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()
    assert runs.groupby("point")["seed"].nunique().eq(2).all()


def test_run_table_has_identity_every_parameter_every_outcome_and_error(tmp_path):
    runs = run(grid(), tmp_path / "g")
    outcomes = list(lcsim.simulate(seed=0, **TINY).summary)
    assert list(runs.columns) == ["run_id", "point", "replicate", "seed", *SCHEMA, *outcomes, "error"]
    base = lcsim.scenarios.scenario_params("default")
    assert (runs["initial_engagement"] == base["initial_engagement"]).all()


def test_manifest_records_the_experiment_design_seeds_and_versions(tmp_path):
    runs = run(grid(description="d"), tmp_path / "g")
    m = json.loads((tmp_path / "g" / "manifest.json").read_text())
    for key in ("experiment", "experiment_hash", "design", "design_file", "points", "varied", "replicates",
                "root_seed", "runs", "seed_rule", "base_params", "lcsim_version", "versions", "status", "outcomes"):
        assert key in m, key
    assert m["experiment"]["vary"]["control"] == [0.2, 0.8] and m["experiment"]["description"] == "d"
    assert m["varied"] == ["control", "exit_strategy"] and m["replicates"] == 2 and m["root_seed"] == 7
    assert m["lcsim_version"] == lcsim.__version__ and m["design"] == "grid" and m["points"] == 6
    assert m["status"] == {**m["status"], "designed": 12, "finished": 12, "failed": 0, "complete": True}
    assert m["outcomes"] == list(runs.columns[4 + len(SCHEMA):-1])
    assert "problem" not in m
    assert m["experiment_hash"] == load_experiment(grid(description="other words")).hash  # prose is not the experiment
    assert m["experiment_hash"] != load_experiment(grid(root_seed=8)).hash


def test_toml_file_and_dict_are_the_same_experiment(tmp_path):
    path = write(tmp_path / "e.toml", """
name = "tiny-grid"
design = "grid"
replicates = 2
root_seed = 7
[fixed]
n_members = 30
months = 24
exit_month = 12
[vary]
control = [0.2, 0.8]
exit_strategy = ["stay", "phase_out", "phase_over"]
""")
    assert load_experiment(path).hash == load_experiment(grid()).hash
    assert load_experiment(path, {"brokering": 1.0}).fixed["brokering"] == 1.0
    with pytest.raises(ExperimentError, match="varies 'control'"):
        load_experiment(path, {"control": 0.5})


# -- failures, resume, refusals of folders --------------------------------------------------------
def test_a_failing_run_is_recorded_and_the_others_finish(tmp_path, monkeypatch, capsys):
    import lcsim.experiments.worker as worker

    real = worker.simulate

    def flaky(seed, scenario, **params):
        if params["control"] == 0.8 and params["exit_strategy"] == "stay":
            raise RuntimeError("provoked\nfailure")
        return real(seed=seed, scenario=scenario, **params)

    monkeypatch.setattr(worker, "simulate", flaky)
    runs = sweep(grid(), tmp_path / "f", workers=1)
    failed = runs[runs["error"].notna()]
    assert len(runs) == 12 and len(failed) == 2
    assert (failed["error"] == "RuntimeError: provoked failure").all()
    assert (failed["control"] == 0.8).all() and failed["survived"].isna().all() and failed["seed"].notna().all()
    assert runs.loc[runs["error"].isna(), "survived"].notna().all()
    assert "10 runs ran" not in capsys.readouterr().err  # 12 ran, 2 of them failed
    again = sweep(grid(), tmp_path / "f", workers=1)
    assert "0 runs ran, 12 resumed, 2 failed" in capsys.readouterr().err
    pd.testing.assert_frame_equal(runs, again)


def test_resume_runs_only_the_missing_runs(tmp_path, capsys):
    out = tmp_path / "r"
    whole = sweep(grid(), out, workers=1, flush_seconds=1e-6)  # a part file per run
    part_files = sorted((out / "runs").glob("part-*.parquet"))
    assert len(part_files) == 12
    for f in part_files[2:5]:
        f.unlink()
    capsys.readouterr()
    resumed = sweep(grid(), out, workers=1)
    assert "3 runs ran, 9 resumed, 0 failed" in capsys.readouterr().err
    pd.testing.assert_frame_equal(whole, resumed)


def test_resuming_on_other_model_code_warns_in_one_line(tmp_path, capsys):
    path = write(tmp_path / "ok.toml", GOOD)
    out = tmp_path / "w"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["model_fingerprint"]) == 64
    (out / "manifest.json").write_text(json.dumps({**manifest, "model_fingerprint": "older code"}))
    next((out / "runs").glob("part-*.parquet")).unlink()
    capsys.readouterr()
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lcsim: warning: ") and "other model code" in err
    next((out / "runs").glob("part-*.parquet")).unlink()
    with pytest.warns(lcsim.experiments.SweepWarning, match="other model code"):
        run(load_experiment(path), out)


def test_a_complete_folder_is_read_back_without_starting_workers(tmp_path):
    whole = run(grid(), tmp_path / "c")
    again = sweep(grid(), tmp_path / "c", scheduler="tcp://127.0.0.1:9", progress=False)  # no cluster there
    pd.testing.assert_frame_equal(whole, again)


def test_a_folder_of_another_experiment_is_refused(tmp_path):
    out = tmp_path / "x"
    run(grid(), out)
    before = sorted(p.name for p in out.rglob("*"))
    with pytest.raises(SweepError, match="different experiment"):
        run(grid(root_seed=99), out)
    with pytest.raises(SweepError, match="without --monthly"):
        run(grid(), out, monthly=True)
    assert sorted(p.name for p in out.rglob("*")) == before
    other = tmp_path / "notes"
    other.mkdir()
    (other / "thesis.docx").write_text("mine")
    with pytest.raises(SweepError, match="not a sweep folder"):
        run(grid(), other)
    assert sorted(p.name for p in other.iterdir()) == ["thesis.docx"]


def test_monthly_table_has_every_month_of_every_run(tmp_path):
    runs = run(grid(), tmp_path / "m", monthly=True)
    monthly = load_results(tmp_path / "m", monthly=True)
    convened = monthly[monthly["community"] == 0]  # one row per run, community and month
    assert len(convened) == len(runs) * (TINY["months"] + 1)
    assert not monthly.duplicated(["run_id", "community", "month"]).any()
    assert set(monthly["run_id"]) == set(runs["run_id"])
    assert list(monthly.columns[:5]) == ["run_id", "point", "replicate", "month", "community"]
    run(grid(name="no-monthly"), tmp_path / "n")
    with pytest.raises(SweepError, match="without --monthly"):
        load_results(tmp_path / "n", monthly=True)


def test_files_read_as_they_are_in_pandas_polars_and_duckdb(tmp_path):
    runs = run(grid(), tmp_path / "p", monthly=True, flush_seconds=1e-6)
    direct = pd.read_parquet(tmp_path / "p" / "runs").sort_values(["point", "replicate"]).reset_index(drop=True)
    assert len(direct) == len(runs) and set(direct.columns) == set(runs.columns)
    stored = pd.read_parquet(tmp_path / "p" / "monthly")
    assert len(stored[stored["community"] == 0]) == len(runs) * (TINY["months"] + 1)
    import duckdb  # both are in the test extra: a missing one fails here rather than skipping silently
    import polars as pl

    assert pl.read_parquet(str(tmp_path / "p" / "runs" / "*.parquet")).height == len(runs)
    count = duckdb.sql(f"select count(*) from read_parquet('{tmp_path / 'p' / 'runs'}/*.parquet')").fetchall()[0][0]
    assert count == len(runs)


def test_parts_that_disagree_on_a_column_type_are_harmonized(tmp_path):
    folder = tmp_path / "runs"
    folder.mkdir()
    pq.write_table(pa.table({"run_id": ["a"], "dissolved_month": pa.nulls(1, pa.null()), "error": ["x"]}),
                   folder / "part-000001.parquet")
    pq.write_table(pa.table({"run_id": ["b"], "dissolved_month": pa.array([16], pa.int64()),
                             "extra": [1.5], "error": pa.array([None], pa.string())}), folder / "part-000002.parquet")
    harmonize(folder, last="error")
    schemas = {pq.read_schema(f).remove_metadata() for f in folder.iterdir()}
    assert len(schemas) == 1 and next(iter(schemas)).names == ["run_id", "dissolved_month", "extra", "error"]
    assert pd.read_parquet(folder)["dissolved_month"].tolist()[1] == 16


# -- bad experiment files ---------------------------------------------------------------------------
GOOD = """name = "bad"
design = "grid"
replicates = 2
root_seed = 1
[fixed]
n_members = 30
[vary]
control = [0.2, 0.8]
"""
BAD = {  # what breaks the file -> (file text, words the one-line error must contain)
    "toml syntax": (GOOD.replace("replicates = 2", "replicates = = 2"), ["TOML syntax error", "line 3"]),
    "unknown fixed parameter": (GOOD.replace("n_members", "n_memberz"),
                                ["fixed.n_memberz", "did you mean 'n_members'"]),
    "unknown varied parameter": (GOOD.replace("control =", "contrl ="), ["vary.contrl", "did you mean 'control'"]),
    "out-of-range value": (GOOD.replace("n_members = 30", "n_members = 2"), ["fixed.n_members", "2", "[5, 5000]"]),
    "out-of-range grid value": (GOOD.replace("[0.2, 0.8]", "[0.2, 1.8]"), ["vary.control[1]", "1.8", "[0, 1]"]),
    "range outside the schema": (GOOD.replace('"grid"', '"lhs"\nsamples = 4').replace("[0.2, 0.8]", "[0.2, 1.5]"),
                                 ["vary.control[1]", "1.5", "[0, 1]"]),
    "reversed range": (GOOD.replace('"grid"', '"lhs"\nsamples = 4').replace("[0.2, 0.8]", "[0.8, 0.2]"),
                       ["vary.control", "low < high"]),
    "unknown design": (GOOD.replace('"grid"', '"factorial"'),
                       ["field 'design'", '"factorial"', "grid, lhs, sobol, morris"]),
    "missing field": (GOOD.replace("root_seed = 1\n", ""), ["field 'root_seed' is missing", "integer"]),
    "missing samples": (GOOD.replace('"grid"', '"sobol"'), ["field 'samples' is missing"]),
    "sobol samples not a power of 2": (GOOD.replace('"grid"', '"sobol"\nsamples = 10'),
                                       ["field 'samples'", "10", "power of 2"]),
    "sweep range on a grid": (GOOD.replace("[0.2, 0.8]", '"sweep"'), ["vary.control", '"sweep"', "list of values"]),
    "fixed and varied": (GOOD.replace("n_members = 30", "control = 0.5"), ["vary.control", "not also under [fixed]"]),
    "morris integer range narrower than its levels": (
        GOOD.replace('"grid"', '"morris"\nsamples = 4').replace("control = [0.2, 0.8]", "meeting_interval = [1, 3]"),
        ["vary.meeting_interval", "[1, 3]", "num_levels - 1"]),
    "unknown field": ("replicate = 3\n" + GOOD, ["field 'replicate' is unknown", "did you mean 'replicates'"]),
    "wrong type": (GOOD.replace("replicates = 2", 'replicates = "two"'), ["field 'replicates'", '"two"', "integer"]),
    "choice with a sampled design": (GOOD.replace('"grid"', '"lhs"\nsamples = 4').replace(
        "control = [0.2, 0.8]", 'exit_strategy = ["stay", "phase_out"]'), ["vary.exit_strategy", "design grid"]),
    "impossible design point": (GOOD.replace("control = [0.2, 0.8]", "exit_month = [12, 90]"),
                                ["design point 1", "exit_month", "90", "months"]),
    "unknown scenario": (GOOD.replace("design =", 'scenario = "defualt"\ndesign ='), ["field 'scenario'", "defualt",
                                                                                       "did you mean 'default'"]),
    "missing scenario file": (GOOD.replace("design =", 'scenario = "nowhere/mine.toml"\ndesign ='),
                              ["field 'scenario'", "nowhere/mine.toml", "does not exist"]),
    "recorded values of a named scenario": (GOOD + "[scenario_values]\nn_members = 30\n",
                                            ["field 'scenario_values'", "only with a scenario file"]),
}


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_experiment_file_is_refused_in_one_line_before_any_run(kind, tmp_path, capsys):
    text, words = BAD[kind]
    path = write(tmp_path / "bad.toml", text)
    out = tmp_path / "out" / "bad"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lcsim sweep: error: ") and str(path) in err, err
    for word in words:
        assert word in err, (word, err)
    assert not (tmp_path / "out").exists()
    with pytest.raises(lcsim.ParameterError):
        sweep(path, out, workers=1, progress=False)
    assert not (tmp_path / "out").exists()


SCENARIO_FILE = """title = "ours"
[community]
csos = 10
businesses = 2
academics = 2
officials = 1
[convener]
months_of_convening_left = 6
months_to_follow_after = 6
how_to_leave = "phase_out"
handover_months = 2
"""


def test_an_experiment_names_a_scenario_file_and_records_its_values(tmp_path, capsys):
    for folder in ("scenarios", "experiments"):
        (tmp_path / folder).mkdir()
    scenario = write(tmp_path / "scenarios" / "ours.toml", SCENARIO_FILE)
    path = write(tmp_path / "experiments" / "ours.toml", GOOD.replace("design =", 'scenario = "../scenarios/ours.toml"'
                                                                      "\ndesign =").replace("n_members = 30\n", ""))
    exp = load_experiment(path)  # relative to the experiment file, not to the working directory
    from lcsim.scenarios import community, scenario_params

    assert exp.scenario_values == community.load(scenario)["params"]
    assert exp.base_params == scenario_params(str(scenario)) and exp.base_params["n_members"] == 15
    out = tmp_path / "out"
    first = run(path, out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["experiment"]["scenario_values"]["n_members"] == 15
    assert manifest["base_params"]["months"] == 12 and manifest["scenario"] == "../scenarios/ours.toml"
    for r in first.itertuples():  # the same runs as `--scenario FILE` (lcsim run) gives
        alone = lcsim.simulate(seed=r.seed, scenario=str(scenario), control=r.control).summary
        assert (r.peak_members, r.meetings, r.leaders_ever) == (alone["peak_members"], alone["meetings"],
                                                                alone["leaders_ever"])
    scenario.unlink()  # the sweep's folder no longer needs the file: reading and resuming use the recorded values
    assert load_results(out).equals(first)
    assert run(dict(manifest["experiment"]), out).equals(first)
    write(scenario, SCENARIO_FILE.replace("csos = 10", "csos = 20"))  # another community: another experiment
    with pytest.raises(SweepError, match="another experiment|different experiment"):
        run(path, out)


def test_a_bad_scenario_file_in_an_experiment_is_one_line(tmp_path, capsys):
    write(tmp_path / "ours.toml", SCENARIO_FILE.replace("csos = 10", "csos = -3"))
    path = write(tmp_path / "exp.toml", GOOD.replace("design =", 'scenario = "ours.toml"\ndesign ='))
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "field 'scenario'" in err and "ours.toml" in err and "csos" in err, err
    assert not (tmp_path / "out").exists()


def test_bad_set_and_bad_options_are_refused_before_any_run(tmp_path, capsys):
    path = write(tmp_path / "ok.toml", GOOD)
    out = tmp_path / "out"
    for argv, words in [(["--set", "control=0.3"], ["varies 'control'"]),
                        (["--set", "brokering=9"], ["brokering", "9"]),
                        (["--workers", "0"], ["workers", "0"]),
                        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], ["--workers does not apply"])]:
        assert main(["sweep", str(path), "--out", str(out), *argv]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and all(w in err for w in words), err
        assert not out.exists()


def test_unreachable_scheduler_is_refused_and_leaves_no_folder(tmp_path, capsys, monkeypatch):
    pytest.importorskip("distributed")
    import lcsim.experiments.executor as executor

    monkeypatch.setattr(executor, "CONNECT_TIMEOUT", "1s")
    path = write(tmp_path / "ok.toml", GOOD)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert not (tmp_path / "out").exists()


def test_dry_run_prints_the_design_size_and_writes_nothing(tmp_path, capsys):
    path = write(tmp_path / "ok.toml", GOOD)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--dry-run"]) == 0
    assert "2 points x 2 replicates = 4 runs" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()


SHIPPED = ("exit-timing-by-style", "strategy-by-size", "sensitivity-morris")


def test_every_experiment_file_in_the_repository_is_valid():
    files = sorted((Path(__file__).parents[1] / "experiments").glob("*.toml"))
    assert {f.stem for f in files} >= set(SHIPPED)
    for f in files:
        exp = load_experiment(f)
        assert exp.name == f.stem and exp.description, f
        assert lcsim.experiments.build_design(exp).table.shape[0] == exp.points


def test_the_shipped_researcher_experiments_are_meaningful_and_small():
    folder = Path(__file__).parents[1] / "experiments"
    exps = {name: load_experiment(folder / f"{name}.toml") for name in SHIPPED}
    assert set(exps["exit-timing-by-style"].varied) == {"exit_month", "control", "exit_strategy"}
    assert set(exps["strategy-by-size"].varied) == {"exit_strategy", "n_members"}
    assert exps["sensitivity-morris"].design in ("morris", "sobol") and len(exps["sensitivity-morris"].varied) >= 8
    for exp in exps.values():
        assert exp.replicates >= 3 and exp.runs <= 2000  # a few minutes on two cores at the default run's cost
