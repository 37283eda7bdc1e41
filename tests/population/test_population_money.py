"""TRANSFERS_TO and PAYS (fraudgraph/population/money.py)."""

import pandas as pd
import pytest
from population_world import generate_legit

import fraudgraph
from fraudgraph.population.money import TRANSFER_KINDS

TRANSFERS = ("Account", "TRANSFERS_TO", "Account")
PAYS = ("Account", "PAYS", "Company")


@pytest.fixture(scope="module")
def graph():
    return generate_legit("default", seed=11, persons=3000).graph


@pytest.fixture(scope="module")
def owner(graph):
    """Primary holder of every account: a person id or a company id."""
    owns = graph.edges[("Person", "OWNS", "Account")]
    person = owns[owns["role"] == "primary"].set_index("dst")["src"]
    company = graph.edges[("Company", "OWNS", "Account")].set_index("dst")["src"]
    return pd.concat([person, company])


@pytest.fixture(scope="module")
def transfers(graph, owner):
    t = graph.edges[TRANSFERS]
    types = graph.nodes["Account"].set_index("id")["account_type"]
    return t.assign(src_owner=owner.loc[t["src"]].to_numpy(), dst_owner=owner.loc[t["dst"]].to_numpy(),
                    src_type=types.loc[t["src"]].to_numpy(), dst_type=types.loc[t["dst"]].to_numpy())


def test_all_transfer_kinds_present(transfers):
    assert set(transfers["kind"]) == set(TRANSFER_KINDS)


def test_payroll_from_employer_business_account_to_employee(graph, transfers):
    payroll = transfers[transfers["kind"] == "payroll"]
    assert len(payroll) > 100
    assert (payroll["src_type"] == "business").all()
    assert payroll["src_owner"].str.startswith("com_").all()
    assert payroll["dst_owner"].str.startswith("per_").all()
    employer = graph.edges[("Person", "WORKS_AT", "Company")].set_index("src")["dst"]
    assert (employer.loc[payroll["dst_owner"]].to_numpy() == payroll["src_owner"].to_numpy()).all()


def test_own_account_transfers_stay_with_one_person(transfers):
    own = transfers[transfers["kind"] == "own_accounts"]
    assert len(own) > 100
    assert (own["src_owner"] == own["dst_owner"]).all()
    assert (own["src_type"] == "checking").all() and (own["dst_type"] == "savings").all()


def test_household_transfers_stay_at_home(graph, transfers):
    home = graph.nodes["Person"].set_index("id")[["address", "city"]]
    hh = transfers[transfers["kind"] == "household"]
    assert len(hh) > 100
    assert (hh["src_owner"] != hh["dst_owner"]).all()
    assert (home.loc[hh["src_owner"]].to_numpy() == home.loc[hh["dst_owner"]].to_numpy()).all()


def test_p2p_transfers_between_acquaintances(graph, transfers):
    knows = graph.edges[("Person", "KNOWS", "Person")]
    ties = set(zip(knows["src"], knows["dst"])) | set(zip(knows["dst"], knows["src"]))
    p2p = transfers[transfers["kind"] == "p2p"]
    assert len(p2p) > 100
    assert all(pair in ties for pair in zip(p2p["src_owner"], p2p["dst_owner"]))


def test_supplier_transfers_between_companies(transfers):
    sup = transfers[transfers["kind"] == "supplier"]
    assert len(sup) > 10
    assert (sup["src_type"] == "business").all() and (sup["dst_type"] == "business").all()
    assert (sup["src_owner"] != sup["dst_owner"]).all()


def test_no_self_loops_or_duplicate_pairs(graph):
    t = graph.edges[TRANSFERS]
    assert (t["src"] != t["dst"]).all()
    assert not t.duplicated(["src", "dst"]).any()
    assert not graph.edges[PAYS].duplicated(["src", "dst"]).any()


def test_amounts_and_rates_positive(graph):
    for key in (TRANSFERS, PAYS):
        t = graph.edges[key]
        assert (t["typical_amount"] >= 1.0).all()
        assert (t["monthly_count"] > 0).all()


def test_pays_only_merchants(graph):
    companies = graph.nodes["Company"].set_index("id")
    pays = graph.edges[PAYS]
    assert len(pays) > 1000
    assert companies.loc[pays["dst"], "is_merchant"].all()


def test_pays_from_personal_spending_accounts(graph, owner):
    pays = graph.edges[PAYS]
    accounts = graph.nodes["Account"].set_index("id")
    assert owner.loc[pays["src"]].str.startswith("per_").all()
    types = accounts.loc[pays["src"], "account_type"]
    assert set(types) <= {"checking", "credit_card", "wallet"}
    assert ((pays["channel"] == "wallet").to_numpy() == (types == "wallet").to_numpy()).all()


def test_merchant_popularity_heavy_tailed(graph):
    per_merchant = graph.edges[PAYS].groupby("dst").size()
    assert per_merchant.max() > 3 * per_merchant.mean()


def test_no_payroll_when_disabled():
    scenario = fraudgraph.Scenario.from_preset("default").override({"persons.count": 800, "money.payroll": False})
    graph = generate_legit(scenario, seed=2).graph
    kinds = set(graph.edges[TRANSFERS]["kind"])
    assert "payroll" not in kinds and "own_accounts" in kinds


def test_no_merchants_no_payments():
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": 800, "companies.merchant_share": 0.0})
    graph = generate_legit(scenario, seed=2).graph
    assert not graph.nodes["Company"]["is_merchant"].any()
    assert graph.num_edges(PAYS) == 0
    assert graph.num_edges(TRANSFERS) > 0
