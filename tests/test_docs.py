"""Docs follow code: the generated tables in docs/model.md match the schema and constants, and the
README opens with the two commands a new user copies."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_model_doc_tables_match_the_code():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "model_doc.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_model_doc_mentions_every_parameter_and_the_odd_sections():
    from lcsim.parameters import SCHEMA

    text = (ROOT / "docs" / "model.md").read_text()
    for name in SCHEMA:
        assert f"`{name}`" in text
    for heading in ("Purpose", "Entities, state variables", "Process overview", "Design concepts",
                    "Initialization", "Input data", "Submodels"):
        assert heading in text


def test_readme_opens_with_the_install_and_run_and_the_test_commands():
    lines = (ROOT / "README.md").read_text().splitlines()
    block = lines[lines.index("```bash") + 1: lines.index("```bash") + 3]
    assert block[0].endswith("lcsim run") and "pip install" in block[0]
    assert "pytest" in block[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert block[1] in ci  # CI runs exactly the README's test command
