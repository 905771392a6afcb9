#!/usr/bin/env bash
# Regenerate results/: what the model currently says about exit strategy, timing, convening
# style and size. Runs the shipped experiments and `lcsim compare` on the default scenario,
# analyses them, and copies the findings (figures, small tables, summaries) into results/.
# The raw runs stay in out/findings/ (Parquet, not committed).
#
#   bash scripts/findings.sh            # about 6 minutes on two shared cores
#
set -euo pipefail
cd "$(dirname "$0")/.."
lcsim=${LCSIM:-.venv/bin/lcsim}
raw=out/findings
rm -rf "$raw"  # fresh runs: resuming an old folder would keep runs of an older model
mkdir -p "$raw" results

for name in exit-timing-by-style strategy-by-size control-by-strategy survival-by-size programme-spread sensitivity-morris; do
  "$lcsim" sweep "experiments/$name.toml" --out "$raw/$name"
  rm -rf "results/$name"
  "$lcsim" analyze "$raw/$name" --out "results/$name" > /dev/null
done

# Two tables the analysis does not make, from the raw runs: a programme's convened communities one by
# one, and when the communities of each size dissolved (before or after the exit).
.venv/bin/python - "$raw" <<'PY'
import sys

import lcsim

raw = sys.argv[1]
runs = lcsim.load_results(f"{raw}/programme-spread")
runs = runs.assign(convened_share=runs.convened_alive / runs.n_communities,
                   started_by_members=runs.communities_ever - runs.n_communities)
(runs.groupby(["n_communities", "exit_strategy"])
 .agg(runs=("survived", "size"), survived=("survived", "mean"), convened_alive=("convened_share", "mean"),
      started_by_members=("started_by_members", "mean"), of_them_alive=("replications_alive", "mean"),
      organisations_active=("organisations_active", "mean"))
 .round(3).to_csv("results/programme-spread/by_community.csv"))
runs = lcsim.load_results(f"{raw}/survival-by-size")
gone = runs.dissolved_month
runs = runs.assign(dissolved_by_exit=gone.notna() & (gone <= runs.exit_month),
                   dissolved_after_exit=gone.notna() & (gone > runs.exit_month))
(runs.groupby("n_members")
 .agg(runs=("survived", "size"), survived=("survived", "mean"), dissolved_by_exit=("dissolved_by_exit", "mean"),
      dissolved_after_exit=("dissolved_after_exit", "mean"), active_members=("active_members", "mean"),
      peak_members=("peak_members", "mean"))
 .round(3).to_csv("results/survival-by-size/dissolution.csv"))
PY

"$lcsim" compare --scenario default --out "$raw/compare-default" | tee "$raw/compare-default.txt"
rm -rf results/compare-default
mkdir -p results/compare-default
cp "$raw"/compare-default/{comparison.csv,survival.png,survival_curves.png,outcomes.png} results/compare-default/
cp "$raw/compare-default.txt" results/compare-default/comparison.txt
echo "results/ regenerated with lcsim $("$lcsim" --version | cut -d' ' -f2) at $(git rev-parse --short HEAD 2>/dev/null || echo "an unversioned tree")"
