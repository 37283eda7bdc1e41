import csv
import json

import pytest

import fraudgraph

#: Real servers started on loopback ports for the sinks' tests.
pytest_plugins = ["servers.bolt", "servers.kafka", "servers.postgres", "servers.s3"]


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


@pytest.fixture(scope="session")
def event_world():
    """A small fraud-heavy world whose events (transactions, sessions) go into graph databases."""
    return fraudgraph.generate("fraud_heavy", seed=8, persons=300, days=12)


def _read_payloads(folder, kind: str) -> list[dict]:
    """The payloads of every event of ``kind`` in a dataset's CSV parts, read with the csv module and json."""
    rows = []
    for path in sorted((folder / "events").glob("part-*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            rows += [json.loads(r["payload"]) for r in csv.DictReader(fh) if r["event_type"] == kind]
    return rows


@pytest.fixture(scope="session")
def payloads():
    """``payloads(folder, kind)``: the written events' payloads, read without fraudgraph's reader."""
    return _read_payloads


def _fraud_transactions(folder) -> set[str]:
    """Transaction ids whose initiation the truth flags as fraud, read with the csv module."""
    flagged = set()
    for path in sorted((folder / "truth" / "events").glob("part-*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            flagged |= {r["event_id"] for r in csv.DictReader(fh) if r["is_fraud"] == "true"}
    ids = set()
    for path in sorted((folder / "events").glob("part-*.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            ids |= {json.loads(r["payload"])["transaction_id"] for r in csv.DictReader(fh)
                    if r["event_type"] == "transaction-initiated" and r["event_id"] in flagged}
    return ids


@pytest.fixture(scope="session")
def fraud_transactions():
    """``fraud_transactions(folder)``: ids of the transactions the written truth flags as fraud."""
    return _fraud_transactions


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
