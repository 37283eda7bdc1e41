"""Feature matrices: training statistics only, declared categories, and nothing that names or dates a row."""

from dataclasses import replace

import numpy as np
import pytest

import fraudgraph
from fraudgraph import schema
from fraudgraph.gnn.features import table_features


@pytest.fixture(scope="module")
def world():
    return fraudgraph.generate("demo", seed=6, persons=800, days=20)


def train_rows(n, seed=0):
    return np.random.default_rng(seed).random(n) < 0.6


def test_numeric_columns_are_standardised_on_the_training_rows(world):
    frame = world.graph.nodes["Account"]
    train = train_rows(len(frame))
    f = table_features(schema.node_type("Account"), frame, train)
    i = f.numeric_names.index("opening_balance")
    assert f.numeric.dtype == np.float32 and f.numeric.shape == (len(frame), len(f.numeric_names))
    assert abs(f.numeric[train, i].mean()) < 1e-4 and abs(f.numeric[train, i].std() - 1) < 1e-3
    raw = frame["opening_balance"].to_numpy(float)
    assert f.statistics["opening_balance"]["mean"] == pytest.approx(raw[train].mean())


def test_the_other_rows_do_not_move_the_statistics(world):
    frame = world.graph.nodes["Account"].copy()
    train = train_rows(len(frame))
    before = table_features(schema.node_type("Account"), frame, train)
    frame.loc[~train, "opening_balance"] = 1e9
    after = table_features(schema.node_type("Account"), frame, train)
    assert after.statistics == before.statistics
    assert np.array_equal(after.numeric[train], before.numeric[train])


def test_categories_are_indices_into_the_declared_values(world):
    frame = world.graph.nodes["Person"]
    f = table_features(schema.node_type("Person"), frame, train_rows(len(frame)))
    assert set(f.categorical_names) == {"country", "segment", "kyc_level"}
    j = f.categorical_names.index("segment")
    vocab = f.vocabularies["segment"]
    assert [vocab[c - 1] for c in f.categorical[:50, j]] == frame["segment"].astype(str).tolist()[:50]
    assert f.categorical.dtype == np.int32 and f.categorical.min() >= 1


def test_no_id_time_text_or_truth_becomes_a_feature(world):
    for label, frame in world.graph.nodes.items():
        node_type = schema.node_type(label)
        f = table_features(node_type, frame, train_rows(len(frame)))
        names = set(f.numeric_names) | set(f.categorical_names)
        dtypes = {p.name: p for p in node_type.properties}
        for name in names:
            prop = dtypes[name.removesuffix("_missing")]
            assert prop.dtype in ("int", "float", "bool") or prop.values, (label, name)
        assert not names & {"id", "asn", "is_fraud", "fraud_type", "pattern_id", "created_at", "name", "email"}


def test_missing_values_take_the_training_mean_and_are_flagged(world):
    frame = world.graph.nodes["Account"].copy()
    frame.loc[frame.index[::7], "credit_limit"] = np.nan
    declared = schema.node_type("Account")
    nullable = replace(declared, properties=tuple(replace(p, nullable=True) if p.name == "credit_limit" else p
                                                  for p in declared.properties))
    f = table_features(nullable, frame, train_rows(len(frame)))
    missing = frame["credit_limit"].isna().to_numpy()
    i, k = f.numeric_names.index("credit_limit"), f.numeric_names.index("credit_limit_missing")
    assert np.all(f.numeric[missing, i] == 0) and np.array_equal(f.numeric[:, k] == 1, missing)
    assert "credit_limit_missing" not in table_features(declared, world.graph.nodes["Account"],
                                                        train_rows(len(frame))).numeric_names
