import pyarrow as pa
import pytest

import fraudgraph


@pytest.fixture(scope="package")
def small_dataset():
    """fraud_heavy at 3000 persons over 40 days (seeded), with enough listed companies to trade."""
    scenario = fraudgraph.Scenario.from_preset("fraud_heavy").override({"companies.listed_share": 0.25})
    return fraudgraph.generate(scenario, seed=5, persons=3000, days=40)


@pytest.fixture(scope="package")
def tx_windows(small_dataset):
    """The transactions stream of ``small_dataset``: (events, truth, features) concatenated."""
    windows = list(small_dataset.timeline(streams=["transactions"]).windows())
    return (pa.concat_tables([w.events for w in windows]), pa.concat_tables([w.truth for w in windows]),
            pa.concat_tables([w.features for w in windows]))
