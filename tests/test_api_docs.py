"""The API reference builds from the docstrings of every public name, strictly (no unresolved reference)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_api_reference_builds_and_covers_the_public_names(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "api_docs.py"), "--out", str(tmp_path / "site")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    pages = "".join(p.read_text() for p in (tmp_path / "site").rglob("index.html"))
    for name in ("simulate", "sweep", "load_results", "compare", "advise", "analyze", "discover",
                 "LearningCommunity", "Assumptions", "LcsimError"):
        assert f"lcsim.{name}" in pages, name
