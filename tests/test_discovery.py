"""Scenario discovery (`lcsim discover`, analysis/discovery.py): PRIM and CART through EMA Workbench.

A known answer first (PRIM recovers a box planted in synthetic data), then the one-line refusals,
then the command and `lcsim analyze` on small real sweeps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ema_workbench", reason="scenario discovery needs the discover extra (ema-workbench)")

from lcsim.analysis.discovery import FIGURES, MARKDOWN, MIN_RUNS, TABLES, discover  # noqa: E402
from lcsim.errors import UsageError  # noqa: E402

INPUTS = ["a", "b", "c", "d"]


def planted(n=2000, noise=0.05, seed=1) -> tuple[pd.DataFrame, np.ndarray]:
    """Uniform inputs; a run collapses inside the box a > 0.7 and b < 0.4; a share `noise` of labels flipped."""
    rng = np.random.default_rng(seed)
    x = pd.DataFrame({name: rng.uniform(size=n) for name in INPUTS})
    inside = ((x["a"] > 0.7) & (x["b"] < 0.4)).to_numpy()
    collapsed = inside ^ (rng.uniform(size=n) < noise)
    return x.assign(survived=~collapsed), inside


def test_prim_recovers_a_planted_box_its_limits_coverage_and_density():
    runs, inside = planted()
    found = discover(runs, inputs=INPUTS, draw=False)
    collapsed = ~runs["survived"].to_numpy()
    # What the planted box itself scores on these data: the answer PRIM should come near.
    coverage = (collapsed & inside).sum() / collapsed.sum()
    density = collapsed[inside].mean()
    assert set(found.restricted) == {"a", "b"}, found.limits
    limits = found.limits.set_index("input")
    assert abs(limits.loc["a", "low"] - 0.7) < 0.05 and limits.loc["a", "high"] > 0.99
    assert abs(limits.loc["b", "high"] - 0.4) < 0.05 and limits.loc["b", "low"] < 0.01
    assert abs(found.coverage - coverage) < 0.08 and abs(found.density - density) < 0.05
    assert limits.loc["a", "qp_low"] < 0.001 and limits.loc["b", "qp_high"] < 0.001
    assert pd.isna(limits.loc["a", "qp_high"]) and pd.isna(limits.loc["c", "qp_low"])
    # The trajectory: it starts from every run and shrinks; the chosen step is the rule's first maximum.
    t = found.trajectory
    assert t.iloc[0][["coverage", "mass"]].tolist() == [1.0, 1.0] and t.iloc[0]["restricted"] == 0
    assert (np.diff(t["mass"]) <= 0).all() and found.chosen == int(t["score"].to_numpy().argmax())
    assert found.base_rate == pytest.approx(collapsed.mean())
    assert found.sentence.startswith("Communities collapse mostly when a is at least 0.7") or \
        found.sentence.startswith("Communities collapse mostly when b is at most 0.4"), found.sentence
    assert f"{found.coverage:.0%} of collapses" in found.sentence and f"{found.density:.0%} of runs" in found.sentence
    # CART's densest leaf lies inside the planted box and predicts collapse.
    best = found.rules.iloc[0]
    rule = best["rule"]
    assert best["predicts"] and ("a > 0.69" in rule or "a > 0.7" in rule) and "b <= " in rule, found.rules.head()
    # Another box picked by hand: an earlier, larger one on the trajectory.
    earlier = discover(runs, inputs=INPUTS, box=5, draw=False)
    assert earlier.chosen == 5 and earlier.mass > found.mass and earlier.coverage >= found.coverage


def test_the_survival_target_and_a_choice_peeled_as_levels():
    rng = np.random.default_rng(4)
    n = 1200
    runs = pd.DataFrame({"control": rng.uniform(size=n), "aspiration": rng.uniform(size=n),
                         "exit_strategy": rng.choice(["phase_out", "phase_over", "phase_down"], size=n)})
    survives = (runs["control"] < 0.5) & (runs["exit_strategy"] == "phase_over")
    runs["survived"] = survives ^ (rng.uniform(size=n) < 0.03)
    found = discover(runs, target="survival", inputs=["control", "aspiration", "exit_strategy"])
    limits = found.limits.set_index("input")
    assert found.categorical == ["exit_strategy"] and limits.loc["exit_strategy", "levels"] == "phase_over"
    assert abs(limits.loc["control", "high"] - 0.5) < 0.05 and "aspiration" not in found.restricted
    assert found.sentence.startswith("Communities survive mostly when") and "exit_strategy is phase_over" in \
        found.sentence
    assert list(found.figures) == list(FIGURES) and all(hasattr(f, "savefig") for f in found.figures.values())
    markdown = found.to_markdown()
    assert "| exit_strategy | phase_over |" in markdown and "quasi-p" in markdown and "![discovery-box]" in markdown


@pytest.mark.parametrize("change, words", [
    (lambda r: r.assign(survived=True), ["'survived' is the same in every one of the 2000", "no collapses"]),
    (lambda r: r.head(MIN_RUNS - 1), [f"at least {MIN_RUNS} completed runs", f"has {MIN_RUNS - 1}"]),
    (lambda r: r.assign(a=0.5, b=0.5, c=0.5, d=0.5), ["varies no inputs"]),
    (lambda r: r.assign(survived=r["a"]), ["'survived' is not a yes/no outcome"]),
    (lambda r: r.assign(error=np.where(r.index < 1990, "boom", None)), [f"at least {MIN_RUNS}", "has 10"]),
])
def test_nothing_to_discover_is_refused_in_one_line(change, words):
    runs, _ = planted()
    with pytest.raises(UsageError) as err:
        discover(change(runs), inputs=INPUTS, draw=False)
    message = str(err.value)
    assert "\n" not in message and all(w in message for w in words), message


def test_an_unknown_target_outcome_or_box_is_refused():
    runs, _ = planted()
    for kwargs, word in [({"target": "death"}, "collapse, survival"), ({"outcome": "alive"}, "'alive'"),
                         ({"box": 999}, "steps 0 to")]:
        with pytest.raises(UsageError, match=word):
            discover(runs, inputs=INPUTS, draw=False, **kwargs)


# --- on real sweeps, through the command line -------------------------------------------------------

def small_sweep(folder, name, samples, fixed, vary):
    import lcsim

    experiment = {"name": name, "design": "lhs", "samples": samples, "replicates": 1, "root_seed": 7,
                  "fixed": {"months": 24, "exit_month": 12, **fixed}, "vary": vary}
    lcsim.sweep(experiment, folder, workers=1, progress=False)
    return folder


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory):
    # 60 runs of 10 members: about a third collapse, mostly at high aspiration.
    return small_sweep(tmp_path_factory.mktemp("discover") / "sweep", "tiny-discover", 60, {"n_members": 10},
                       {"aspiration": [0.2, 1.0], "meeting_interval": [1, 8]})


def test_discover_writes_its_tables_figures_and_markdown_and_prints_the_sentence(sweep_folder, tmp_path, capsys):
    import lcsim
    from lcsim.cli import main

    runs = lcsim.load_results(sweep_folder)
    assert len(runs) == 60 and 0 < runs["survived"].mean() < 1
    assert main(["discover", str(sweep_folder)]) == 0
    out = capsys.readouterr().out
    written = sweep_folder / "discovery"
    assert sorted(p.name for p in written.iterdir()) == sorted([*TABLES, *FIGURES, MARKDOWN])
    assert out.startswith("Communities collapse mostly when") and "| input | in the box |" in out
    assert f"wrote {written}/: " in out and "discovery-tradeoff.png" in out
    box = pd.read_csv(written / "discovery_box.csv")
    assert set(box["input"]) == {"aspiration", "meeting_interval"} and box["restricted"].any()
    assert (written / MARKDOWN).read_text(encoding="utf-8").splitlines()[2] == out.splitlines()[0]
    # The other target, elsewhere.
    assert main(["discover", str(sweep_folder), "--target", "survival", "--out", str(tmp_path / "s")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(("Communities survive mostly when", "No region")) and (tmp_path / "s" / MARKDOWN).is_file()


def test_discover_refuses_a_constant_outcome_or_a_folder_that_is_not_a_sweep(tmp_path, capsys):
    from lcsim.cli import main

    # The convener stays and members expect little: every community survives.
    folder = small_sweep(tmp_path / "constant", "tiny-constant", 20, {"n_members": 30, "exit_strategy": "stay"},
                         {"aspiration": [0.0, 0.1], "meeting_interval": [1, 3]})
    assert main(["discover", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lcsim discover: error: outcome 'survived' is the same in every one of the 20") and \
        "\n" not in err
    assert not (folder / "discovery").exists()
    assert main(["discover", str(tmp_path / "nowhere")]) == 2
    assert "no such folder" in capsys.readouterr().err and not (tmp_path / "nowhere").exists()


def test_analyze_adds_the_discovery_to_its_files_and_summary(sweep_folder, tmp_path):
    import lcsim

    analysis = lcsim.analyze(sweep_folder, out=tmp_path / "analysis")
    for name in [*TABLES, *FIGURES]:
        assert name in analysis.files and (tmp_path / "analysis" / name).is_file()
    assert "heatmaps.png" in analysis.files and "tipping_points.csv" in analysis.files  # what it wrote before
    summary = analysis.summary
    assert "## Scenario discovery: where do communities collapse?" in summary
    assert summary.index("## Scenario discovery") < summary.index("## Figures")
    assert "![discovery-tree](discovery-tree.png)" in summary


def test_the_cart_tree_is_the_same_on_every_run_of_the_same_data():
    """Two inputs that carry the same information tie at every split; scikit-learn breaks ties by chance
    unless its random_state is fixed, so without a seed the rules changed from run to run."""
    runs, _ = planted(n=600, seed=3)
    runs = runs.assign(a_again=runs["a"], b_again=runs["b"])
    inputs = ["a", "a_again", "b", "b_again", "c"]
    found = [discover(runs, inputs=inputs, draw=False, seed=5) for _ in range(6)]
    assert all(f.rules.equals(found[0].rules) and f.tree == found[0].tree for f in found)
    # the seed does decide the ties: some seed picks the other copy somewhere in the tree
    others = {discover(runs, inputs=inputs, draw=False, seed=s).tree for s in range(8)}
    assert len(others) > 1


def test_a_missing_extra_is_one_line_before_any_work(tmp_path, capsys, monkeypatch):
    from lcsim import extras
    from lcsim.cli import main

    monkeypatch.setitem(extras.EXTRAS, "discover", (("no_such_module_xyz",), "lcsim discover"))
    code = main(["discover", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "pip install 'lcsim[discover]'" in err
    assert not (tmp_path / "x").exists()
