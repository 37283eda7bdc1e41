"""Trips and the addresses at their destinations (fraudgraph/population/travel.py)."""

import ipaddress

import numpy as np
import pandas as pd
import pytest
from population_world import generate_legit

from fraudgraph import Scenario
from fraudgraph.errors import ConfigError
from fraudgraph.loading import truth_problems
from fraudgraph.population import travel

USES_IP = ("Person", "USES_IP", "IP")
SEEN_AT = ("Device", "SEEN_AT", "IP")
DAYS = 120


@pytest.fixture(scope="module")
def world():
    return generate_legit("default", seed=21, persons=4000, days=DAYS)


@pytest.fixture(scope="module")
def trips(world):
    return world.truth.trips


def test_trips_are_ordered_non_overlapping_and_valid(world, trips):
    assert len(trips) > 0 and trips["trip_id"].is_unique and trips["trip_id"].str.match(r"^trp_[0-9a-f]{12}$").all()
    assert truth_problems(world.graph, world.truth) == []
    t = {c: trips[c].to_numpy(dtype="datetime64[s]").astype(np.int64) for c in
         ("departs_at", "arrives_at", "leaves_at", "returns_at")}
    assert ((t["departs_at"] < t["arrives_at"]) & (t["arrives_at"] < t["leaves_at"]) & (t["leaves_at"] < t["returns_at"])).all()
    # the journey takes an hour plus the distance at airliner speed: no trip looks like impossible travel
    journey = (t["arrives_at"] - t["departs_at"]) / 3600
    assert np.allclose(journey, (t["returns_at"] - t["leaves_at"]) / 3600, atol=1 / 3600)
    assert journey.min() >= travel.JOURNEY_HOURS
    same = trips["person_id"].to_numpy()[1:] == trips["person_id"].to_numpy()[:-1]
    assert (t["departs_at"][1:][same] >= t["returns_at"][:-1][same] + travel.MIN_DAYS_BETWEEN * 86_400).all()
    persons = world.graph.nodes["Person"].set_index("id")
    assert (trips["origin_city"].to_numpy() == persons.loc[trips["person_id"], "city"].to_numpy()).all()
    assert (trips["origin_city"] != trips["destination_city"]).all()
    created = persons.loc[trips["person_id"], "created_at"].to_numpy(dtype="datetime64[s]").astype(np.int64)
    assert (t["departs_at"] >= created).all()


def test_rates_lengths_purposes_and_destinations(world, trips):
    cfg = world.scenario.travel
    persons = world.graph.nodes["Person"]
    per_year = len(trips) / len(persons) / ((DAYS + travel.LEAD_DAYS) / 365)
    expected = cfg.trips_per_year * np.average(travel.SEGMENT_FACTOR, weights=list(world.scenario.persons.segments.values()))
    assert 0.6 * expected < per_year < 1.05 * expected       # overlapping trips are dropped
    days = (trips["returns_at"] - trips["departs_at"]).dt.total_seconds() / 86_400
    assert days.max() <= cfg.max_days + 1 and days.min() >= cfg.min_days - 1 and 4 < days.median() < 9
    business = trips["purpose"] == "business"
    assert 0.1 < business.mean() < cfg.business_share
    assert days[business].median() < days[~business].median()
    assert (trips.loc[business, "departs_at"].dt.day_of_week < 5).all()
    employed = set(world.graph.edges[("Person", "WORKS_AT", "Company")]["src"])
    assert trips.loc[business, "person_id"].isin(employed).all()
    abroad = trips["origin_country"] != trips["destination_country"]
    assert abs(abroad.mean() - cfg.abroad_share) < 0.06
    assert trips.loc[~abroad, "travel_notice"].sum() == 0
    assert abs(trips.loc[abroad, "travel_notice"].mean() - cfg.travel_notice_share) < 0.1
    # segments differ: the affluent travel more than students
    seg = persons.set_index("id")["segment"]
    count = trips["person_id"].map(seg).value_counts() / seg.value_counts()
    assert count["affluent"] > 1.8 * count["student"]


def test_destination_addresses_are_reserved_located_and_first_seen_on_arrival(world, trips):
    g = world.graph
    ips = g.nodes["IP"].set_index("id")
    hotel = ips.loc[trips["hotel_ip_id"]]
    assert (hotel["kind"] == "public_wifi").all()
    assert (hotel["city"].to_numpy() == trips["destination_city"].to_numpy()).all()
    assert (hotel["country"].to_numpy() == trips["destination_country"].to_numpy()).all()
    roaming = trips.dropna(subset=["roaming_ip_id"])
    assert 0.5 < len(roaming) / len(trips) <= 1
    mobile = ips.loc[roaming["roaming_ip_id"]]
    assert (mobile["kind"] == "mobile").all() and (mobile["city"].to_numpy() == roaming["destination_city"].to_numpy()).all()
    for address, kind in zip(mobile["address"], mobile["kind"]):
        assert ipaddress.IPv4Address(address) in ipaddress.ip_network("100.64.0.0/10")
    for address in hotel["address"]:
        assert ipaddress.IPv4Address(address) in ipaddress.ip_network("240.0.0.0/4")
    assert ips["address"].is_unique
    # hotels are shared by the destination's travellers
    assert trips["hotel_ip_id"].value_counts().max() > 1

    uses = g.edges[USES_IP]
    travel_uses = uses[uses["context"] == "travel"]
    pairs = pd.concat([trips[["person_id", "hotel_ip_id", "arrives_at"]].set_axis(["src", "dst", "t"], axis=1),
                       roaming[["person_id", "roaming_ip_id", "arrives_at"]].set_axis(["src", "dst", "t"], axis=1)])
    first = pairs.groupby(["src", "dst"])["t"].min()
    merged = travel_uses.set_index(["src", "dst"])["first_seen"]
    assert set(first.index) == set(merged.index)
    assert (merged.loc[first.index].to_numpy() == first.to_numpy()).all()
    # nobody else connects from them
    assert not uses.loc[uses["context"] != "travel", "dst"].isin(travel_uses["dst"]).any()
    seen = g.edges[SEEN_AT]
    at = seen[seen["dst"].isin(travel_uses["dst"])]
    devices = g.edges[("Person", "USES_DEVICE", "Device")]
    owners = at.merge(devices, left_on="src", right_on="dst", suffixes=("", "_use"))
    assert owners.merge(travel_uses, left_on=["src_use", "dst"], right_on=["src", "dst"]).shape[0] > 0.9 * len(at)


def test_config_ranges():
    with pytest.raises(ConfigError, match="min_days"):
        Scenario().override({"travel.min_days": 10, "travel.max_days": 3})
    with pytest.raises(ConfigError, match="abroad_share"):
        Scenario().override({"travel.abroad_share": 1.5})


def test_no_trips_when_nobody_travels():
    world = generate_legit(Scenario().override({"travel.trips_per_year": 0.0}), seed=2, persons=300, days=20)
    assert len(world.truth.trips) == 0
    assert not (world.graph.edges[USES_IP]["context"] == "travel").any()


def test_one_country_worlds_travel_at_home():
    scenario = Scenario().override({"persons.countries": {"US": 1.0, "CA": 0.0, "GB": 0.0}, "travel.abroad_share": 1.0})
    trips = generate_legit(scenario, seed=3, persons=600, days=60).truth.trips
    assert len(trips) > 0 and (trips["destination_country"] == "US").all()
