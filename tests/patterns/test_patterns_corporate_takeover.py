"""corporate_account_takeover: an officer's login from a new device, new payees at new institutions paid invoice-like
amounts within days; decoys: a new treasury officer and new suppliers over a quarter."""

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from fraudgraph.patterns.corporate_takeover import CorporateTakeoverConfig

import fraudgraph
from fraudgraph.errors import ConfigError

NAME = "corporate_account_takeover"
USES_DEVICE, USES_IP = ("Person", "USES_DEVICE", "Device"), ("Person", "USES_IP", "IP")
TRANSFERS, OWNS, C_OWNS = ("Account", "TRANSFERS_TO", "Account"), ("Person", "OWNS", "Account"), ("Company", "OWNS", "Account")
WORKS_AT, SUPPLIES = ("Person", "WORKS_AT", "Company"), ("Company", "SUPPLIES", "Company")
DAY = 86_400


def scenario(**extra):
    return fraudgraph.Scenario.from_preset("default").override({
        "persons.count": 2500, "days": 120, "fraud.person_share": 0.0,
        "fraud.patterns": {NAME: {"count": 6, **extra}}})


@pytest.fixture(scope="module")
def ds():
    return fraudgraph.generate(scenario(), seed=5)


@pytest.fixture(scope="module")
def patterns(ds):
    p = ds.truth.patterns
    assert set(p["typology"]) == {NAME}
    return p.assign(members=p["members"].map(json.loads), parameters=p["parameters"].map(json.loads))


@pytest.fixture(scope="module")
def events(ds):
    """Identity, session and transaction events of the instances, payloads parsed."""
    tables = [w.events for w in ds.events(streams=["identity", "sessions", "transactions"], labels_on_events=True)]
    ev = pa.concat_tables(tables).to_pandas()
    ev = ev[ev["pattern_id"].notna()].reset_index(drop=True)
    return pd.concat([ev, pd.json_normalize([json.loads(x) for x in ev["payload"]])], axis=1)


def members(row, label, role=None):
    return [m[1] for m in row["members"] if m[0] == label and (role is None or m[2] == role)]


def to_s(values):
    return pd.to_datetime(pd.Series(values)).astype("datetime64[s]").astype("int64").to_numpy()


def schedule(ds):
    """The scripted rows, times in epoch seconds."""
    s = ds.truth.schedule
    return s.assign(time=to_s(s["time"]))


def test_fraud_instances_variants_and_decoys(patterns):
    fraud = patterns[patterns["is_fraud"]]
    assert len(fraud) == 6 and (~patterns["is_fraud"]).sum() >= 1
    assert set(fraud["variant"]) == {"credential_phishing", "payee_swap"}
    assert set(patterns.loc[~patterns["is_fraud"], "variant"]) == {"treasury_change"}
    for _, row in fraud.iterrows():
        assert len(members(row, "Company", "victim_company")) == len(members(row, "Person", "compromised_officer")) == 1
        assert len(members(row, "Account", "victim_account")) == 1


def test_officer_logs_in_from_a_new_device_and_address(ds, patterns):
    g = ds.graph
    works, uses, ip_uses = g.edges[WORKS_AT], g.edges[USES_DEVICE], g.edges[USES_IP]
    devices, ips = g.nodes["Device"].set_index("id"), g.nodes["IP"].set_index("id")
    owner = g.edges[C_OWNS].set_index("dst")["src"]
    for _, row in patterns[patterns["is_fraud"]].iterrows():
        (company,), (officer,), (account,) = (members(row, "Company", "victim_company"),
                                              members(row, "Person", "compromised_officer"),
                                              members(row, "Account", "victim_account"))
        assert owner[account] == company and g.nodes["Account"].set_index("id").at[account, "account_type"] == "business"
        role = works.loc[(works["src"] == officer) & (works["dst"] == company), "role"]
        assert len(role) == 1 and role.iloc[0] in ("officer", "director")
        assert (works.loc[(works["src"] == officer) & (works["dst"] == company), "since"] < row["start"]).all()
        (device,) = members(row, "Device", "attacker_device")
        assert devices.at[device, "first_seen"] == row["start"]
        assert ((uses["src"] == officer) & (uses["dst"] == device) & ~uses["is_primary"]).sum() == 1
        for ip in members(row, "IP", "attacker_ip"):
            assert ips.at[ip, "kind"] in ("vpn", "hosting")
            assert ((ip_uses["src"] == officer) & (ip_uses["dst"] == ip)).sum() == 1


