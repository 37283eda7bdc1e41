import pytest

from fraudgraph.shards import write_sharded

from .world import sharded_scenario


@pytest.fixture(scope="session")
def sharded(tmp_path_factory):
    """The folder and manifest of the small sharded world, written shard after shard in this process."""
    out = tmp_path_factory.mktemp("sharded") / "one"
    manifest = write_sharded(sharded_scenario(), out, workers=1)
    return out, manifest
