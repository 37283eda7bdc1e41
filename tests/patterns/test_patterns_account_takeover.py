"""account_takeover and sleeper_takeover: new device and address, identity change, new bank links, money out."""

import json

import numpy as np
import pandas as pd
import pytest

import fraudgraph

USES_DEVICE, USES_IP = ("Person", "USES_DEVICE", "Device"), ("Person", "USES_IP", "IP")
TRANSFERS, OWNS = ("Account", "TRANSFERS_TO", "Account"), ("Person", "OWNS", "Account")


def generate(name, seed=5):
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": 3000, "days": 90, "fraud.person_share": 0.0, "fraud.patterns": {name: {"count": 4}}})
    return fraudgraph.generate(scenario, seed=seed)


@pytest.fixture(scope="module", params=["account_takeover", "sleeper_takeover"])
def ds(request):
    return generate(request.param)


def members(row, label, role=None):
    return [m[1] for m in json.loads(row["members"]) if m[0] == label and (role is None or m[2] == role)]


def test_fraud_instances_and_decoys(ds):
    p = ds.truth.patterns
    assert p["is_fraud"].sum() >= 3 and (~p["is_fraud"]).sum() >= 1


def test_takeover_sequence(ds):
    g = ds.graph
    uses, ip_uses, t = g.edges[USES_DEVICE], g.edges[USES_IP], g.edges[TRANSFERS]
    devices, ips = g.nodes["Device"].set_index("id"), g.nodes["IP"].set_index("id")
    accounts, persons = g.nodes["Account"].set_index("id"), g.nodes["Person"].set_index("id")
    owns = g.edges[OWNS]
    sched = ds.truth.schedule
    for _, row in ds.truth.patterns[ds.truth.patterns["is_fraud"]].iterrows():
        (victim,) = members(row, "Person", "victim")
        (account,) = members(row, "Account", "victim_account")
        assert accounts.at[account, "account_type"] == "checking"
        # a new device, first seen inside the instance window, used by the victim's profile
        (device,) = members(row, "Device", "attacker_device")
        assert row["start"] <= devices.at[device, "first_seen"] <= row["end"]
        assert ((uses["src"] == victim) & (uses["dst"] == device) & ~uses["is_primary"]).sum() == 1
        # through a VPN or hosting address located elsewhere
        (ip,) = members(row, "IP", "attacker_ip")
        assert ips.at[ip, "kind"] in ("vpn", "hosting")
        assert ((ip_uses["src"] == victim) & (ip_uses["dst"] == ip)).sum() == 1
        # new bank links: drop accounts in the victim's name, linked during the takeover
        drops = members(row, "Account", "drop_account")
        assert 1 <= len(drops) <= 3
        assert set(owns.loc[owns["dst"].isin(drops), "src"]) == {victim}
        links = t[(t["src"] == account) & t["dst"].isin(drops)]
        assert len(links) == len(drops) and (links["kind"] == "own_accounts").all()
        assert (links["since"] >= row["start"]).all() and (links["since"] <= row["end"]).all()
        # login, identity change, bank links, then money out, in that order
        steps = sched[sched["pattern_id"] == row["pattern_id"]]
        first = steps.groupby("kind")["time"].min()
        last = steps.groupby("kind")["time"].max()
        assert first["login"] <= first["identity_change"] <= first["bank_link"] <= first["transfer"]
        assert last["identity_change"] <= first["bank_link"]
        assert set(steps.loc[steps["kind"] == "identity_change", "detail"]) <= {"email", "phone"}
        money = steps[steps["kind"] == "transfer"]
        assert (money["src"] == account).all() and set(money["dst"]) <= set(drops) and (money["amount"] > 0).all()
        params = json.loads(row["parameters"])
        assert params["new_city"] is None or isinstance(params["new_city"], str)
        if row["typology"] == "sleeper_takeover":
            assert params["dormant_days"] >= 30
            assert accounts.at[account, "status"] == "dormant"
            dormant_since = pd.Timestamp(params["dormant_since"], unit="s")
            assert dormant_since <= pd.Timestamp(ds.scenario.start_date)
            assert row["start"] - dormant_since >= pd.Timedelta(days=30)
            assert dormant_since >= accounts.at[account, "opened_at"]
        assert persons.at[victim, "created_at"] < row["start"]


def test_decoys_change_devices_and_payees_with_ordinary_amounts(ds):
    sched = ds.truth.schedule
    patterns = ds.truth.patterns
    fraud_amount = sched[sched["pattern_id"].isin(patterns.loc[patterns["is_fraud"], "pattern_id"])
                         & (sched["kind"] == "transfer")]["amount"].median()
    for _, row in patterns[~patterns["is_fraud"]].iterrows():
        steps = sched[sched["pattern_id"] == row["pattern_id"]]
        assert {"login", "identity_change", "transfer"} <= set(steps["kind"])
        assert "email" in set(steps["detail"])
        assert members(row, "Device", "new_device") and members(row, "Account", "new_payee_account")
        if row["typology"] == "sleeper_takeover":
            assert row["variant"] == "returning_customer" and json.loads(row["parameters"])["dormant_days"] >= 30
    back = [(pd.Timestamp(p["dormant_again_at"], unit="s") - start) / pd.Timedelta(days=1) for p, start in
            zip(patterns.loc[~patterns["is_fraud"], "parameters"].map(json.loads), patterns.loc[~patterns["is_fraud"], "start"])
            if "dormant_again_at" in p]
    if patterns["typology"].eq("sleeper_takeover").any():  # most come back for a day or two of errands, as an attacker does
        assert back and np.median(back) < 7
    decoy_amount = sched[sched["pattern_id"].isin(patterns.loc[~patterns["is_fraud"], "pattern_id"])
                         & (sched["kind"] == "transfer")]["amount"].median()
    assert decoy_amount < fraud_amount


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
    again = generate(ds.truth.patterns["typology"].iloc[0])
    pd.testing.assert_frame_equal(ds.truth.patterns, again.truth.patterns)
    pd.testing.assert_frame_equal(ds.truth.schedule, again.truth.schedule)
