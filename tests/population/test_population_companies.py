"""Companies and WORKS_AT (fraudgraph/population/companies.py)."""

import pandas as pd
import pytest
from population_world import generate_legit

import fraudgraph
from fraudgraph import schema

WORKS_AT = ("Person", "WORKS_AT", "Company")


@pytest.fixture(scope="module")
def dataset():
    # listed_share raised so that enough companies are listed to test tickers and officers
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": 4000, "companies.listed_share": 0.3})
    return generate_legit(scenario, seed=11)


@pytest.fixture(scope="module")
def graph(dataset):
    return dataset.graph


@pytest.fixture(scope="module")
def companies(graph):
    return graph.nodes["Company"]


def test_company_count_follows_config(dataset, companies):
    expected = round(dataset.scenario.persons.count * dataset.scenario.companies.per_1000_persons / 1000)
    assert len(companies) == expected


def test_listed_companies_have_unique_tickers(companies):
    listed = companies[companies["is_listed"]]
    assert len(listed) >= 5
    assert listed["ticker"].notna().all()
    assert listed["ticker"].is_unique
    assert listed["ticker"].str.fullmatch(r"[A-Z]{3,4}").all()


def test_unlisted_companies_have_no_ticker(companies):
    unlisted = companies[~companies["is_listed"]]
    assert len(unlisted) > 0
    assert unlisted["ticker"].isna().all()


def test_default_config_lists_few_companies():
    companies = generate_legit("default", seed=3, persons=5000).graph.nodes["Company"]
    assert 0 < companies["is_listed"].sum() < 0.2 * len(companies)
    assert companies.loc[companies["is_listed"], "ticker"].notna().all()
    assert companies.loc[~companies["is_listed"], "ticker"].isna().all()


def test_is_merchant_mixed(companies):
    assert companies["is_merchant"].nunique() == 2
    assert 0.3 < companies["is_merchant"].mean() < 0.8  # merchant_share = 0.55


def test_merchants_lean_to_consumer_industries(companies):
    consumer = companies["industry"].isin(["retail", "grocery", "restaurants"])
    industrial = companies["industry"].isin(["construction", "manufacturing", "import_export"])
    assert companies.loc[consumer, "is_merchant"].mean() > companies.loc[industrial, "is_merchant"].mean()


def test_listed_companies_with_two_employees_have_an_officer(graph, companies):
    works = graph.edges[WORKS_AT]
    listed = set(companies.loc[companies["is_listed"], "id"])
    staff = works[works["dst"].isin(listed)].groupby("dst")["role"]
    heads = staff.size()
    has_officer = staff.apply(lambda r: (r == "officer").any())
    has_director = staff.apply(lambda r: (r == "director").any())
    assert (heads >= 2).sum() >= 3
    assert has_officer[heads >= 2].all()
    assert has_director[heads >= 3].all()


def test_one_employer_per_person(graph):
    assert graph.edges[WORKS_AT]["src"].is_unique


def test_employment_rate_close_to_config(dataset, graph):
    rate = len(graph.edges[WORKS_AT]) / dataset.scenario.persons.count
    assert abs(rate - dataset.scenario.companies.employment_rate) < 0.06


def test_employees_mostly_working_age(graph):
    persons = graph.nodes["Person"].set_index("id")
    employed = persons.index.isin(graph.edges[WORKS_AT]["src"])
    retirees = persons["segment"] == "retiree"
    assert retirees.sum() > 100
    assert employed[retirees.to_numpy()].mean() < employed[~retirees.to_numpy()].mean() / 3


def test_company_sizes_heavy_tailed(graph):
    heads = graph.edges[WORKS_AT].groupby("dst").size()
    assert heads.max() > 4 * heads.mean()


def test_roles_mostly_employees(graph):
    roles = graph.edges[WORKS_AT]["role"].value_counts(normalize=True)
    assert roles["employee"] > 0.9
    assert set(roles.index) == {"employee", "officer", "director"}


@pytest.mark.parametrize("column", ["industry", "country", "city"])
def test_features_not_constant(companies, column):
    assert companies[column].nunique() > 1
    if column == "industry":
        assert set(companies[column]) <= set(schema.INDUSTRIES)


def test_incorporated_before_start(dataset, companies):
    assert (companies["incorporated_at"] < pd.Timestamp(dataset.scenario.start_date)).all()
