"""Checks behind two findings in results/README.md (not part of findings.sh; ~3 minutes on 2 cores).

1. Why the smallest communities die (survival-by-size): n_members 10 and 20, abrupt exit, default
   scenario, seeds 0-99, with the lasting availability rule (docs/model.md section 8(b)) and the
   outside exit (8(d)) knocked out one at a time and together.
2. Why a programme's communities die (programme-spread): 5 communities of 150 under an abrupt exit,
   seeds 0-39, with the convener's effort at its default (100 members a month) and at 500 (the same
   effort per member as for one community).
3. Why the default community shrinks (compare-default): abrupt exit and stay, seeds 0-39, members at
   the horizon and at their peak with the outside exit (8(d)) and the growth bound (8(d)) knocked out,
   and survival with the hosting routine (8(f)) knocked out.

    .venv/bin/python results/checks/knockouts.py > results/checks/knockouts.txt
"""
import numpy as np

import lcsim


def measure(seeds, assumptions=None, **params):
    runs = [lcsim.simulate(s, assumptions=assumptions, **params).summary for s in seeds]
    alive = np.mean([r["survived"] for r in runs])
    before = np.mean([r["dissolved_month"] is not None and r["dissolved_month"] <= r_exit(params) for r in runs])
    convened = np.mean([r["convened_alive"] / params.get("n_communities", 1) for r in runs])
    return f"alive {alive:.2f}, dissolved by the exit month {before:.2f}, convened communities alive {convened:.2f}"


def r_exit(params):
    return params.get("exit_month", 36)


for n in (10, 20):
    for label, a in [("default", None), ("availability_shape=0", {"availability_shape": 0}),
                     ("outside_exit=0", {"outside_exit": 0}),
                     ("both", {"availability_shape": 0, "outside_exit": 0})]:
        print(f"n_members={n}, {label}: {measure(range(100), a, n_members=n)}")
for effort in (100, 500):
    print(f"n_communities=5, convener_effort={effort}: "
          f"{measure(range(40), n_communities=5, convener_effort=effort)}")
for strategy in ("stay", "phase_out"):
    for label, a in [("default", None), ("outside_exit=0", {"outside_exit": 0}),
                     ("growth_bound=0", {"growth_bound": 0}), ("routine_learning=0", {"routine_learning": 0})]:
        runs = [lcsim.simulate(s, assumptions=a, exit_strategy=strategy).summary for s in range(40)]
        print(f"{strategy}, {label}: members at the horizon {np.mean([r['active_members'] for r in runs]):.1f},"
              f" peak {np.mean([r['peak_members'] for r in runs]):.1f},"
              f" alive {np.mean([r['survived'] for r in runs]):.2f}")
