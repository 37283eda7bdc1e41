"""Persons and households (fraudgraph/population/persons.py)."""

import numpy as np
import pandas as pd
import pytest
from population_world import generate_legit

import fraudgraph
from fraudgraph import schema
from fraudgraph.population.persons import MAX_HOUSEHOLD, household_sizes


@pytest.fixture(scope="module")
def dataset():
    return generate_legit("default", seed=11, persons=3000)


@pytest.fixture(scope="module")
def persons(dataset):
    return dataset.graph.nodes["Person"]


def test_count(persons):
    assert len(persons) == 3000


def test_household_members_share_city_state_and_country(persons):
    per_address = persons.groupby("address")[["city", "state", "country"]].nunique()
    assert (per_address == 1).all().all()


def test_some_addresses_are_shared(persons):
    sizes = persons.groupby(["address", "city"]).size()
    assert (sizes >= 2).sum() > 100
    assert sizes.max() <= MAX_HOUSEHOLD


def test_mean_household_size_close_to_config(dataset, persons):
    mean = len(persons) / persons.groupby(["address", "city"]).ngroups
    expected = dataset.scenario.persons.household_size_mean
    assert abs(mean - expected) <= 0.15 * expected


def test_mean_household_size_follows_a_larger_config():
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": 2000, "persons.household_size_mean": 4.0})
    persons = generate_legit(scenario, seed=12).graph.nodes["Person"]
    mean = len(persons) / persons.groupby(["address", "city"]).ngroups
    assert abs(mean - 4.0) <= 0.15 * 4.0


def test_households_often_share_a_surname(persons):
    surname = persons["name"].str.split().str[-1]
    df = persons.assign(surname=surname)
    multi = df[df.groupby(["address", "city"])["id"].transform("size") >= 2]
    shared = multi.duplicated(["address", "city", "surname"], keep=False)
    assert len(multi) > 1000
    assert shared.mean() > 0.5


@pytest.mark.parametrize("n,mean", [(1, 2.4), (7, 2.4), (3000, 2.4), (1000, 1.0), (500, 8.0)])
def test_household_sizes_add_up(n, mean):
    sizes = household_sizes(np.random.default_rng(n), n, mean)
    assert sizes.sum() == n
    assert sizes.min() >= 1 and sizes.max() <= MAX_HOUSEHOLD


def test_everyone_is_an_adult_when_joining(persons):
    adult_on = persons["date_of_birth"] + pd.DateOffset(years=18)
    too_young = persons[adult_on > persons["created_at"]]
    assert too_young.empty, too_young[["date_of_birth", "created_at"]].head()


def test_created_before_end_and_some_join_during_span(dataset, persons):
    start = pd.Timestamp(dataset.scenario.start_date)
    end = pd.Timestamp(dataset.scenario.end_date)
    assert (persons["created_at"] < end).all()
    during = (persons["created_at"] >= start).mean()
    assert 0.02 < during < 0.09  # joined_during_span = 0.05


def test_segment_ages_plausible(dataset, persons):
    start = pd.Timestamp(dataset.scenario.start_date)
    age = (start - persons["date_of_birth"]).dt.days / 365.25
    assert age.min() >= 18 - 0.01
    retirees = age[persons["segment"] == "retiree"]
    students = age[persons["segment"] == "student"]
    assert retirees.median() > students.median() + 30


@pytest.mark.parametrize("column", ["kyc_level", "segment", "country", "city"])
def test_categorical_features_not_constant(persons, column):
    assert persons[column].nunique() > 1


def test_kyc_and_segment_values_from_schema(persons):
    assert set(persons["kyc_level"]) <= set(schema.KYC_LEVELS)
    assert set(persons["segment"]) <= set(schema.SEGMENTS)


def test_country_mix_follows_config(persons):
    share = persons["country"].value_counts(normalize=True)
    assert 0.85 < share["US"] < 0.95  # default weights US .9, CA .05, GB .05
