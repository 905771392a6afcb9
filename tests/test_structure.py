"""The code's shape, checked so it does not drift back (issue 19): no import cycle among lcsim's modules, no
module over 500 lines, `analysis/` reads results only (it imports neither the model nor the executor), worker
processes are started in one place and nothing forks."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "lcsim"
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The lcsim modules `path` imports anywhere in it (module level or inside functions)."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if is_package else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = here[:len(here) - node.level + 1] if node.level else []
            stem = ".".join(base + ([node.module] if node.module else []))
            targets = [f"{stem}.{a.name}" for a in node.names] + [stem]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    # A package's own __init__ re-exports its modules; an edge *to* a package stands for what it re-exports, so
    # the cycle check follows edges into modules, not into package facades (`lcsim` itself is lazy).
    packages = {m for m, p in mods.items() if p.name == "__init__.py"}
    return {m: {t for t in imports(p, m, known) if t not in packages} for m, p in mods.items()
            if m not in packages}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert cycles(graph()) == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_500_lines(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_analysis_reads_results_only():
    for name, targets in graph().items():
        if name.startswith("lcsim.analysis"):
            bad = {t for t in targets if t.startswith(("lcsim.model", "lcsim.experiments.executor",
                                                       "lcsim.experiments.runner", "lcsim.studies",
                                                       "lcsim.simulation"))}
            assert not bad, f"{name} imports {sorted(bad)}"


def test_nothing_forks_and_one_place_starts_workers():
    starters = []
    for path in PACKAGE.rglob("*.py"):
        code = "\n".join(line.split("#")[0] for line in path.read_text().splitlines())
        assert 'get_context("fork")' not in code and "get_context('fork')" not in code, path
        if "ProcessPoolExecutor(" in code or "multiprocessing.Pool(" in code or "mp.Pool(" in code:
            starters.append(module_name(path))
    assert set(starters) <= {"lcsim.experiments.executor"}, starters
