"""Results that check themselves (issue 24): every byte of a part or the design is vouched for by its checksum,
values are checked against the manifest and design, a damaged part is refused by load_results and redone by a
resume, and no crash leaves a part without its checksum (tiny runs)."""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lcsim.cli import main
from lcsim.experiments import SweepError, SweepWarning, check_folder, load_results, plan, sweep
from lcsim.experiments import files as store_files

TINY = {"n_members": 20, "months": 12, "exit_month": 6, "transition_months": 3}
FLIPS = 200  # byte positions flipped per file, spread from the first byte to the Parquet footer's last


def exp_c(**extra):
    exp = {"name": "exp-c", "design": "grid", "replicates": 3, "root_seed": 5, "fixed": dict(TINY),
           "vary": {"control": [0.1, 0.9], "exit_strategy": ["phase_out", "phase_down"]}}
    exp.update(extra)
    return exp


def run(out, **kw):
    return sweep(exp_c(), out, workers=1, progress=False, **kw)


def reseal(path: Path) -> None:
    """Record a file's present bytes as the ones written with it (a forger who also updates the checksum)."""
    name = path.name if path.parent.name not in ("runs", "monthly") else f"{path.parent.name}/{path.name}"
    root = path.parent if path.parent.name not in ("runs", "monthly") else path.parent.parent
    (root / "checksums" / f"{name}.sha256").write_text(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}\n")


def positions(size: int) -> list[int]:
    """FLIPS positions: evenly spread, plus the footer (its length and the magic bytes end the file)."""
    spread = np.linspace(0, size - 1, FLIPS - 16).astype(int).tolist()
    return sorted(set(spread) | set(range(size - 16, size)))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("c") / "sweep"
    runs = run(out, flush_seconds=1e-6, monthly=True)
    return out, runs


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """One runs part and one monthly part: each flip below checks and loads the whole folder."""
    out = tmp_path_factory.mktemp("s") / "sweep"
    runs = run(out, monthly=True)
    return out, runs


def test_a_fresh_folder_carries_a_checksum_for_every_file_and_checks_sound(folder):
    out, runs = folder
    files = [out / "design.parquet", *sorted((out / "runs").glob("part-*.parquet")),
             *sorted((out / "monthly").glob("part-*.parquet"))]
    for f in files:
        assert store_files.checksum_problem(f) is None, f
    verdict = check_folder(out)
    assert verdict.complete and verdict.verified == len(files)
    assert json.loads((out / "manifest.json").read_text())["checksums"]["from_part"] == 1
    # Parquet readers given the folder still read only parts: the checksums live in their own folder.
    assert len(pd.read_parquet(out / "runs")) == len(runs)


@pytest.mark.parametrize("which", ["runs", "monthly", "design"])
def test_every_single_byte_flip_is_detected_by_check_and_refused_by_load_results(small, which, tmp_path):
    out, runs = small
    work = tmp_path / "w"
    shutil.copytree(out, work)
    target = work / "design.parquet" if which == "design" else sorted((work / which).glob("part-*.parquet"))[0]
    original = target.read_bytes()
    rng = np.random.default_rng(24)
    trials = detected = refused = 0
    for at in positions(len(original)):
        damaged = bytearray(original)
        damaged[at] ^= int(rng.integers(1, 256))  # any other value of that byte
        target.write_bytes(bytes(damaged))
        trials += 1
        verdict = check_folder(work)
        detected += (not verdict.ok) and any(target.name in p for p in verdict.problems)
        try:
            load_results(work, monthly=which == "monthly")
        except SweepError as err:
            refused += target.name in str(err) and "\n" not in str(err)
    target.write_bytes(original)
    assert trials >= FLIPS - 16 and (detected, refused) == (trials, trials)
    assert check_folder(work).complete
    pd.testing.assert_frame_equal(load_results(work), runs)


def _edit(part: Path, column: str, change) -> None:
    """Rewrite a part with one value changed, keeping its metadata (and not its checksum)."""
    table = pq.read_table(part)
    values = table.column(column).to_pylist()
    values[0] = change(values[0])
    edited = table.set_column(table.schema.get_field_index(column), column,
                              pa.array(values, type=table.schema.field(column).type))
    pq.write_table(edited.replace_schema_metadata(table.schema.metadata), part)


@pytest.mark.parametrize("column, change, sealed, why", [
    ("peak_members", lambda v: v + 1, False, "SHA-256"),  # an outcome, checksum not updated
    ("n_members", lambda v: v + 1, False, "SHA-256"),
    ("control", lambda v: 0.5, True, "control = 0.5, but the design says 0.1"),  # checksum forged too
    ("n_members", lambda v: 21, True, "n_members = 21, but the manifest says 20"),
    ("seed", lambda v: v + 1, True, "is not the design's"),
    ("months", lambda v: 10_000, True, "outside its range"),
    ("run_id", lambda v: "p0099-r0000", True, "run ids differ from those its metadata lists"),
])
def test_an_edited_value_is_detected(folder, tmp_path, column, change, sealed, why):
    out, _ = folder
    work = tmp_path / "w"
    shutil.copytree(out, work)
    part = sorted((work / "runs").glob("part-*.parquet"))[0]
    _edit(part, column, change)
    if sealed:
        reseal(part)
    verdict = check_folder(work)
    assert not verdict.ok and any(part.name in p and why in p for p in verdict.problems), verdict.problems
    with pytest.raises(SweepError, match=f"{part.name}: fails its check"):
        load_results(work)
    assert main(["sweep", "--check", str(work)]) == 1


