"""Accounts and OWNS (fraudgraph/population/accounts.py)."""

import pandas as pd
import pytest
from population_world import generate_legit

import fraudgraph
from fraudgraph import schema
from fraudgraph.population.accounts import INSTITUTIONS
from fraudgraph.vocab.geography import COUNTRY_CURRENCY

P_OWNS = ("Person", "OWNS", "Account")
C_OWNS = ("Company", "OWNS", "Account")


@pytest.fixture(scope="module")
def dataset():
    return generate_legit("default", seed=11, persons=3000)


@pytest.fixture(scope="module")
def graph(dataset):
    return dataset.graph


@pytest.fixture(scope="module")
def accounts(graph):
    return graph.nodes["Account"].set_index("id")


def test_several_institutions(dataset, accounts):
    n = dataset.scenario.accounts.institutions
    assert accounts["institution"].nunique() >= 2
    assert set(accounts["institution"]) <= set(INSTITUTIONS[:n])


def test_every_person_owns_an_account(graph):
    owns = graph.edges[P_OWNS]
    primary_owners = set(owns.loc[owns["role"] == "primary", "src"])
    assert primary_owners == set(graph.nodes["Person"]["id"])


def test_every_account_has_exactly_one_primary_owner(graph, accounts):
    owns = graph.edges[P_OWNS]
    holders = pd.concat([owns.loc[owns["role"] == "primary", "dst"], graph.edges[C_OWNS]["dst"]])
    counts = holders.value_counts().reindex(accounts.index, fill_value=0)
    assert (counts == 1).all()


def test_joint_owners_share_the_primary_owners_home(graph):
    owns = graph.edges[P_OWNS]
    persons = graph.nodes["Person"].set_index("id")
    primary = owns[owns["role"] == "primary"].set_index("dst")["src"]
    joint = owns[owns["role"] == "joint"]
    assert len(joint) > 50
    main = primary.loc[joint["dst"]].to_numpy()
    co = joint["src"].to_numpy()
    assert (main != co).all()
    assert (persons.loc[main, "address"].to_numpy() == persons.loc[co, "address"].to_numpy()).all()
    assert (persons.loc[main, "city"].to_numpy() == persons.loc[co, "city"].to_numpy()).all()


def test_joint_accounts_are_checking(graph, accounts):
    owns = graph.edges[P_OWNS]
    joint = owns.loc[owns["role"] == "joint", "dst"]
    assert (accounts.loc[joint, "account_type"] == "checking").all()
    assert joint.is_unique


def test_credit_limit_only_on_credit_cards(dataset, accounts):
    cfg = dataset.scenario.accounts
    is_card = accounts["account_type"] == "credit_card"
    assert is_card.any()
    assert ((accounts["credit_limit"] > 0) == is_card).all()
    cards = accounts[is_card]
    assert cards["credit_limit"].between(cfg.credit_limit_min, cfg.credit_limit_max).all()
    assert (cards["opening_balance"] <= cards["credit_limit"]).all()


def test_balances_non_negative_with_cents(accounts):
    balance = accounts["opening_balance"]
    assert (balance >= 0).all()
    assert ((balance * 100).round() - balance * 100).abs().max() < 1e-6


def test_company_accounts_are_business_and_only_they(graph, accounts):
    company_acc = graph.edges[C_OWNS]["dst"]
    person_acc = graph.edges[P_OWNS]["dst"]
    assert len(company_acc) > 0
    assert (accounts.loc[company_acc, "account_type"] == "business").all()
    assert not (accounts.loc[person_acc, "account_type"] == "business").any()


def test_currency_follows_owner_country(graph, accounts):
    owns = graph.edges[P_OWNS]
    primary = owns[owns["role"] == "primary"]
    country = graph.nodes["Person"].set_index("id").loc[primary["src"], "country"].to_numpy()
    currency = accounts.loc[primary["dst"], "currency"].to_numpy()
    assert (pd.Series(country).map(COUNTRY_CURRENCY).to_numpy() == currency).all()
    c_owns = graph.edges[C_OWNS]
    c_country = graph.nodes["Company"].set_index("id").loc[c_owns["src"], "country"].to_numpy()
    assert (pd.Series(c_country).map(COUNTRY_CURRENCY).to_numpy() == accounts.loc[c_owns["dst"], "currency"].to_numpy()).all()


def test_account_numbers_unique(accounts):
    numbers = accounts["account_number"]
    assert numbers.is_unique
    assert numbers.str.fullmatch(r"\d{12}").all()


def test_owns_since_is_opened_at_for_primary_holders(graph, accounts):
    owns = graph.edges[P_OWNS]
    primary = owns[owns["role"] == "primary"]
    assert (primary["since"].to_numpy() == accounts.loc[primary["dst"], "opened_at"].to_numpy()).all()


@pytest.mark.parametrize("column", ["status", "account_type", "institution", "currency"])
def test_features_not_constant(accounts, column):
    assert accounts[column].nunique() > 1


def test_status_values_and_mostly_active(accounts):
    assert set(accounts["status"]) <= set(schema.ACCOUNT_STATUSES)
    assert 0.8 < (accounts["status"] == "active").mean() < 0.97


def test_credit_cards_get_a_positive_limit_with_a_low_minimum():
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": 1000, "accounts.credit_limit_min": 0.0, "accounts.credit_limit_max": 1000.0})
    accounts = generate_legit(scenario, seed=2).graph.nodes["Account"]
    cards = accounts[accounts["account_type"] == "credit_card"]
    assert len(cards) > 0
    assert (cards["credit_limit"] > 0).all()
