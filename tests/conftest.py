import pytest

import fraudgraph

#: Real servers started on loopback ports for the sinks' tests.
pytest_plugins = ["servers.bolt"]


@pytest.fixture(scope="session")
def small_dataset():
    """A small but complete world: every node and edge type is present."""
    return fraudgraph.generate("demo", seed=7, persons=600)


@pytest.fixture(scope="session")
def written(small_dataset, tmp_path_factory):
    """The small dataset written in every format."""
    out = tmp_path_factory.mktemp("written") / "ds"
    small_dataset.write(out, formats=["jsonl", "csv", "parquet"])
    return out


@pytest.fixture(autouse=True)
def _registries_as_they_were():
    """Whatever a test registers (formats, typologies) is gone before the next test."""
    from fraudgraph.exporters import base as exporters
    from fraudgraph.patterns import base as patterns

    patterns._load()
    saved = dict(exporters._registry), dict(patterns._registry)
    yield
    for registry, before in zip((exporters._registry, patterns._registry), saved):
        registry.clear()
        registry.update(before)