@pytest.mark.parametrize("garbage", [b"", b"not parquet at all", os.urandom(4096), "valid-but-other", "one-value"])
def test_a_garbage_design_is_reported_refused_and_rewritten_by_a_resume(folder, tmp_path, garbage):
    out, runs = folder
    work = tmp_path / "w"
    shutil.copytree(out, work)
    design = work / "design.parquet"
    if garbage == "valid-but-other":  # a Parquet file, checksum forged, that is not this design
        pq.write_table(pa.table({"point": [0, 1], "control": [0.1, 0.2]}), design)
        reseal(design)
    elif garbage == "one-value":  # one value changed within its range, checksum forged: not the drawn design
        table = pq.read_table(design)
        control = table.column("control").to_pylist()
        control[0] = 0.2
        pq.write_table(table.set_column(1, "control", pa.array(control)), design)
        reseal(design)
    else:
        design.write_bytes(garbage)
    verdict = check_folder(work)
    assert not verdict.ok and any("design.parquet" in p for p in verdict.problems), verdict.problems
    if garbage == "one-value":  # the parts disagree with it; --check also redraws the design to say which is wrong
        assert any("not the design its experiment draws" in p for p in verdict.problems)
        with pytest.raises(SweepError, match="fails its check"):
            load_results(work)
        with pytest.raises(SweepError, match="is not the design this experiment draws now"):
            run(work, monthly=True)  # refused, not resumed over
        return
    with pytest.raises(SweepError, match="design.parquet"):
        load_results(work)
    with pytest.warns(SweepWarning, match="skipped 1 file"):
        assert len(load_results(work, skip_damaged=True)) == len(runs)  # parts checked against ranges only
    with pytest.warns(SweepWarning, match="design.parquet"):
        again = run(work, monthly=True)
    pd.testing.assert_frame_equal(again, runs)
    assert check_folder(work).complete


