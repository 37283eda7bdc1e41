"""The identity typologies (device_sharing, ip_recycling, fraud_ring, account_takeover, sleeper_takeover,
corporate_account_takeover) keep every invariant of the legitimate world that fraud does not break by definition.

By definition a device farm shares a device across households and a ring shares a phone: those two
rules are checked here on everything else.
"""

import pandas as pd
import pytest

import fraudgraph
from fraudgraph import schema
from fraudgraph.population.networks import KIND_OF_CONTEXT

MINE = ("device_sharing", "ip_recycling", "fraud_ring", "account_takeover", "sleeper_takeover",
        "corporate_account_takeover")
P_OWNS, C_OWNS = ("Person", "OWNS", "Account"), ("Company", "OWNS", "Account")
USES_DEVICE, USES_IP, SEEN_AT = ("Person", "USES_DEVICE", "Device"), ("Person", "USES_IP", "IP"), ("Device", "SEEN_AT", "IP")
KNOWS, TRANSFERS, PAYS = ("Person", "KNOWS", "Person"), ("Account", "TRANSFERS_TO", "Account"), ("Account", "PAYS", "Company")


@pytest.fixture(scope="module")
def ds():
    scenario = fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 2500, "days": 90, "fraud.person_share": 0.0,
        "fraud.patterns": {name: {"count": 3} for name in MINE}})
    return fraudgraph.generate(scenario, seed=21)


@pytest.fixture(scope="module")
def g(ds):
    return ds.graph


@pytest.fixture(scope="module")
def owner(g):
    owns = g.edges[P_OWNS]
    return pd.concat([owns[owns["role"] == "primary"].set_index("dst")["src"], g.edges[C_OWNS].set_index("dst")["src"]])


def test_all_injected_with_decoys(ds):
    p = ds.truth.patterns
    for name in MINE:
        rows = p[p["typology"] == name]
        assert rows["is_fraud"].sum() == 3, name
        assert (~rows["is_fraud"]).sum() >= 1, name
    assert ds.graph.validate(raise_on_error=False) == []


def test_transfer_kinds_keep_their_meaning(g, owner):
    t = g.edges[TRANSFERS]
    acc = g.nodes["Account"].set_index("id")
    t = t.assign(so=owner.loc[t["src"]].to_numpy(), do=owner.loc[t["dst"]].to_numpy(),
                 st=acc.loc[t["src"], "account_type"].to_numpy(), dt=acc.loc[t["dst"], "account_type"].to_numpy())
    knows = g.edges[KNOWS]
    ties = set(zip(knows["src"], knows["dst"])) | set(zip(knows["dst"], knows["src"]))
    p2p = t[t["kind"] == "p2p"]
    assert all(pair in ties for pair in zip(p2p["so"], p2p["do"]))
    own = t[t["kind"] == "own_accounts"]
    assert (own["so"] == own["do"]).all() and (own["st"] == "checking").all() and (own["dt"] == "savings").all()
    home = g.nodes["Person"].set_index("id")[["address", "city"]]
    hh = t[t["kind"] == "household"]
    assert (home.loc[hh["so"]].to_numpy() == home.loc[hh["do"]].to_numpy()).all()
    assert (t.loc[t["kind"] == "payroll", "st"] == "business").all()
    assert (t["src"] != t["dst"]).all() and not t.duplicated(["src", "dst"]).any()


def test_payments_only_to_merchants_with_fitting_channel(g, owner):
    pays = g.edges[PAYS]
    assert g.nodes["Company"].set_index("id").loc[pays["dst"], "is_merchant"].all()
    types = g.nodes["Account"].set_index("id").loc[pays["src"], "account_type"]
    assert set(types) <= {"checking", "credit_card", "wallet"}
    assert ((pays["channel"] == "wallet").to_numpy() == (types == "wallet").to_numpy()).all()
    assert owner.loc[pays["src"]].str.startswith("per_").all()


def test_devices(g):
    uses = g.edges[USES_DEVICE]
    primaries = uses[uses["is_primary"]].groupby("src").size()
    assert len(primaries) == len(g.nodes["Person"]) and (primaries == 1).all()
    assert uses[uses["dst"].isin(uses.loc[uses["is_primary"], "dst"])].groupby("dst").size().eq(1).all()
    devices = g.nodes["Device"]
    assert set(devices["id"]) == set(uses["dst"])
    assert set(devices.loc[devices["is_emulator"], "device_type"]) <= {"ios", "android"}
    assert (devices["user_agent"].str.contains("Simulator|sdk_gphone", regex=True) == devices["is_emulator"]).all()
    first_use = uses.groupby("dst")["first_seen"].min()
    assert (devices.set_index("id").loc[first_use.index, "first_seen"] <= first_use).all()


