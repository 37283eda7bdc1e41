"""Every ``>>>`` example in the package runs and gives what its docstring says.

Modules are imported under their installed names (``fraudgraph.patterns.kiting``,
not ``patterns.kiting``), which pytest's ``--doctest-modules`` cannot do for the
folders that install under another name.
"""

import doctest
import importlib
import pkgutil

import pytest


def _modules() -> list[str]:
    names = set()
    # fraudgraph.patterns and fraudgraph.exporters live in folders of their own: walk them by their installed names
    for package in ("fraudgraph", "fraudgraph.patterns", "fraudgraph.exporters"):
        names.add(package)
        for info in pkgutil.walk_packages(importlib.import_module(package).__path__, package + "."):
            if not info.name.endswith("__main__"):
                names.add(info.name)
    return sorted(names)


def _with_examples() -> list[str]:
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [name for name in _modules() if any(t.examples for t in finder.find(importlib.import_module(name)))]


MODULES = _with_examples()


def test_the_examples_are_found():
    assert len(MODULES) >= 10
    assert {"fraudgraph", "fraudgraph.exporters", "fraudgraph.patterns.kit.timing", "fraudgraph.pipeline"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False, report=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name} (run it with -v)"
