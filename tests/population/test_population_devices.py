"""Devices and USES_DEVICE (fraudgraph/population/devices.py)."""

import pytest
from population_world import generate_legit

import fraudgraph
from fraudgraph import schema

USES = ("Person", "USES_DEVICE", "Device")


@pytest.fixture(scope="module")
def graph():
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": 3000, "devices.emulator_share": 0.01})
    return generate_legit(scenario, seed=11).graph


@pytest.fixture(scope="module")
def uses(graph):
    persons = graph.nodes["Person"][["id", "address", "city"]]
    return graph.edges[USES].merge(persons, left_on="src", right_on="id", how="left")


def test_every_person_has_exactly_one_primary_device(graph, uses):
    primaries = uses[uses["is_primary"]].groupby("src").size()
    assert len(primaries) == len(graph.nodes["Person"])
    assert (primaries == 1).all()


def test_primary_device_belongs_to_one_person(uses):
    primary_devices = uses.loc[uses["is_primary"], "dst"]
    assert uses[uses["dst"].isin(primary_devices)].groupby("dst").size().eq(1).all()


def test_every_device_is_used(graph, uses):
    assert set(graph.nodes["Device"]["id"]) == set(uses["dst"])


def test_households_share_devices(uses):
    per_device = uses.groupby("dst").agg(users=("src", "size"), homes=("address", "nunique"),
                                         cities=("city", "nunique"))
    shared = per_device[per_device["users"] >= 2]
    assert len(shared) > 50
    # a device is shared only inside a household
    assert (shared["homes"] == 1).all() and (shared["cities"] == 1).all()


def test_some_persons_have_three_or_more_devices(uses):
    per_person = uses.groupby("src").size()
    assert (per_person >= 3).sum() > 10
    assert per_person.max() > per_person.median()


def test_emulators_exist_only_on_mobile_apps(graph):
    devices = graph.nodes["Device"]
    emulators = devices[devices["is_emulator"]]
    assert devices["is_emulator"].nunique() == 2
    assert len(emulators) > 0
    assert set(emulators["device_type"]) <= {"ios", "android"}


def test_emulator_share_close_to_config(graph):
    devices = graph.nodes["Device"]
    apps = devices[devices["device_type"].isin(["ios", "android"])]
    assert 0.003 < apps["is_emulator"].mean() < 0.03  # emulator_share = 0.01


def test_emulator_flag_matches_user_agent(graph):
    devices = graph.nodes["Device"]
    looks_emulated = devices["user_agent"].str.contains("Simulator|sdk_gphone", regex=True)
    assert (looks_emulated == devices["is_emulator"]).all()


def test_os_matches_device_type(graph):
    devices = graph.nodes["Device"]
    family = devices["os"].str.split().str[0]
    allowed = {
        "ios": {"iOS"}, "android": {"Android"}, "web_mobile": {"iOS", "Android"},
        "web_desktop": {"Windows", "macOS", "Ubuntu", "ChromeOS"},
    }
    for device_type, group in family.groupby(devices["device_type"]):
        assert set(group) <= allowed[device_type], device_type
    assert set(devices["device_type"]) == set(schema.DEVICE_TYPES)


def test_fingerprints_are_unique_hex(graph):
    fp = graph.nodes["Device"]["fingerprint"]
    assert fp.str.fullmatch(r"[0-9a-f]{32}").all()
    assert fp.is_unique


def test_device_first_seen_is_its_first_use(graph):
    first_use = graph.edges[USES].groupby("dst")["first_seen"].min()
    devices = graph.nodes["Device"].set_index("id")
    assert (devices.loc[first_use.index, "first_seen"] <= first_use).all()


def test_no_shared_household_devices():
    scenario = fraudgraph.Scenario.from_preset("default").override(
        {"persons.count": 300, "devices.household_shared_device_prob": 0.0})
    graph = generate_legit(scenario, seed=1).graph
    assert (graph.edges[USES].groupby("dst").size() == 1).all()
