"""Trips: persons travel, and the addresses they connect from at the destination.

Every person takes trips at their own rate: ``travel.trips_per_year`` times a
factor of their segment (affluent persons and young professionals travel most,
gig workers and students least) times a gamma-distributed taste for travel (many
hardly travel, a few often). A trip is either a business trip (employed persons
only: short, leaving on a weekday morning) or a holiday (a few days to two
weeks); it goes abroad, to a city of another of the scenario's countries, or to
another city at home, weighted by population. Trips of one person never overlap.

A trip has four times: the traveller leaves home (``departs_at``), arrives
(``arrives_at``, after a journey that takes an hour plus the distance at airliner
speed), leaves the destination (``leaves_at``) and is back home (``returns_at``).
At the destination they connect from a hotel's Wi-Fi (a pool of addresses per
destination city, shared by its travellers) and, with a phone or mobile browser,
from a local mobile address: ``IP`` nodes geolocated there, from the reserved
blocks like every other address, ``USES_IP`` edges of context ``travel`` first
seen on arrival, and ``SEEN_AT`` edges for the traveller's devices. The
timeline reads the trips from ``truth/trips`` and moves the traveller's logins
and card payments there for the stay; nothing comes from them on the way.

Where the trips are written, and why there: a bank learns of some trips from a
travel notice the customer files (``travel_notice``: a share of the trips
abroad) and never of the rest, so the table goes to ``truth/`` with that column,
not to the public graph; the public graph shows what a bank sees, the addresses
abroad. This is the population layer because the addresses are graph nodes that
must exist before the patterns and the timeline run, and because a trip is a
property of the legitimate world, not an event.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraudgraph.graph import PropertyGraph, random_ids
from fraudgraph.population.networks import COMPATIBLE, CONTEXTS, ip_nodes, providers_for
from fraudgraph.population.world import World
from fraudgraph.units import DAY, HOUR, to_datetime
from fraudgraph.vocab.draw import unique_integers
from fraudgraph.vocab.networks import (
    CGNAT_BASE,
    CGNAT_SIZE,
    RESERVED_BASE,
    RESERVED_SIZE,
    dotted,
)

#: Trip-rate factor of each segment, in schema.SEGMENTS order.
SEGMENT_FACTOR = np.array([0.6, 1.2, 0.8, 1.8, 1.0, 0.5])
#: Shape of the per-person gamma taste for travel (mean 1): small means most travel little, a few a lot.
TASTE_SHAPE = 0.8
#: Business trips last one to four days; holidays a log-normal week, within the configured bounds.
BUSINESS_DAYS = (1, 4)
HOLIDAY_DAYS_MEDIAN, HOLIDAY_DAYS_SIGMA = 6.0, 0.5
#: Journey time: check-in and transfers, plus the distance at this speed.
JOURNEY_HOURS, JOURNEY_KMH = 1.0, 750.0
#: Days at home between two trips at least; trips may have started this long before the span.
MIN_DAYS_BETWEEN = 2
LEAD_DAYS = 14
#: Mobile addresses at a destination: travellers per carrier-NAT address.
TRAVELLERS_PER_MOBILE_IP = 10.0
EARTH_RADIUS_KM = 6371.0


def build_travel(world: World, graph: PropertyGraph) -> None:
    """Draw every person's trips; add the destinations' ``IP`` nodes, ``USES_IP`` and ``SEEN_AT`` edges.

    The trip table goes to ``graph.records["trips"]`` for the truth stage (schema:
    :data:`fraudgraph.truth.TRIPS`).

    Parameters
    ----------
    world : World
        Built persons, companies (employment), devices and networks.
    graph : PropertyGraph
        Receives the addresses and edges.
    """
    rng = world.rng("travel")
    trips = draw_trips(world, rng)
    ips = _addresses(world, graph, rng, trips)
    person_ids = world["person_id"]
    trip_ids, _ = random_ids("trp_", len(trips), rng, space=graph.id_space)
    notice = trips["abroad"].to_numpy() & (rng.random(len(trips)) < world.scenario.travel.travel_notice_share)
    geo = world.geo
    home, dest = trips["home_city"].to_numpy(), trips["city"].to_numpy()
    roaming = trips["roaming_ip"].to_numpy()
    table = pd.DataFrame({
        "trip_id": trip_ids,
        "person_id": person_ids[trips["person"].to_numpy()],
        "purpose": np.where(trips["business"].to_numpy(), "business", "leisure"),
        **{col: to_datetime(trips[col].to_numpy()) for col in ("departs_at", "arrives_at", "leaves_at", "returns_at")},
        "origin_country": geo.country[home], "origin_city": geo.city[home],
        "destination_country": geo.country[dest], "destination_city": geo.city[dest],
        "hotel_ip_id": ips[trips["hotel_ip"].to_numpy()],
        "roaming_ip_id": np.where(roaming >= 0, ips[np.maximum(roaming, 0)], None),
        "travel_notice": notice,
    })
    graph.records["trips"] = table.sort_values(["person_id", "departs_at"], kind="stable", ignore_index=True)


def draw_trips(world: World, rng: np.random.Generator) -> pd.DataFrame:
    """Every person's trips as positions and int64 seconds, sorted by person then departure.

    Parameters
    ----------
    world : World
        Built persons, employment and devices.
    rng : numpy.random.Generator
        Source of randomness; the same state gives the same trips.

    Returns
    -------
    DataFrame
        ``person, home_city, city, abroad, business, departs_at, arrives_at, leaves_at, returns_at``.
    """
    cfg = world.scenario.travel
    geo = world.geo
    n = world["person_id"].size
    created = world["person_created"]
    lead = world.start - LEAD_DAYS * DAY
    first = np.maximum(created, lead)
    years = np.maximum(world.end - first, 0) / (365.0 * DAY)
    taste = rng.gamma(TASTE_SHAPE, 1.0 / TASTE_SHAPE, n)
    counts = rng.poisson(cfg.trips_per_year * SEGMENT_FACTOR[world["person_segment"]] * taste * years)
    person = np.repeat(np.arange(n), counts)
    m = person.size
    day0 = first[person] + (rng.random(m) * (world.end - first[person])).astype(np.int64)
    day0 -= day0 % DAY

    employed = np.zeros(n, dtype=bool)
    employed[world["employee_person"]] = True
    business = employed[person] & (rng.random(m) < cfg.business_share)
    lo, hi = max(BUSINESS_DAYS[0], cfg.min_days), max(min(BUSINESS_DAYS[1], cfg.max_days), cfg.min_days)
    holiday = np.rint(rng.lognormal(np.log(HOLIDAY_DAYS_MEDIAN), HOLIDAY_DAYS_SIGMA, m))
    days = np.where(business, rng.integers(lo, hi + 1, m), np.clip(holiday, cfg.min_days, cfg.max_days)).astype(np.int64)
    weekday = (day0 // DAY + 3) % 7                                   # 0 = Monday (1970-01-01 was a Thursday)
    day0 = np.where(business & (weekday >= 5), day0 + (7 - weekday) * DAY, day0)   # business trips leave on a weekday
    departs = day0 + np.where(business, rng.integers(6 * HOUR, 10 * HOUR, m), rng.integers(7 * HOUR, 19 * HOUR, m))
    returns = day0 + days * DAY + rng.integers(10 * HOUR, 22 * HOUR, m)

    home = world["person_city"][person]
    abroad = rng.random(m) < cfg.abroad_share
    city = _destinations(geo, rng, home, abroad)
    ok = city >= 0
    abroad &= geo.country[np.maximum(city, 0)] != geo.country[home]
    km = _km(geo.lat[home], geo.lon[home], geo.lat[np.maximum(city, 0)], geo.lon[np.maximum(city, 0)])
    journey = ((JOURNEY_HOURS + km / JOURNEY_KMH) * HOUR).astype(np.int64)
    arrives, leaves = departs + journey, returns - journey
    ok &= (leaves - arrives >= 6 * HOUR) & (returns > world.start) & (arrives < world.end) & (departs >= created[person])
    ok &= _first_portable(world)[person] < leaves          # a traveller takes a phone, tablet or laptop browser
    trips = pd.DataFrame({
        "person": person, "home_city": home, "city": city, "abroad": abroad, "business": business,
        "departs_at": departs, "arrives_at": arrives, "leaves_at": leaves, "returns_at": returns,
    })[ok].sort_values(["person", "departs_at"], kind="stable", ignore_index=True)
    return trips[~_overlaps(trips)].reset_index(drop=True)


def _destinations(geo, rng, home: np.ndarray, abroad: np.ndarray) -> np.ndarray:
    """A destination city per trip: another city at home, or one in another country; -1 if there is none."""
    country = np.unique(geo.country, return_inverse=True)[1]
    within = geo.weight / np.bincount(country, weights=geo.weight)[country]    # population share within the country
    out = np.full(home.size, -1, dtype=np.int64)
    for c in np.unique(home):
        for away in (False, True):
            rows = np.flatnonzero((home == c) & (abroad == away))
            other_country = geo.country != geo.country[c]
            allowed = other_country if away else (~other_country & (np.arange(len(geo)) != c))
            if rows.size == 0:
                continue
            if not allowed.any():
                allowed = ~other_country & (np.arange(len(geo)) != c)   # one country only: stay at home
            if not allowed.any():
                continue
            p = np.where(allowed, within, 0.0)
            out[rows] = rng.choice(len(geo), rows.size, p=p / p.sum())
    return out


def _overlaps(trips: pd.DataFrame) -> np.ndarray:
    """Trips that leave before an earlier trip of the same person is over (plus a few days at home)."""
    person = trips["person"].to_numpy()
    back = trips["returns_at"].to_numpy() + MIN_DAYS_BETWEEN * DAY
    latest = pd.Series(back).groupby(person).cummax().groupby(person).shift(1).to_numpy()
    return ~np.isnan(latest) & (trips["departs_at"].to_numpy() < np.nan_to_num(latest))


def _addresses(world: World, graph: PropertyGraph, rng: np.random.Generator, trips: pd.DataFrame) -> np.ndarray:
    """Hotel Wi-Fi and mobile addresses at each destination; adds nodes and edges, sets the trips' address columns.

    Returns the ids of the new addresses (the trips' ``hotel_ip`` and ``roaming_ip`` index them).
    """
    cfg = world.scenario.travel
    geo = world.geo
    n_cities = len(geo)
    city, person = trips["city"].to_numpy(), trips["person"].to_numpy()
    capable = rng.random(len(trips)) < world.scenario.ips.mobile_share

    kinds, cities, hotel, roaming = [], [], np.zeros(len(trips), np.int64), np.full(len(trips), -1, np.int64)
    first = 0
    for kind, users, per_ip, out in (("public_wifi", np.ones(len(trips), bool), cfg.travellers_per_hotel_ip, hotel),
                                     ("mobile", capable, TRAVELLERS_PER_MOBILE_IP, roaming)):
        demand = np.bincount(city[users], minlength=n_cities)
        size = np.ceil(demand / per_ip).astype(np.int64)
        start = first + np.r_[0, np.cumsum(size)[:-1]]
        out[users] = start[city[users]] + (rng.random(int(users.sum())) * size[city[users]]).astype(np.int64)
        kinds.append(np.full(int(size.sum()), kind, dtype=object))
        cities.append(np.repeat(np.arange(n_cities), size))
        first += int(size.sum())
    kind, ip_city = np.concatenate(kinds), np.concatenate(cities)

    # every trip uses its hotel, and its mobile address if any, from arrival to departure
    uses = pd.DataFrame({"person": np.r_[person, person[roaming >= 0]], "ip": np.r_[hotel, roaming[roaming >= 0]],
                         "t": np.r_[trips["arrives_at"].to_numpy(), trips["arrives_at"].to_numpy()[roaming >= 0]],
                         "until": np.r_[trips["leaves_at"].to_numpy(), trips["leaves_at"].to_numpy()[roaming >= 0]]})
    used = np.zeros(kind.size, dtype=bool)
    used[uses["ip"].to_numpy()] = True
    remap = np.cumsum(used) - 1
    trips_hotel, trips_roaming = remap[hotel], np.where(roaming >= 0, remap[np.maximum(roaming, 0)], -1)
    trips["hotel_ip"], trips["roaming_ip"] = trips_hotel, trips_roaming
    kind, ip_city = kind[used], ip_city[used]
    uses["ip"] = remap[uses["ip"].to_numpy()]
    n_ips = kind.size
    first_seen = np.full(n_ips, np.iinfo(np.int64).max)
    np.minimum.at(first_seen, uses["ip"].to_numpy(), uses["t"].to_numpy())

    is_mobile = kind == "mobile"
    address = np.empty(n_ips, dtype=object)
    taken = set(graph.nodes["IP"]["address"].tolist()) if "IP" in graph.nodes else set()
    for mask, base, span in ((is_mobile, CGNAT_BASE, CGNAT_SIZE), (~is_mobile, RESERVED_BASE, RESERVED_SIZE)):
        k = int(mask.sum())
        drawn = dotted(base + unique_integers(rng, 0, span, 2 * k + 16))
        address[mask] = drawn[~pd.Series(drawn).isin(taken).to_numpy()][:k]
    provider = np.empty(n_ips, dtype=np.int64)
    for k in ("public_wifi", "mobile"):
        mask = kind == k
        provider[mask] = providers_for(k, geo.country[ip_city[mask]], rng)
    ids = graph.new_ids("IP", n_ips, rng)
    graph.add_nodes("IP", ip_nodes(geo, rng, ids, address, kind, ip_city, provider, first_seen, 0.05))
    person_ids = world["person_id"]
    edges = uses.groupby(["person", "ip"], sort=True, as_index=False)["t"].min()
    graph.add_edges(("Person", "USES_IP", "IP"), pd.DataFrame({
        "src": person_ids[edges["person"].to_numpy()],
        "dst": ids[edges["ip"].to_numpy()],
        "context": "travel",
        "first_seen": to_datetime(edges["t"].to_numpy()),
    }))

    # the traveller's devices in use by the end of the stay are seen there, where the device type fits
    devices = pd.DataFrame({"person": world["uses_device_person"], "device": world["uses_device_device"],
                            "device_seen": world["uses_device_seen"]})
    seen = devices.merge(uses, on="person", how="inner")
    context = np.where(is_mobile[seen["ip"].to_numpy()], CONTEXTS.index("mobile"), CONTEXTS.index("public"))
    fits = COMPATIBLE[world["device_type"][seen["device"].to_numpy()], context]
    fits &= seen["device_seen"].to_numpy() < seen["until"].to_numpy()
    seen = seen[fits]
    seen = seen.assign(t=np.maximum(seen["device_seen"].to_numpy(), seen["t"].to_numpy()))
    seen = seen.groupby(["device", "ip"], sort=True, as_index=False)["t"].min()
    graph.add_edges(("Device", "SEEN_AT", "IP"), pd.DataFrame({
        "src": world["device_id"][seen["device"].to_numpy()],
        "dst": ids[seen["ip"].to_numpy()],
        "first_seen": to_datetime(seen["t"].to_numpy()),
    }))
    return np.asarray(ids, dtype=object)


def _first_portable(world: World) -> np.ndarray:
    """Per person, when they first use a device that travels (not a desktop); int64 max if never."""
    fits = COMPATIBLE[world["device_type"][world["uses_device_device"]], CONTEXTS.index("public")]
    person, seen = world["uses_device_person"][fits], world["uses_device_seen"][fits]
    out = np.full(world["person_id"].size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, person, seen)
    return out


def _km(lat1, lon1, lat2, lon2) -> np.ndarray:
    lat1, lon1, lat2, lon2 = (np.radians(a) for a in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
