"""ip_recycling: many unrelated persons cycling through a small pool of VPN/proxy addresses."""

import json

import pandas as pd
import pytest

import fraudgraph

NAME = "ip_recycling"
USES_DEVICE, USES_IP, SEEN_AT = ("Person", "USES_DEVICE", "Device"), ("Person", "USES_IP", "IP"), ("Device", "SEEN_AT", "IP")


def generate(seed=5, **changes):
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": 3000, "days": 90, "fraud.person_share": 0.0, "fraud.patterns": {NAME: {"count": 4}}, **changes})
    return fraudgraph.generate(scenario, seed=seed)


@pytest.fixture(scope="module")
def ds():
    return generate()


def members(row, label, role=None):
    return [m[1] for m in json.loads(row["members"]) if m[0] == label and (role is None or m[2] == role)]


def test_fraud_instances_and_decoys(ds):
    p = ds.truth.patterns
    assert p["is_fraud"].sum() >= 3 and (~p["is_fraud"]).sum() >= 1


def test_unrelated_persons_rotate_through_a_small_pool(ds):
    g = ds.graph
    uses, seen = g.edges[USES_IP], g.edges[SEEN_AT]
    own = g.edges[USES_DEVICE]
    ips, persons = g.nodes["IP"].set_index("id"), g.nodes["Person"].set_index("id")
    sched = ds.truth.schedule
    for _, row in ds.truth.patterns[ds.truth.patterns["is_fraud"]].iterrows():
        pool = members(row, "IP", "proxy_ip")
        users = members(row, "Person", "proxy_user")
        assert 2 <= len(pool) <= 6 and 8 <= len(users) <= 25
        assert set(ips.loc[pool, "kind"]) <= {"vpn", "hosting"} and ips.loc[pool, "kind"].nunique() == 1
        assert persons.loc[users, "address"].nunique() == len(users)  # unrelated persons
        mine = uses[uses["dst"].isin(pool) & uses["src"].isin(users)]
        assert (mine.groupby("src").size().reindex(users, fill_value=0) >= 2).all()  # each uses 2+ of the pool
        assert set(mine["dst"]) == set(pool)
        # through their own devices, which are seen at those addresses
        devices = set(own.loc[own["src"].isin(users), "dst"])
        assert set(seen.loc[seen["dst"].isin(pool), "src"]) & devices
        logins = sched[(sched["pattern_id"] == row["pattern_id"]) & (sched["kind"] == "login")]
        assert (logins.groupby("detail")["dst"].nunique() >= 2).all()  # each person rotates addresses
        assert set(logins["src"]) <= devices and set(logins["dst"]) == set(pool)


def edge_start(graph, key, src, dst):
    """First-seen time of each src -> dst edge of ``key`` (NaT where there is none)."""
    e = graph.edges[key]
    start = pd.Series(pd.to_datetime(e["first_seen"]).to_numpy(), index=e["src"] + "|" + e["dst"])
    return start.reindex(pd.Series(src).to_numpy() + "|" + pd.Series(dst).to_numpy()).to_numpy()


@pytest.mark.parametrize("crowded", [False, True], ids=["four_instances", "twelve_instances"])
def test_logins_come_after_the_edges_they_walk(ds, crowded):
    # twelve instances in 3000 persons: several decoys of one employer walk the same gateways in one call
    ds = generate(**{"fraud.patterns": {NAME: {"count": 12}}}) if crowded else ds
    ids = ds.truth.patterns.loc[ds.truth.patterns["typology"] == NAME, "pattern_id"]
    sched = ds.truth.schedule
    rows = sched[sched["pattern_id"].isin(ids)]
    assert set(rows["kind"]) <= {"login", "account_open"}
    logins = rows[rows["kind"] == "login"]
    assert len(logins) > 500
    t = pd.to_datetime(logins["time"]).to_numpy()
    for key, src, dst in ((USES_DEVICE, logins["detail"], logins["src"]), (USES_IP, logins["detail"], logins["dst"]),
                          (SEEN_AT, logins["src"], logins["dst"])):
        start = edge_start(ds.graph, key, src, dst)
        assert not pd.isna(start).any(), key  # every login walks edges of the graph
        late = start > t
        assert not late.any(), (key, logins[late].head().to_dict("records"))
    for label, col in (("Device", "src"), ("IP", "dst")):
        nodes = ds.graph.nodes[label].set_index("id")["first_seen"]
        assert (pd.to_datetime(nodes.reindex(logins[col])).to_numpy() <= t).all(), label


def test_decoys_are_vpn_customers_or_coworkers(ds):
    g = ds.graph
    ips = g.nodes["IP"].set_index("id")
    employer = g.edges[("Person", "WORKS_AT", "Company")].set_index("src")["dst"]
    decoys = ds.truth.patterns[~ds.truth.patterns["is_fraud"]]
    assert len(decoys) >= 1
    for _, row in decoys.iterrows():
        pool = members(row, "IP")
        assert len(pool) >= 2
        if row["variant"] == "commercial_vpn":
            assert (ips.loc[pool, "kind"] == "vpn").all()
        else:
            assert row["variant"] == "corporate_gateways" and (ips.loc[pool, "kind"] == "corporate").all()
            assert employer.reindex(members(row, "Person")).nunique() == 1


def test_truth_consistent_with_graph(ds):
    g = ds.graph
    assert g.validate(raise_on_error=False) == []
    for label, rows in ds.truth.node_labels.groupby("label"):
        assert set(rows["id"]) <= set(g.nodes[label]["id"]), label
    stems = {f"{s}_{r}_{d}": (s, r, d) for s, r, d in g.edges}
    for stem, rows in ds.truth.edge_labels.groupby("edge_type"):
        table = g.edges[stems[stem]]
        assert set(rows["src"] + "|" + rows["dst"]) <= set(table["src"] + "|" + table["dst"]), stem


def test_no_proxy_pool_where_nobody_uses_a_proxy():
    ds = generate(seed=2, **{"persons.count": 600, "days": 90, "ips.vpn_share": 0.0, "ips.hosting_share": 0.0})
    assert not ds.truth.patterns["is_fraud"].any()
    assert not ds.graph.nodes["IP"]["kind"].isin(["vpn", "hosting"]).any()


def test_deterministic(ds):
    pd.testing.assert_frame_equal(ds.truth.patterns, generate().truth.patterns)
