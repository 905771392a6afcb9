#!/usr/bin/env bash
# Regenerate results/: what the model currently says about exit strategy, timing, convening
# style and size. Runs the shipped experiments and `lcsim compare` on the default scenario,
# analyses them, and copies the findings (figures, small tables, summaries) into results/.
# The raw runs stay in out/findings/ (Parquet, not committed).
#
#   bash scripts/findings.sh            # a few minutes on two cores
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

"$lcsim" compare --scenario default --out "$raw/compare-default" | tee "$raw/compare-default.txt"
rm -rf results/compare-default
mkdir -p results/compare-default
cp "$raw"/compare-default/{comparison.csv,survival.png,survival_curves.png,outcomes.png} results/compare-default/
cp "$raw/compare-default.txt" results/compare-default/comparison.txt
echo "results/ regenerated with lcsim $("$lcsim" --version | cut -d' ' -f2) at $(git rev-parse --short HEAD 2>/dev/null || echo "an unversioned tree")"