@pytest.mark.parametrize("table", ["runs", "monthly"])
def test_a_resume_after_damage_reruns_exactly_the_damaged_parts_runs(tmp_path, monkeypatch, table):
    import lcsim.experiments.worker as worker

    clean = run(tmp_path / "clean", monthly=True)
    clean_monthly = load_results(tmp_path / "clean", monthly=True)
    out = tmp_path / "d"
    run(out, flush_seconds=1e-6, monthly=True, chunk_size=2)
    part = sorted((out / table).glob("part-*.parquet"))[2]
    in_part = pq.read_table(out / "runs" / part.name, columns=["seed"]).column("seed").to_pylist()
    data = bytearray(part.read_bytes())
    data[len(data) // 2] ^= 0x10  # one bit
    part.write_bytes(bytes(data))
    with pytest.raises(SweepError, match=part.name):
        load_results(out, monthly=table == "monthly")
    with pytest.warns(SweepWarning, match="fail their check"):
        assert plan(exp_c(), out, monthly=True).to_run == len(in_part)  # what --dry-run says
    calls, real = [], worker.simulate

    def counted(seed, scenario, **params):
        calls.append(seed)
        return real(seed=seed, scenario=scenario, **params)

    monkeypatch.setattr(worker, "simulate", counted)
    with pytest.warns(SweepWarning, match=f"{table}/{part.name}"):
        again = run(out, monthly=True)
    assert sorted(calls) == sorted(in_part) and calls
    assert (out / "damaged" / table / part.name).exists()
    pd.testing.assert_frame_equal(again, clean)
    pd.testing.assert_frame_equal(load_results(out, monthly=True), clean_monthly)
    verdict = check_folder(out)
    assert verdict.complete and any("set aside in damaged/" in n for n in verdict.notes)


def test_skip_damaged_loads_the_sound_parts_and_says_which_were_skipped(folder, tmp_path):
    out, runs = folder
    work = tmp_path / "w"
    shutil.copytree(out, work)
    part = sorted((work / "runs").glob("part-*.parquet"))[3]
    lost = pq.read_table(part, columns=["run_id"]).column("run_id").to_pylist()
    part.write_bytes(part.read_bytes()[:-1])
    with pytest.warns(SweepWarning, match=f"skipped 1 file.*runs/{part.name}"):
        some = load_results(work, skip_damaged=True)
    assert sorted(some["run_id"]) == sorted(set(runs["run_id"]) - set(lost))


def test_parts_written_without_checksums_load_with_a_warning_and_new_parts_carry_them(tmp_path):
    out = tmp_path / "old"
    runs = run(out, flush_seconds=1e-6)
    shutil.rmtree(out / "checksums")  # as an lcsim before checksums wrote it
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["checksums"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.warns(SweepWarning, match="without checksums"):
        pd.testing.assert_frame_equal(load_results(out), runs)
    verdict = check_folder(out)
    assert verdict.complete and any("carry no checksum" in n for n in verdict.notes)
    # The values of an old part are still checked against the design.
    first = sorted((out / "runs").glob("part-*.parquet"))[0]
    kept = first.read_bytes()
    _edit(first, "control", lambda v: 0.5)
    assert not check_folder(out).ok
    first.write_bytes(kept)
    # A resume records from which part on checksums are written; the missing runs' parts carry them.
    *kept_parts, last = sorted((out / "runs").glob("part-*.parquet"))
    last.unlink()
    with pytest.warns(SweepWarning, match="without checksums"):
        again = run(out)
    pd.testing.assert_frame_equal(again, runs)
    start = json.loads((out / "manifest.json").read_text())["checksums"]["from_part"]
    assert start == store_files.part_number(kept_parts[-1]) + 1
    assert store_files.checksum_problem(out / "runs" / f"part-{start:06d}.parquet") is None
    assert store_files.checksum_problem(out / "design.parquet") is None  # vouched for: equal to the design drawn
    # ... and from then on a part that lost its checksum is damage, not age.
    (out / "checksums" / "runs" / f"part-{start:06d}.parquet.sha256").unlink()
    assert any("checksum file is missing" in p for p in check_folder(out).problems)


@pytest.mark.parametrize("fail_at", [1, 2, 3])
def test_a_crash_while_a_part_is_rewritten_never_leaves_it_without_its_checksum(folder, tmp_path, monkeypatch,
                                                                                 fail_at):
    out, runs = folder
    work = tmp_path / "w"
    shutil.copytree(out, work)
    part = sorted((work / "runs").glob("part-*.parquet"))[0]
    table = pq.read_table(part)
    calls, real = [], os.replace

    def crashing(src, dst):
        calls.append(dst)
        if len(calls) == fail_at:
            raise OSError("power cut")
        return real(src, dst)

    monkeypatch.setattr(store_files.os, "replace", crashing)
    with pytest.raises(OSError, match="power cut"):  # a rewrite (as harmonize or --retry-failed do)
        store_files.checked_write(part, lambda tmp: pq.write_table(table.replace_schema_metadata(
            {**table.schema.metadata, b"x": b"1"}), tmp))
    monkeypatch.setattr(store_files.os, "replace", real)
    assert check_folder(work).complete, fail_at
    pd.testing.assert_frame_equal(load_results(work), runs)


def test_a_checksum_whose_part_never_landed_is_ignored_and_removed_on_resume(folder, tmp_path):
    out, runs = folder
    work = tmp_path / "w"
    shutil.copytree(out, work)
    orphan = work / "checksums" / "runs" / "part-000099.parquet.sha256"
    orphan.write_text(f"{'0' * 64}  runs/part-000099.parquet\n")
    assert check_folder(work).complete
    pd.testing.assert_frame_equal(run(work, monthly=True), runs)
    assert not orphan.exists()


def test_adopting_parts_written_without_checksums_keeps_them_and_checks_the_new_ones(tmp_path):
    out = tmp_path / "a"
    runs = run(out, flush_seconds=1e-6)
    shutil.rmtree(out / "checksums")
    (out / "manifest.json").unlink()
    *kept, last = sorted((out / "runs").glob("part-*.parquet"))
    last.unlink()
    with pytest.warns(SweepWarning, match="without checksums"):
        again = sweep(exp_c(), out, workers=1, progress=False, adopt=True)
    pd.testing.assert_frame_equal(again, runs)
    start = json.loads((out / "manifest.json").read_text())["checksums"]["from_part"]
    assert start == store_files.part_number(kept[-1]) + 1
    verdict = check_folder(out)
    assert verdict.complete and verdict.verified == 2  # the design and the one new part


def test_lcsim_analyze_refuses_a_damaged_part_in_one_line_and_skips_it_when_asked(folder, tmp_path):
    out, _ = folder
    work = tmp_path / "w"
    shutil.copytree(out, work)
    part = sorted((work / "runs").glob("part-*.parquet"))[2]
    part.write_bytes(part.read_bytes()[:-1])
    code = subprocess.run([sys.executable, "-m", "lcsim", "analyze", str(work), "--out", str(tmp_path / "a")],
                          capture_output=True, text=True)
    assert code.returncode == 2 and code.stderr.strip().count("\n") == 0 and part.name in code.stderr
    assert not (tmp_path / "a").exists()
    skipped = subprocess.run([sys.executable, "-m", "lcsim", "analyze", str(work), "--out", str(tmp_path / "b"),
                              "--skip-damaged"], capture_output=True, text=True)
    assert skipped.returncode == 0, skipped.stderr
    assert f"runs/{part.name}" in skipped.stderr and skipped.stderr.startswith("lcsim: warning: ")
