"""Ground truth: label noise and delay, consistency with the graph, labels on the graph."""

import json

import numpy as np
import pandas as pd
import pytest

import fraudgraph
from fraudgraph.loading import read_dataset, validate_folder
from fraudgraph.truth import confirmation


def _kiting(seed=5, **fraud):
    s = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 2500, "fraud.person_share": 0.0,
        "fraud.patterns": {"kiting_cycle": {"count": 6}}, **{f"fraud.{k}": v for k, v in fraud.items()}})
    return fraudgraph.generate(s, seed=seed)


@pytest.fixture(scope="module")
def kiting():
    return _kiting()


def test_confirmation_delay_is_lognormal_with_mean_near_target():
    rng = np.random.default_rng(0)
    n = 20_000
    labeled, confirmed = confirmation(rng, np.ones(n, bool), np.zeros(n, np.int64), 10**12, 0.0, 5.0)
    delay_days = confirmed / 86_400
    assert labeled.all()
    assert 4.7 < delay_days.mean() < 5.3
    assert np.median(delay_days) < delay_days.mean()  # right-skewed, as a log-normal is


def test_unlabeled_share_and_end_of_simulation_cutoff():
    rng = np.random.default_rng(1)
    n = 20_000
    labeled, _ = confirmation(rng, np.ones(n, bool), np.zeros(n, np.int64), 10**12, 0.25, 5.0)
    assert 0.72 < labeled.mean() < 0.78
    late, _ = confirmation(rng, np.ones(n, bool), np.full(n, 10**9), 10**9 + 86_400, 0.0, 5.0)
    assert late.mean() < 0.1  # confirmed after the end -> unlabelled
    decoys, _ = confirmation(rng, np.zeros(n, bool), np.zeros(n, np.int64), 10**12, 0.0, 5.0)
    assert not decoys.any()


def test_truth_tables_consistent(kiting):
    truth, g = kiting.truth, kiting.graph
    p = truth.patterns
    assert (p["typology"] == "kiting_cycle").all()
    assert p["is_fraud"].sum() == 6 and (~p["is_fraud"]).sum() >= 1
    assert set(truth.node_labels["pattern_id"]) <= set(p["pattern_id"])
    labeled = p[p["labeled"]]
    assert (labeled["fraud_confirmed_at"] > labeled["end"]).all()
    assert p.loc[~p["labeled"], "fraud_confirmed_at"].isna().all()
    assert not p.loc[~p["is_fraud"], "labeled"].any()
    members = json.loads(p["members"].iloc[0])
    assert all(len(m) == 3 for m in members) and p["n_members"].iloc[0] == len(members)
    persons = set(g.nodes["Person"]["id"])
    assert set(truth.node_labels.loc[truth.node_labels["label"] == "Person", "id"]) <= persons
    tr = g.edges[("Account", "TRANSFERS_TO", "Account")]
    pairs = set(tr["src"] + "|" + tr["dst"])
    assert set(truth.edge_labels["src"] + "|" + truth.edge_labels["dst"]) <= pairs
    s = truth.schedule
    assert set(s["pattern_id"]) <= set(p["pattern_id"])
    assert (s.groupby("pattern_id")["time"].apply(lambda t: t.is_monotonic_increasing)).all()


def test_kiting_cycles_cross_institutions_from_graph(kiting):
    g, truth = kiting.graph, kiting.truth
    bank = g.nodes["Account"].set_index("id")["institution"]
    tr = g.edges[("Account", "TRANSFERS_TO", "Account")]
    for pid in truth.patterns.loc[truth.patterns["is_fraud"], "pattern_id"]:
        rows = truth.edge_labels[truth.edge_labels["pattern_id"] == pid]
        nxt = dict(zip(rows["src"], rows["dst"]))
        start = rows["src"].iloc[0]
        node, seen = start, []
        while node not in seen:
            seen.append(node)
            node = nxt[node]
        assert node == start and len(seen) == len(rows) >= 3  # one directed cycle through every account
        assert bank.loc[seen].nunique() >= 2
        assert tr.merge(rows[["src", "dst"]]).shape[0] == len(rows)


def test_public_tables_carry_no_labels(kiting, tmp_path):
    kiting.write(tmp_path / "plain", formats="csv")
    header = (tmp_path / "plain" / "nodes" / "Person.csv").read_text().splitlines()[0]
    assert "is_fraud" not in header and "pattern" not in header
    assert (tmp_path / "plain" / "truth" / "patterns.csv").exists()


def test_labels_on_graph_roundtrip(kiting, tmp_path):
    out = tmp_path / "labelled"
    kiting.write(out, formats="parquet,jsonl", labels_on_graph=True)
    persons = pd.read_parquet(out / "nodes" / "Person.parquet")
    assert {"is_fraud", "fraud_type", "pattern_id", "fraud_role"} <= set(persons.columns)
    fraud_ids = kiting.truth.fraud_node_ids("Person")
    assert set(persons.loc[persons["is_fraud"], "id"]) == fraud_ids
    assert (persons.loc[persons["is_fraud"], "fraud_type"] == "kiting_cycle").all()
    assert persons.loc[~persons["is_fraud"], "pattern_id"].isna().all()
    problems, _ = validate_folder(out)
    assert problems == []
    back = read_dataset(out, format="jsonl")
    assert set(back.graph.nodes["Person"].columns) == set(kiting.graph.nodes["Person"].columns)
    pd.testing.assert_frame_equal(back.truth.patterns, kiting.truth.patterns, check_dtype=False)


def test_determinism_and_hardness_change_output():
    a, b = _kiting(seed=9), _kiting(seed=9)
    pd.testing.assert_frame_equal(a.truth.patterns, b.truth.patterns)
    pd.testing.assert_frame_equal(a.truth.schedule, b.truth.schedule)
    low = _kiting(seed=9, hardness="low")
    assert (~low.truth.patterns["is_fraud"]).sum() < (~a.truth.patterns["is_fraud"]).sum()  # decoy ratio 0.3 < 1.0