def test_networks(g):
    persons = g.nodes["Person"][["id", "address", "city"]].rename(columns={"id": "src", "city": "person_city"})
    ips = g.nodes["IP"][["id", "kind", "city"]].rename(columns={"id": "dst", "city": "ip_city"})
    rows = g.edges[USES_IP].merge(persons, on="src").merge(ips, on="dst")
    travel = rows["context"] == "travel"        # a trip's hotel or mobile address at its destination
    assert rows.loc[travel, "kind"].isin(["public_wifi", "mobile"]).all()
    rows = rows[~travel]
    assert (rows["context"].map(KIND_OF_CONTEXT) == rows["kind"]).all()
    res = rows[rows["kind"] == "residential"].groupby("dst").agg(homes=("address", "nunique"), cities=("person_city", "nunique"))
    assert (res["homes"] == 1).all() and (res["cities"] == 1).all()
    local = rows[rows["kind"].isin(["residential", "mobile", "public_wifi"])]
    assert (local["ip_city"] == local["person_city"]).all()
    home = rows[rows["context"] == "home"].groupby("src").size()
    assert len(home) == len(g.nodes["Person"]) and (home == 1).all()
    first_use = g.edges[USES_IP].groupby("dst")["first_seen"].min()
    table = g.nodes["IP"].set_index("id")
    assert len(first_use) == len(table) and (table.loc[first_use.index, "first_seen"] == first_use).all()
    owned = g.edges[USES_DEVICE][["src", "dst"]].rename(columns={"src": "person", "dst": "device"})
    seen = g.edges[SEEN_AT][["src", "dst"]].rename(columns={"src": "device", "dst": "ip"})
    uses = g.edges[USES_IP][["src", "dst"]].rename(columns={"src": "person", "dst": "ip"})
    witnessed = owned.merge(seen, on="device")[["person", "ip"]].drop_duplicates()
    assert uses.merge(witnessed, on=["person", "ip"], how="left", indicator=True)["_merge"].eq("both").all()
    explained = owned.merge(uses, on="person")[["device", "ip"]].drop_duplicates()
    assert seen.merge(explained, on=["device", "ip"], how="left", indicator=True)["_merge"].eq("both").all()
    kinds = g.edges[SEEN_AT].merge(g.nodes["Device"][["id", "device_type"]], left_on="src", right_on="id") \
        .merge(g.nodes["IP"][["id", "kind"]], left_on="dst", right_on="id")
    assert not kinds.loc[kinds["device_type"] == "web_desktop", "kind"].isin(["mobile", "public_wifi"]).any()


def test_households_and_ties(g):
    persons = g.nodes["Person"]
    assert (persons.groupby("address")[["city", "state", "country"]].nunique() == 1).all().all()
    sizes = persons.groupby(["address", "city"]).size()
    knows = g.edges[KNOWS]
    home = persons.set_index("id")
    family = knows[knows["kind"] == "family"]
    assert (home.loc[family["src"], "address"].to_numpy() == home.loc[family["dst"], "address"].to_numpy()).all()
    assert len(family) == int((sizes * (sizes - 1) // 2).sum())  # every household pair is family, and only they
    assert (knows["src"] < knows["dst"]).all() and not knows.duplicated(["src", "dst"]).any()
    employer = g.edges[("Person", "WORKS_AT", "Company")].set_index("src")["dst"]
    cow = knows[knows["kind"] == "coworker"]
    assert (employer.reindex(cow["src"]).to_numpy() == employer.reindex(cow["dst"]).to_numpy()).all()


def test_pii_stays_safe_and_only_rings_share_a_phone(ds, g):
    persons = g.nodes["Person"]
    assert persons["email"].is_unique and persons["national_id"].is_unique
    assert persons["email"].str.endswith(("@example.com", "@example.net", "@example.org")).all()
    adult = persons["date_of_birth"] + pd.DateOffset(years=18)
    assert (adult <= persons["created_at"]).all()
    shared = persons[persons["phone"].duplicated(keep=False)]
    labels = ds.truth.node_labels
    ring = labels[(labels["fraud_type"] == "fraud_ring") & labels["is_fraud"] & (labels["label"] == "Person")]
    pattern_of = ring.set_index("id")["pattern_id"]
    assert set(shared["id"]) <= set(ring["id"])
    assert (shared.assign(p=shared["id"].map(pattern_of)).groupby("phone")["p"].nunique() == 1).all()


def test_accounts(g, owner):
    acc = g.nodes["Account"].set_index("id")
    owns = g.edges[P_OWNS]
    primary = owns[owns["role"] == "primary"]
    assert set(primary["src"]) == set(g.nodes["Person"]["id"])
    assert (pd.concat([primary["dst"], g.edges[C_OWNS]["dst"]]).value_counts().reindex(acc.index, fill_value=0) == 1).all()
    assert (primary["since"].to_numpy() == acc.loc[primary["dst"], "opened_at"].to_numpy()).all()
    country = g.nodes["Person"].set_index("id").loc[primary["src"], "country"]
    currency = {"US": "USD", "CA": "CAD", "GB": "GBP"}
    assert (country.map(currency).to_numpy() == acc.loc[primary["dst"], "currency"].to_numpy()).all()


@pytest.mark.parametrize("key", list(schema.EDGE_TYPES), ids=lambda k: "_".join(k))
def test_edges_never_older_than_endpoints(ds, g, key):
    et = schema.EDGE_TYPES[key]
    created = {label: g.nodes[label].set_index("id")[nt.time_property] for label, nt in schema.NODE_TYPES.items()}
    t = g.edges[key][et.time_property].to_numpy()
    assert (t >= created[et.src].loc[g.edges[key]["src"]].to_numpy()).all()
    assert (t >= created[et.dst].loc[g.edges[key]["dst"]].to_numpy()).all()
    assert (t < pd.Timestamp(ds.scenario.end_date).to_datetime64()).all()


def test_schedules_stay_inside_the_span(ds):
    s = ds.truth.schedule
    s = s[s["pattern_id"].isin(ds.truth.patterns.loc[ds.truth.patterns["typology"].isin(MINE), "pattern_id"])]
    assert len(s) > 0
    assert (s["time"] < pd.Timestamp(ds.scenario.end_date)).all()
    assert (s["time"] >= pd.Timestamp(ds.scenario.start_date) - pd.Timedelta(days=3 * 365)).all()
