"""device_sharing: a farm device shared by many unrelated persons who open accounts within days."""

import json

import pandas as pd
import pytest

import fraudgraph

NAME = "device_sharing"
SHARED_ROLES = {"family_device", "office_device", "test_emulator", "signup_tablet"}
USES_DEVICE, USES_IP, OWNS = ("Person", "USES_DEVICE", "Device"), ("Person", "USES_IP", "IP"), ("Person", "OWNS", "Account")


def generate(seed=5):
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": 3000, "days": 90, "fraud.person_share": 0.0, "fraud.patterns": {NAME: {"count": 4}}})
    return fraudgraph.generate(scenario, seed=seed)


@pytest.fixture(scope="module")
def ds():
    return generate()


def members(row, label, role=None):
    return [m[1] for m in json.loads(row["members"]) if m[0] == label and (role is None or m[2] == role)]


def test_fraud_instances_and_decoys(ds):
    p = ds.truth.patterns
    assert (p["typology"] == NAME).all()
    assert p["is_fraud"].sum() >= 3 and (~p["is_fraud"]).sum() >= 1


def test_farm_device_has_many_unrelated_persons_who_open_accounts_within_days(ds):
    g = ds.graph
    uses, persons = g.edges[USES_DEVICE], g.nodes["Person"].set_index("id")
    devices, accounts = g.nodes["Device"].set_index("id"), g.nodes["Account"].set_index("id")
    owns = g.edges[OWNS]
    for _, row in ds.truth.patterns[ds.truth.patterns["is_fraud"]].iterrows():
        (farm,) = members(row, "Device", "farm_device")
        users = uses.loc[uses["dst"] == farm, "src"]
        assert 6 <= len(users) <= 20
        assert persons.loc[users, "address"].nunique() == len(users)  # unrelated: no two share a home
        assert not uses.loc[uses["dst"] == farm, "is_primary"].any()
        if devices.at[farm, "is_emulator"]:
            assert devices.at[farm, "device_type"] in ("ios", "android")
        # a mix of recruited persons and synthetic identities created for the farm, within days
        synthetic = members(row, "Person", "synthetic_identity")
        assert members(row, "Person", "farm_user") and synthetic
        born = persons.loc[synthetic, "created_at"]
        assert born.max() - born.min() <= pd.Timedelta(days=3)
        assert (born >= row["start"]).all()
        # every user opened an account within the campaign
        new = members(row, "Account", "farm_account")
        assert set(owns.loc[owns["dst"].isin(new), "src"]) == set(users)
        opened = accounts.loc[new, "opened_at"]
        assert opened.min() >= row["start"] and opened.max() <= row["end"]
        assert opened.max() - opened.min() <= pd.Timedelta(days=16)
        # behind the same VPN / hosting addresses, or a 4G modem's carrier addresses
        ips = members(row, "IP", "farm_ip")
        assert 1 <= len(ips) <= 3
        assert g.nodes["IP"].set_index("id").loc[ips, "kind"].nunique() == 1
        assert set(g.nodes["IP"].set_index("id").loc[ips, "kind"]) <= {"vpn", "hosting", "mobile"}
        ip_users = g.edges[USES_IP]
        assert set(ip_users.loc[ip_users["dst"].isin(ips), "src"]) >= set(users)


def test_decoys_look_alike(ds):
    g = ds.graph
    uses, persons = g.edges[USES_DEVICE], g.nodes["Person"].set_index("id")
    knows = g.edges[("Person", "KNOWS", "Person")]
    ties = set(zip(knows["src"], knows["dst"])) | set(zip(knows["dst"], knows["src"]))
    decoys = ds.truth.patterns[~ds.truth.patterns["is_fraud"]]
    owns, opened = g.edges[OWNS], g.nodes["Account"].set_index("id")["opened_at"]
    for _, row in decoys.iterrows():
        (device,) = [m[1] for m in json.loads(row["members"]) if m[0] == "Device" and m[2] in SHARED_ROLES]
        users = list(uses.loc[uses["dst"] == device, "src"])
        assert json.loads(row["parameters"])["decoy_of"] == NAME
        if row["variant"] == "household_device":
            assert 3 <= len(users) <= 6 and persons.loc[users, "address"].nunique() == 1
        elif row["variant"] == "office_desktop":
            assert 3 <= len(users) <= 12 and all((a, b) in ties for a in users for b in users if a != b)
        elif row["variant"] == "signup_tablet":
            # as many unrelated persons as a farm, of one city, each opening an account within the campaign
            assert 6 <= len(users) <= 20 and persons.loc[users, "city"].nunique() == 1
            assert not g.nodes["Device"].set_index("id").at[device, "is_emulator"]
            new = members(row, "Account", "new_account")
            assert set(owns.loc[owns["dst"].isin(new), "src"]) == set(users)
            assert opened[new].min() >= row["start"] and opened[new].max() <= row["end"]
            (venue,) = members(row, "IP", "venue_ip")
            assert g.nodes["IP"].set_index("id").at[venue, "kind"] == "public_wifi"
            # sometimes the guest network leaves through a cloud gateway: hosting addresses of its own
            gateway = members(row, "IP", "gateway_ip")
            assert set(g.nodes["IP"].set_index("id").loc[gateway, "kind"]) <= {"hosting"}
            fraud_members = ds.truth.patterns.loc[ds.truth.patterns["is_fraud"], "members"].str.cat()
            assert all(ip not in fraud_members for ip in gateway)
            newcomers = members(row, "Person", "new_customer")
            assert (persons.loc[newcomers, "created_at"] >= row["start"]).all()
        else:
            assert row["variant"] == "developer_emulator" and g.nodes["Device"].set_index("id").at[device, "is_emulator"]
    assert "signup_tablet" in set(decoys["variant"])


def test_truth_consistent_with_graph(ds):
    g = ds.graph
    assert g.validate(raise_on_error=False) == []
    for label, rows in ds.truth.node_labels.groupby("label"):
        assert set(rows["id"]) <= set(g.nodes[label]["id"]), label
    stems = {f"{s}_{r}_{d}": (s, r, d) for s, r, d in g.edges}
    for stem, rows in ds.truth.edge_labels.groupby("edge_type"):
        table = g.edges[stems[stem]]
        assert set(rows["src"] + "|" + rows["dst"]) <= set(table["src"] + "|" + table["dst"]), stem
    kinds = set(ds.truth.schedule["kind"])
    assert {"login", "account_open"} <= kinds


def test_deterministic(ds):
    again = generate()
    pd.testing.assert_frame_equal(ds.truth.patterns, again.truth.patterns)
    pd.testing.assert_frame_equal(ds.truth.schedule, again.truth.schedule)
