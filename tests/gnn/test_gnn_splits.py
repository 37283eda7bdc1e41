"""Temporal splits: disjoint periods ordered in time, instances never split, labels only once confirmed."""

import datetime as dt
import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import fraudgraph
from fraudgraph.errors import ConfigError
from fraudgraph.gnn.splits import (
    PARTIES,
    cutoffs,
    exact_labels,
    node_splits,
    visible_labels,
    visible_until,
)


@pytest.fixture(scope="module")
def world():
    return fraudgraph.generate("fraud_heavy", seed=4, persons=1500, days=60)


@pytest.fixture(scope="module")
def cut(world):
    return cutoffs(world.scenario.start_date, world.scenario.days)


def splits_of(world, cut, seed=1):
    return {label: pd.Series(node_splits(frame["id"], label, world.truth, cut, seed), index=frame["id"].to_numpy())
            for label, frame in world.graph.nodes.items()}


def test_cutoffs_are_whole_days_in_order():
    c = cutoffs(dt.date(2025, 3, 1), 90, train=0.5, valid=0.25)
    assert c.start < c.train_end < c.valid_end < c.end
    assert str(c.train_end) == "2025-04-15T00:00:00" and str(c.end) == "2025-05-30T00:00:00"
    tiny = cutoffs(dt.date(2025, 3, 1), 3, train=0.9, valid=0.05)
    # every period keeps at least one day
    assert [str(x)[:10] for x in (tiny.train_end, tiny.valid_end, tiny.end)] == ["2025-03-02", "2025-03-03",
                                                                                 "2025-03-04"]


@pytest.mark.parametrize("kwargs, needle", [({"train": 0}, "'train'"), ({"train": 1.2}, "'train'"),
                                            ({"valid": 0.5}, "'valid'"), ({"days": 2}, "'days'")])
def test_bad_shares_name_the_parameter(kwargs, needle):
    args = {"start_date": dt.date(2025, 1, 1), "days": 30, **kwargs}
    with pytest.raises(ConfigError, match=needle):
        cutoffs(**args)


def test_every_node_has_one_split_and_all_three_are_used(world, cut):
    for label, split in splits_of(world, cut).items():
        assert set(np.unique(split)) <= {0, 1, 2}
        if len(split) > 100:
            assert set(np.unique(split)) == {0, 1, 2}, label


def test_no_instance_is_split(world, cut):
    splits = splits_of(world, cut)
    rows = world.truth.node_labels
    placed = pd.Series([splits[lbl][i] for lbl, i in zip(rows["label"], rows["id"])], index=rows.index)
    parties = rows["label"].isin(PARTIES)
    per_pattern = placed[parties].groupby(rows.loc[parties, "pattern_id"].to_numpy()).nunique()
    assert (per_pattern == 1).all() and len(per_pattern) == len(world.truth.patterns)
    # a venue shared by instances (a company, a circle, a device) goes with the latest of them
    split_of = pd.Series(per_pattern.index.map(lambda p: placed[parties & (rows["pattern_id"] == p)].iloc[0]),
                         index=per_pattern.index)
    venues = rows[~parties].assign(split=placed[~parties], its=rows.loc[~parties, "pattern_id"].map(split_of))
    latest = venues.groupby(["label", "id"]).agg(split=("split", "first"), its=("its", "max"))
    assert (latest["split"] == latest["its"]).all()
    shared = venues.groupby(["label", "id"])["its"].nunique()
    assert (shared > 1).any()  # the fixture has venues that several instances in different splits share


def test_instances_are_never_placed_before_they_start(world):
    cut = cutoffs(world.scenario.start_date, world.scenario.days, train=0.4, valid=0.2)
    splits = splits_of(world, cut)
    rows = world.truth.node_labels.merge(world.truth.patterns[["pattern_id", "start"]], on="pattern_id")
    placed = np.array([splits[lbl][i] for lbl, i in zip(rows["label"], rows["id"])])
    # a split's snapshot (its cut-off) always shows the start of every instance its members are in
    assert (placed >= cut.period(rows["start"].to_numpy("datetime64[s]"))).all()
    assert (placed == 0).any() and (placed == 2).any()


