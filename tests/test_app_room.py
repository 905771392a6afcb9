"""The trainer's room without a browser: two plans in lockstep, rewind, branch, a dissolved community,
the projector's font sizes and the session record (round trip, replay, debrief)."""

from __future__ import annotations

import json
import math
import re
import socket
from types import SimpleNamespace

import numpy as np
import pytest

from lcsim.app.app import CHARTS_ONE, CHARTS_TWO, DPI, NETWORK_ONE, NETWORK_TWO
from lcsim.app.charts import Charts, min_text_px
from lcsim.app.network import NetworkLayout, NetworkPicture
from lcsim.app.room import BRANCH, PLANS, SINGLE, TWO_PLANS, Room, Run, RunSpec
from lcsim.app.session import debrief_html, load_session, months_shown, session_json, session_record, start_room
from lcsim.app.view import ALL_TIES_UP_TO, community_group, first_community_rows, strongest, strongest_per_member
from lcsim.cli import main
from lcsim.errors import UsageError
from lcsim.scenarios import scenario_params

MONTHS = 40


def room(preset="default", seed=1, **changes) -> Room:
    r = Room(preset, {**scenario_params(preset), "months": MONTHS, "exit_month": 24, **changes}, seed)
    r.start()
    return r


def same_group(g, h) -> bool:
    return all(np.array_equal(getattr(g, f), getattr(h, f)) for f in
               ("rows", "pos", "sector", "capacity", "leader", "tie_a", "tie_b", "tie_strength", "attendees")) \
        and g.host == h.host and g.ties_total == h.ties_total


# -- two plans in lockstep ------------------------------------------------------------------------
def test_two_plans_start_identical_and_advance_in_lockstep():
    r = room()
    r.start(mode=TWO_PLANS, plans=(PLANS_NAMED("phase_out"), PLANS_NAMED("phase_over")))
    a, b = r.views()
    assert a.month == b.month == 0 and same_group(a.group, b.group), "month 0 must be the same community"
    assert a.records[0] == b.records[0]
    for month in range(1, MONTHS + 1):
        assert r.step()
        a, b = r.views()
        assert a.month == b.month == month == r.shown
    assert not r.step(), "no step past the horizon"
    ra, rb = (run.model.records for run in r.runs)
    # Same seed, per-mechanism streams: identical until the handover starts (exit 24 - 12 months).
    start = 24 - r.params["transition_months"]
    assert ra[:start] == rb[:start]
    assert ra[-1] != rb[-1]
    d = r.difference()
    assert d["members"] == b.members - a.members and d["ties"] == b.ties - a.ties


def PLANS_NAMED(strategy: str) -> str:
    return next(name for name, change in PLANS.items() if change == {"exit_strategy": strategy})


def test_switching_a_plan_restarts_both_runs_from_month_0_on_the_same_seed():
    r = room(seed=3)
    r.start(mode=TWO_PLANS)
    for _ in range(10):
        r.step()
    r.start(plans=(r.plans[0], "control 0.8 (keeps the floor)"))
    assert r.shown == 0 and all(run.month == 0 for run in r.runs)
    assert r.runs[1].spec.params["control"] == 0.8 and r.runs[0].spec.seed == r.runs[1].spec.seed == 3
    with pytest.raises(UsageError, match="plan 'nothing'"):
        r.start(plans=(r.plans[0], "nothing"))


# -- rewind and branch --------------------------------------------------------------------------
def test_rewinding_shows_what_was_shown_and_a_replay_from_month_0_gives_it_again():
    r = room(seed=2)
    first = {}
    for _ in range(20):
        r.step()
        first[r.shown] = r.views()[0].status
    r.step_back("phase_out")  # month 20 was shown again after the button: that is what it showed last
    first[20] = r.views()[0].status
    for month in (3, 11, 20, 0):
        r.show(month)
        assert r.views()[0].status == first.get(month, r.views()[0].status) and r.shown == month
    r.show(99)
    assert r.shown == 20, "the timeline ends at the last month run"
    again = Run(RunSpec("again", "default", r.params, 2, events=list(r.runs[0].spec.events)))
    again.reach(20)
    for month, status in first.items():
        assert again.view(month).status == status
        assert same_group(again.view(month).group, r.runs[0].view(month).group)
    # Stepping on from a rewound month replays the stored months, then simulates new ones.
    r.show(18)
    r.step()
    assert r.views()[0].status == first[19]