def test_new_payees_at_new_institutions_paid_invoice_amounts_within_days(ds, patterns):
    g = ds.graph
    t = g.edges[TRANSFERS]
    inst = g.nodes["Account"].set_index("id")["institution"]
    person_owner = g.edges[OWNS].set_index("dst")["src"]
    company_owner = g.edges[C_OWNS].set_index("dst")["src"]
    staffed = set(g.edges[WORKS_AT]["dst"])
    sched = schedule(ds)
    rounded = []
    for _, row in patterns[patterns["is_fraud"]].iterrows():
        (account,) = members(row, "Account", "victim_account")
        payees = members(row, "Account", "payee_account")
        assert len(payees) == len(row["parameters"]["payees"]) >= 1
        if row["variant"] == "credential_phishing":
            assert 2 <= len(payees) <= 4
        links = t[(t["src"] == account) & t["dst"].isin(payees)]
        assert len(links) == len(payees) and (links["kind"] == "supplier").all()
        # standing supplier payments before the takeover: their institutions are never the payees'
        before = t[(t["src"] == account) & (t["kind"] == "supplier") & ~t["dst"].isin(payees)]
        known = set(inst.loc[before["dst"]]) | {inst[account]}
        if len(known) < inst.nunique():
            assert not set(inst.loc[payees]) & known
        for p in payees:  # a mule's personal account, or a shell company with no staff
            if p in person_owner.index:
                assert g.nodes["Account"].set_index("id").at[p, "account_type"] == "checking"
            else:
                assert company_owner[p] not in staffed
        mine = sched[sched["pattern_id"] == row["pattern_id"]]
        changed = mine.loc[mine["kind"] == "identity_change", "detail"].tolist()
        assert changed == row["parameters"].get("identity_changes", [])
        pays = mine[mine["kind"] == "transfer"]
        linked = mine[mine["kind"] == "bank_link"].set_index("dst")["time"]
        assert set(pays["dst"]) == set(linked.index) == set(payees)
        assert (pays["detail"] == "invoice_payment").all()
        assert ((pays["time"].to_numpy() - linked.loc[pays["dst"]].to_numpy()) <= 8 * DAY).all()
        assert linked.max() - to_s([row["start"]])[0] <= 8 * DAY
        invoices = before["typical_amount"]
        if len(invoices):
            assert pays["amount"].max() <= invoices.max() * 1.25 and pays["amount"].min() >= invoices.min() * 0.75
        if row["variant"] == "payee_swap":
            swapped = row["parameters"]["swapped_supplier"]
            usual = t.loc[(t["src"] == account) & (t["dst"] == swapped["account"]), "typical_amount"].iloc[0]
            first = pays[pays["dst"] == payees[0]]["amount"]
            assert ((first >= 0.9 * usual - 0.01) & (first <= 1.1 * usual + 0.01)).all()
        else:
            rounded += (pays["amount"] % 10 == 0).tolist()
    assert np.mean(rounded) >= 0.5  # round-ish invoices


def test_schedule_becomes_events(ds, patterns, events):
    sched = schedule(ds)
    for _, row in patterns.iterrows():
        mine_s = sched[sched["pattern_id"] == row["pattern_id"]]
        mine_e = events[events["pattern_id"] == row["pattern_id"]]
        counts = mine_e["event_type"].value_counts()
        assert counts.get("bank-link-added", 0) == (mine_s["kind"] == "bank_link").sum()
        assert counts.get("login-attempt", 0) == (mine_s["kind"] == "login").sum()
        assert counts.get("identity-changed", 0) == (mine_s["kind"] == "identity_change").sum()
        assert counts.get("transaction-initiated", 0) == (mine_s["kind"] == "transfer").sum()
        (account,) = members(row, "Account", "victim_account" if row["is_fraud"] else "company_account")
        links = mine_e[mine_e["event_type"] == "bank-link-added"]
        assert (links["account_id"] == account).all() and links["user_id"].isna().all()
        assert not links["same_owner"].any()
        tx = mine_e[mine_e["event_type"] == "transaction-initiated"]
        assert (tx["account_id"] == account).all()
    # the attacker drains the account: nobody tops it up with cash before the payments
    fraud_ids = set(patterns.loc[patterns["is_fraud"], "pattern_id"])
    cash = events[events["pattern_id"].isin(fraud_ids) & (events["event_type"] == "transaction-initiated")]
    assert len(cash) and not (cash["type"] == "cash_deposit").any()


