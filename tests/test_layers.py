"""The import rule of ../shared/DESIGN.md, checked on the source of every module.

    cli -> pipeline -> {population, patterns, timeline, exporters} -> {graph, schema, config, truth}
        -> {units, vocab, seeding, errors}

Data moves one way: a module imports only its own layer or the layers below;
the four stages never import each other; a typology module imports the pattern
base and kit, never another typology; an exporter never knows a pattern; nothing
imports the command line. Imports inside functions count too.
"""

import ast
from pathlib import Path

import pytest

import fraudgraph

ROOT = Path(fraudgraph.__file__).resolve().parents[1]
#: Where each installed package lives in the repository.
FOLDERS = {"fraudgraph": ROOT / "fraudgraph", "fraudgraph.patterns": ROOT / "patterns",
           "fraudgraph.exporters": ROOT / "exporters"}

BOTTOM = ("fraudgraph.units", "fraudgraph.stageclock", "fraudgraph.vocab", "fraudgraph.seeding", "fraudgraph.errors", "fraudgraph._version")
CORE = ("fraudgraph.graph", "fraudgraph.schema", "fraudgraph.config", "fraudgraph.truth", "fraudgraph.graphdb",
        "fraudgraph.event_graph", "fraudgraph.event_facts", "fraudgraph.event_payloads", "fraudgraph.event_tables", "fraudgraph.json_text", "fraudgraph.gnn",
        "fraudgraph.queries", "fraudgraph.casebook")
STAGES = ("fraudgraph.population", "fraudgraph.patterns", "fraudgraph.timeline", "fraudgraph.exporters")
#: Runs the stages, reads datasets back and checks them.
ORCHESTRATION = ("fraudgraph.pipeline", "fraudgraph.injection", "fraudgraph.output", "fraudgraph.dataset",
                 "fraudgraph.writing", "fraudgraph.shards",
                 "fraudgraph.loading", "fraudgraph.checks", "fraudgraph.streaming", "fraudgraph.report", "fraudgraph.remote")
TOP = ("fraudgraph.cli", "fraudgraph.__main__", "fraudgraph")
LAYERS = [BOTTOM, CORE, STAGES, ORCHESTRATION, TOP]
#: Typology helpers every typology may import.
PATTERN_KIT = ("fraudgraph.patterns.base", "fraudgraph.patterns.kit")

#: Breaks of the rule being removed (none left). A fixed one must leave this set; a new one fails.
KNOWN: set[tuple[str, str]] = set()


def _name_of(path: Path) -> str:
    for package, folder in FOLDERS.items():
        if folder in path.parents:
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            return ".".join([package, *parts])
    raise AssertionError(path)


def _modules() -> dict[str, Path]:
    found = {}
    for folder in FOLDERS.values():
        for path in folder.rglob("*.py"):
            if "scenarios" not in path.parts:
                found[_name_of(path)] = path
    return found


MODULES = _modules()


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` except those under ``if TYPE_CHECKING:`` (annotations only, never imported)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            test = getattr(child, "test", None) if isinstance(child, ast.If) else None
            if test is not None and ast.unparse(test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _imports(name: str, path: Path) -> set[str]:
    """Every fraudgraph module ``name`` imports, at any depth of its code."""
    out = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            # "from fraudgraph.vocab import pii" imports the module fraudgraph.vocab.pii
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        out |= {t for t in targets if t == "fraudgraph" or t.startswith("fraudgraph.")}
    return out - {name}


def _group(name: str, groups) -> str | None:
    return next((g for g in sorted(groups, key=len, reverse=True) if name == g or name.startswith(g + ".")), None)


def _layer(name: str) -> int:
    for i, layer in enumerate(LAYERS):
        group = _group(name, layer)
        if group is not None and (group != "fraudgraph" or name == "fraudgraph"):
            return i
    raise AssertionError(f"{name} belongs to no layer: add it to tests/test_layers.py and ../shared/DESIGN.md")


def violations() -> set[tuple[str, str]]:
    bad = set()
    for name, path in MODULES.items():
        for target in _imports(name, path):
            if target not in MODULES and not any(m.startswith(target + ".") for m in MODULES):
                continue  # a name re-exported by a package is checked at the package
            mine, theirs = _layer(name), _layer(target)
            stage, other = _group(name, STAGES), _group(target, STAGES)
            if (theirs > mine
                    or (mine == theirs == 2 and stage != other)
                    or (target == "fraudgraph.cli" and name != "fraudgraph.__main__")
                    or (stage == "fraudgraph.exporters" and other == "fraudgraph.patterns")
                    or (stage == other == "fraudgraph.patterns" and name not in PATTERN_KIT
                        and _group(target, PATTERN_KIT) is None and name != "fraudgraph.patterns")):
                bad.add((name, target))
    return bad


def test_every_module_has_a_layer():
    assert len(MODULES) > 80
    for name in MODULES:
        _layer(name)


def test_the_import_rule_holds():
    new = violations() - KNOWN
    assert not new, "imports against the layering of ../shared/DESIGN.md:\n" + "\n".join(
        f"  {a} imports {b}" for a, b in sorted(new))


def test_known_breaks_are_still_there():
    """A break that was fixed leaves KNOWN, so that it cannot come back unnoticed."""
    fixed = KNOWN - violations()
    assert not fixed, f"fixed, remove from KNOWN: {sorted(fixed)}"


def cycles() -> list[list[str]]:
    """Groups of modules that import each other, directly or around a loop (Tarjan's strongly connected components)."""
    graph = {name: sorted(t for t in _imports(name, path) if t in MODULES) for name, path in MODULES.items()}
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def test_no_import_cycles():
    assert cycles() == []


@pytest.mark.parametrize("source, target", [
    ("fraudgraph.patterns.kiting", "fraudgraph.timeline.engine"),
    ("fraudgraph.patterns.kiting", "fraudgraph.patterns.fraud_ring"),
    ("fraudgraph.exporters.csv", "fraudgraph.patterns.base"),
    ("fraudgraph.vocab.pii", "fraudgraph.schema"),
    ("fraudgraph.timeline.engine", "fraudgraph.population.world"),
    ("fraudgraph.schema", "fraudgraph.pipeline"),
    ("fraudgraph.pipeline", "fraudgraph.cli"),
])
def test_the_rule_catches_each_kind_of_break(monkeypatch, source, target):
    real = _imports

    def with_extra(name, path):
        return real(name, path) | ({target} if name == source else set())

    monkeypatch.setattr(__import__(__name__), "_imports", with_extra)
    assert (source, target) in violations()