def test_a_branch_is_an_exact_copy_up_to_its_month_then_the_convener_steps_back():
    r = room(seed=4)
    for _ in range(20):
        r.step()
    r.show(10)
    r.branch("phase_over")
    assert r.mode == BRANCH and r.shown == 10
    original, branch = r.runs
    assert branch.model.records == original.model.records[:11]
    for month in range(10):
        assert branch.view(month).status == original.view(month).status
        assert same_group(branch.view(month).group, original.view(month).group)
    assert branch.view(10).stepped_back_at == 10 and original.view(10).stepped_back_at is None
    for _ in range(15):
        r.step()
    a, b = r.views()
    assert a.month == b.month == 25 and b.plan.strategy == "phase_over"
    assert original.month == 25 and branch.month == 25
    with pytest.raises(UsageError):
        r.branch("phase_out")  # only from one community
    r.start(mode=SINGLE)
    assert r.mode == SINGLE and r.shown == 0


def test_the_button_and_the_branch_refuse_what_cannot_happen():
    r = room()
    for _ in range(5):
        r.step()
    r.show(2)
    assert not r.can_step_back(), "stepping back at a rewound month is a branch, not the button"
    with pytest.raises(UsageError):
        r.step_back("phase_out")
    r.show(5)
    r.step_back("phase_out")
    r.step()
    with pytest.raises(UsageError, match="already gone"):
        r.branch("phase_over")


# -- a dissolved community ------------------------------------------------------------------------
def dissolved_room() -> Room:
    r = room("fragile", seed=0, exit_month=12)
    while r.step():
        pass
    assert r.views()[0].dissolved_month is not None
    return r


def test_a_dissolved_community_shows_no_ties_and_its_tie_measures_are_gaps():
    r = dissolved_room()
    view = r.views()[0]
    k = view.dissolved_month
    assert view.ties == 0 and len(view.group.tie_a) == 0 and len(view.group.rows) == 0
    assert f"dissolved at month {k}" in view.status and "no ties" in view.status and "nan" not in view.status
    charts = Charts(MONTHS)
    charts.draw([view])
    share = next(line for line in charts.axes[2].get_lines() if len(line.get_xdata()) == MONTHS + 1)
    y = np.asarray(share.get_ydata(), float)
    assert np.isnan(y[k:]).all(), "after dissolution the share of ties across sectors is a gap, not a climb"
    assert not np.isnan(y[:k]).any()
    picture = NetworkPicture((300, 300))
    picture.draw(view)
    texts = [t.get_text() for t in picture.ax.texts]
    assert any(f"dissolved at month {k}" in t for t in texts)
    assert all(len(c.get_segments()) == 0 for c in picture.ax.collections if hasattr(c, "get_segments"))


# -- readable at 1,000 members; projector sizes -------------------------------------------------------
def test_at_1000_members_only_each_members_strongest_ties_are_drawn():
    r = room("large", seed=1)
    for _ in range(12):
        r.step()
    view = r.views()[0]
    g = view.group
    assert g.ties_total > ALL_TIES_UP_TO and len(g.tie_a) < g.ties_total  # past the rule's threshold: it applies
    assert strongest_per_member(len(g.rows)) == 1 and len(g.tie_a) <= len(g.rows)
    assert "strongest tie" in g.ties_rule and f"of {g.ties_total:,}" in g.ties_rule


def test_strongest_keeps_the_top_ties_of_each_end():
    ties = [(0, 1, .9), (0, 2, .1), (0, 3, .5), (0, 4, .3), (1, 2, .8), (1, 3, .7), (2, 3, .6), (2, 4, .95),
            (3, 4, .85)]
    a, b, s = (np.array(x) for x in zip(*ties))
    kept = {(int(i), int(j)) for i, j, k in zip(a, b, strongest(a, b, s, 2)) if k}
    assert kept == {(0, 1), (0, 3), (1, 2), (2, 4), (3, 4), (1, 3)}


def test_the_picture_ignores_ties_of_rows_it_cannot_place():
    model = SimpleNamespace(
        members=SimpleNamespace(active=np.array([True, True, True]), sector=np.array([0, 1, 2]),
                                capacity=np.array([0.5, 0.5, 0.5]), leader=np.array([False, True, False])),
        ties=SimpleNamespace(a=np.array([0, 1, 2, 7]), b=np.array([1, 2, 9, 8]), strength=np.ones(4)),
        last_host=SimpleNamespace(local=True, row=12), last_attendees=np.array([0, 5, 40]))
    g = community_group(model, np.zeros((2, 2)))  # the layout has placed rows 0 and 1 only
    assert g.rows.tolist() == [0, 1] and list(zip(g.tie_a, g.tie_b)) == [(0, 1)]
    assert g.host == -1 and g.attendees.tolist() == [0]


