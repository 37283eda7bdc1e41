"""KNOWS ties (fraudgraph/population/social.py)."""

import pandas as pd
import pytest
from population_world import generate_legit

import fraudgraph

KNOWS = ("Person", "KNOWS", "Person")


def _with_cities(graph):
    persons = graph.nodes["Person"].set_index("id")
    knows = graph.edges[KNOWS]
    return knows.assign(
        src_city=persons.loc[knows["src"], "city"].to_numpy(),
        dst_city=persons.loc[knows["dst"], "city"].to_numpy(),
        src_home=persons.loc[knows["src"], "address"].to_numpy(),
        dst_home=persons.loc[knows["dst"], "address"].to_numpy(),
    )


@pytest.fixture(scope="module")
def graph():
    return generate_legit("default", seed=11, persons=3000).graph


@pytest.fixture(scope="module")
def knows(graph):
    return _with_cities(graph)


def test_degree_distribution_heavy_tailed(graph, knows):
    degree = pd.concat([knows["src"], knows["dst"]]).value_counts().reindex(graph.nodes["Person"]["id"], fill_value=0)
    assert degree.max() > 5 * degree.mean()
    assert degree.median() < degree.mean()  # right-skewed


def test_friends_mostly_in_the_same_city(knows):
    friends = knows[knows["kind"] == "friend"]
    assert len(friends) > 1000
    assert (friends["src_city"] == friends["dst_city"]).mean() > 0.6  # same_city_prob = 0.8


def test_homophily_follows_config():
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": 1500, "social.same_city_prob": 0.0})
    knows = _with_cities(generate_legit(scenario, seed=11).graph)
    friends = knows[knows["kind"] == "friend"]
    assert (friends["src_city"] == friends["dst_city"]).mean() < 0.3


def test_family_ties_live_together(knows):
    family = knows[knows["kind"] == "family"]
    assert len(family) > 500
    assert (family["src_home"] == family["dst_home"]).all()
    assert (family["src_city"] == family["dst_city"]).all()


def test_every_household_pair_is_family(graph, knows):
    persons = graph.nodes["Person"]
    sizes = persons.groupby(["address", "city"]).size()
    pairs = int((sizes * (sizes - 1) // 2).sum())
    assert (knows["kind"] == "family").sum() == pairs


def test_coworkers_share_an_employer(graph, knows):
    employer = graph.edges[("Person", "WORKS_AT", "Company")].set_index("src")["dst"]
    coworkers = knows[knows["kind"] == "coworker"]
    assert len(coworkers) > 100
    assert (employer.reindex(coworkers["src"]).to_numpy() == employer.reindex(coworkers["dst"]).to_numpy()).all()


def test_stored_once_per_pair_without_loops(knows):
    assert (knows["src"] != knows["dst"]).all()
    assert (knows["src"] < knows["dst"]).all()
    assert not knows.duplicated(["src", "dst"]).any()


def test_kinds_all_present(knows):
    assert set(knows["kind"]) == {"family", "friend", "coworker"}
