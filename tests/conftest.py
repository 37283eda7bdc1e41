import pytest

import fraudgraph


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