def test_the_picture_is_the_first_community_of_a_programme_as_the_status_line_counts_it():
    model = SimpleNamespace(
        members=SimpleNamespace(active=np.array([True, True, True, False]), sector=np.array([0, 1, 2, 3]),
                                capacity=np.full(4, 0.5), leader=np.zeros(4, bool)),
        ties=SimpleNamespace(a=np.array([0, 0, 1]), b=np.array([2, 1, 3]), strength=np.ones(3)),
        communities=[SimpleNamespace(rows=np.array([0, 2, 3])), SimpleNamespace(rows=np.array([1]))],
        last_host=None, last_attendees=np.empty(0, np.int64))
    g = community_group(model, np.zeros((4, 2)), first_community_rows(model))
    assert g.rows.tolist() == [0, 2] and list(zip(g.tie_a, g.tie_b)) == [(0, 1)] and g.ties_total == 1
    r = room(seed=1)
    for _ in range(MONTHS):
        r.step()
    view = r.views()[0]
    assert len(view.group.rows) == view.members and view.group.ties_total == view.ties


@pytest.mark.parametrize("one", [True, False])
def test_chart_and_picture_text_is_at_least_14_px_at_the_design_size_and_never_clipped(one):
    r = room()
    if not one:
        r.start(mode=TWO_PLANS)
    for _ in range(30):
        r.step()
    views = r.views()
    css = CHARTS_ONE if one else CHARTS_TWO
    charts = Charts(MONTHS, size=(round(css[0] * DPI / 100), round(css[1] * DPI / 100)), runs=len(views), dpi=DPI)
    charts.png(views)
    assert charts.smallest_text_px() * css[0] / charts.fig.canvas.get_width_height()[0] >= 14
    net_css = NETWORK_ONE if one else NETWORK_TWO
    picture = NetworkPicture((round(net_css[0] * DPI / 100),) * 2, dpi=DPI)
    picture.png(r.runs[0].view(10))  # the convener is there, with its label
    assert min_text_px(picture.fig) * net_css[0] / picture.fig.canvas.get_width_height()[0] >= 14
    renderer = charts.fig.canvas.get_renderer()
    box = charts.fig.bbox
    for ax in charts.axes:  # what each panel draws: its title, ticks, labels and marks
        e = ax.get_tightbbox(renderer)
        assert box.x0 - 1 <= e.x0 and e.x1 <= box.x1 + 1 and box.y0 - 1 <= e.y0 and e.y1 <= box.y1 + 1, \
            f"the panel {ax.get_title()!r} runs off the figure"


# -- the session record -----------------------------------------------------------------------------
def session_room() -> Room:
    r = room(seed=5)
    for _ in range(8):
        r.step()
    r.step_back("phase_down")
    for _ in range(4):
        r.step()
    r.show(3)
    r.start(mode=TWO_PLANS)
    for _ in range(6):
        r.step()
    r.start(mode=SINGLE)
    for _ in range(9):
        r.step()
    r.show(4)
    r.branch("phase_over")
    for _ in range(3):
        r.step()
    r.show(5)
    return r


def test_the_session_record_round_trips_and_replays_where_the_session_left_off(tmp_path):
    r = session_room()
    path = tmp_path / "session.json"
    path.write_text(session_json(r))
    record = load_session(path)
    assert record["scenes"] == json.loads(json.dumps(r.record()))
    modes = [s["mode"] for s in record["scenes"]]
    assert modes == [SINGLE, TWO_PLANS, SINGLE, BRANCH]
    assert record["scenes"][0]["shown"] == list(range(13)) + [3]
    assert record["scenes"][0]["runs"][0]["events"] == [{"month": 8, "step_back": "phase_down"}]
    again = start_room({"LCSIM_APP_REPLAY": str(path)})
    assert again.mode == BRANCH and again.shown == 5 and again.latest == r.latest
    for month in range(again.latest + 1):
        r.show(month)
        again.show(month)
        assert [v.status for v in again.views()] == [v.status for v in r.views()]
    assert session_record(again)["scenes"][:-1] == record["scenes"][:-1]


