"""Build the API reference from the docstrings of lcsim's public names (mkdocs + mkdocstrings).

    python scripts/api_docs.py              # builds into out/api-site (open out/api-site/index.html)
    python scripts/api_docs.py --out DIR

The pages are generated from `lcsim.__all__` at build time, each name resolved to the module that
defines it now, so the reference follows the code when a module moves. `--strict`: any reference
that does not resolve fails the build (tests/test_api_docs.py runs this, so the reference cannot rot).
"""

from __future__ import annotations

import argparse
import inspect
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What each page holds: (title, public names). Names not listed land in "Other public names".
PAGES = {
    "model": ("Running the model", ["simulate", "SimulationResult", "LearningCommunity", "Assumptions", "SCHEMA"]),
    "sweeps": ("Sweeps (researchers)", ["sweep", "load_results"]),
    "studies": ("Studies and answers (program designers)", ["compare", "Comparison", "advise", "Advice",
                                                               "posterior"]),
    "analysis": ("Analysis of results", ["analyze", "Analysis", "discover", "Discovery"]),
    "errors": ("Errors", ["LcsimError", "ParameterError", "ExperimentError", "SweepError", "OutputError",
                          "UsageError"]),
}


def where(name: str) -> str | None:
    """The dotted path of the object `lcsim.<name>` as defined now (None for plain data or modules)."""
    import lcsim

    obj = getattr(lcsim, name)
    if inspect.ismodule(obj):
        return obj.__name__
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if module and qualname and module.startswith("lcsim"):
        return f"{module}.{qualname}"
    return None


def write_sources(folder: Path) -> None:
    import lcsim

    public = [n for n in lcsim.__all__ if not n.startswith("_")]
    docs = folder / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    listed, nav = set(), []
    index = ["# lcsim API reference", "",
             f"Generated from the docstrings of lcsim {lcsim.__version__}'s public names (`lcsim.__all__`).", ""]
    pages = dict(PAGES)
    rest = [n for n in public if not any(n in names for _, names in pages.values())]
    if rest:
        pages["other"] = ("Other public names", rest)
    for slug, (title, names) in pages.items():
        body = [f"# {title}", ""]
        for name in names:
            if name not in public:
                continue
            target = where(name)
            if target is None:
                continue
            listed.add(name)
            body += [f"## `lcsim.{name}`", "", f"::: {target}", ""]
        if len(body) > 2:
            (docs / f"{slug}.md").write_text("\n".join(body))
            nav.append({title: f"{slug}.md"})
            index.append(f"- [{title}]({slug}.md)")
    (docs / "index.md").write_text("\n".join(index) + "\n")
    nav_yaml = "\n".join(f"  - '{t}': {p}" for entry in nav for t, p in entry.items())
    (folder / "mkdocs.yml").write_text(f"""site_name: lcsim API reference
docs_dir: docs
nav:
  - Home: index.md
{nav_yaml}
plugins:
  - mkdocstrings:
      handlers:
        python:
          paths: [{ROOT / 'src'}]
          options:
            show_source: false
            show_root_heading: true
            docstring_style: null
            members_order: source
            filters: ["!^_"]
""")


def build(out: Path, strict: bool = True) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        write_sources(Path(tmp))
        cmd = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(Path(tmp) / "mkdocs.yml"),
               "-d", str(out.resolve())]
        if strict:
            cmd.append("--strict")
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"api_docs: mkdocs failed:\n{done.stdout}{done.stderr}")
    return out / "index.html"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "api-site")
    args = parser.parse_args()
    print(f"API reference: {build(args.out)}")


if __name__ == "__main__":
    main()