def test_decoys_change_treasury_staff_and_add_suppliers_over_a_quarter(ds, patterns):
    g = ds.graph
    works, t = g.edges[WORKS_AT], g.edges[TRANSFERS]
    sched = schedule(ds)
    kinds = set()
    for _, row in patterns[~patterns["is_fraud"]].iterrows():
        (company,), (officer,) = members(row, "Company", "company"), members(row, "Person", "new_officer")
        joined = works[(works["src"] == officer)]
        assert list(joined["dst"]) == [company] and list(joined["role"]) == ["officer"]
        assert to_s(joined["since"])[0] == to_s([row["start"]])[0]
        assert len(members(row, "Device", "new_device")) == 1
        (account,) = members(row, "Account", "company_account")
        if (t[(t["src"] == account) & (t["kind"] == "payroll")]["dst"].nunique()) > 1:  # on the payroll like the others
            salary = t[(t["src"] == account) & (t["kind"] == "payroll") & t["dst"].isin(g.edges[OWNS].loc[
                g.edges[OWNS]["src"] == officer, "dst"])]
            assert len(salary) == 1 and to_s(salary["since"])[0] == to_s([row["start"]])[0]
        suppliers = members(row, "Account", "supplier_account")
        assert 2 <= len(suppliers) <= 4
        assert (t[(t["src"] == account) & t["dst"].isin(suppliers)]["kind"] == "supplier").all()
        mine = sched[sched["pattern_id"] == row["pattern_id"]]
        links = mine.loc[mine["kind"] == "bank_link", "time"]
        assert len(links) == len(suppliers) and links.max() - to_s([row["start"]])[0] <= 90 * DAY
        kinds |= {s["kind"] for s in row["parameters"]["suppliers"]}
        assert row["parameters"]["decoy_of"] == NAME
    assert kinds  # companies old and new, and sole traders, across the decoys


def test_goods_suppliers_of_decoys_ship(ds, patterns):
    sup = ds.graph.edges[SUPPLIES]
    sched = schedule(ds)
    for _, row in patterns[~patterns["is_fraud"]].iterrows():
        (company,) = members(row, "Company", "company")
        goods = [s for s in row["parameters"]["suppliers"] if not s["services"] and s["kind"] != "sole_trader"]
        for s in goods:
            assert ((sup["src"] == s["holder"]) & (sup["dst"] == company)).sum() == 1
        ships = sched[(sched["pattern_id"] == row["pattern_id"]) & (sched["kind"] == "shipment")]
        assert set(ships["src"]) == {s["holder"] for s in goods}


def test_truth_consistent_with_graph(ds):
    g = ds.graph
    assert g.validate(raise_on_error=False) == []
    for label, rows in ds.truth.node_labels.groupby("label"):
        assert set(rows["id"]) <= set(g.nodes[label]["id"]), label
    stems = {"_".join(k): k for k in g.edges}
    for stem, rows in ds.truth.edge_labels.groupby("edge_type"):
        table = g.edges[stems[stem]]
        assert set(zip(rows["src"], rows["dst"])) <= set(zip(table["src"], table["dst"])), stem


def test_config_ranges():
    assert CorporateTakeoverConfig().min_payees <= CorporateTakeoverConfig().max_payees
    with pytest.raises(ConfigError, match="min_payees"):
        fraudgraph.generate(scenario(min_payees=5, max_payees=2), seed=1)
    with pytest.raises(ConfigError, match="payee_swap_share"):
        fraudgraph.generate(scenario(payee_swap_share=1.5), seed=1)


def test_config_steers_variants_and_payees():
    ds = fraudgraph.generate(scenario(payee_swap_share=0.0, mule_share=1.0, count=3), seed=2)
    p = ds.truth.patterns
    fraud = p[p["is_fraud"]]
    assert set(fraud["variant"]) == {"credential_phishing"}
    for _, row in fraud.iterrows():
        assert {x["kind"] for x in json.loads(row["parameters"])["payees"]} == {"mule"}
        assert {m[2] for m in json.loads(row["members"]) if m[0] == "Person"} == {"compromised_officer", "mule"}


def test_deterministic(ds):
    again = fraudgraph.generate(scenario(), seed=5)
    pd.testing.assert_frame_equal(ds.truth.patterns, again.truth.patterns)
    pd.testing.assert_frame_equal(ds.truth.schedule, again.truth.schedule)