def test_a_bad_session_record_is_one_clear_line(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    for text, message in [("{", "not JSON"), ('{"format": "other"}', "not an lcsim session record"),
                          ('{"format": "lcsim-session", "version": 1, "scenes": []}', "no scenes")]:
        bad.write_text(text)
        with pytest.raises(UsageError, match=message):
            load_session(bad)
    with pytest.raises(UsageError, match="No such file"):
        load_session(tmp_path / "missing.json")
    assert main(["app", "--replay", str(bad)]) == 2
    assert main(["report", "--session", str(tmp_path / "missing.json")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(re.match(r"lcsim (app|report): error: session record", e) for e in errors)


def test_the_debrief_is_one_self_contained_page(tmp_path, capsys):
    r = session_room()
    path = tmp_path / "room.json"
    path.write_text(session_json(r))
    assert main(["report", "--session", str(path)]) == 0
    page = (tmp_path / "room.html").read_text()
    assert "wrote" in capsys.readouterr().out
    assert page.count("<h2>Scene") == 4 and page.count("data:image/png;base64,") >= 4 + 2 * 3
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "month 8 (phase_down)" in page and "back to 3" in page
    assert debrief_html(load_session(path)) == page
    assert main(["report", "--session", str(path), "--out", str(tmp_path / "debrief")]) == 0
    assert (tmp_path / "debrief" / "debrief.html").read_text() == page


def test_months_shown_reads_like_the_session_went():
    assert months_shown([0, 1, 2, 3, 12, 13, 2, 3]) == "0-3, 12-13, back to 2-3"
    assert months_shown([5]) == "5"


def test_layout_gives_two_runs_of_one_seed_the_same_first_picture():
    r = room(seed=7)
    r.start(mode=TWO_PLANS)
    a, b = (NetworkPicture((300, 300)).png(v) for v in r.views())
    assert a == b
    assert not math.isnan(NetworkLayout(7).rng.random())


# -- the programme in view ------------------------------------------------------------------------------
def programme_room(**changes) -> Room:
    return room("mexico-csa", seed=1, **changes)


def test_a_programme_shows_every_convened_community_as_a_group_at_month_0():
    r = programme_room()
    view = r.views()[0]
    assert view.programme and len(view.groups) == 3 and all(g.origin == "convened" for g in view.groups)
    assert "3 of 3 convened communities meeting, 0 founded by members (0 alive)" in view.status
    assert [len(g.rows) for g in view.groups] == [c.n_active for c in r.runs[0].model.communities]
    assert any(g.shared.any() for g in view.groups), "shared_members=0.1: some organisations are in two"
    centres = {g.region[0] for g in view.groups}
    assert len(centres) == 3, "each community has its own region"
    picture = NetworkPicture((round(NETWORK_ONE[0] * DPI / 100),) * 2, dpi=DPI)
    picture.png(view)
    assert {"1", "2", "3"} <= {t.get_text() for t in picture.ax.texts}
    assert min_text_px(picture.fig) * NETWORK_ONE[0] / picture.fig.canvas.get_width_height()[0] >= 14


def test_a_replicated_community_appears_as_a_group_linked_to_its_parent_and_rewinds():
    r = programme_room(replication=0.3, leadership=0.3)
    counts = {}
    for _ in range(30):
        r.step()
        counts[r.shown] = len(r.views()[0].groups)
    view = r.views()[0]
    model = r.runs[0].model
    founded = [g for g in view.groups if g.origin == "replicated"]
    assert founded, "replication 0.3: members found communities"
    for g in founded:
        c = model.communities[g.index]
        assert g.parent == c.parent >= 0 and g.founder_row == c.founder and g.started == c.started
    picture = NetworkPicture((300, 300))
    picture.draw(view)
    links = [c for c in picture.ax.collections if hasattr(c, "get_segments") and len(c.get_segments()) == len(founded)
             and c.get_linestyle() != [(None, None)]]
    assert links, "a line from each founder to its parent community"
    assert any("←" in t.get_text() for t in picture.ax.texts)
    for month in (0, 10, 20, 30):
        r.show(month)
        assert len(r.views()[0].groups) == counts.get(month, 3)
        assert len(r.views()[0].groups) == len({rec["community"] for rec in model.community_records
                                                 if rec["month"] == month})
    # The communities-alive series is the model's community records, month by month.
    series = view.communities_alive
    for month, (convened, replicated) in enumerate(series):
        recs = [rec for rec in model.community_records if rec["month"] == month]
        assert convened == sum(rec["alive"] for rec in recs if rec["origin"] == "convened")
        assert replicated == sum(rec["alive"] for rec in recs if rec["origin"] == "replicated")
    charts = Charts(MONTHS, size=(round(CHARTS_ONE[0] * DPI / 100), round(CHARTS_ONE[1] * DPI / 100)), dpi=DPI,
                    programme=True)
    charts.png([view])
    scale = CHARTS_ONE[0] / charts.fig.canvas.get_width_height()[0]
    assert len(charts.axes) == 6 and charts.smallest_text_px() * scale >= 14
    lines = charts.axes[5].get_lines()
    assert [list(line.get_ydata()) for line in lines[:2]] == [[s[0] for s in series], [s[1] for s in series]]


def test_one_community_without_replication_is_drawn_as_before():
    r = room(seed=1, replication=0.0)
    for _ in range(10):
        r.step()
    view = r.views()[0]
    assert not view.programme and view.groups == () and view.ties_rule == view.group.ties_rule
    assert "convened communities" not in view.status


def test_two_plans_and_a_branch_of_a_programme():
    r = programme_room(replication=0.3, leadership=0.3)
    r.start(mode=TWO_PLANS)
    a, b = r.views()
    assert len(a.groups) == len(b.groups) == 3 and all(same_group(g, h) for g, h in zip(a.groups, b.groups))
    for _ in range(5):
        r.step()
    r.start(mode=SINGLE)
    for _ in range(20):
        r.step()
    r.show(12)
    r.branch("phase_over")
    original, branch = r.runs
    for month in range(12):
        assert all(same_group(g, h) for g, h in zip(branch.view(month).groups, original.view(month).groups))


# -- crafted session records (issue 24): nothing from a record reaches a page, every bad one is one line --
PAYLOADS = ["<script>alert(1)</script>", '" onload="alert(1)', "'><img src=x onerror=alert(1)>",
            "../../../etc/passwd", "phase_out\n<script>", "a" * 100_000]


def small_record() -> dict:
    """A record of every kind of scene (one community with a step-back, its branch, two plans), small enough to
    re-simulate at once."""
    r = Room("default", {**scenario_params("default"), "n_members": 20, "months": 12, "exit_month": 6,
                                  "transition_months": 3}, 3)
    r.start()
    for _ in range(3):
        r.step()
    r.step_back("phase_over")
    r.step()
    r.show(2)
    r.branch("phase_down")
    r.step()
    r.start(mode=TWO_PLANS)
    r.step()
    return session_record(r)


SAMPLED = ("n_members", "control", "exit_strategy")


def leaves(value, path=()):
    """Every (path, value) of a JSON document, keys of objects included (as path + ("<key>", key)); of the
    parameters, a sample of every kind, and of a list of months, the first two."""
    if isinstance(value, dict):
        for k, v in value.items():
            if path and path[-1] == "params" and k not in SAMPLED:
                continue
            yield path + (("<key>", k),), k
            yield from leaves(v, path + (k,))
    elif isinstance(value, list):
        for k, v in enumerate(value[:2] if path and path[-1] == "shown" else value):
            yield from leaves(v, path + (k,))
    else:
        yield path, value


def replaced(doc, path, new):
    doc = json.loads(json.dumps(doc))
    *parents, last = path
    target = doc
    for p in parents:
        target = target[p]
    if isinstance(last, tuple):  # rename a key
        target[new if isinstance(new, str) else str(new)] = target.pop(last[1])
    else:
        target[last] = new
    return doc


def crafted_records(base: dict) -> list[tuple[str, str]]:
    """(what, file text): every leaf and key replaced by each payload, and wrong types at every leaf; then
    huge, nested, NaN/Infinity, unknown presets and fields, and files that are not JSON at all."""
    out = []
    for path, value in leaves(base):
        for payload in PAYLOADS:
            out.append((f"{path} = {payload[:30]!r}", json.dumps(replaced(base, path, payload))))
        if not isinstance(path[-1], tuple):
            for wrong in ([], None, True, -1, 2**70, 1.5, [[[[["deep"]]]]]):
                if wrong != value or type(wrong) is not type(value):
                    out.append((f"{path} = {wrong!r}", json.dumps(replaced(base, path, wrong))))
    text = json.dumps(base)
    seed = f'"seed": {base["scenes"][0]["seed"]}'
    for literal in ("NaN", "Infinity", "-Infinity", "1e999", "9" * 5000, "-3", "1.0"):
        out.append((f"seed {literal[:12]}", text.replace(seed, f'"seed": {literal}', 1)))
    scene = base["scenes"][0]
    for preset in ("nowhere", "../default", "default.toml", "DEFAULT", "default "):
        out.append((f"preset {preset!r}", json.dumps(replaced(base, ("scenes", 0, "preset"), preset))))
    extra = dict(base, note="<script>alert(1)</script>")
    out.append(("unknown top-level field", json.dumps(extra)))
    out.append(("unknown scene field", json.dumps(replaced(base, ("scenes", 0), {**scene, "x": "<script>"}))))
    out.append(("unknown parameter", json.dumps(replaced(base, ("scenes", 0, "params"),
                                                          {**scene["params"], "<script>": 1}))))
    out.append(("huge community", json.dumps(replaced(base, ("scenes", 0, "params", "n_members"), 10**9))))
    out.append(("months shown past the horizon", json.dumps(replaced(base, ("scenes", 0, "shown"), [0, 10**6]))))
    out.append(("a million months shown", json.dumps(replaced(base, ("scenes", 0, "shown"), [0] * 1_000_000))))
    out.append(("600 scenes", json.dumps(dict(base, scenes=base["scenes"] * 200))))
    out.append(("deeply nested", "[" * 100_000 + "]" * 100_000))
    out.append(("deeply nested scenes", json.dumps(dict(base, scenes="")).replace('""', "[" * 5000 + "]" * 5000)))
    out += [("empty", ""), ("null", "null"), ("a list", "[]"), ("a string", '"lcsim-session"'),
            ("version as text", text.replace('"version": 1', '"version": "1"')),
            ("version true", text.replace('"version": 1', '"version": true')),
            ("truncated", text[: len(text) // 2]), ("binary", "\udcff\x00\x01")]
    return out


def test_crafted_session_records_never_reach_a_page_and_each_is_one_line(tmp_path, capsys):
    from lcsim.app.session import ENV_REPLAY

    base = small_record()
    records = crafted_records(base)
    assert len(records) > 400
    refused, accepted = 0, []
    with socket.socket() as busy:  # a busy port: a bad record must be reported as such, not as the port
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        for k, (what, text) in enumerate(records):
            path = tmp_path / f"record-{k}.json"
            path.write_bytes(text.encode("utf-8", "surrogateescape"))
            out = tmp_path / f"page-{k}.html"
            status = main(["report", "--session", str(path), "--out", str(out)])
            printed = capsys.readouterr()
            if status == 0:  # accepted: then the page and a record saved after replay hold none of it
                accepted.append(what)
                page = out.read_text()
                assert "<script" not in page.lower() and "onload=" not in page and "onerror=" not in page, what
                saved = session_json(start_room({ENV_REPLAY: str(path)}))
                assert "<script" not in saved and "onload" not in saved, what
                continue
            refused += 1
            lines = printed.err.strip().splitlines()
            assert status == 2 and len(lines) == 1 and lines[0].startswith("lcsim report: error: session record"), \
                (what, printed.err[-500:])
            assert "Traceback" not in printed.out + printed.err and len(lines[0]) < 400, what
            assert not out.exists(), what
            if k % 5 == 0:  # `lcsim app --replay` checks with the same loader; a sample keeps the test short
                assert main(["app", "--replay", str(path), "--port", port]) == 2, what
                lines = capsys.readouterr().err.strip().splitlines()
                assert len(lines) == 1 and lines[0].startswith("lcsim app: error: session record"), (what, lines)
            with pytest.raises(UsageError) as info:  # the page's own loader refuses it the same way
                start_room({ENV_REPLAY: str(path)})
            assert "\n" not in str(info.value)
    print(f"{len(records)} crafted records: {refused} refused in one line, {len(accepted)} accepted without a "
          f"script ({'; '.join(accepted)})")
    assert refused >= len(records) - 60


def test_a_record_is_rebuilt_from_its_checked_values_so_saving_after_replay_writes_nothing_else(tmp_path):
    base = small_record()
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(base))
    again = start_room({"LCSIM_APP_REPLAY": str(path)})
    saved = json.loads(session_json(again))
    assert saved["scenes"] == base["scenes"]
    assert set(saved) == {"format", "version", "lcsim", "saved", "scenes"}
    assert main(["report", "--session", str(path), "--out", str(tmp_path / "page.html")]) == 0
    page = (tmp_path / "page.html").read_text()
    assert page.count("<h2>Scene") == 3 and "<script" not in page


def test_a_directory_or_an_unreadable_record_is_one_line(tmp_path, capsys):
    assert main(["report", "--session", str(tmp_path)]) == 2
    assert main(["report", "--session", str(tmp_path / "none.json")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and all(e.startswith("lcsim report: error: session record") for e in errors)
