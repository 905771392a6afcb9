"""Docs follow code: the generated tables in docs/model.md match the schema and constants, the
README opens with the two commands a new user copies, every source and page the code points to is
in the repository, and the licence, citation and extras agree with the package."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

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


def _tracked_files() -> list[str]:
    proc = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [name for name in proc.stdout.split("\0") if name]


# Written in two parts so that this file does not mention it itself.
DESIGN_NOTES = "DESIGN" + ".md"


def test_no_file_outside_docs_points_to_the_design_notes():
    """The design notes live outside the repository: sources are cited through docs/sources.md."""
    allowed = ("docs/", "experiments/", "results/")
    mentions = []
    for name in _tracked_files():
        path = ROOT / name
        if name.startswith(allowed) or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # images, Parquet and other binary files
            continue
        mentions += [f"{name}:{number}" for number, line in enumerate(text.splitlines(), 1)
                     if DESIGN_NOTES in line]
    assert mentions == [], f"cite docs/sources.md instead of {DESIGN_NOTES}: {', '.join(mentions)}"


DOC_PATH = re.compile(r"docs/[\w./-]*?\.md\b")


def test_every_docs_page_the_code_readme_and_pyproject_mention_exists():
    files = [ROOT / "README.md", ROOT / "pyproject.toml", *sorted((ROOT / "src").rglob("*.py")),
             *sorted((ROOT / "src").rglob("*.toml"))]
    missing = sorted({f"{path.relative_to(ROOT)}: {found}" for path in files
                      for found in DOC_PATH.findall(path.read_text(encoding="utf-8"))
                      if not (ROOT / found).is_file()})
    assert missing == [], f"these mention a page that does not exist: {missing}"


def test_licence_and_citation_agree_with_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT" and "LICENSE" in project["license-files"]
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "the lcsim authors" in licence
    citation = (ROOT / "CITATION.cff").read_text()
    assert re.search(rf'^version: "?{re.escape(project["version"])}"?$', citation, re.M)
    assert re.search(r"^cff-version: 1\.2\.0$", citation, re.M) and re.search(r"^license: MIT$", citation, re.M)


def test_the_test_extra_holds_what_the_tests_import():
    """So that no test skips for want of a package (the Parquet-clients test reads with polars and duckdb)."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    named = {re.split(r"[<>=!\[ ]", requirement, maxsplit=1)[0].lower() for requirement in extras["test"]}
    assert {"pytest", "hypothesis", "playwright", "polars", "duckdb"} <= named
    # the linter runs with the tests (`ruff check .`), so the test extra holds it; dev is the tests and more
    assert "ruff" in named and "lcsim[test]" in extras["dev"]
