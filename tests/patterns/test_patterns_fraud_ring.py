"""fraud_ring: synthetic identities sharing PII fragments, devices and IPs, funnelling money to a collector."""

import json

import pandas as pd
import pytest

import fraudgraph

NAME = "fraud_ring"
USES_DEVICE, USES_IP = ("Person", "USES_DEVICE", "Device"), ("Person", "USES_IP", "IP")
TRANSFERS, OWNS = ("Account", "TRANSFERS_TO", "Account"), ("Person", "OWNS", "Account")


def generate(seed=5):
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": 3000, "days": 90, "fraud.person_share": 0.0, "fraud.patterns": {NAME: {"count": 4}}})
    return fraudgraph.generate(scenario, seed=seed)


@pytest.fixture(scope="module")
def ds():
    return generate()


def members(row, label, role=None):
    return [m[1] for m in json.loads(row["members"]) if m[0] == label and (role is None or m[2] == role)]


def id_prefix(national_id: str) -> str:
    return national_id.rsplit("-", 1)[0] if "-" in national_id else national_id[:4]


def test_fraud_instances_and_decoys(ds):
    p = ds.truth.patterns
    assert p["is_fraud"].sum() >= 3 and (~p["is_fraud"]).sum() >= 1


def test_ring_members_share_pii_devices_and_ips(ds):
    g = ds.graph
    persons = g.nodes["Person"].set_index("id")
    uses, ip_uses = g.edges[USES_DEVICE], g.edges[USES_IP]
    shared_phone = shared_address = 0
    for _, row in ds.truth.patterns[ds.truth.patterns["is_fraud"]].iterrows():
        (collector,) = members(row, "Person", "collector")
        ring = [collector] + members(row, "Person", "synthetic_identity")
        assert 5 <= len(ring) <= 11
        rows = persons.loc[ring]
        assert rows["city"].nunique() == 1 and rows["country"].nunique() == 1
        assert rows["national_id"].is_unique
        assert rows["national_id"].map(id_prefix).value_counts().max() >= 2  # a shared national-id prefix
        shared_phone += rows["phone"].duplicated().any()
        shared_address += rows["address"].duplicated().any()
        # one or two ring devices log into the identities, none of them a primary device
        devices = members(row, "Device", "ring_device")
        ring_uses = uses[uses["dst"].isin(devices)]
        assert 1 <= len(devices) <= 2 and set(ring_uses["src"]) == set(ring) and not ring_uses["is_primary"].any()
        assert (ring_uses.groupby("dst").size() >= 2).all()
        ips = members(row, "IP", "ring_ip")
        assert set(ip_uses.loc[ip_uses["dst"].isin(ips), "src"]) >= set(ring)
    assert shared_phone >= 1 and shared_address >= 1


def test_accounts_funnel_to_the_collector(ds):
    g = ds.graph
    t, owns = g.edges[TRANSFERS], g.edges[OWNS]
    owner = owns[owns["role"] == "primary"].set_index("dst")["src"]
    home = g.nodes["Person"].set_index("id")["address"]
    knows = g.edges[("Person", "KNOWS", "Person")]
    ties = set(zip(knows["src"], knows["dst"])) | set(zip(knows["dst"], knows["src"]))
    sched = ds.truth.schedule
    for _, row in ds.truth.patterns[ds.truth.patterns["is_fraud"]].iterrows():
        (collector,) = members(row, "Person", "collector")
        (pot,) = members(row, "Account", "collector_account")
        assert owner[pot] == collector
        inflow = t[t["dst"] == pot]
        senders = set(owner.loc[inflow["src"]])
        assert senders == set(members(row, "Person", "synthetic_identity"))
        for _, e in inflow.iterrows():
            a, b = owner[e["src"]], collector
            assert (e["kind"] == "p2p" and (a, b) in ties) or (e["kind"] == "household" and home[a] == home[b])
        money = sched[(sched["pattern_id"] == row["pattern_id"]) & (sched["kind"] == "transfer")]
        assert (money.loc[money["dst"] == pot, "amount"] > 0).all()
        assert money["time"].min() >= row["start"] and money["time"].max() <= row["end"]
        opened = g.nodes["Account"].set_index("id").loc[members(row, "Account"), "opened_at"]
        assert opened.max() - opened.min() <= pd.Timedelta(days=15)  # accounts opened within days


def test_decoys_are_households_sending_money_home(ds):
    g = ds.graph
    home = g.nodes["Person"].set_index("id")["address"]
    t = g.edges[TRANSFERS]
    decoys = ds.truth.patterns[~ds.truth.patterns["is_fraud"]]
    for _, row in decoys.iterrows():
        people = members(row, "Person")
        assert home.loc[people].nunique() == 1
        edges = ds.truth.edge_labels
        mine = edges[(edges["pattern_id"] == row["pattern_id"]) & (edges["role"] == "household_share")]
        flows = t.merge(mine[["src", "dst"]], on=["src", "dst"])
        assert len(flows) >= 1 and (flows["kind"] == "household").all() and flows["dst"].nunique() == 1
        assert set(flows["src"]) | set(flows["dst"]) <= set(members(row, "Account"))
        if row["variant"] == "house_share":  # as large as a ring, signed up within days, on shared devices
            born = g.nodes["Person"].set_index("id").loc[people, "created_at"]
            assert 4 <= len(people) <= 11 and born.max() - born.min() <= pd.Timedelta(days=3)
            uses = g.edges[("Person", "USES_DEVICE", "Device")]
            for device in members(row, "Device", "family_device"):
                assert uses.loc[uses["dst"] == device, "src"].isin(people).sum() >= 2
    assert "house_share" in set(decoys["variant"])


def test_truth_consistent_with_graph(ds):
    g = ds.graph
    assert g.validate(raise_on_error=False) == []
    for label, rows in ds.truth.node_labels.groupby("label"):
        assert set(rows["id"]) <= set(g.nodes[label]["id"]), label
    stems = {f"{s}_{r}_{d}": (s, r, d) for s, r, d in g.edges}
    for stem, rows in ds.truth.edge_labels.groupby("edge_type"):
        table = g.edges[stems[stem]]
        assert set(rows["src"] + "|" + rows["dst"]) <= set(table["src"] + "|" + table["dst"]), stem


def test_deterministic(ds):
    again = generate()
    pd.testing.assert_frame_equal(ds.truth.patterns, again.truth.patterns)
    pd.testing.assert_frame_equal(ds.graph.nodes["Person"], again.graph.nodes["Person"])
