"""IPs, USES_IP and SEEN_AT (fraudgraph/population/networks.py)."""

import ipaddress

import pytest
from population_world import generate_legit

from fraudgraph import schema
from fraudgraph.population.networks import KIND_OF_CONTEXT

USES_IP = ("Person", "USES_IP", "IP")
USES_DEVICE = ("Person", "USES_DEVICE", "Device")
SEEN_AT = ("Device", "SEEN_AT", "IP")
CGNAT = ipaddress.ip_network("100.64.0.0/10")
RESERVED = ipaddress.ip_network("240.0.0.0/4")


@pytest.fixture(scope="module")
def graph():
    return generate_legit("default", seed=11, persons=3000).graph


@pytest.fixture(scope="module")
def ip_users(graph):
    """USES_IP joined with the IP's kind and the person's address and city."""
    persons = graph.nodes["Person"][["id", "address", "city"]].rename(columns={"id": "src", "city": "person_city"})
    ips = graph.nodes["IP"][["id", "kind", "city"]].rename(columns={"id": "dst", "city": "ip_city"})
    return graph.edges[USES_IP].merge(persons, on="src").merge(ips, on="dst")


def test_addresses_in_reserved_blocks(graph):
    ips = graph.nodes["IP"]
    for address, kind in zip(ips["address"], ips["kind"]):
        ip = ipaddress.IPv4Address(address)
        if kind == "mobile":
            assert ip in CGNAT, (address, kind)
        else:
            assert ip in RESERVED, (address, kind)


def test_addresses_unique(graph):
    assert graph.nodes["IP"]["address"].is_unique


def test_asns_private_use_and_one_provider_each(graph):
    ips = graph.nodes["IP"]
    assert ips["asn"].between(64512, 65534).all()
    assert (ips.groupby("asn")["provider"].nunique() == 1).all()


def test_every_kind_exists(graph):
    kinds = graph.nodes["IP"]["kind"]
    assert set(kinds) == set(schema.IP_KINDS)
    assert kinds.nunique() > 1


def test_context_matches_ip_kind(ip_users):
    travel = ip_users["context"] == "travel"          # a trip's hotel Wi-Fi or mobile address (test_population_travel)
    assert (ip_users.loc[~travel, "context"].map(KIND_OF_CONTEXT) == ip_users.loc[~travel, "kind"]).all()
    assert ip_users.loc[travel, "kind"].isin(["public_wifi", "mobile"]).all()


@pytest.mark.parametrize("kind", ["public_wifi", "mobile", "corporate"])
def test_shared_networks_have_unrelated_users(ip_users, kind):
    rows = ip_users[ip_users["kind"] == kind]
    homes = rows.assign(home=rows["address"] + "|" + rows["person_city"]).groupby("dst")["home"].nunique()
    assert (homes >= 5).any(), f"no {kind} address is used by 5+ persons from different homes"


def test_residential_ips_belong_to_one_household(ip_users):
    rows = ip_users[ip_users["kind"] == "residential"]
    per_ip = rows.groupby("dst").agg(homes=("address", "nunique"), cities=("person_city", "nunique"),
                                     users=("src", "size"))
    assert (per_ip["homes"] == 1).all() and (per_ip["cities"] == 1).all()
    assert (per_ip["users"] >= 2).any()


def test_every_person_has_one_home_ip(graph, ip_users):
    home = ip_users[ip_users["context"] == "home"].groupby("src").size()
    assert len(home) == len(graph.nodes["Person"])
    assert (home == 1).all()


@pytest.mark.parametrize("kind", ["residential", "mobile", "public_wifi"])
def test_local_networks_are_in_the_users_city(ip_users, kind):
    rows = ip_users[(ip_users["kind"] == kind) & (ip_users["context"] != "travel")]
    assert len(rows) > 0
    assert (rows["ip_city"] == rows["person_city"]).all()


def test_every_uses_ip_has_a_seen_at_from_one_of_the_persons_devices(graph):
    uses_ip = graph.edges[USES_IP][["src", "dst"]].rename(columns={"src": "person", "dst": "ip"})
    owned = graph.edges[USES_DEVICE][["src", "dst"]].rename(columns={"src": "person", "dst": "device"})
    seen = graph.edges[SEEN_AT][["src", "dst"]].rename(columns={"src": "device", "dst": "ip"})
    witnessed = owned.merge(seen, on="device")[["person", "ip"]].drop_duplicates()
    check = uses_ip.merge(witnessed, on=["person", "ip"], how="left", indicator=True)
    missing = check[check["_merge"] == "left_only"]
    assert missing.empty, f"{len(missing)} USES_IP edges have no SEEN_AT, e.g. {missing.head(3).to_dict('records')}"


def test_every_seen_at_is_explained_by_a_user(graph):
    uses_ip = graph.edges[USES_IP][["src", "dst"]].rename(columns={"src": "person", "dst": "ip"})
    owned = graph.edges[USES_DEVICE][["src", "dst"]].rename(columns={"src": "person", "dst": "device"})
    explained = owned.merge(uses_ip, on="person")[["device", "ip"]].drop_duplicates()
    seen = graph.edges[SEEN_AT][["src", "dst"]].rename(columns={"src": "device", "dst": "ip"})
    check = seen.merge(explained, on=["device", "ip"], how="left", indicator=True)
    assert (check["_merge"] == "both").all()


def test_desktops_never_on_mobile_or_public_wifi(graph):
    devices = graph.nodes["Device"][["id", "device_type"]].rename(columns={"id": "src"})
    ips = graph.nodes["IP"][["id", "kind"]].rename(columns={"id": "dst"})
    seen = graph.edges[SEEN_AT].merge(devices, on="src").merge(ips, on="dst")
    desktop = seen[seen["device_type"] == "web_desktop"]
    assert len(desktop) > 0
    assert not desktop["kind"].isin(["mobile", "public_wifi"]).any()


def test_ip_first_seen_is_first_use(graph):
    first_use = graph.edges[USES_IP].groupby("dst")["first_seen"].min()
    ips = graph.nodes["IP"].set_index("id")
    assert len(first_use) == len(ips)  # no unused addresses
    assert (ips.loc[first_use.index, "first_seen"] == first_use).all()


def test_vpn_and_hosting_are_minority_behaviour(graph, ip_users):
    n = len(graph.nodes["Person"])
    vpn_users = ip_users.loc[ip_users["kind"] == "vpn", "src"].nunique()
    hosting_users = ip_users.loc[ip_users["kind"] == "hosting", "src"].nunique()
    assert 0.02 * n < vpn_users < 0.12 * n  # vpn_share = 0.06
    assert 0 < hosting_users < 0.02 * n  # hosting_share = 0.004
