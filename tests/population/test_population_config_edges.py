"""Tiny and degenerate scenarios must generate and validate without crashing."""


from population_world import generate_legit

import fraudgraph


def _generate(changes, seed):
    scenario = fraudgraph.Scenario.from_preset("default").override(changes)
    ds = generate_legit(scenario, seed=seed)
    assert ds.graph.validate(raise_on_error=False) == []
    return ds.graph


def test_single_person_world():
    graph = _generate({"persons.count": 1}, seed=0)
    assert graph.num_nodes("Person") == 1
    assert graph.num_edges(("Person", "USES_DEVICE", "Device")) >= 1


def test_seven_person_world_without_shared_devices():
    graph = _generate({"persons.count": 7}, seed=1)
    assert graph.num_nodes("Person") == 7


def test_seven_person_world_with_a_shared_device():
    graph = _generate({"persons.count": 7}, seed=0)
    assert graph.num_nodes("Person") == 7
    assert graph.nodes["Person"]["email"].is_unique


def test_single_person_households():
    graph = _generate({"persons.count": 500, "persons.household_size_mean": 1.0}, seed=0)
    assert graph.nodes["Person"].groupby(["address", "city"]).size().max() == 1


def test_gb_only_world():
    graph = _generate({"persons.count": 200, "persons.countries": {"GB": 1.0}}, seed=0)
    assert set(graph.nodes["Person"]["country"]) == {"GB"}


def test_canada_only_world():
    graph = _generate({"persons.count": 200, "persons.countries": {"CA": 1.0}}, seed=0)
    assert set(graph.nodes["Person"]["country"]) == {"CA"}
    assert set(graph.nodes["Account"]["currency"]) == {"CAD"}


def test_no_circles():
    graph = _generate({"persons.count": 500, "circles.participation": 0.0}, seed=3)
    assert graph.num_nodes("Circle") == 0
    assert graph.num_edges(("Person", "MEMBER_OF", "Circle")) == 0


def test_no_merchants():
    graph = _generate({"persons.count": 500, "companies.merchant_share": 0.0}, seed=3)
    assert graph.num_edges(("Account", "PAYS", "Company")) == 0
    assert graph.num_nodes("Company") > 0


def test_nobody_online_extras():
    graph = _generate({"persons.count": 500, "ips.mobile_share": 0.0, "ips.public_wifi_share": 0.0,
                       "ips.vpn_share": 0.0, "ips.hosting_share": 0.0, "ips.work_ip_share": 0.0,
                       "travel.trips_per_year": 0.0}, seed=3)   # nor travels (hotel and roaming addresses)
    assert set(graph.nodes["IP"]["kind"]) == {"residential"}
