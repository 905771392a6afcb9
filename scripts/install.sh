#!/usr/bin/env bash
# Install lcsim with everything its tests need into ./.venv: Python 3.12 (see .python-version),
# the package with its test, cluster and app extras, and Debian's Chromium for the browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=python3
if ! $PY -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  PY=""
  for candidate in python3.12 python3.13 "$HOME"/.pyenv/versions/3.12*/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1; then PY=$candidate; break; fi
  done
  [ -n "$PY" ] || { echo "install.sh: lcsim needs Python >= 3.12 and none was found" >&2; exit 1; }
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q -e ".[test]"
# The app's browser test drives Debian's Chromium (no browser download works offline).
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "install.sh: could not install chromium; the browser test will fail" >&2
fi
