import networkx as nx
import numpy as np
import pytest

from lcsim.model import kernels
from lcsim.model.exits import ExitPlan
from lcsim.model.ties import Ties


@pytest.mark.parametrize("strategy", ["stay", "phase_out", "phase_down", "phase_over"])
def test_exit_schedules(strategy):
    plan = ExitPlan(strategy, exit_month=24, transition_months=6)
    intensity = np.array([plan.intensity(t) for t in range(40)])
    handover = np.array([plan.handover(t) for t in range(40)])
    assert ((0 <= intensity) & (intensity <= 1)).all() and ((0 <= handover) & (handover <= 1)).all()
    if strategy == "stay":
        assert (intensity == 1).all() and (handover == 0).all() and not plan.gone(39)
        return
    assert (intensity[:18] == 1).all() and (intensity[24:] == 0).all()
    assert plan.gone(24) and not plan.gone(23)
    if strategy == "phase_down":
        taper = intensity[18:24]
        assert (np.diff(taper) < 0).all() and 0 < taper[-1] < 1
    else:
        assert (intensity[18:24] == 1).all()
    if strategy in ("phase_down", "phase_over"):  # both gradual exits hand over as they go
        assert handover[17] == 0 and (np.diff(handover[18:24]) > 0).all() and handover[24] == 1
    else:
        assert (handover == 0).all()


def test_ties_strengthen_form_decay_and_are_forgotten():
    ties = Ties()
    value = lambda a, b: np.full(len(a), 0.5)  # noqa: E731
    ties.interact(np.array([0, 1, 1]), np.array([1, 0, 2]), np.array([0.2, 0.4, 0.3]), value)
    assert len(ties) == 2  # (0,1) twice, keeping the larger gain, and (1,2)
    assert np.allclose(sorted(ties.strength), [0.3, 0.4])
    ties.interact(np.array([0]), np.array([1]), np.array([0.5]), value)
    s01 = ties.strength[(ties.a == 0) & (ties.b == 1)][0]
    assert np.isclose(s01, 0.4 + 0.5 * 0.6)
    ties.touched[:] = False
    for _ in range(60):
        ties.decay(0.2)
    assert len(ties) == 2 and (ties.strength < 0.05).all()  # faded, but forgotten only when noticed
    ties.forget()
    assert len(ties) == 0


def test_largest_component_matches_networkx():
    rng = np.random.default_rng(5)
    ties = Ties()
    n = 300
    i, j = rng.integers(0, n, 280), rng.integers(0, n, 280)
    ties.interact(i, j, np.full(len(i), 0.5), lambda a, b: np.zeros(len(a)))
    members = np.flatnonzero(rng.random(n) < 0.8)
    graph = nx.Graph()
    graph.add_nodes_from(members.tolist())
    keep = np.isin(ties.a, members) & np.isin(ties.b, members)
    graph.add_edges_from(zip(ties.a[keep].tolist(), ties.b[keep].tolist()))
    expected = max(len(c) for c in nx.connected_components(graph))
    # Ties to non-members must not bridge components among members.
    ties.drop_members(~np.isin(np.arange(n), members))
    assert kernels.largest_component(ties.a, ties.b, members, n) == expected


def test_member_arrays_grow_in_place_in_buffers_with_room():
    """`with_room`: an array that heads its buffer grows into it (no copy); one replaced by a rule (not a head), or
    a full buffer, moves into a new buffer holding its values first."""
    from lcsim.model.members import with_room

    buffers = {}
    values = np.arange(3.0)
    first = with_room(values, buffers, "x", 2)
    assert len(first) >= 5 and list(first[:3]) == [0.0, 1.0, 2.0]
    head = first[:5]
    assert with_room(head, buffers, "x", 10) is first  # room left: the same buffer
    assert with_room(head.copy(), buffers, "x", 1) is not first  # not its head (a rule replaced it): copied
    grown = with_room(buffers["x"][:5], buffers, "x", len(buffers["x"]))  # no room: a larger buffer, values kept
    assert len(grown) >= 2 * (5 + 64) - 1 and list(grown[:3]) == [0.0, 1.0, 2.0]