def test_every_typology_is_tested_on_its_later_instances(world, cut):
    splits = splits_of(world, cut)
    rows = world.truth.node_labels
    p = world.truth.patterns.set_index("pattern_id")
    linked = nx.Graph()  # instances sharing a person or an account are placed together
    linked.add_nodes_from(p.index)
    for _, shared in rows[rows["label"].isin(PARTIES)].groupby(["label", "id"])["pattern_id"]:
        linked.add_edges_from(itertools.pairwise(shared))
    first = rows[rows["label"].isin(PARTIES)].drop_duplicates(["pattern_id"]).set_index("pattern_id")
    groups = []
    for component in nx.connected_components(linked):
        inside = p.loc[sorted(component)].sort_values("start", kind="stable")
        member = first.loc[inside.index[0]]
        groups.append((inside["typology"].iloc[0], inside["is_fraud"].iloc[0], inside["start"].iloc[0],
                       splits[member["label"]][member["id"]]))
    groups = pd.DataFrame(groups, columns=["typology", "is_fraud", "start", "split"])
    tested = 0
    for key, group in groups.groupby(["typology", "is_fraud"]):
        if len(group) >= 2:  # a typology of two groups or more is tested, on its later ones
            assert (group["split"] == 2).any(), key
            trained = group.loc[group["split"] == 0, "start"]
            assert trained.empty or group.loc[group["split"] == 2, "start"].min() >= trained.max(), key
            tested += 1
    assert tested >= 2


def test_the_split_does_not_give_the_class_away(world, cut):
    split = splits_of(world, cut)["Account"]
    fraud = exact_labels(split.index, "Account", world.truth)
    assert fraud.sum() > 20
    for k in (0, 1, 2):
        assert ((split == k).to_numpy() & ~fraud).sum() > 0, k


def test_labels_are_visible_only_once_confirmed(world, cut):
    ids = world.graph.nodes["Account"]["id"]
    exact = exact_labels(ids, "Account", world.truth)
    seen = visible_labels(ids, "Account", world.truth, cut.train_end)
    assert (seen <= exact).all() and seen.any()
    assert (exact & ~seen).any()  # unconfirmed or never labelled fraud stays unlabelled
    p = world.truth.patterns
    late = p[p["is_fraud"] & p["labeled"] & (p["fraud_confirmed_at"].to_numpy("datetime64[s]") >= cut.train_end)]
    rows = world.truth.node_labels
    only_late = set(rows.loc[rows["pattern_id"].isin(late["pattern_id"]) & (rows["label"] == "Account"), "id"]) - set(
        rows.loc[~rows["pattern_id"].isin(late["pattern_id"]) & rows["is_fraud"], "id"])
    assert only_late and not pd.Index(ids)[seen].isin(only_late).any()
    everything = visible_labels(ids, "Account", world.truth, cut.end + np.timedelta64(365, "D"))
    assert (everything <= exact).all() and everything.sum() >= seen.sum()


def test_same_seed_same_splits_and_another_seed_moves_only_the_others(world, cut):
    a, b, c = splits_of(world, cut, 1), splits_of(world, cut, 1), splits_of(world, cut, 2)
    members = set(world.truth.node_labels.loc[world.truth.node_labels["label"] == "Person", "id"])
    assert (a["Person"] == b["Person"]).all()
    moved = a["Person"] != c["Person"]
    assert moved.any() and not moved[moved].index.isin(list(members)).any()


def test_graphs_hold_only_the_past():
    times = np.array(["2025-01-18T23:59:59", "2025-01-19T00:00:00"], dtype="datetime64[s]")
    assert visible_until(times, np.datetime64("2025-01-19T00:00:00")).tolist() == [True, False]
