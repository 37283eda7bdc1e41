"""Savings circles, MEMBER_OF and ORGANIZES (fraudgraph/population/circles.py)."""

import pandas as pd
import pytest
from population_world import generate_legit

import fraudgraph
from fraudgraph.vocab.geography import COUNTRY_CURRENCY

MEMBER_OF = ("Person", "MEMBER_OF", "Circle")
ORGANIZES = ("Person", "ORGANIZES", "Circle")


@pytest.fixture(scope="module")
def dataset():
    return generate_legit("default", seed=11, persons=5000)


@pytest.fixture(scope="module")
def graph(dataset):
    return dataset.graph


@pytest.fixture(scope="module")
def members(graph):
    persons = graph.nodes["Person"].set_index("id")
    m = graph.edges[MEMBER_OF]
    return m.assign(city=persons.loc[m["src"], "city"].to_numpy(), country=persons.loc[m["src"], "country"].to_numpy())


def test_circle_count_follows_participation(dataset, graph):
    cfg = dataset.scenario.circles
    expected = round(dataset.scenario.persons.count * cfg.participation / ((cfg.min_members + cfg.max_members) / 2))
    assert graph.num_nodes("Circle") == expected > 10


def test_member_count_within_range(dataset, graph, members):
    cfg = dataset.scenario.circles
    size = members.groupby("dst").size().reindex(graph.nodes["Circle"]["id"], fill_value=0)
    assert size.between(cfg.min_members, cfg.max_members).all(), size.describe()


def test_positions_are_a_permutation(members):
    for circle, positions in members.groupby("dst")["position"]:
        assert sorted(positions) == list(range(1, len(positions) + 1)), circle


def test_members_live_in_one_city(members):
    assert (members.groupby("dst")["city"].nunique() == 1).all()


def test_organizer_is_a_member(graph):
    organizes = graph.edges[ORGANIZES]
    assert organizes["dst"].is_unique
    assert set(organizes["dst"]) == set(graph.nodes["Circle"]["id"])
    pairs = set(zip(graph.edges[MEMBER_OF]["src"], graph.edges[MEMBER_OF]["dst"]))
    assert all((s, d) in pairs for s, d in zip(organizes["src"], organizes["dst"]))


def test_organizer_joins_at_creation(graph):
    circles = graph.nodes["Circle"].set_index("id")
    organizes = graph.edges[ORGANIZES]
    joined = graph.edges[MEMBER_OF].set_index(["src", "dst"])["joined_at"]
    at = joined.loc[list(zip(organizes["src"], organizes["dst"]))].to_numpy()
    assert (at == circles.loc[organizes["dst"], "created_at"].to_numpy()).all()
    assert (organizes["since"].to_numpy() == circles.loc[organizes["dst"], "created_at"].to_numpy()).all()


def test_capacity_holds_the_members(dataset, graph, members):
    circles = graph.nodes["Circle"].set_index("id")
    size = members.groupby("dst").size()
    assert (circles.loc[size.index, "max_members"] >= size).all()
    assert (circles["max_members"] <= dataset.scenario.circles.max_members).all()


def test_contribution_within_range(dataset, graph):
    cfg = dataset.scenario.circles
    amount = graph.nodes["Circle"]["contribution_amount"]
    assert amount.between(cfg.contribution_min, cfg.contribution_max).all()
    assert amount.nunique() > 1


def test_currency_is_the_members_currency(graph, members):
    circles = graph.nodes["Circle"].set_index("id")
    currency = members["country"].map(COUNTRY_CURRENCY)
    assert (currency.to_numpy() == circles.loc[members["dst"], "currency"].to_numpy()).all()


def test_status_consistent_with_start_date(dataset, graph):
    circles = graph.nodes["Circle"]
    start = pd.Timestamp(dataset.scenario.start_date)
    pending = circles["status"] == "pending"
    assert (pending == (circles["start_date"] > start)).all()
    assert (circles["start_date"] >= circles["created_at"].dt.normalize()).all()
    assert circles["status"].nunique() > 1


@pytest.mark.parametrize("lo,hi", [(3, 4), (2, 2)])
def test_custom_member_range(lo, hi):
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": 1500, "circles.min_members": lo, "circles.max_members": hi, "circles.participation": 0.1})
    graph = generate_legit(scenario, seed=4).graph
    size = graph.edges[MEMBER_OF].groupby("dst").size().reindex(graph.nodes["Circle"]["id"], fill_value=0)
    assert len(size) > 10
    assert size.between(lo, hi).all()


def test_zero_participation_gives_no_circles():
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": 1000, "circles.participation": 0.0})
    graph = generate_legit(scenario, seed=4).graph
    assert graph.num_nodes("Circle") == 0
    assert graph.num_edges(MEMBER_OF) == 0
    assert graph.num_edges(ORGANIZES) == 0
    assert list(graph.nodes["Circle"].columns)[0] == "id"
